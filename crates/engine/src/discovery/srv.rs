//! DNS SRV records (RFC 6186 for IMAP, POP3 and submission; RFC 8314 for implicit-TLS
//! submission). [`configs_from_records`] is pure; [`lookup`] queries the resolver.

use crate::model::{
    AuthMethod, DiscoveredConfig, DiscoverySource, Protocol, Security, ServerConfig,
};

use super::dns::{Dns, DnsError, SrvRecord};
use super::Address;

/// The services looked up, with what each means.
pub const SERVICES: [(&str, Protocol, Security); 6] = [
    ("_imaps._tcp", Protocol::Imap, Security::Tls),
    ("_imap._tcp", Protocol::Imap, Security::Starttls),
    ("_pop3s._tcp", Protocol::Pop3, Security::Tls),
    ("_pop3._tcp", Protocol::Pop3, Security::Starttls),
    ("_submissions._tcp", Protocol::Smtp, Security::Tls),
    ("_submission._tcp", Protocol::Smtp, Security::Starttls),
];

/// The records found for one service.
#[derive(Debug, Clone)]
pub struct ServiceRecords {
    pub protocol: Protocol,
    pub security: Security,
    pub records: Vec<SrvRecord>,
}

/// Turns SRV answers into settings. A target of "." means the service is deliberately not
/// offered (RFC 2782). Implicit TLS comes before STARTTLS (RFC 8314); then the records' priority
/// (lowest first, also between IMAP and POP3, as RFC 6186 says), IMAP before POP3, and the
/// highest weight. `None` unless both an incoming and an outgoing server remain.
pub fn configs_from_records(
    answers: &[ServiceRecords],
    address: &Address,
) -> Option<DiscoveredConfig> {
    let mut found: Vec<(u16, u16, ServerConfig)> = Vec::new();
    for service in answers {
        for r in &service.records {
            let target = r.target.trim_end_matches('.');
            if target.is_empty() || r.port == 0 {
                continue;
            }
            found.push((
                r.priority,
                r.weight,
                ServerConfig {
                    protocol: service.protocol,
                    host: target.to_ascii_lowercase(),
                    port: r.port,
                    security: service.security,
                    username: address.email.clone(),
                    auth: AuthMethod::Password,
                    pop3: None,
                },
            ));
        }
    }
    found.sort_by_key(|(priority, weight, s)| {
        (
            s.security != Security::Tls,
            *priority,
            s.protocol != Protocol::Imap,
            std::cmp::Reverse(*weight),
        )
    });
    let mut incoming = Vec::new();
    let mut outgoing = Vec::new();
    for (_, _, s) in found {
        let list = if s.protocol == Protocol::Smtp {
            &mut outgoing
        } else {
            &mut incoming
        };
        if !list.contains(&s) {
            list.push(s);
        }
    }
    if incoming.is_empty() || outgoing.is_empty() {
        return None;
    }
    Some(DiscoveredConfig {
        source: DiscoverySource::Srv,
        provider: None,
        incoming,
        outgoing,
        trusted: true,
        notes: Vec::new(),
        help_url: None,
        unsupported: None,
    })
}

/// Looks up the six services of `domain` at once. `Ok(None)`: no usable records.
pub async fn lookup(dns: &Dns, address: &Address) -> Result<Option<DiscoveredConfig>, String> {
    let queries = SERVICES.iter().map(|(service, protocol, security)| {
        let name = format!("{service}.{}.", address.domain);
        async move {
            match dns.srv(&name).await {
                Ok(records) => Ok(ServiceRecords {
                    protocol: *protocol,
                    security: *security,
                    records,
                }),
                Err(DnsError::NoRecords) => Ok(ServiceRecords {
                    protocol: *protocol,
                    security: *security,
                    records: Vec::new(),
                }),
                Err(e) => Err((name, e.to_string())),
            }
        }
    });
    let results = futures::future::join_all(queries).await;
    let mut answers = Vec::new();
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(a) => answers.push(a),
            Err(e) => errors.push(e),
        }
    }
    match configs_from_records(&answers, address) {
        Some(c) => Ok(Some(c)),
        None if errors.is_empty() => Ok(None),
        None => {
            // Usually one reason for all six names: say it once.
            let mut reasons: Vec<String> = errors.iter().map(|(_, why)| why.clone()).collect();
            reasons.sort();
            reasons.dedup();
            let (first, _) = &errors[0];
            let names = match errors.len() {
                1 => first.clone(),
                n => format!("{first} and {} more", n - 1),
            };
            Err(format!("{names}: {}", reasons.join("; ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(priority: u16, weight: u16, port: u16, target: &str) -> SrvRecord {
        SrvRecord {
            priority,
            weight,
            port,
            target: target.to_string(),
        }
    }

    fn svc(protocol: Protocol, security: Security, records: Vec<SrvRecord>) -> ServiceRecords {
        ServiceRecords {
            protocol,
            security,
            records,
        }
    }

    fn address() -> Address {
        Address::parse("me@example.org").unwrap()
    }

    #[test]
    fn implicit_tls_beats_starttls_and_dot_means_not_offered() {
        let answers = vec![
            svc(
                Protocol::Imap,
                Security::Starttls,
                vec![rec(0, 0, 143, "mail.example.org.")],
            ),
            svc(
                Protocol::Imap,
                Security::Tls,
                vec![rec(10, 0, 993, "mail.example.org.")],
            ),
            svc(Protocol::Smtp, Security::Tls, vec![rec(0, 0, 0, ".")]),
            svc(
                Protocol::Smtp,
                Security::Starttls,
                vec![rec(0, 0, 587, "smtp.example.org.")],
            ),
        ];
        let c = configs_from_records(&answers, &address()).unwrap();
        assert_eq!(c.incoming[0].port, 993);
        assert_eq!(c.incoming[0].security, Security::Tls);
        assert_eq!(c.incoming[1].port, 143);
        assert_eq!(c.outgoing.len(), 1);
        assert_eq!(c.outgoing[0].host, "smtp.example.org");
        assert_eq!(c.outgoing[0].username, "me@example.org");
    }

    #[test]
    fn priority_then_weight_order_records() {
        let answers = vec![
            svc(
                Protocol::Imap,
                Security::Tls,
                vec![
                    rec(20, 100, 993, "backup.example.org."),
                    rec(10, 1, 993, "light.example.org."),
                    rec(10, 50, 993, "heavy.example.org."),
                ],
            ),
            svc(
                Protocol::Pop3,
                Security::Tls,
                vec![rec(5, 0, 995, "pop.example.org.")],
            ),
            svc(
                Protocol::Smtp,
                Security::Tls,
                vec![rec(0, 0, 465, "smtp.example.org.")],
            ),
        ];
        let c = configs_from_records(&answers, &address()).unwrap();
        let hosts: Vec<_> = c.incoming.iter().map(|s| s.host.as_str()).collect();
        // The domain prefers POP3 (lower priority), as RFC 6186 lets it.
        assert_eq!(
            hosts,
            [
                "pop.example.org",
                "heavy.example.org",
                "light.example.org",
                "backup.example.org"
            ]
        );
    }

    #[test]
    fn half_a_configuration_is_not_enough() {
        let answers = vec![svc(
            Protocol::Imap,
            Security::Tls,
            vec![rec(0, 0, 993, "mail.example.org.")],
        )];
        assert!(configs_from_records(&answers, &address()).is_none());
        let only_dots = vec![
            svc(Protocol::Imap, Security::Tls, vec![rec(0, 0, 993, ".")]),
            svc(Protocol::Smtp, Security::Tls, vec![rec(0, 0, 465, ".")]),
        ];
        assert!(configs_from_records(&only_dots, &address()).is_none());
    }
}
