//! The test servers, checked over the real protocols with independent clients (curl, swaks,
//! openssl), always verifying TLS against the test CA. Needs root and the packages of
//! tests/servers/install.sh.

use std::process::Command;
use std::time::Duration;

use petrel_testkit::{corpus, Servers, TestUser};

const WAIT: Duration = Duration::from_secs(20);

fn servers() -> &'static Servers {
    match Servers::shared() {
        Ok(s) => s,
        Err(e) => panic!("cannot start the test servers: {e:#}"),
    }
}

fn user(prefix: &str) -> TestUser {
    match servers().new_user(prefix) {
        Ok(u) => u,
        Err(e) => panic!("cannot add a user: {e:#}"),
    }
}

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

impl Run {
    fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// Runs a command with a time limit, so that a protocol hang fails the test instead of
/// stalling it.
fn run(program: &str, args: &[&str], stdin: Option<&str>) -> Run {
    use std::io::Write;
    let mut cmd = Command::new("timeout");
    cmd.arg("60").arg(program).args(args);
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    if let Some(mut input) = child.stdin.take() {
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn ca() -> String {
    servers().ca_file.display().to_string()
}

fn login(u: &TestUser) -> String {
    format!("{}:{}", u.email, u.password)
}

fn imaps_url(path: &str) -> String {
    let s = servers();
    format!("imaps://{}:{}/{path}", s.host, s.imaps_port)
}

/// Runs an IMAP command over IMAPS with curl and returns the untagged responses.
fn imaps(u: &TestUser, path: &str, command: &str) -> String {
    let r = run(
        "curl",
        &[
            "-sS",
            "--cacert",
            &ca(),
            "-u",
            &login(u),
            &imaps_url(path),
            "-X",
            command,
        ],
        None,
    );
    assert!(r.ok, "curl {command} failed: {}", r.all());
    r.stdout
}

fn swaks(args: &[&str]) -> Run {
    let mut all = vec!["--server", "localhost", "--timeout", "30"];
    all.extend_from_slice(args);
    run("swaks", &all, None)
}

/// How a swaks session secures itself.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Secure {
    None,
    Starttls,
    OnConnect,
}

/// One SMTP session with swaks: TLS verified against the test CA, optional AUTH
/// (mechanism, user, password) and optional message data.
fn submit(
    port: u16,
    secure: Secure,
    auth: Option<(&str, &str, &str)>,
    from: &str,
    to: &str,
    data: Option<&str>,
) -> Run {
    let port = port.to_string();
    let ca = ca();
    let mut args: Vec<&str> = vec!["--port", &port];
    match secure {
        Secure::None => {}
        Secure::Starttls => args.push("--tls"),
        Secure::OnConnect => args.push("--tls-on-connect"),
    }
    if secure != Secure::None {
        args.extend(["--tls-verify", "--tls-ca-path", &ca]);
    }
    if let Some((mechanism, user, password)) = auth {
        args.extend([
            "--auth",
            mechanism,
            "--auth-user",
            user,
            "--auth-password",
            password,
        ]);
    }
    args.extend(["--from", from, "--to", to]);
    if let Some(data) = data {
        args.extend(["--data", data]);
    }
    swaks(&args)
}

fn message_for(to: &TestUser, subject: &str) -> String {
    let m = corpus::simple(
        subject,
        "Sender <sender@petrel.test>",
        &to.email,
        "Hello there.\n",
    );
    String::from_utf8(m).unwrap()
}

#[test]
fn imaps_login_sees_filled_inbox() {
    let s = servers();
    let u = user("fill");
    let mail = corpus::generate(200, 11, &s.domain);
    s.fill_mailbox(&u.email, "INBOX", &mail).unwrap();
    assert_eq!(s.message_count(&u.email, "INBOX").unwrap(), 200);
    let out = imaps(&u, "INBOX", "EXAMINE INBOX");
    assert!(out.contains("* 200 EXISTS"), "{out}");
    // UIDs follow the order given, which is ascending by date, and INTERNALDATE is the Date.
    let out = s
        .doveadm(&[
            "fetch",
            "-u",
            &u.email,
            "date.received",
            "mailbox",
            "INBOX",
            "all",
        ])
        .unwrap();
    let dates: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("date.received: "))
        .collect();
    assert_eq!(dates.len(), 200);
    assert!(dates.windows(2).all(|w| w[0] < w[1]), "{out}");
}

#[test]
fn capability_after_login() {
    let u = user("caps");
    let out = imaps(&u, "", "CAPABILITY");
    for cap in [
        "IDLE",
        "CONDSTORE",
        "QRESYNC",
        "SPECIAL-USE",
        "UIDPLUS",
        "MOVE",
    ] {
        assert!(
            out.split_whitespace().any(|w| w == cap),
            "{cap} missing: {out}"
        );
    }
}

#[test]
fn special_use_folders_exist() {
    let u = user("list");
    let out = imaps(&u, "", "LIST \"\" \"*\"");
    for (flag, name) in [
        ("\\Sent", "Sent"),
        ("\\Drafts", "Drafts"),
        ("\\Trash", "Trash"),
        ("\\Junk", "Junk"),
        ("\\Archive", "Archive"),
    ] {
        assert!(
            out.lines()
                .any(|l| l.contains(flag) && l.trim_end().ends_with(name)),
            "{flag} {name} missing: {out}"
        );
    }
    assert!(out.contains("INBOX"), "{out}");
}

#[test]
fn imap_starttls() {
    let s = servers();
    let u = user("starttls");
    s.deliver_raw(&u.email, "INBOX", message_for(&u, "one").as_bytes())
        .unwrap();
    let url = format!("imap://{}:{}/INBOX", s.host, s.imap_port);
    let r = run(
        "curl",
        &[
            "-sS",
            "--ssl-reqd",
            "--cacert",
            &ca(),
            "-u",
            &login(&u),
            &url,
            "-X",
            "EXAMINE INBOX",
        ],
        None,
    );
    assert!(r.ok, "{}", r.all());
    assert!(r.stdout.contains("* 1 EXISTS"), "{}", r.stdout);
}

#[test]
fn certificate_is_checked() {
    let s = servers();
    let u = user("verify");
    // Without the test CA, verification must fail: nothing here skips it.
    let r = run(
        "curl",
        &["-sS", "-u", &login(&u), &imaps_url(""), "-X", "NOOP"],
        None,
    );
    assert!(
        !r.ok,
        "curl trusted the test server without its CA: {}",
        r.all()
    );
    assert!(r.stderr.contains("(60)"), "{}", r.stderr);

    // The certificate names localhost and 127.0.0.1, and nothing else.
    let cases: [(u16, &[&str]); 5] = [
        (s.imaps_port, &[]),
        (s.pop3s_port, &[]),
        (s.submissions_port, &[]),
        (s.submission_port, &["-starttls", "smtp"]),
        (s.imap_port, &["-starttls", "imap"]),
    ];
    for (port, extra) in cases {
        for (name, should_pass) in [
            ("localhost", true),
            ("127.0.0.1", true),
            ("mail.example.org", false),
        ] {
            let connect = format!("localhost:{port}");
            let ca_file = ca();
            let mut args = vec![
                "s_client",
                "-connect",
                &connect,
                "-CAfile",
                &ca_file,
                "-verify_return_error",
                "-brief",
            ];
            if name.parse::<std::net::IpAddr>().is_ok() {
                args.extend_from_slice(&["-verify_ip", name]);
            } else {
                args.extend_from_slice(&["-verify_hostname", name]);
            }
            args.extend_from_slice(extra);
            let r = run("openssl", &args, Some(""));
            let verified = r.ok && r.stderr.contains("Verification: OK");
            assert_eq!(
                verified,
                should_pass,
                "port {port}, name {name}: {}",
                r.all()
            );
        }
    }
}

#[test]
fn pop3s_stat_and_uidl() {
    let s = servers();
    let u = user("pop");
    let mail = corpus::generate(200, 12, &s.domain);
    s.fill_mailbox(&u.email, "INBOX", &mail).unwrap();
    let url = format!("pop3s://{}:{}/", s.host, s.pop3s_port);
    // STAT has a one-line answer: curl wants -I for it and shows it with -v.
    let r = run(
        "curl",
        &[
            "-sS",
            "-v",
            "-I",
            "--cacert",
            &ca(),
            "-u",
            &login(&u),
            &url,
            "-X",
            "STAT",
        ],
        None,
    );
    assert!(r.ok, "{}", r.all());
    assert!(
        r.stderr.lines().any(|l| l.starts_with("< +OK 200 ")),
        "{}",
        r.stderr
    );
    let r = run(
        "curl",
        &[
            "-sS",
            "--cacert",
            &ca(),
            "-u",
            &login(&u),
            &url,
            "-X",
            "UIDL",
        ],
        None,
    );
    assert!(r.ok, "{}", r.all());
    assert_eq!(
        r.stdout.lines().filter(|l| !l.trim().is_empty()).count(),
        200
    );

    // Plain port with STLS.
    let url = format!("pop3://{}:{}/", s.host, s.pop3_port);
    let r = run(
        "curl",
        &[
            "-sS",
            "--ssl-reqd",
            "--cacert",
            &ca(),
            "-u",
            &login(&u),
            &url,
        ],
        None,
    );
    assert!(r.ok, "{}", r.all());
    assert_eq!(
        r.stdout.lines().filter(|l| !l.trim().is_empty()).count(),
        200
    );
}

#[test]
fn submission_starttls_with_auth_delivers() {
    let s = servers();
    let from = user("subfrom");
    let to = user("subto");
    let data = message_for(&to, "via submission");
    let r = submit(
        s.submission_port,
        Secure::Starttls,
        Some(("PLAIN", &from.email, &from.password)),
        &from.email,
        &to.email,
        Some(&data),
    );
    assert!(r.ok, "{}", r.all());
    assert_eq!(s.wait_for_messages(&to.email, "INBOX", 1, WAIT).unwrap(), 1);
    let r = run(
        "curl",
        &[
            "-sS",
            "--cacert",
            &ca(),
            "-u",
            &login(&to),
            &imaps_url("INBOX;UID=1"),
        ],
        None,
    );
    assert!(r.ok, "{}", r.all());
    assert!(
        r.stdout.contains("Subject: via submission\r\n"),
        "{}",
        r.stdout
    );
}

#[test]
fn submissions_implicit_tls_with_auth_delivers() {
    let s = servers();
    let from = user("subsfrom");
    let to = user("substo");
    let data = message_for(&to, "via submissions");
    let r = submit(
        s.submissions_port,
        Secure::OnConnect,
        Some(("LOGIN", &from.email, &from.password)),
        &from.email,
        &to.email,
        Some(&data),
    );
    assert!(r.ok, "{}", r.all());
    assert_eq!(s.wait_for_messages(&to.email, "INBOX", 1, WAIT).unwrap(), 1);
}

#[test]
fn submission_refuses_without_auth_or_with_a_wrong_password() {
    let s = servers();
    let from = user("noauth");
    let to = user("noauthto");
    for port in [s.submission_port, s.submissions_port] {
        let secure = if port == s.submission_port {
            Secure::Starttls
        } else {
            Secure::OnConnect
        };
        let r = submit(port, secure, None, &from.email, &to.email, None);
        assert!(!r.ok, "port {port} accepted mail without AUTH: {}", r.all());
        assert!(r.all().contains("554"), "{}", r.all());
        let r = submit(
            port,
            secure,
            Some(("PLAIN", &from.email, "wrong")),
            &from.email,
            &to.email,
            None,
        );
        assert!(!r.ok, "port {port} accepted a wrong password: {}", r.all());
        assert!(r.all().contains("535"), "{}", r.all());
    }
    // AUTH is not even offered before STARTTLS.
    let r = submit(
        s.submission_port,
        Secure::None,
        Some(("PLAIN", &from.email, &from.password)),
        &from.email,
        &to.email,
        None,
    );
    assert!(!r.ok, "{}", r.all());
    assert_eq!(s.message_count(&to.email, "INBOX").unwrap(), 0);
}

#[test]
fn relaying_elsewhere_is_refused() {
    let s = servers();
    let from = user("relay");
    // Inbound port, no AUTH.
    let r = submit(
        s.smtp_port,
        Secure::None,
        None,
        "someone@example.com",
        "victim@example.org",
        None,
    );
    assert!(!r.ok, "{}", r.all());
    assert!(r.all().contains("Relay access denied"), "{}", r.all());
    // Even with AUTH: nothing leaves this machine.
    let r = submit(
        s.submission_port,
        Secure::Starttls,
        Some(("PLAIN", &from.email, &from.password)),
        &from.email,
        "victim@example.org",
        None,
    );
    assert!(!r.ok, "{}", r.all());
    let all = r.all();
    assert!(
        all.contains("5.7.1")
            && (all.contains("Relay access denied") || all.contains("other domains")),
        "{all}"
    );
}

#[test]
fn inbound_smtp_accepts_users_only() {
    let s = servers();
    let to = user("inbound");
    let raw = message_for(&to, "from outside");
    s.send_smtp_plain("someone@example.com", &to.email, raw.as_bytes())
        .unwrap();
    assert_eq!(s.wait_for_messages(&to.email, "INBOX", 1, WAIT).unwrap(), 1);
    let err = s
        .send_smtp_plain(
            "someone@example.com",
            &s.email("nobody-here"),
            raw.as_bytes(),
        )
        .unwrap_err();
    assert!(format!("{err:#}").contains("550"), "{err:#}");
}

#[test]
fn users_are_unique_and_usable_at_once() {
    let s = servers();
    let users: Vec<TestUser> = (0..5).map(|_| user("Same Prefix!")).collect();
    for (i, a) in users.iter().enumerate() {
        assert!(a.email.starts_with("sameprefix-"), "{}", a.email);
        assert!(a.email.ends_with("@petrel.test"));
        for b in &users[i + 1..] {
            assert_ne!(a.email, b.email);
        }
    }
    // Each can log in immediately.
    for u in &users {
        imaps(u, "", "NOOP");
    }
    // add_user is idempotent and can change the password.
    let u = &users[0];
    let again = s.add_user(&u.email, &u.password).unwrap();
    assert_eq!(&again, u);
}

#[test]
fn deliver_to_a_new_folder_with_non_ascii_content() {
    let s = servers();
    let u = user("folder");
    let raw = corpus::simple(
        "Grüße aus München — 会議",
        "Jürgen Müller <juergen@example.org>",
        &u.email,
        "Ünïcödé body\nsecond line\n.\n",
    );
    s.deliver_raw(&u.email, "Projects/Petrel", &raw).unwrap();
    s.deliver_raw(&u.email, "Projects/Petrel", &raw).unwrap();
    assert_eq!(s.message_count(&u.email, "Projects/Petrel").unwrap(), 2);
    let out = imaps(&u, "Projects/Petrel", "EXAMINE \"Projects/Petrel\"");
    assert!(out.contains("* 2 EXISTS"), "{out}");
    let r = run(
        "curl",
        &[
            "-sS",
            "--cacert",
            &ca(),
            "-u",
            &login(&u),
            &imaps_url("Projects/Petrel;UID=1"),
        ],
        None,
    );
    assert!(r.ok, "{}", r.all());
    assert_eq!(r.stdout.as_bytes(), raw.as_slice());
}
