//! Guessing: probe the usual host names and ports in parallel, staggered, each time-limited, and
//! keep the best that answers. Encrypted beats plain, IMAP beats POP3, implicit TLS beats
//! STARTTLS, then the order of the host names. A server whose certificate does not validate is
//! reported and never used. [`candidates`] and [`rank`] are pure; [`guess`] does the probing.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use futures::stream::{FuturesUnordered, StreamExt};

use crate::model::{
    AuthMethod, DiscoveredConfig, DiscoverySource, ErrorKind, Protocol, Security, ServerConfig,
    ServerProblem,
};
use crate::net::Tls;

use super::dns::{Dns, DnsError};
use super::probe::{self, Findings, Outcome, Target};
use super::{Address, PortMap};

/// One host and port to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub protocol: Protocol,
    pub host: String,
    /// The usual port (993, 143, …), before the port map.
    pub port: u16,
    /// `Tls` on implicit-TLS ports, `Starttls` on the others.
    pub security: Security,
    /// Position of the host name in its list (earlier is better).
    pub host_order: usize,
}

/// The candidates of `domain`, best possible first.
pub fn candidates(domain: &str) -> (Vec<Candidate>, Vec<Candidate>) {
    let host = |prefix: &str| {
        if prefix.is_empty() {
            domain.to_string()
        } else {
            format!("{prefix}.{domain}")
        }
    };
    let mut incoming = Vec::new();
    for (i, prefix) in ["imap", "mail", ""].iter().enumerate() {
        incoming.push(candidate(
            Protocol::Imap,
            host(prefix),
            993,
            Security::Tls,
            i,
        ));
        incoming.push(candidate(
            Protocol::Imap,
            host(prefix),
            143,
            Security::Starttls,
            i,
        ));
    }
    for (i, prefix) in ["pop3", "pop", "mail", ""].iter().enumerate() {
        incoming.push(candidate(
            Protocol::Pop3,
            host(prefix),
            995,
            Security::Tls,
            i,
        ));
        incoming.push(candidate(
            Protocol::Pop3,
            host(prefix),
            110,
            Security::Starttls,
            i,
        ));
    }
    let mut outgoing = Vec::new();
    for (i, prefix) in ["smtp", "mail", ""].iter().enumerate() {
        outgoing.push(candidate(
            Protocol::Smtp,
            host(prefix),
            465,
            Security::Tls,
            i,
        ));
        outgoing.push(candidate(
            Protocol::Smtp,
            host(prefix),
            587,
            Security::Starttls,
            i,
        ));
    }
    incoming.sort_by_key(|c| rank(c.protocol, c.security, c.host_order));
    outgoing.sort_by_key(|c| rank(c.protocol, c.security, c.host_order));
    (incoming, outgoing)
}

fn candidate(
    protocol: Protocol,
    host: String,
    port: u16,
    security: Security,
    host_order: usize,
) -> Candidate {
    Candidate {
        protocol,
        host,
        port,
        security,
        host_order,
    }
}

/// Lower is better: encrypted before plain, IMAP before POP3, implicit TLS before STARTTLS,
/// then the host name's position.
pub fn rank(protocol: Protocol, security: Security, host_order: usize) -> (u8, u8, u8, usize) {
    (
        u8::from(security == Security::Plain),
        u8::from(protocol == Protocol::Pop3),
        match security {
            Security::Tls => 0,
            Security::Starttls => 1,
            Security::Plain => 2,
        },
        host_order,
    )
}

/// How guessing is tuned.
#[derive(Debug, Clone)]
pub struct GuessConfig {
    pub ports: PortMap,
    /// Time limit of one probe, connect and TLS included.
    pub probe_timeout: Duration,
    /// Delay between the starts of two probes of one direction.
    pub stagger: Duration,
}

/// What guessing found.
#[derive(Debug, Default)]
pub struct GuessResult {
    pub config: Option<DiscoveredConfig>,
    /// What was found, in words (also when incomplete).
    pub detail: String,
    /// Set when guessing could not even start (DNS failing).
    pub error: Option<String>,
    pub problems: Vec<ServerProblem>,
}

struct Success {
    rank: (u8, u8, u8, usize),
    server: ServerConfig,
}

/// Probes the candidates of `address`'s domain.
pub async fn guess(dns: &Dns, tls: &Tls, cfg: &GuessConfig, address: &Address) -> GuessResult {
    let (incoming, outgoing) = candidates(&address.domain);
    // Resolve every host name once, all at the same time.
    let mut names: Vec<String> = incoming
        .iter()
        .chain(&outgoing)
        .map(|c| c.host.clone())
        .collect();
    names.sort();
    names.dedup();
    let lookups = futures::future::join_all(names.iter().map(|n| dns.ips(n))).await;
    let mut addrs: HashMap<String, Vec<IpAddr>> = HashMap::new();
    let mut dns_error = None;
    for (name, r) in names.into_iter().zip(lookups) {
        match r {
            Ok(ips) => {
                addrs.insert(name, ips);
            }
            Err(DnsError::NoRecords) => {}
            Err(e) => dns_error = Some(e),
        }
    }
    if addrs.is_empty() {
        return match dns_error {
            Some(e) => GuessResult {
                error: Some(format!("looking up the usual server names failed: {e}")),
                ..GuessResult::default()
            },
            None => GuessResult {
                detail: format!("none of the usual server names of {} exist", address.domain),
                ..GuessResult::default()
            },
        };
    }
    let ((inc, mut problems), (out, more)) = futures::join!(
        probe_direction(tls, cfg, address, &incoming, &addrs),
        probe_direction(tls, cfg, address, &outgoing, &addrs)
    );
    problems.extend(more);
    let describe = |s: &[ServerConfig]| {
        s.first()
            .map(|s| format!("{}:{}", s.host, s.port))
            .unwrap_or_else(|| "none".into())
    };
    let detail = format!("incoming {}, outgoing {}", describe(&inc), describe(&out));
    if inc.is_empty() || out.is_empty() {
        return GuessResult {
            config: None,
            detail,
            error: None,
            problems,
        };
    }
    let encrypted = inc[0].security != Security::Plain && out[0].security != Security::Plain;
    let mut notes = Vec::new();
    if !encrypted {
        notes.push(
            "This server offers no encryption: your password would be sent readable by anyone on the way."
                .to_string(),
        );
    }
    GuessResult {
        config: Some(DiscoveredConfig {
            source: DiscoverySource::Guess,
            provider: None,
            incoming: inc,
            outgoing: out,
            trusted: encrypted,
            notes,
            help_url: None,
            unsupported: None,
        }),
        detail,
        error: None,
        problems,
    }
}

/// Probes one direction's candidates, staggered, stopping once nothing still running could beat
/// the best found. Returns the servers found, best first, and the problems seen.
async fn probe_direction(
    tls: &Tls,
    cfg: &GuessConfig,
    address: &Address,
    candidates: &[Candidate],
    addrs: &HashMap<String, Vec<IpAddr>>,
) -> (Vec<ServerConfig>, Vec<ServerProblem>) {
    let runnable: Vec<(usize, &Candidate, Target)> = candidates
        .iter()
        .filter_map(|c| {
            let ips = addrs.get(&c.host)?;
            Some(Target {
                protocol: c.protocol,
                host: c.host.clone(),
                addrs: ips.clone(),
                port: cfg.ports.get(c.port),
                security: c.security,
            })
            .map(|t| (c, t))
        })
        .enumerate()
        .map(|(i, (c, t))| (i, c, t))
        .collect();
    let mut running = FuturesUnordered::new();
    for (i, c, target) in &runnable {
        let delay = cfg.stagger * (*i as u32);
        running.push(async move {
            tokio::time::sleep(delay).await;
            (
                *i,
                *c,
                target,
                probe::run(tls, target, cfg.probe_timeout).await,
            )
        });
    }
    let mut done = vec![false; runnable.len()];
    let mut found: Vec<Success> = Vec::new();
    let mut problems = Vec::new();
    while let Some((i, c, target, outcome)) = running.next().await {
        done[i] = true;
        match outcome {
            Outcome::Found(f) => {
                if let Some(server) = usable(&f, c, target, address) {
                    found.push(Success {
                        rank: rank(c.protocol, server.security, c.host_order),
                        server,
                    });
                }
            }
            Outcome::Untrusted(detail) => problems.push(ServerProblem {
                protocol: c.protocol,
                host: c.host.clone(),
                port: target.port,
                kind: ErrorKind::CertificateNotTrusted,
                detail: format!("the certificate of {} is not trusted: {detail}", c.host),
            }),
            Outcome::TlsFailed(detail) => problems.push(ServerProblem {
                protocol: c.protocol,
                host: c.host.clone(),
                port: target.port,
                kind: ErrorKind::Tls,
                detail,
            }),
            Outcome::Failed(_) => {}
        }
        let best = found.iter().map(|s| s.rank).min();
        if let Some(best) = best {
            let can_beat = runnable
                .iter()
                .any(|(j, c, _)| !done[*j] && rank(c.protocol, c.security, c.host_order) < best);
            if !can_beat {
                break;
            }
        }
    }
    found.sort_by_key(|s| s.rank);
    let mut servers: Vec<ServerConfig> = Vec::new();
    for s in found {
        if !servers.contains(&s.server) {
            servers.push(s.server);
        }
    }
    (servers, problems)
}

/// The settings a successful probe stands for, if Petrel can log in there with a password.
fn usable(f: &Findings, c: &Candidate, target: &Target, address: &Address) -> Option<ServerConfig> {
    if !f.password_login {
        return None;
    }
    Some(ServerConfig {
        protocol: c.protocol,
        host: c.host.clone(),
        port: target.port,
        security: f.security,
        username: address.email.clone(),
        auth: AuthMethod::Password,
        pop3: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usual_names_and_ports_best_first() {
        let (inc, out) = candidates("example.org");
        let first: Vec<_> = inc
            .iter()
            .take(4)
            .map(|c| format!("{}:{}", c.host, c.port))
            .collect();
        assert_eq!(
            first,
            [
                "imap.example.org:993",
                "mail.example.org:993",
                "example.org:993",
                "imap.example.org:143"
            ]
        );
        assert_eq!(inc.len(), 14);
        assert!(inc[6..].iter().all(|c| c.protocol == Protocol::Pop3));
        assert_eq!(inc[6].host, "pop3.example.org");
        assert_eq!(out.len(), 6);
        assert_eq!(out[0].host, "smtp.example.org");
        assert_eq!(out[0].port, 465);
        assert_eq!(out[3].port, 587);
    }

    #[test]
    fn ranking_rules() {
        use Protocol::*;
        use Security::*;
        // Encrypted beats plain, whatever the protocol.
        assert!(rank(Pop3, Starttls, 3) < rank(Imap, Plain, 0));
        // IMAP beats POP3.
        assert!(rank(Imap, Starttls, 2) < rank(Pop3, Tls, 0));
        // Implicit TLS beats STARTTLS.
        assert!(rank(Imap, Tls, 2) < rank(Imap, Starttls, 0));
        // Then the host order.
        assert!(rank(Imap, Tls, 0) < rank(Imap, Tls, 1));
    }
}
