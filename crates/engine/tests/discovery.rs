//! Discovery against real servers on loopback: a local DNS server (hickory-server) and a local
//! HTTPS/HTTP server from petrel-testkit, and the real Dovecot and Postfix of the testkit for
//! SRV answers and probes. TLS is verified against the test CA, trusted through SSL_CERT_FILE
//! as a user's system would trust it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use petrel_engine::discovery::{Discovery, Dns, PortMap};
use petrel_engine::engine::server;
use petrel_engine::model::{
    DiscoveryOutcome, DiscoveryProgress, DiscoverySource, DiscoveryState, ErrorKind,
    IncomingProtocol, NewAccount, Protocol, Security, ServerConfig, ServerSettings,
};
use petrel_engine::net::Tls;
use petrel_engine::secrets::Secrets;
use petrel_engine::Engine;
use petrel_testkit::dns::{DnsServer, Zone};
use petrel_testkit::https::{Route, WebServer, WebServerBuilder};
use petrel_testkit::{Servers, TestUser};

const AUTOCONFIG_PATH: &str = "/mail/config-v1.1.xml";
const WELL_KNOWN_PATH: &str = "/.well-known/autoconfig/mail/config-v1.1.xml";

fn servers() -> &'static Servers {
    let servers = Servers::shared().expect("test mail servers");
    std::env::set_var("SSL_CERT_FILE", &servers.ca_file);
    servers
}

/// The usual ports mapped to the test servers' ports.
fn port_map(s: &Servers) -> PortMap {
    PortMap::new()
        .with(993, s.imaps_port)
        .with(143, s.imap_port)
        .with(995, s.pop3s_port)
        .with(110, s.pop3_port)
        .with(465, s.submissions_port)
        .with(587, s.submission_port)
}

/// A discovery whose DNS, web and mail ports are all the local test servers'.
struct Setup {
    servers: &'static Servers,
    dns: DnsServer,
    web: WebServer,
    discovery: Discovery,
}

fn setup(zone: Zone, web: WebServerBuilder, cert_names: &[&str]) -> Setup {
    let servers = servers();
    let dns = DnsServer::start(zone).expect("local DNS server");
    let web = web.start(servers, cert_names).expect("local web server");
    let discovery = new_discovery(servers, &dns, &web);
    Setup {
        servers,
        dns,
        web,
        discovery,
    }
}

/// A new discovery (with a new, empty DNS cache).
fn new_discovery(servers: &Servers, dns: &DnsServer, web: &WebServer) -> Discovery {
    Discovery::new(
        Dns::with_nameserver(dns.addr()),
        Tls::platform().expect("TLS"),
    )
    .with_port_map(port_map(servers))
    // Without plain-HTTP routes, port 1: refused at once, whatever runs on this machine's 80.
    .with_web_ports(Some(web.https_port()), Some(web.http_port().unwrap_or(1)))
    .with_timeouts(
        Duration::from_secs(3),
        Duration::from_millis(100),
        Duration::from_secs(20),
    )
}

/// Runs a discovery and keeps every progress report.
async fn discover(d: &Discovery, email: &str) -> (DiscoveryOutcome, Vec<DiscoveryProgress>) {
    let seen = Mutex::new(Vec::new());
    let outcome = d
        .discover(email, &|p: &DiscoveryProgress| {
            seen.lock().unwrap().push(p.clone())
        })
        .await
        .expect("a valid address");
    (outcome, seen.into_inner().unwrap())
}

fn state(o: &DiscoveryOutcome, source: DiscoverySource) -> DiscoveryState {
    o.sources
        .iter()
        .find(|p| p.source == source)
        .unwrap_or_else(|| panic!("no state for {source:?}: {:?}", o.sources))
        .state
}

fn autoconfig_xml(host: &str, incoming: &[(&str, u16, &str)], outgoing: &[(u16, &str)]) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\"?>\n<clientConfig version=\"1.1\">\n<emailProvider id=\"test\">\n<displayName>Local Test Mail</displayName>\n",
    );
    for (kind, port, socket) in incoming {
        xml.push_str(&format!(
            "<incomingServer type=\"{kind}\"><hostname>{host}</hostname><port>{port}</port><socketType>{socket}</socketType><username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication></incomingServer>\n"
        ));
    }
    for (port, socket) in outgoing {
        xml.push_str(&format!(
            "<outgoingServer type=\"smtp\"><hostname>{host}</hostname><port>{port}</port><socketType>{socket}</socketType><username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication></outgoingServer>\n"
        ));
    }
    xml.push_str("</emailProvider>\n</clientConfig>\n");
    xml
}

fn settings(s: &ServerConfig, username: &str) -> ServerSettings {
    server(
        &s.host,
        Some(s.port),
        s.security,
        username,
        s.protocol != Protocol::Smtp,
    )
}

/// Adds an account with the discovered servers (host, port, security) for a real test user:
/// the engine logs in to both before it saves anything, so this proves the settings work.
async fn assert_settings_work(o: &DiscoveryOutcome, servers: &Servers, user: Option<&TestUser>) {
    let config = o.config.as_ref().expect("a configuration");
    let fresh;
    let user = match user {
        Some(u) => u,
        None => {
            fresh = servers.new_user("discovered").unwrap();
            &fresh
        }
    };
    let incoming = &config.incoming[0];
    assert_eq!(incoming.protocol, Protocol::Imap);
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), Secrets::file(dir.path().join("secrets.json"))).unwrap();
    engine
        .add_account(NewAccount {
            display_name: "Discovered".into(),
            email: user.email.clone(),
            password: user.password.clone(),
            protocol: IncomingProtocol::Imap,
            pop3: None,
            incoming: settings(incoming, &user.email),
            smtp: settings(&config.outgoing[0], &user.email),
        })
        .await
        .expect("logging in with the discovered settings");
}

// ---- the sources, one by one

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_provider_table_answers_at_once_without_the_network() {
    let t = setup(Zone::new(), WebServer::builder(), &["unused.test"]);
    let (o, progress) = discover(&t.discovery, "someone@GMail.com").await;
    let c = o.config.as_ref().expect("found");
    assert_eq!(c.source, DiscoverySource::Provider);
    assert_eq!(c.provider.as_deref(), Some("Gmail"));
    assert_eq!(c.incoming[0].host, "imap.gmail.com");
    assert_eq!(c.incoming[0].port, 993);
    assert_eq!(c.incoming[0].security, Security::Tls);
    assert_eq!(c.incoming[0].username, "someone@gmail.com");
    assert!(c.notes.iter().any(|n| n.contains("app password")));
    // No network: a generous bound that still fails if anything waited on a time-out.
    assert!(o.elapsed_ms < 1000, "took {} ms", o.elapsed_ms);
    // Nothing else was even started.
    assert_eq!(
        progress
            .iter()
            .map(|p| (p.source, p.state))
            .collect::<Vec<_>>(),
        [
            (DiscoverySource::Provider, DiscoveryState::Looking),
            (DiscoverySource::Provider, DiscoveryState::Found)
        ]
    );
    assert!(t.web.requests().is_empty());

    let (o, _) = discover(&t.discovery, "someone@tutanota.com").await;
    let c = o.config.expect("found");
    assert!(c.unsupported.as_deref().unwrap().contains("IMAP"));
    assert!(o.summary.contains("cannot be used"), "{}", o.summary);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_autoconfig_on_the_autoconfig_host() {
    let s = servers();
    let xml = autoconfig_xml(
        "localhost",
        &[("imap", s.imaps_port, "SSL"), ("pop3", s.pop3s_port, "SSL")],
        &[(s.submission_port, "STARTTLS")],
    );
    let t = setup(
        Zone::new().a("autoconfig.ac.test", [127, 0, 0, 1].into()),
        WebServer::builder().route("autoconfig.ac.test", AUTOCONFIG_PATH, Route::ok(xml)),
        &["autoconfig.ac.test"],
    );
    let (o, _) = discover(&t.discovery, "kim@ac.test").await;
    let c = o.config.as_ref().unwrap_or_else(|| panic!("{o:#?}"));
    assert_eq!(c.source, DiscoverySource::Autoconfig);
    assert!(c.trusted);
    assert_eq!(c.provider.as_deref(), Some("Local Test Mail"));
    assert_eq!(c.incoming.len(), 2);
    assert_eq!(c.incoming[0].host, "localhost");
    assert_eq!(c.incoming[0].port, s.imaps_port);
    assert_eq!(c.incoming[0].username, "kim@ac.test");
    assert_eq!(c.outgoing[0].security, Security::Starttls);
    // The address was sent along, as the format asks.
    assert!(
        t.web.requests().iter().any(|r| r.https
            && r.host == "autoconfig.ac.test"
            && r.target == "/mail/config-v1.1.xml?emailaddress=kim%40ac.test"),
        "{:?}",
        t.web.requests()
    );
    assert_settings_work(&o, t.servers, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_autoconfig_on_the_well_known_path() {
    let s = servers();
    let xml = autoconfig_xml(
        "localhost",
        &[("imap", s.imap_port, "STARTTLS")],
        &[(s.submissions_port, "SSL")],
    );
    let t = setup(
        Zone::new().a("wk.test", [127, 0, 0, 1].into()),
        WebServer::builder().route("wk.test", WELL_KNOWN_PATH, Route::ok(xml)),
        &["wk.test"],
    );
    let (o, _) = discover(&t.discovery, "kim@wk.test").await;
    let c = o.config.as_ref().unwrap_or_else(|| panic!("{o:#?}"));
    assert_eq!(c.source, DiscoverySource::Autoconfig);
    assert_eq!(c.incoming[0].port, s.imap_port);
    assert_eq!(c.incoming[0].security, Security::Starttls);
    assert_eq!(c.outgoing[0].port, s.submissions_port);
    assert_settings_work(&o, t.servers, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn srv_records_alone_are_enough() {
    let s = servers();
    let d = &s.domain;
    let zone = Zone::new()
        .srv(&format!("_imap._tcp.{d}"), 10, 1, s.imap_port, "localhost")
        .srv(
            &format!("_imaps._tcp.{d}"),
            20,
            1,
            s.imaps_port,
            "localhost",
        )
        .srv(
            &format!("_pop3s._tcp.{d}"),
            30,
            1,
            s.pop3s_port,
            "localhost",
        )
        // "." : not offered.
        .srv(&format!("_submissions._tcp.{d}"), 0, 1, 0, ".")
        .srv(
            &format!("_submission._tcp.{d}"),
            0,
            1,
            s.submission_port,
            "localhost",
        );
    let t = setup(zone, WebServer::builder(), &["unused.test"]);
    let user = s.new_user("srv").unwrap();
    let (o, _) = discover(&t.discovery, &user.email).await;
    let c = o.config.as_ref().unwrap_or_else(|| panic!("{o:#?}"));
    assert_eq!(c.source, DiscoverySource::Srv);
    // Implicit TLS first, although the domain gave STARTTLS the better priority (RFC 8314).
    assert_eq!(
        (c.incoming[0].port, c.incoming[0].security),
        (s.imaps_port, Security::Tls)
    );
    assert_eq!(c.incoming[1].protocol, Protocol::Pop3);
    assert_eq!(
        (c.incoming[2].port, c.incoming[2].security),
        (s.imap_port, Security::Starttls)
    );
    assert_eq!(c.outgoing.len(), 1, "{:?}", c.outgoing);
    assert_eq!(c.outgoing[0].port, s.submission_port);
    assert_eq!(c.incoming[0].username, user.email);
    // And they really work, for this very user.
    assert_settings_work(&o, t.servers, Some(&user)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mx_at_a_bundled_provider_is_enough() {
    let s = servers();
    let xml = autoconfig_xml(
        "localhost",
        &[("imap", s.imaps_port, "SSL")],
        &[(s.submissions_port, "SSL")],
    );
    let zone = Zone::new()
        .mx("custom.test", 10, "aspmx.l.google.com")
        .mx("custom.test", 20, "alt1.aspmx.l.google.com")
        .mx("corp.test", 0, "corp-test.mail.protection.outlook.com")
        // A hoster not in the table, which publishes an autoconfig file for its own domain.
        .mx("hosted.test", 10, "mx1.mail.hoster.test")
        .a("autoconfig.hoster.test", [127, 0, 0, 1].into());
    let t = setup(
        zone,
        WebServer::builder().route("autoconfig.hoster.test", AUTOCONFIG_PATH, Route::ok(xml)),
        &["autoconfig.hoster.test"],
    );

    let (o, _) = discover(&t.discovery, "jo@custom.test").await;
    let c = o.config.as_ref().unwrap_or_else(|| panic!("{o:#?}"));
    assert_eq!(c.source, DiscoverySource::Mx);
    assert_eq!(c.provider.as_deref(), Some("Google Workspace"));
    assert_eq!(c.incoming[0].host, "imap.gmail.com");
    assert_eq!(c.incoming[0].username, "jo@custom.test");
    assert!(c.notes[0].contains("aspmx.l.google.com"), "{:?}", c.notes);

    let (o, _) = discover(&t.discovery, "jo@corp.test").await;
    let c = o.config.as_ref().unwrap_or_else(|| panic!("{o:#?}"));
    assert_eq!(c.source, DiscoverySource::Mx);
    assert_eq!(c.provider.as_deref(), Some("Microsoft 365"));
    assert_eq!(c.outgoing[0].host, "smtp.office365.com");

    let (o, _) = discover(&t.discovery, "jo@hosted.test").await;
    let c = o.config.as_ref().unwrap_or_else(|| panic!("{o:#?}"));
    assert_eq!(c.source, DiscoverySource::Mx);
    assert_eq!(c.incoming[0].port, s.imaps_port);
    assert_eq!(c.incoming[0].username, "jo@hosted.test");
    assert!(c.notes[0].contains("hoster.test"), "{:?}", c.notes);
    assert!(
        t.web
            .requests()
            .iter()
            .any(|r| r.host == "autoconfig.hoster.test"
                && r.target.ends_with("emailaddress=jo%40hosted.test")),
        "{:?}",
        t.web.requests()
    );
    assert_settings_work(&o, t.servers, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_probes_the_real_servers() {
    // `localhost` and every name under it resolve to 127.0.0.1 (RFC 6761); only `localhost` is
    // in the servers' certificate, so imap.localhost and friends must be reported, not used.
    let t = setup(Zone::new(), WebServer::builder(), &["unused.test"]);
    let (o, _) = discover(&t.discovery, "someone@localhost").await;
    let c = o.config.as_ref().unwrap_or_else(|| panic!("{o:#?}"));
    assert_eq!(c.source, DiscoverySource::Guess);
    assert!(c.trusted);
    let s = t.servers;
    assert_eq!(
        (
            c.incoming[0].protocol,
            c.incoming[0].host.as_str(),
            c.incoming[0].port,
            c.incoming[0].security
        ),
        (Protocol::Imap, "localhost", s.imaps_port, Security::Tls)
    );
    assert_eq!(
        (
            c.outgoing[0].host.as_str(),
            c.outgoing[0].port,
            c.outgoing[0].security
        ),
        ("localhost", s.submissions_port, Security::Tls)
    );
    assert!(
        o.problems.iter().any(|p| p.host == "imap.localhost"
            && p.kind == ErrorKind::CertificateNotTrusted
            && p.port == s.imaps_port),
        "{:#?}",
        o.problems
    );
    assert!(!c
        .incoming
        .iter()
        .chain(&c.outgoing)
        .any(|s| s.host != "localhost"));
    assert_settings_work(&o, t.servers, None).await;
}

// ---- priorities, trust and failure

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_higher_source_wins_even_when_a_lower_one_answers_first() {
    let s = servers();
    // SRV answers at once; autoconfig takes 800 ms, and must still win.
    let xml = autoconfig_xml(
        "localhost",
        &[("imap", s.imaps_port, "SSL")],
        &[(s.submissions_port, "SSL")],
    );
    let zone = Zone::new()
        .a("autoconfig.both.test", [127, 0, 0, 1].into())
        .srv("_imap._tcp.both.test", 0, 1, s.imap_port, "localhost")
        .srv(
            "_submission._tcp.both.test",
            0,
            1,
            s.submission_port,
            "localhost",
        );
    let t = setup(
        zone,
        WebServer::builder().route(
            "autoconfig.both.test",
            AUTOCONFIG_PATH,
            Route::ok(xml).delayed(Duration::from_millis(800)),
        ),
        &["autoconfig.both.test"],
    );
    let (o, progress) = discover(&t.discovery, "kim@both.test").await;
    let c = o.config.as_ref().unwrap_or_else(|| panic!("{o:#?}"));
    assert_eq!(c.source, DiscoverySource::Autoconfig);
    assert_eq!(c.incoming[0].port, s.imaps_port);
    assert!(o.elapsed_ms >= 800, "{} ms", o.elapsed_ms);
    let found_at = |source| {
        progress
            .iter()
            .position(|p| p.source == source && p.state == DiscoveryState::Found)
    };
    let srv = found_at(DiscoverySource::Srv).expect("SRV found its records");
    let auto = found_at(DiscoverySource::Autoconfig).expect("autoconfig found");
    assert!(srv < auto, "SRV should have answered first: {progress:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rest_is_cancelled_once_the_answer_is_known() {
    let s = servers();
    let xml = autoconfig_xml(
        "localhost",
        &[("imap", s.imaps_port, "SSL")],
        &[(s.submissions_port, "SSL")],
    );
    // The plain-HTTP file would take 10 s: nobody waits for it.
    let t = setup(
        Zone::new().a("autoconfig.quick.test", [127, 0, 0, 1].into()),
        WebServer::builder()
            .route(
                "autoconfig.quick.test",
                AUTOCONFIG_PATH,
                Route::ok(xml.clone()),
            )
            .http_route(
                "autoconfig.quick.test",
                AUTOCONFIG_PATH,
                Route::ok(xml).delayed(Duration::from_secs(10)),
            ),
        &["autoconfig.quick.test"],
    );
    let started = Instant::now();
    let (o, _) = discover(&t.discovery, "kim@quick.test").await;
    assert_eq!(
        o.config.as_ref().map(|c| c.source),
        Some(DiscoverySource::Autoconfig)
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        state(&o, DiscoverySource::AutoconfigHttp),
        DiscoveryState::Skipped
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_autoconfig_is_untrusted() {
    let s = servers();
    let xml = autoconfig_xml(
        "localhost",
        &[("imap", s.imaps_port, "SSL")],
        &[(s.submissions_port, "SSL")],
    );
    // The HTTPS server's certificate does not name autoconfig.plain.test: the HTTPS attempt
    // fails, and the file only comes over plain HTTP.
    let t = setup(
        Zone::new().a("autoconfig.plain.test", [127, 0, 0, 1].into()),
        WebServer::builder().http_route("autoconfig.plain.test", AUTOCONFIG_PATH, Route::ok(xml)),
        &["somewhere-else.test"],
    );
    let (o, _) = discover(&t.discovery, "kim@plain.test").await;
    let c = o.config.as_ref().unwrap_or_else(|| panic!("{o:#?}"));
    assert_eq!(c.source, DiscoverySource::AutoconfigHttp);
    assert!(!c.trusted);
    assert!(o.summary.contains("without encryption"), "{}", o.summary);
    assert_eq!(
        state(&o, DiscoverySource::Autoconfig),
        DiscoveryState::Failed
    );
    let detail = o
        .sources
        .iter()
        .find(|p| p.source == DiscoverySource::Autoconfig)
        .and_then(|p| p.detail.clone())
        .unwrap_or_default();
    assert!(detail.contains("certificate"), "{detail}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_meeting_an_untrusted_certificate_report_it_and_use_nothing() {
    // Every name resolves to the test servers, whose certificate names only localhost.
    let zone = Zone::new()
        .a("imap.badcert.test", [127, 0, 0, 1].into())
        .a("mail.badcert.test", [127, 0, 0, 1].into())
        .a("smtp.badcert.test", [127, 0, 0, 1].into());
    let t = setup(zone, WebServer::builder(), &["unused.test"]);
    let (o, _) = discover(&t.discovery, "kim@badcert.test").await;
    assert!(o.config.is_none(), "{o:#?}");
    let s = t.servers;
    for (host, port) in [
        ("imap.badcert.test", s.imaps_port),
        // STARTTLS was offered, the upgrade met the wrong certificate: no plain fall-back.
        ("imap.badcert.test", s.imap_port),
        ("smtp.badcert.test", s.submissions_port),
        ("smtp.badcert.test", s.submission_port),
    ] {
        let p = o
            .problems
            .iter()
            .find(|p| p.host == host && p.port == port)
            .unwrap_or_else(|| panic!("{host}:{port} not reported: {:#?}", o.problems));
        assert_eq!(p.kind, ErrorKind::CertificateNotTrusted);
        assert!(p.detail.contains(host), "{}", p.detail);
    }
    assert!(
        o.summary.contains("could not find settings"),
        "{}",
        o.summary
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_found_says_so_quickly() {
    let t = setup(Zone::new(), WebServer::builder(), &["unused.test"]);
    let (o, _) = discover(&t.discovery, "kim@nothing-here.test").await;
    assert!(o.config.is_none());
    assert!(
        o.summary.contains("could not find settings"),
        "{}",
        o.summary
    );
    assert!(o.elapsed_ms < 3000, "{} ms", o.elapsed_ms);
    for source in [
        DiscoverySource::Provider,
        DiscoverySource::Srv,
        DiscoverySource::Mx,
        DiscoverySource::Guess,
    ] {
        assert_eq!(
            state(&o, source),
            DiscoveryState::NotFound,
            "{source:?}: {o:#?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_that_is_not_one_is_refused() {
    let t = setup(Zone::new(), WebServer::builder(), &["unused.test"]);
    let e = t
        .discovery
        .discover("not an address", &|_: &DiscoveryProgress| {})
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

// ---- timing

/// The median time to a found configuration, per source, over the local servers. Prints the
/// figures (run with --nocapture to see them) and fails if any is far too slow.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn median_time_to_a_configuration_per_source() {
    let s = servers();
    let xml = autoconfig_xml(
        "localhost",
        &[("imap", s.imaps_port, "SSL")],
        &[(s.submissions_port, "SSL")],
    );
    let zone = Zone::new()
        .a("autoconfig.ac.test", [127, 0, 0, 1].into())
        .srv("_imaps._tcp.srv.test", 0, 1, s.imaps_port, "localhost")
        .srv(
            "_submissions._tcp.srv.test",
            0,
            1,
            s.submissions_port,
            "localhost",
        )
        .mx("mx.test", 10, "aspmx.l.google.com")
        .a("autoconfig.plain.test", [127, 0, 0, 1].into());
    let t = setup(
        zone,
        WebServer::builder()
            .route(
                "autoconfig.ac.test",
                AUTOCONFIG_PATH,
                Route::ok(xml.clone()),
            )
            .http_route("autoconfig.plain.test", AUTOCONFIG_PATH, Route::ok(xml)),
        &["autoconfig.ac.test"],
    );
    let cases = [
        ("kim@gmail.com", DiscoverySource::Provider),
        ("kim@ac.test", DiscoverySource::Autoconfig),
        ("kim@srv.test", DiscoverySource::Srv),
        ("kim@mx.test", DiscoverySource::Mx),
        ("kim@plain.test", DiscoverySource::AutoconfigHttp),
        ("kim@localhost", DiscoverySource::Guess),
    ];
    const RUNS: usize = 7;
    let mut report = String::from("median time to a found configuration (local servers):\n");
    for (email, source) in cases {
        let mut times = Vec::new();
        for _ in 0..RUNS {
            // Each run starts cold: a new resolver, nothing cached.
            let d = new_discovery(t.servers, &t.dns, &t.web);
            let (o, _) = discover(&d, email).await;
            assert_eq!(o.config.as_ref().map(|c| c.source), Some(source), "{email}");
            times.push(o.elapsed_ms);
        }
        times.sort_unstable();
        let median = times[RUNS / 2];
        report.push_str(&format!(
            "  {:<16} {median:>5} ms   (min {} ms, max {} ms, {RUNS} runs)\n",
            format!("{source:?}"),
            times[0],
            times[RUNS - 1]
        ));
        assert!(median < 5000, "{source:?} took {median} ms");
    }
    eprintln!("{report}");
}
