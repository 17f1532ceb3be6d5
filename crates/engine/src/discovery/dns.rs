//! DNS for discovery through hickory-resolver: the system's configuration, or one given name
//! server (tests point it at a local DNS server). The same resolver serves the HTTP client, so
//! `autoconfig.<domain>` is found the same way as the SRV and MX records.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;
use hickory_resolver::TokioResolver;

/// How long one DNS question may take, retries included.
pub const DNS_TIMEOUT: Duration = Duration::from_secs(4);

/// One SRV answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrvRecord {
    pub priority: u16,
    pub weight: u16,
    pub port: u16,
    pub target: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsError {
    /// The name or the record type does not exist (NXDOMAIN or an empty answer).
    NoRecords,
    /// No answer in time.
    Timeout,
    /// Anything else (no name server configured, SERVFAIL, …).
    Failed(String),
}

impl std::fmt::Display for DnsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DnsError::NoRecords => f.write_str("no such DNS record"),
            DnsError::Timeout => f.write_str("the DNS server did not answer in time"),
            DnsError::Failed(e) => write!(f, "the DNS lookup failed: {e}"),
        }
    }
}

/// A resolver. Cheap to clone.
#[derive(Clone)]
pub struct Dns {
    resolver: Result<Arc<TokioResolver>, String>,
    description: String,
}

impl std::fmt::Debug for Dns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Dns({})", self.description)
    }
}

fn options() -> ResolverOpts {
    let mut opts = ResolverOpts::default();
    opts.timeout = Duration::from_secs(2);
    opts.attempts = 1;
    opts.cache_size = 256;
    opts
}

impl Dns {
    /// The operating system's DNS configuration. If it cannot be read, every lookup fails with
    /// the reason (discovery then falls back to what needs no DNS).
    pub fn system() -> Dns {
        let resolver = TokioResolver::builder_tokio()
            .map_err(|e| format!("reading the system's DNS configuration: {e}"))
            .and_then(|mut builder| {
                let base = builder.options_mut();
                let mut opts = options();
                opts.ndots = base.ndots;
                opts.use_hosts_file = base.use_hosts_file;
                *builder.options_mut() = opts;
                builder
                    .build()
                    .map_err(|e| format!("starting the DNS resolver: {e}"))
            })
            .map(Arc::new);
        Dns {
            resolver,
            description: "system".into(),
        }
    }

    /// Asks only `server` (UDP, then TCP for long answers), ignoring `/etc/hosts`.
    pub fn with_nameserver(server: SocketAddr) -> Dns {
        let mut udp = ConnectionConfig::udp();
        udp.port = server.port();
        let mut tcp = ConnectionConfig::tcp();
        tcp.port = server.port();
        let ns = NameServerConfig::new(server.ip(), true, vec![udp, tcp]);
        let config = ResolverConfig::from_parts(None, Vec::new(), vec![ns]);
        let mut opts = options();
        opts.use_hosts_file = ResolveHosts::Never;
        opts.ndots = 0;
        let resolver = TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
            .with_options(opts)
            .build()
            .map(Arc::new)
            .map_err(|e| format!("starting the DNS resolver: {e}"));
        Dns {
            resolver,
            description: server.to_string(),
        }
    }

    fn resolver(&self) -> Result<&TokioResolver, DnsError> {
        self.resolver
            .as_deref()
            .map_err(|e| DnsError::Failed(e.clone()))
    }

    async fn lookup(
        &self,
        name: &str,
        kind: hickory_resolver::proto::rr::RecordType,
    ) -> Result<Vec<RData>, DnsError> {
        let resolver = self.resolver()?;
        match tokio::time::timeout(DNS_TIMEOUT, resolver.lookup(fqdn(name), kind)).await {
            Err(_) => Err(DnsError::Timeout),
            Ok(Err(e)) if e.is_no_records_found() || e.is_nx_domain() => Err(DnsError::NoRecords),
            Ok(Err(e)) => Err(DnsError::Failed(e.to_string())),
            Ok(Ok(lookup)) => Ok(lookup.answers().iter().map(|r| r.data.clone()).collect()),
        }
    }

    /// The SRV records of `name` (e.g. `_imaps._tcp.example.org`).
    pub async fn srv(&self, name: &str) -> Result<Vec<SrvRecord>, DnsError> {
        let records: Vec<SrvRecord> = self
            .lookup(name, hickory_resolver::proto::rr::RecordType::SRV)
            .await?
            .into_iter()
            .filter_map(|d| match d {
                RData::SRV(srv) => Some(SrvRecord {
                    priority: srv.priority,
                    weight: srv.weight,
                    port: srv.port,
                    target: srv.target.to_ascii(),
                }),
                _ => None,
            })
            .collect();
        if records.is_empty() {
            return Err(DnsError::NoRecords);
        }
        Ok(records)
    }

    /// The mail exchangers of `domain`, most preferred first.
    pub async fn mx(&self, domain: &str) -> Result<Vec<String>, DnsError> {
        let mut records: Vec<(u16, String)> = self
            .lookup(domain, hickory_resolver::proto::rr::RecordType::MX)
            .await?
            .into_iter()
            .filter_map(|d| match d {
                RData::MX(mx) => Some((
                    mx.preference,
                    mx.exchange
                        .to_ascii()
                        .trim_end_matches('.')
                        .to_ascii_lowercase(),
                )),
                _ => None,
            })
            .filter(|(_, host)| !host.is_empty())
            .collect();
        records.sort();
        if records.is_empty() {
            return Err(DnsError::NoRecords);
        }
        Ok(records.into_iter().map(|(_, host)| host).collect())
    }

    /// The addresses of `host` (IPv4 and IPv6). An IP address is returned as it is.
    pub async fn ips(&self, host: &str) -> Result<Vec<IpAddr>, DnsError> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![ip]);
        }
        let resolver = self.resolver()?;
        match tokio::time::timeout(DNS_TIMEOUT, resolver.lookup_ip(fqdn(host))).await {
            Err(_) => Err(DnsError::Timeout),
            Ok(Err(e)) if e.is_no_records_found() || e.is_nx_domain() => Err(DnsError::NoRecords),
            Ok(Err(e)) => Err(DnsError::Failed(e.to_string())),
            Ok(Ok(lookup)) => {
                let ips: Vec<IpAddr> = lookup.iter().collect();
                if ips.is_empty() {
                    Err(DnsError::NoRecords)
                } else {
                    Ok(ips)
                }
            }
        }
    }
}

/// `name` as a fully qualified name, so no search domain is appended.
fn fqdn(name: &str) -> String {
    if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    }
}

/// Lets reqwest resolve host names through [`Dns`].
impl reqwest::dns::Resolve for Dns {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let dns = self.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            // The URL already names the host; the reason alone reads better.
            let ips = dns.ips(&host).await.map_err(|e| {
                Box::new(std::io::Error::other(e.to_string()))
                    as Box<dyn std::error::Error + Send + Sync>
            })?;
            let addrs: reqwest::dns::Addrs =
                Box::new(ips.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}
