//! Discovery: from `user@domain` to ready incoming and outgoing settings.
//!
//! Sources, highest priority first ([`DiscoverySource`]): the bundled provider table
//! ([`providers`]), the domain's autoconfig file over HTTPS ([`autoconfig`]), DNS SRV records
//! ([`srv`]), the domain's MX pointing to a known provider ([`mx`]), an autoconfig file over plain
//! HTTP (untrusted), and guessing with probes ([`guess`], [`probe`]). The table answers at once;
//! the others run in parallel, and the highest-priority source that succeeds wins: a lower one
//! that answers first waits for the higher ones still running, and once the answer is known the
//! rest are cancelled. Each source reports its progress through a callback.
//!
//! Everything that touches the network is injectable through [`Discovery`]: the DNS server, the
//! web ports, the probe port map, the TLS configuration and the time limits. Nothing ever turns
//! certificate verification off.

pub mod autoconfig;
pub mod dns;
pub mod guess;
pub mod http;
pub mod mx;
pub mod probe;
pub mod providers;
pub mod srv;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use futures::FutureExt;

use crate::error::{Error, Result};
use crate::model::{
    DiscoveredConfig, DiscoveryOutcome, DiscoveryProgress, DiscoverySource, DiscoveryState,
    Protocol, Security, ServerConfig, ServerProblem,
};
use crate::net::Tls;

pub use dns::Dns;
pub use http::HttpClient;

/// An e-mail address split for discovery. The domain is lower case, without a final dot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub email: String,
    pub local: String,
    pub domain: String,
}

impl Address {
    pub fn parse(email: &str) -> Result<Address> {
        let email = email.trim();
        let invalid = || {
            Error::InvalidInput(format!(
                "“{email}” is not an e-mail address (it should look like name@example.org)."
            ))
        };
        let (local, domain) = email.rsplit_once('@').ok_or_else(invalid)?;
        let domain = domain.trim_end_matches('.').to_lowercase();
        let domain_ok = !domain.is_empty()
            && !domain.starts_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        if local.is_empty() || local.chars().any(char::is_whitespace) || !domain_ok {
            return Err(invalid());
        }
        Ok(Address {
            email: format!("{local}@{domain}"),
            local: local.to_string(),
            domain,
        })
    }

    /// Fills in autoconfig's placeholders.
    pub fn substitute(&self, template: &str) -> String {
        template
            .replace("%EMAILADDRESS%", &self.email)
            .replace("%EMAILLOCALPART%", &self.local)
            .replace("%EMAILDOMAIN%", &self.domain)
    }
}

/// Which port to really connect to for a usual port (993 → 31993 in tests). Ports not in the
/// map are used as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortMap(HashMap<u16, u16>);

impl PortMap {
    pub fn new() -> PortMap {
        PortMap::default()
    }

    pub fn with(mut self, usual: u16, actual: u16) -> PortMap {
        self.0.insert(usual, actual);
        self
    }

    pub fn get(&self, usual: u16) -> u16 {
        self.0.get(&usual).copied().unwrap_or(usual)
    }

    /// `993=31993,143=31143`.
    pub fn parse(s: &str) -> Result<PortMap> {
        let mut map = PortMap::new();
        for pair in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let parsed = pair.split_once('=').and_then(|(a, b)| {
                Some((a.trim().parse::<u16>().ok()?, b.trim().parse::<u16>().ok()?))
            });
            match parsed {
                Some((a, b)) if a > 0 && b > 0 => map = map.with(a, b),
                _ => {
                    return Err(Error::InvalidInput(format!(
                        "“{pair}” is not a port mapping (write it as 993=31993)."
                    )))
                }
            }
        }
        Ok(map)
    }
}

/// Orders servers from a provider's list: plain (unencrypted) ones last, IMAP before POP3,
/// otherwise the provider's order.
pub(crate) fn rank_servers(list: &mut [ServerConfig]) {
    list.sort_by_key(|s| (s.security == Security::Plain, s.protocol == Protocol::Pop3));
}

/// The priority order of the sources that run in parallel.
const PARALLEL: [DiscoverySource; 5] = [
    DiscoverySource::Autoconfig,
    DiscoverySource::Srv,
    DiscoverySource::Mx,
    DiscoverySource::AutoconfigHttp,
    DiscoverySource::Guess,
];

/// Discovery's surroundings: resolver, TLS, ports and time limits.
#[derive(Debug, Clone)]
pub struct Discovery {
    dns: Dns,
    tls: Tls,
    ports: PortMap,
    https_port: Option<u16>,
    http_port: Option<u16>,
    probe_timeout: Duration,
    stagger: Duration,
    time_limit: Duration,
}

/// How one source ended.
#[derive(Debug, Default)]
struct SourceEnd {
    config: Option<DiscoveredConfig>,
    /// Why it found nothing (not an error) or what it found.
    detail: Option<String>,
    /// Set when the source could not do its work.
    error: Option<String>,
    problems: Vec<ServerProblem>,
}

impl SourceEnd {
    fn from_result(r: std::result::Result<Option<DiscoveredConfig>, String>) -> SourceEnd {
        match r {
            Ok(config) => SourceEnd {
                config,
                ..SourceEnd::default()
            },
            Err(e) => SourceEnd {
                error: Some(e),
                ..SourceEnd::default()
            },
        }
    }

    fn failed(e: impl Into<String>) -> SourceEnd {
        SourceEnd {
            error: Some(e.into()),
            ..SourceEnd::default()
        }
    }
}

/// Keeps the last state of every source and tells the caller about each change.
struct Reporter<'a> {
    callback: &'a (dyn Fn(&DiscoveryProgress) + Send + Sync),
    states: BTreeMap<DiscoverySource, DiscoveryProgress>,
}

impl Reporter<'_> {
    fn set(&mut self, source: DiscoverySource, state: DiscoveryState, detail: Option<String>) {
        let p = DiscoveryProgress {
            source,
            state,
            detail,
        };
        (self.callback)(&p);
        self.states.insert(source, p);
    }

    fn ended(&mut self, source: DiscoverySource, end: &SourceEnd) {
        match (&end.config, &end.error) {
            (Some(c), _) => {
                let what = describe(c);
                self.set(source, DiscoveryState::Found, Some(what));
            }
            (None, Some(e)) => self.set(source, DiscoveryState::Failed, Some(e.clone())),
            (None, None) => self.set(source, DiscoveryState::NotFound, end.detail.clone()),
        }
    }
}

fn describe(c: &DiscoveredConfig) -> String {
    let server = |s: Option<&ServerConfig>| {
        s.map(|s| {
            format!(
                "{} {}:{} ({})",
                match s.protocol {
                    Protocol::Imap => "IMAP",
                    Protocol::Pop3 => "POP3",
                    Protocol::Smtp => "SMTP",
                },
                s.host,
                s.port,
                s.security.as_str()
            )
        })
        .unwrap_or_else(|| "none".into())
    };
    if let Some(why) = &c.unsupported {
        return why.clone();
    }
    let mut s = format!(
        "{}, {}",
        server(c.incoming.first()),
        server(c.outgoing.first())
    );
    if let Some(p) = &c.provider {
        s = format!("{p}: {s}");
    }
    s
}

fn source_name(source: DiscoverySource, domain: &str) -> String {
    match source {
        DiscoverySource::Provider => "Petrel's list of mail providers".into(),
        DiscoverySource::Autoconfig => format!("the settings file published for {domain}"),
        DiscoverySource::Srv => format!("the DNS service records of {domain}"),
        DiscoverySource::Mx => format!("the mail server (MX) of {domain}"),
        DiscoverySource::AutoconfigHttp => format!(
            "a settings file for {domain} fetched without encryption (check it before using it)"
        ),
        DiscoverySource::Guess => format!("trying the usual server names of {domain}"),
    }
}

impl Discovery {
    /// Real use: the system's DNS, the usual ports, TLS trusting what the system trusts.
    pub fn system() -> Result<Discovery> {
        Ok(Discovery::new(Dns::system(), Tls::platform()?))
    }

    pub fn new(dns: Dns, tls: Tls) -> Discovery {
        Discovery {
            dns,
            tls,
            ports: PortMap::new(),
            https_port: None,
            http_port: None,
            probe_timeout: Duration::from_secs(4),
            stagger: Duration::from_millis(150),
            time_limit: Duration::from_secs(20),
        }
    }

    /// Asks only this DNS server (tests: a local one).
    pub fn with_nameserver(mut self, server: SocketAddr) -> Discovery {
        self.dns = Dns::with_nameserver(server);
        self
    }

    pub fn with_dns(mut self, dns: Dns) -> Discovery {
        self.dns = dns;
        self
    }

    /// The ports probes really connect to, for the usual ones.
    pub fn with_port_map(mut self, ports: PortMap) -> Discovery {
        self.ports = ports;
        self
    }

    /// The web ports autoconfig URLs use instead of 443 and 80 (tests run their web servers on
    /// free ports).
    pub fn with_web_ports(mut self, https: Option<u16>, http: Option<u16>) -> Discovery {
        self.https_port = https;
        self.http_port = http;
        self
    }

    /// The time limit of one probe, the delay between probe starts, and the limit of the whole
    /// discovery.
    pub fn with_timeouts(
        mut self,
        probe: Duration,
        stagger: Duration,
        total: Duration,
    ) -> Discovery {
        self.probe_timeout = probe;
        self.stagger = stagger;
        self.time_limit = total;
        self
    }

    pub fn dns(&self) -> &Dns {
        &self.dns
    }

    /// Finds settings for `email`. `progress` hears about every source's state changes. The
    /// only error is an address that is not one; "nothing found" is an outcome without config.
    pub async fn discover(
        &self,
        email: &str,
        progress: &(dyn Fn(&DiscoveryProgress) + Send + Sync),
    ) -> Result<DiscoveryOutcome> {
        let started = Instant::now();
        let address = Address::parse(email)?;
        let mut reporter = Reporter {
            callback: progress,
            states: BTreeMap::new(),
        };

        // 1. The bundled table answers at once, without any network.
        reporter.set(DiscoverySource::Provider, DiscoveryState::Looking, None);
        match providers::all() {
            Err(e) => reporter.set(DiscoverySource::Provider, DiscoveryState::Failed, Some(e)),
            Ok(_) => match providers::by_domain(&address.domain) {
                Some(p) => {
                    let config = p.to_config(&address, DiscoverySource::Provider);
                    reporter.set(
                        DiscoverySource::Provider,
                        DiscoveryState::Found,
                        Some(describe(&config)),
                    );
                    return Ok(finish(
                        &address,
                        Some(config),
                        Vec::new(),
                        reporter,
                        started,
                    ));
                }
                None => reporter.set(
                    DiscoverySource::Provider,
                    DiscoveryState::NotFound,
                    Some(format!("{} is not in the list", address.domain)),
                ),
            },
        }

        // 2. Everything else at once.
        let http = HttpClient::new(self.dns.clone(), &self.tls);
        let mut running: FuturesUnordered<BoxFuture<'_, (DiscoverySource, SourceEnd)>> =
            FuturesUnordered::new();
        for source in PARALLEL {
            reporter.set(source, DiscoveryState::Looking, None);
            let fut = self.run_source(source, &address, http.as_ref());
            running.push(async move { (source, fut.await) }.boxed());
        }
        let deadline = tokio::time::Instant::now() + self.time_limit;
        let mut ends: HashMap<DiscoverySource, SourceEnd> = HashMap::new();
        let mut problems = Vec::new();
        let winner = loop {
            if let Some(w) = decide(&ends) {
                break Some(w);
            }
            match tokio::time::timeout_at(deadline, running.next()).await {
                Ok(Some((source, end))) => {
                    reporter.ended(source, &end);
                    problems.extend(end.problems.iter().cloned());
                    ends.insert(source, end);
                }
                Ok(None) => break decide(&ends),
                Err(_) => {
                    for source in PARALLEL {
                        if let std::collections::hash_map::Entry::Vacant(slot) = ends.entry(source)
                        {
                            let end = SourceEnd::failed(format!(
                                "gave up after {} s",
                                self.time_limit.as_secs()
                            ));
                            reporter.ended(source, &end);
                            slot.insert(end);
                        }
                    }
                    break decide(&ends);
                }
            }
        };
        // Cancel whatever still runs: a better source has answered.
        drop(running);
        for source in PARALLEL {
            if !ends.contains_key(&source) {
                reporter.set(
                    source,
                    DiscoveryState::Skipped,
                    Some("not needed: a better source answered".into()),
                );
            }
        }
        let config = winner.and_then(|w| ends.remove(&w)).and_then(|e| e.config);
        Ok(finish(&address, config, problems, reporter, started))
    }

    fn run_source<'a>(
        &'a self,
        source: DiscoverySource,
        address: &'a Address,
        http: std::result::Result<&'a HttpClient, &'a String>,
    ) -> BoxFuture<'a, SourceEnd> {
        async move {
            match source {
                DiscoverySource::Provider => SourceEnd::default(),
                DiscoverySource::Autoconfig | DiscoverySource::AutoconfigHttp => {
                    let https = source == DiscoverySource::Autoconfig;
                    let port = if https {
                        self.https_port
                    } else {
                        self.http_port
                    };
                    match http {
                        Ok(h) => SourceEnd::from_result(
                            autoconfig::fetch(h, address, &address.domain, https, port, source)
                                .await,
                        ),
                        Err(e) => SourceEnd::failed(e.clone()),
                    }
                }
                DiscoverySource::Srv => {
                    SourceEnd::from_result(srv::lookup(&self.dns, address).await)
                }
                DiscoverySource::Mx => SourceEnd::from_result(
                    mx::lookup(&self.dns, http.ok(), self.https_port, address).await,
                ),
                DiscoverySource::Guess => {
                    let cfg = guess::GuessConfig {
                        ports: self.ports.clone(),
                        probe_timeout: self.probe_timeout,
                        stagger: self.stagger,
                    };
                    let r = guess::guess(&self.dns, &self.tls, &cfg, address).await;
                    SourceEnd {
                        config: r.config,
                        detail: Some(r.detail),
                        error: r.error,
                        problems: r.problems,
                    }
                }
            }
        }
        .boxed()
    }
}

/// The winner, once known: the first source in priority order that found settings, provided
/// every source before it has ended.
fn decide(ends: &HashMap<DiscoverySource, SourceEnd>) -> Option<DiscoverySource> {
    for source in PARALLEL {
        match ends.get(&source) {
            None => return None,
            Some(end) if end.config.is_some() => return Some(source),
            Some(_) => {}
        }
    }
    None
}

fn finish(
    address: &Address,
    config: Option<DiscoveredConfig>,
    problems: Vec<ServerProblem>,
    reporter: Reporter<'_>,
    started: Instant,
) -> DiscoveryOutcome {
    let summary = match &config {
        Some(c) if c.unsupported.is_some() => format!(
            "{} cannot be used with Petrel: {}",
            c.provider.as_deref().unwrap_or(&address.domain),
            c.unsupported.as_deref().unwrap_or_default()
        ),
        Some(c) => format!(
            "Found settings for {} in {}.",
            address.email,
            source_name(c.source, &address.domain)
        ),
        None => {
            let mut s = format!(
                "Petrel could not find settings for {}. Enter them by hand: your provider's help pages list the incoming (IMAP or POP3) and outgoing (SMTP) servers.",
                address.email
            );
            if !problems.is_empty() {
                s.push_str(" Some servers were found but not used, see below.");
            }
            s
        }
    };
    DiscoveryOutcome {
        email: address.email.clone(),
        config,
        summary,
        problems,
        sources: reporter.states.into_values().collect(),
        elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_split_and_checked() {
        let a = Address::parse("  Jo.Bloggs@Example.ORG. ").unwrap();
        assert_eq!(a.email, "Jo.Bloggs@example.org");
        assert_eq!(a.local, "Jo.Bloggs");
        assert_eq!(a.domain, "example.org");
        // The last @ separates the domain.
        assert_eq!(
            Address::parse("\"a@b\"@example.org").unwrap().domain,
            "example.org"
        );
        for bad in [
            "",
            "nobody",
            "@example.org",
            "a@",
            "a b@example.org",
            "a@exa mple.org",
            "a@..org",
        ] {
            assert!(Address::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(
            a.substitute("%EMAILLOCALPART%+x@%EMAILDOMAIN% = %EMAILADDRESS%"),
            "Jo.Bloggs+x@example.org = Jo.Bloggs@example.org"
        );
    }

    #[test]
    fn port_maps_parse_and_apply() {
        let m = PortMap::parse("993=31993, 143=31143").unwrap();
        assert_eq!(m.get(993), 31993);
        assert_eq!(m.get(465), 465);
        assert!(PortMap::parse("993:31993").is_err());
        assert!(PortMap::parse("993=0").is_err());
        assert_eq!(PortMap::parse("").unwrap(), PortMap::new());
    }

    fn end(found: bool) -> SourceEnd {
        SourceEnd {
            config: found.then(|| DiscoveredConfig {
                source: DiscoverySource::Guess,
                provider: None,
                incoming: Vec::new(),
                outgoing: Vec::new(),
                trusted: true,
                notes: Vec::new(),
                help_url: None,
                unsupported: None,
            }),
            ..SourceEnd::default()
        }
    }

    #[test]
    fn a_lower_source_waits_for_the_higher_ones() {
        use DiscoverySource::*;
        let mut ends = HashMap::new();
        ends.insert(Guess, end(true));
        assert_eq!(decide(&ends), None, "autoconfig, SRV, MX still running");
        ends.insert(Srv, end(true));
        assert_eq!(decide(&ends), None, "autoconfig still running");
        ends.insert(Autoconfig, end(false));
        assert_eq!(decide(&ends), Some(Srv), "MX need not be waited for");
        ends.insert(Autoconfig, end(true));
        assert_eq!(decide(&ends), Some(Autoconfig));
        let mut none = HashMap::new();
        for s in PARALLEL {
            none.insert(s, end(false));
        }
        assert_eq!(decide(&none), None);
    }

    #[test]
    fn servers_from_a_list_keep_plain_last_and_imap_first() {
        let s = |protocol, security, host: &str| ServerConfig {
            protocol,
            host: host.into(),
            port: 1,
            security,
            username: String::new(),
            auth: crate::model::AuthMethod::Password,
            pop3: None,
        };
        let mut list = vec![
            s(Protocol::Imap, Security::Plain, "a"),
            s(Protocol::Pop3, Security::Tls, "b"),
            s(Protocol::Imap, Security::Starttls, "c"),
            s(Protocol::Imap, Security::Tls, "d"),
        ];
        rank_servers(&mut list);
        let hosts: Vec<_> = list.iter().map(|s| s.host.as_str()).collect();
        assert_eq!(hosts, ["c", "d", "b", "a"]);
    }
}
