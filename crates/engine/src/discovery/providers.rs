//! The bundled provider table (`data/providers.toml`): parsed once, looked up by the address's
//! domain or by the domain's mail exchanger. Nothing here does I/O.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::model::{
    AuthMethod, DiscoveredConfig, DiscoverySource, Protocol, Security, ServerConfig,
};

use super::Address;

const TABLE: &str = include_str!("../../data/providers.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    provider: Vec<Provider>,
}

/// One provider of the table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub domains: Vec<String>,
    /// Mail-exchanger names that identify the provider (an MX host equal to one, or ending in
    /// `.` + one).
    #[serde(default)]
    pub mx: Vec<String>,
    #[serde(default)]
    pub help_url: Option<String>,
    #[serde(default)]
    pub notes: Vec<String>,
    #[serde(default)]
    pub unsupported: Option<String>,
    /// The provider's outgoing server files every message it sends in the Sent folder itself:
    /// a mail program must not APPEND a copy too (it would be there twice).
    #[serde(default)]
    pub saves_sent: bool,
    #[serde(default)]
    pub incoming: Vec<ServerEntry>,
    #[serde(default)]
    pub outgoing: Vec<ServerEntry>,
}

/// A server of a provider, with the user-name form instead of a user name.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerEntry {
    pub protocol: Protocol,
    pub host: String,
    pub port: u16,
    pub security: Security,
    #[serde(default)]
    pub username: UsernameForm,
    #[serde(default = "password")]
    pub auth: AuthMethod,
}

fn password() -> AuthMethod {
    AuthMethod::Password
}

/// Which user name a server wants.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsernameForm {
    /// The full address, `user@example.org`.
    #[default]
    Address,
    /// The part before the `@`.
    LocalPart,
}

static PROVIDERS: OnceLock<Result<Vec<Provider>, String>> = OnceLock::new();

/// Every provider of the bundled table. An error only if the bundled file is broken (a unit test
/// guards against that).
pub fn all() -> Result<&'static [Provider], String> {
    PROVIDERS
        .get_or_init(|| parse(TABLE))
        .as_ref()
        .map(Vec::as_slice)
        .map_err(Clone::clone)
}

fn parse(text: &str) -> Result<Vec<Provider>, String> {
    let table: Table =
        toml::from_str(text).map_err(|e| format!("the bundled provider table is broken: {e}"))?;
    for p in &table.provider {
        let has_servers = !p.incoming.is_empty() && !p.outgoing.is_empty();
        if has_servers == p.unsupported.is_some() {
            return Err(format!(
                "provider {} must have either servers (incoming and outgoing) or `unsupported`",
                p.id
            ));
        }
        for s in &p.incoming {
            if s.protocol == Protocol::Smtp {
                return Err(format!("provider {}: SMTP listed as incoming", p.id));
            }
        }
        for s in &p.outgoing {
            if s.protocol != Protocol::Smtp {
                return Err(format!("provider {}: only SMTP can be outgoing", p.id));
            }
        }
    }
    Ok(table.provider)
}

/// Whether the outgoing server `smtp_host` belongs to a provider that files sent mail in the
/// Sent folder itself (`saves_sent`).
pub fn saves_sent_copy(smtp_host: &str) -> bool {
    let host = smtp_host.trim_end_matches('.');
    all().is_ok_and(|all| {
        all.iter()
            .any(|p| p.saves_sent && p.outgoing.iter().any(|s| s.host.eq_ignore_ascii_case(host)))
    })
}

/// The provider serving addresses `@domain`.
pub fn by_domain(domain: &str) -> Option<&'static Provider> {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    all()
        .ok()?
        .iter()
        .find(|p| p.domains.iter().any(|d| d.eq_ignore_ascii_case(&domain)))
}

/// The provider whose mail exchanger is `mx_host` (the longest matching `mx` entry wins), else
/// the provider whose own domain is `registrable` (the MX host's registrable domain).
pub fn by_mx(mx_host: &str, registrable: Option<&str>) -> Option<&'static Provider> {
    let host = mx_host.trim_end_matches('.').to_ascii_lowercase();
    let providers = all().ok()?;
    let mut best: Option<(&Provider, usize)> = None;
    for p in providers {
        for entry in &p.mx {
            let entry = entry.to_ascii_lowercase();
            let matches = host == entry || host.ends_with(&format!(".{entry}"));
            if matches && best.is_none_or(|(_, len)| entry.len() > len) {
                best = Some((p, entry.len()));
            }
        }
    }
    best.map(|(p, _)| p)
        .or_else(|| registrable.and_then(by_domain))
}

impl ServerEntry {
    pub fn to_config(&self, address: &Address) -> ServerConfig {
        ServerConfig {
            protocol: self.protocol,
            host: self.host.clone(),
            port: self.port,
            security: self.security,
            username: match self.username {
                UsernameForm::Address => address.email.clone(),
                UsernameForm::LocalPart => address.local.clone(),
            },
            auth: self.auth,
            pop3: None,
        }
    }
}

impl Provider {
    /// The provider's settings for one address.
    pub fn to_config(&self, address: &Address, source: DiscoverySource) -> DiscoveredConfig {
        DiscoveredConfig {
            source,
            provider: Some(self.name.clone()),
            incoming: self.incoming.iter().map(|s| s.to_config(address)).collect(),
            outgoing: self.outgoing.iter().map(|s| s.to_config(address)).collect(),
            trusted: true,
            notes: self.notes.clone(),
            help_url: self.help_url.clone(),
            unsupported: self.unsupported.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn gmail_files_sent_mail_itself_and_others_do_not() {
        assert!(saves_sent_copy("smtp.gmail.com"));
        assert!(saves_sent_copy("SMTP.gmail.com."));
        assert!(!saves_sent_copy("smtp.fastmail.com"));
        assert!(!saves_sent_copy("mail.example.org"));
    }

    #[test]
    fn the_bundled_table_parses_and_is_consistent() {
        let providers = all().unwrap();
        assert!(providers.len() >= 40, "only {} providers", providers.len());
        let mut ids = HashSet::new();
        let mut domains = HashSet::new();
        for p in providers {
            assert!(ids.insert(p.id.clone()), "duplicate id {}", p.id);
            for d in &p.domains {
                assert_eq!(d, &d.to_ascii_lowercase(), "{d} must be lower case");
                assert!(domains.insert(d.clone()), "{d} is listed twice");
            }
            assert!(
                !p.domains.is_empty() || !p.mx.is_empty(),
                "{} can never be found",
                p.id
            );
            if let Some(url) = &p.help_url {
                assert!(url.starts_with("https://"), "{url}");
            }
            for s in p.incoming.iter().chain(&p.outgoing) {
                assert!(s.port > 0 && !s.host.is_empty(), "{}: {s:?}", p.id);
                assert_ne!(s.security, Security::Plain, "{}: {s:?}", p.id);
            }
        }
    }

    #[test]
    fn the_providers_of_the_issue_are_all_there() {
        for domain in [
            "gmail.com",
            "outlook.com",
            "hotmail.com",
            "live.com",
            "msn.com",
            "yahoo.com",
            "aol.com",
            "icloud.com",
            "gmx.net",
            "gmx.de",
            "gmx.com",
            "web.de",
            "t-online.de",
            "orange.fr",
            "free.fr",
            "laposte.net",
            "libero.it",
            "virgilio.it",
            "mail.ru",
            "yandex.ru",
            "zoho.com",
            "fastmail.com",
            "proton.me",
            "comcast.net",
            "verizon.net",
            "btinternet.com",
            "sky.com",
            "virginmedia.com",
            "telstra.com",
            "bigpond.com",
            "shaw.ca",
            "rogers.com",
            "qq.com",
            "163.com",
            "126.com",
            "naver.com",
            "seznam.cz",
            "onet.pl",
            "wp.pl",
            "interia.pl",
            "rambler.ru",
            "posteo.de",
            "mailbox.org",
            "tutanota.com",
            "hey.com",
        ] {
            assert!(by_domain(domain).is_some(), "{domain} is missing");
        }
    }

    #[test]
    fn lookups_by_domain_ignore_case_and_a_final_dot() {
        assert_eq!(
            by_domain("GMail.com.").map(|p| p.id.as_str()),
            Some("gmail")
        );
        assert!(by_domain("example.org").is_none());
    }

    #[test]
    fn mx_hosts_find_their_provider_longest_match_first() {
        let id = |mx: &str, reg: Option<&str>| by_mx(mx, reg).map(|p| p.id.as_str());
        assert_eq!(
            id("aspmx.l.google.com.", Some("google.com")),
            Some("google-workspace")
        );
        assert_eq!(id("smtp.google.com", None), Some("google-workspace"));
        assert_eq!(
            id(
                "contoso-com.mail.protection.outlook.com",
                Some("outlook.com")
            ),
            Some("microsoft365")
        );
        assert_eq!(
            id(
                "outlook-com.olc.protection.outlook.com",
                Some("outlook.com")
            ),
            Some("outlook")
        );
        assert_eq!(id("in1-smtp.messagingengine.com", None), Some("fastmail"));
        // No MX entry, but the registrable domain is a provider's own domain.
        assert_eq!(id("mx.web.de", Some("web.de")), Some("webde"));
        assert_eq!(id("mail.example.org", Some("example.org")), None);
        // A suffix must match on a label boundary.
        assert_eq!(id("notgoogle.com", None), None);
    }

    #[test]
    fn username_forms_are_applied() {
        let address = Address::parse("Emily.Parker@iCloud.com").unwrap();
        let config = by_domain(&address.domain)
            .unwrap()
            .to_config(&address, DiscoverySource::Provider);
        assert_eq!(config.incoming[0].username, "Emily.Parker");
        assert_eq!(config.outgoing[0].username, "Emily.Parker@icloud.com");
        assert_eq!(config.provider.as_deref(), Some("iCloud Mail"));
    }

    #[test]
    fn providers_without_imap_say_why() {
        let tuta = by_domain("tutanota.com").unwrap();
        assert!(tuta.unsupported.as_deref().unwrap().contains("IMAP"));
        assert!(tuta.incoming.is_empty());
    }

    #[test]
    fn broken_tables_are_refused() {
        assert!(parse("[[provider]]\nid = 'x'\nname = 'X'\n").is_err());
        assert!(parse("[[provider]]\nid = 'x'\nname = 'X'\ncolour = 'red'\n").is_err());
    }
}
