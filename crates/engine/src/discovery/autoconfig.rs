//! Autoconfig: Thunderbird's `config-v1.1.xml` format, fetched from
//! `autoconfig.<domain>/mail/config-v1.1.xml?emailaddress=…` and
//! `<domain>/.well-known/autoconfig/mail/config-v1.1.xml`. [`parse`] is pure (bytes in, settings
//! out); [`fetch`] is the thin network layer over it.

use roxmltree::{Document, Node};

use crate::model::{
    AuthMethod, DiscoveredConfig, DiscoverySource, Pop3Options, Protocol, Security, ServerConfig,
};

use super::http::{HttpClient, HttpError};
use super::{rank_servers, Address};

/// Largest autoconfig file we read (real ones are a few kB).
pub const MAX_SIZE: usize = 256 * 1024;

/// Why a file could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads a `config-v1.1.xml` file for `address`. `source` and `trusted` describe how it was
/// fetched. Servers whose type, socket type or authentication Petrel cannot use are left out;
/// a file that leaves no usable incoming or outgoing server is an error.
pub fn parse(
    xml: &str,
    address: &Address,
    source: DiscoverySource,
    trusted: bool,
) -> Result<DiscoveredConfig, ParseError> {
    let doc = Document::parse(xml).map_err(|e| ParseError(format!("not valid XML: {e}")))?;
    let root = doc.root_element();
    if root.tag_name().name() != "clientConfig" {
        return Err(ParseError(format!(
            "not an autoconfig file (its root element is <{}>)",
            root.tag_name().name()
        )));
    }
    let provider = child(root, "emailProvider")
        .ok_or_else(|| ParseError("the file has no <emailProvider>".into()))?;

    let mut incoming = Vec::new();
    let mut outgoing = Vec::new();
    let mut skipped = Vec::new();
    for node in provider.children().filter(Node::is_element) {
        let is_incoming = match node.tag_name().name() {
            "incomingServer" => true,
            "outgoingServer" => false,
            _ => continue,
        };
        match server(node, address) {
            Ok(Some(s)) if is_incoming && s.protocol != Protocol::Smtp => incoming.push(s),
            Ok(Some(s)) if !is_incoming && s.protocol == Protocol::Smtp => outgoing.push(s),
            Ok(_) => {}
            Err(e) => skipped.push(e.0),
        }
    }
    if incoming.is_empty() || outgoing.is_empty() {
        let missing = if incoming.is_empty() {
            "incoming (IMAP or POP3)"
        } else {
            "outgoing (SMTP)"
        };
        let mut msg = format!("the file names no usable {missing} server");
        if !skipped.is_empty() {
            msg.push_str(&format!(" ({})", skipped.join("; ")));
        }
        return Err(ParseError(msg));
    }
    rank_servers(&mut incoming);
    rank_servers(&mut outgoing);

    let name = text(provider, "displayName")
        .or_else(|| text(provider, "displayShortName"))
        .or_else(|| provider.attribute("id").map(str::to_string));
    let mut notes = Vec::new();
    if !trusted {
        notes.push(
            "These settings came over an unencrypted connection, so someone on the way could have changed them: check them before using them."
                .to_string(),
        );
    }
    let mut help_url = None;
    for doc_node in provider
        .children()
        .filter(|n| n.has_tag_name("documentation"))
    {
        if help_url.is_none() {
            help_url = doc_node
                .attribute("url")
                .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                .map(str::to_string);
        }
    }
    // <enable visiturl="…"><instruction>…</instruction></enable>: the user must switch something
    // on (e.g. IMAP access) before a mail program may log in.
    for enable in root.descendants().filter(|n| n.has_tag_name("enable")) {
        if let Some(instruction) = best_lang_text(enable, "instruction") {
            notes.push(instruction);
        }
        if help_url.is_none() {
            help_url = enable
                .attribute("visiturl")
                .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                .map(str::to_string);
        }
    }
    let all_encrypted = incoming
        .first()
        .into_iter()
        .chain(outgoing.first())
        .all(|s| s.security != Security::Plain);
    Ok(DiscoveredConfig {
        source,
        provider: name,
        incoming,
        outgoing,
        trusted: trusted && all_encrypted,
        notes,
        help_url,
        unsupported: None,
    })
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|n| n.has_tag_name(name))
}

fn text(node: Node<'_, '_>, name: &str) -> Option<String> {
    child(node, name)
        .and_then(|n| n.text())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// The text of the `name` child in English, else the first one.
fn best_lang_text(node: Node<'_, '_>, name: &str) -> Option<String> {
    let candidates: Vec<Node> = node.children().filter(|n| n.has_tag_name(name)).collect();
    candidates
        .iter()
        .find(|n| n.attribute("lang").is_none_or(|l| l.starts_with("en")))
        .or(candidates.first())
        .and_then(|n| n.text())
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| !t.is_empty())
}

/// One `<incomingServer>` / `<outgoingServer>`: `Ok(None)` for a kind Petrel does not speak
/// (Exchange, JMAP, …).
fn server(node: Node<'_, '_>, address: &Address) -> Result<Option<ServerConfig>, ParseError> {
    let protocol = match node
        .attribute("type")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("imap") => Protocol::Imap,
        Some("pop3") => Protocol::Pop3,
        Some("smtp") => Protocol::Smtp,
        _ => return Ok(None),
    };
    let what = match protocol {
        Protocol::Imap => "IMAP",
        Protocol::Pop3 => "POP3",
        Protocol::Smtp => "SMTP",
    };
    let host = text(node, "hostname")
        .map(|h| address.substitute(&h).to_ascii_lowercase())
        .ok_or_else(|| ParseError(format!("an {what} server has no host name")))?;
    if !valid_host(&host) {
        return Err(ParseError(format!(
            "an {what} server has an invalid host name “{host}”"
        )));
    }
    let port = text(node, "port")
        .ok_or_else(|| ParseError(format!("{host} ({what}) has no port")))?
        .parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| ParseError(format!("{host} ({what}) has an invalid port")))?;
    let security = match text(node, "socketType").as_deref() {
        Some("SSL") | Some("TLS") => Security::Tls,
        Some("STARTTLS") => Security::Starttls,
        Some("plain") => Security::Plain,
        other => {
            return Err(ParseError(format!(
                "{host} ({what}) has an unknown socket type {other:?}"
            )))
        }
    };
    let username = text(node, "username")
        .map(|u| address.substitute(&u))
        .unwrap_or_else(|| address.email.clone());
    let mechanisms: Vec<String> = node
        .children()
        .filter(|n| n.has_tag_name("authentication"))
        .filter_map(|n| n.text())
        .map(|t| t.trim().to_string())
        .collect();
    let auth = choose_auth(&mechanisms).ok_or_else(|| {
        ParseError(format!(
            "{host} ({what}) wants a sign-in Petrel does not support ({})",
            mechanisms.join(", ")
        ))
    })?;
    let pop3 = match (protocol, child(node, "pop3")) {
        (Protocol::Pop3, Some(p)) => Some(Pop3Options {
            leave_messages_on_server: text(p, "leaveMessagesOnServer")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
            days_to_leave_messages_on_server: text(p, "daysToLeaveMessagesOnServer")
                .and_then(|v| v.parse().ok()),
        }),
        _ => None,
    };
    Ok(Some(ServerConfig {
        protocol,
        host,
        port,
        security,
        username,
        auth,
        pop3,
    }))
}

/// Passwords first (what Petrel does today), then OAuth2. No `<authentication>` means a
/// password. `none` / `client-IP-address` (an SMTP server that needs no log-in) count as a
/// password log-in the server will simply not ask for.
fn choose_auth(mechanisms: &[String]) -> Option<AuthMethod> {
    if mechanisms.is_empty() {
        return Some(AuthMethod::Password);
    }
    let has = |names: &[&str]| {
        mechanisms
            .iter()
            .any(|m| names.iter().any(|n| m.eq_ignore_ascii_case(n)))
    };
    if has(&[
        "password-cleartext",
        "plain",
        "password-encrypted",
        "secure",
        "none",
        "client-IP-address",
    ]) {
        Some(AuthMethod::Password)
    } else if has(&["OAuth2"]) {
        Some(AuthMethod::OAuth2)
    } else {
        None
    }
}

/// A DNS host name or an IP address, nothing else (no ports, paths, spaces).
pub(crate) fn valid_host(host: &str) -> bool {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// The URLs to try for `domain`, in order: the `autoconfig.` host, then the `.well-known` path.
/// `port` replaces the scheme's usual port (tests run their web server on a free port).
pub fn urls(domain: &str, email: &str, https: bool, port: Option<u16>) -> [String; 2] {
    let scheme = if https { "https" } else { "http" };
    let port = port.map(|p| format!(":{p}")).unwrap_or_default();
    [
        format!(
            "{scheme}://autoconfig.{domain}{port}/mail/config-v1.1.xml?emailaddress={}",
            percent_encode(email)
        ),
        format!("{scheme}://{domain}{port}/.well-known/autoconfig/mail/config-v1.1.xml"),
    ]
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Fetches and parses the autoconfig file of `domain`, trying both URLs at once and preferring
/// the `autoconfig.` host. `Ok(None)`: neither URL has a file.
pub async fn fetch(
    http: &HttpClient,
    address: &Address,
    domain: &str,
    https: bool,
    port: Option<u16>,
    source: DiscoverySource,
) -> Result<Option<DiscoveredConfig>, String> {
    let [first, second] = urls(domain, &address.email, https, port);
    // Errors as (where, why), so two identical reasons are said once.
    let one = |url: String| async move {
        let place = url.split('?').next().unwrap_or_default().to_string();
        match http.get_text(&url, https, MAX_SIZE).await {
            Ok(body) => parse(&body, address, source, https)
                .map(Some)
                .map_err(|e| (place, e.to_string())),
            Err(HttpError::NotFound) => Ok(None),
            Err(e) => Err((place, e.to_string())),
        }
    };
    let (a, b) = futures::join!(one(first), one(second));
    match (a, b) {
        (Ok(Some(c)), _) | (_, Ok(Some(c))) => Ok(Some(c)),
        (Ok(None), Ok(None)) => Ok(None),
        (Err((place, why)), Ok(None)) | (Ok(None), Err((place, why))) => {
            Err(format!("{place}: {why}"))
        }
        (Err((p1, w1)), Err((p2, w2))) if w1 == w2 => Err(format!("{p1} and {p2}: {w1}")),
        (Err((p1, w1)), Err((p2, w2))) => Err(format!("{p1}: {w1}; {p2}: {w2}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.com">
    <domain>example.com</domain>
    <displayName>Example Mail</displayName>
    <incomingServer type="imap">
      <hostname>imap.%EMAILDOMAIN%</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.com</hostname>
      <port>587</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILLOCALPART%</username>
      <authentication>password-cleartext</authentication>
    </outgoingServer>
  </emailProvider>
</clientConfig>"#;

    fn addr() -> Address {
        Address::parse("jo.bloggs@example.com").unwrap()
    }

    #[test]
    fn placeholders_are_filled_in() {
        let c = parse(FULL, &addr(), DiscoverySource::Autoconfig, true).unwrap();
        assert_eq!(c.incoming[0].host, "imap.example.com");
        assert_eq!(c.incoming[0].username, "jo.bloggs@example.com");
        assert_eq!(c.outgoing[0].username, "jo.bloggs");
        assert_eq!(c.outgoing[0].security, Security::Starttls);
        assert_eq!(c.provider.as_deref(), Some("Example Mail"));
        assert!(c.trusted);
    }

    #[test]
    fn plain_http_results_are_untrusted() {
        let c = parse(FULL, &addr(), DiscoverySource::AutoconfigHttp, false).unwrap();
        assert!(!c.trusted);
        assert!(c.notes[0].contains("unencrypted"), "{:?}", c.notes);
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        let e = parse(
            "<html><body>Not here</body></html>",
            &addr(),
            DiscoverySource::Autoconfig,
            true,
        )
        .unwrap_err();
        assert!(e.0.contains("not an autoconfig file"), "{e}");
        let e = parse("not xml at all", &addr(), DiscoverySource::Autoconfig, true).unwrap_err();
        assert!(e.0.contains("not valid XML"), "{e}");
        let bad_host = FULL.replace("imap.%EMAILDOMAIN%", "imap.example.com/evil path");
        let e = parse(&bad_host, &addr(), DiscoverySource::Autoconfig, true).unwrap_err();
        assert!(e.0.contains("invalid host name"), "{e}");
    }

    #[test]
    fn urls_carry_the_address_and_an_optional_port() {
        let [a, b] = urls("example.com", "a+b@example.com", true, None);
        assert_eq!(
            a,
            "https://autoconfig.example.com/mail/config-v1.1.xml?emailaddress=a%2Bb%40example.com"
        );
        assert_eq!(
            b,
            "https://example.com/.well-known/autoconfig/mail/config-v1.1.xml"
        );
        let [a, _] = urls("example.com", "a@example.com", false, Some(8080));
        assert!(a.starts_with("http://autoconfig.example.com:8080/"), "{a}");
    }

    #[test]
    fn host_names_are_checked() {
        assert!(valid_host("imap.example.com"));
        assert!(valid_host("127.0.0.1"));
        assert!(!valid_host("imap.example.com:993"));
        assert!(!valid_host("-bad.example.com"));
        assert!(!valid_host("a..b"));
        assert!(!valid_host(""));
    }

    /// Golden files: every `tests/data/autoconfig/<name>.xml` parses (for the address named in
    /// its `<!-- address: … -->` comment, else `jo.bloggs@example.com`) to `<name>.json`, or to
    /// the error in `<name>.err`. `PETREL_BLESS=1` rewrites the expected files.
    #[test]
    fn golden_files() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/autoconfig");
        let bless = std::env::var_os("PETREL_BLESS").is_some();
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "xml"))
            .collect();
        entries.sort();
        assert!(
            entries.len() >= 5,
            "golden files missing in {}",
            dir.display()
        );
        for xml_path in entries {
            let xml = std::fs::read_to_string(&xml_path).unwrap();
            let email = xml
                .split("<!-- address: ")
                .nth(1)
                .and_then(|rest| rest.split(" -->").next())
                .unwrap_or("jo.bloggs@example.com");
            let address = Address::parse(email).unwrap();
            let actual = match parse(&xml, &address, DiscoverySource::Autoconfig, true) {
                Ok(c) => (serde_json::to_string_pretty(&c).unwrap() + "\n", "json"),
                Err(e) => (format!("{e}\n"), "err"),
            };
            let expected_path = xml_path.with_extension(actual.1);
            let other = xml_path.with_extension(if actual.1 == "json" { "err" } else { "json" });
            if bless {
                std::fs::write(&expected_path, &actual.0).unwrap();
                let _ = std::fs::remove_file(&other);
                continue;
            }
            assert!(
                !other.exists(),
                "{} expected the other outcome ({}), got:\n{}",
                xml_path.display(),
                other.display(),
                actual.0
            );
            let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|_| {
                panic!(
                    "{} is missing (run with PETREL_BLESS=1 and review it)",
                    expected_path.display()
                )
            });
            assert_eq!(actual.0, expected, "{}", xml_path.display());
        }
    }
}
