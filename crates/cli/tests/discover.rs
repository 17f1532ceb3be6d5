//! `petrel account discover` as a user runs it, against a local DNS server and the real test
//! mail servers.

use std::process::Command;

use petrel_testkit::dns::{DnsServer, Zone};
use petrel_testkit::Servers;

fn discover(servers: &Servers, dns: &DnsServer, extra: &[&str]) -> (bool, String, String) {
    let ports = format!(
        "993={},143={},995={},110={},465={},587={}",
        servers.imaps_port,
        servers.imap_port,
        servers.pop3s_port,
        servers.pop3_port,
        servers.submissions_port,
        servers.submission_port
    );
    let dns_addr = dns.addr().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_petrel"))
        .args(["account", "discover", "--dns-server", &dns_addr])
        .args([
            "--probe-ports",
            &ports,
            "--https-port",
            "1",
            "--http-port",
            "1",
        ])
        .args(extra)
        .env("SSL_CERT_FILE", &servers.ca_file)
        .output()
        .expect("run petrel");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn discover_prints_what_was_found_and_where() {
    let servers = Servers::shared().expect("servers");
    let zone = Zone::new()
        .srv(
            "_imaps._tcp.srv.test",
            0,
            1,
            servers.imaps_port,
            "localhost",
        )
        .srv(
            "_submission._tcp.srv.test",
            0,
            1,
            servers.submission_port,
            "localhost",
        );
    let dns = DnsServer::start(zone).expect("dns");

    let (ok, out, err) = discover(servers, &dns, &["kim@srv.test"]);
    assert!(ok, "{out}\n{err}");
    assert!(
        out.contains("Found settings for kim@srv.test in the DNS service records of srv.test"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "IMAP localhost:{} (tls), user name kim@srv.test",
            servers.imaps_port
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "SMTP localhost:{} (starttls)",
            servers.submission_port
        )),
        "{out}"
    );
    // One progress line per source that ended.
    assert!(err.contains("provider list"), "{err}");
    assert!(
        err.lines()
            .any(|l| l.trim_start().starts_with("DNS SRV records") && l.contains(" found: ")),
        "{err}"
    );

    // Guessing, with --json: the whole outcome.
    let (ok, out, err) = discover(servers, &dns, &["--json", "kim@localhost"]);
    assert!(ok, "{out}\n{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(v["config"]["source"], "guess");
    assert_eq!(v["config"]["incoming"][0]["host"], "localhost");
    assert_eq!(v["config"]["incoming"][0]["port"], servers.imaps_port);
    assert!(v["problems"]
        .as_array()
        .is_some_and(|p| p.iter().any(|p| p["kind"] == "certificate_not_trusted")));

    // Nothing at all: says so, and fails.
    let (ok, out, _) = discover(servers, &dns, &["kim@nowhere.test"]);
    assert!(!ok);
    assert!(out.contains("could not find settings"), "{out}");
}
