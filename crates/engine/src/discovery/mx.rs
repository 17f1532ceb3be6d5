//! MX-based discovery: the domain's mail exchanger often names the provider that hosts it
//! (`aspmx.l.google.com` → Google Workspace, `*.mail.protection.outlook.com` → Microsoft 365).
//! The exchanger is matched against the bundled table, by its MX entries and then by its
//! registrable domain (public-suffix aware); failing that, that domain's autoconfig file is
//! tried over HTTPS.

use crate::model::{DiscoveredConfig, DiscoverySource};

use super::dns::{Dns, DnsError};
use super::http::HttpClient;
use super::{autoconfig, providers, Address};

/// The registrable domain of `host` (`mx1.mail.example.co.uk` → `example.co.uk`), from the
/// embedded public-suffix list. `None` for a public suffix itself or a single label.
pub fn registrable_domain(host: &str) -> Option<String> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    psl::domain_str(&host).map(str::to_string)
}

/// Looks up the MX of the address's domain and what it points to.
pub async fn lookup(
    dns: &Dns,
    http: Option<&HttpClient>,
    https_port: Option<u16>,
    address: &Address,
) -> Result<Option<DiscoveredConfig>, String> {
    let exchangers = match dns.mx(&address.domain).await {
        Ok(mx) => mx,
        Err(DnsError::NoRecords) => return Ok(None),
        Err(e) => return Err(format!("MX of {}: {e}", address.domain)),
    };
    for host in &exchangers {
        let registrable = registrable_domain(host);
        if let Some(p) = providers::by_mx(host, registrable.as_deref()) {
            let mut config = p.to_config(address, DiscoverySource::Mx);
            config.notes.insert(
                0,
                format!(
                    "Mail for {} is handled by {} (its mail server is {host}).",
                    address.domain, p.name
                ),
            );
            return Ok(Some(config));
        }
    }
    // Not in the table: the primary exchanger's domain may publish an autoconfig file. Its own
    // domain was already asked by the autoconfig source.
    let Some(http) = http else {
        return Ok(None);
    };
    let Some(domain) = exchangers.first().and_then(|h| registrable_domain(h)) else {
        return Ok(None);
    };
    if domain == address.domain {
        return Ok(None);
    }
    match autoconfig::fetch(
        http,
        address,
        &domain,
        true,
        https_port,
        DiscoverySource::Mx,
    )
    .await
    {
        Ok(Some(mut config)) => {
            config.notes.insert(
                0,
                format!(
                    "Mail for {} is handled by {domain}; these are its settings.",
                    address.domain
                ),
            );
            Ok(Some(config))
        }
        Ok(None) => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrable_domains_follow_the_public_suffix_list() {
        assert_eq!(
            registrable_domain("aspmx.l.google.com.").as_deref(),
            Some("google.com")
        );
        assert_eq!(
            registrable_domain("mx1.mail.example.co.uk").as_deref(),
            Some("example.co.uk")
        );
        assert_eq!(
            registrable_domain("contoso-com.mail.protection.outlook.com").as_deref(),
            Some("outlook.com")
        );
        assert_eq!(registrable_domain("co.uk"), None);
    }
}
