//! `petrel` as a user runs it, against the real test mail servers.

use std::io::Write;
use std::process::{Command, Stdio};

use petrel_testkit::{corpus, Servers};

fn petrel(
    data: &std::path::Path,
    servers: &Servers,
    args: &[&str],
    stdin: &str,
) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_petrel"))
        .args(args)
        .env("PETREL_DATA_DIR", data)
        .env("PETREL_SECRETS", "file")
        .env("SSL_CERT_FILE", &servers.ca_file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run petrel");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("petrel output");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn add_sync_list_show_send() {
    let servers = Servers::shared().expect("servers");
    let user = servers.new_user("cli").expect("user");
    let mut msgs = corpus::generate(12, 5, &servers.domain);
    msgs.push(corpus::simple(
        "CLI known subject",
        "x@petrel.test",
        &user.email,
        "Body for the CLI.\r\n",
    ));
    servers
        .fill_mailbox(&user.email, "INBOX", &msgs)
        .expect("fill");
    let data = tempfile::tempdir().expect("tmp");
    let d = data.path();

    let imaps = servers.imaps_port.to_string();
    let subs = servers.submissions_port.to_string();
    let (ok, out, err) = petrel(
        d,
        servers,
        &[
            "account",
            "add",
            "--email",
            &user.email,
            "--name",
            "CLI User",
            "--imap-host",
            &servers.host,
            "--imap-port",
            &imaps,
            "--smtp-host",
            &servers.host,
            "--smtp-port",
            &subs,
            "--password-stdin",
        ],
        &format!("{}\n", user.password),
    );
    assert!(ok, "account add failed: {out}{err}");
    assert!(out.contains("Added"), "{out}");

    let (ok, out, err) = petrel(d, servers, &["sync"], "");
    assert!(ok, "{out}{err}");
    assert!(out.contains("13 new messages"), "{out}");

    let (ok, out, err) = petrel(d, servers, &["list", "--limit", "100"], "");
    assert!(ok, "{out}{err}");
    let line = out
        .lines()
        .find(|l| l.contains("CLI known subject"))
        .unwrap_or_else(|| panic!("known subject missing from {out}"));
    let id = line.split('\t').next().expect("id column");

    let (ok, out, err) = petrel(d, servers, &["show", id], "");
    assert!(ok, "{out}{err}");
    assert!(out.contains("Body for the CLI."), "{out}");

    let (ok, out, err) = petrel(
        d,
        servers,
        &[
            "send",
            "--to",
            &user.email,
            "--subject",
            "Sent from the CLI",
        ],
        "Piped body\n",
    );
    assert!(ok, "{out}{err}");
    servers
        .wait_for_messages(&user.email, "INBOX", 14, std::time::Duration::from_secs(20))
        .expect("the sent message arrives");
    let (ok, out, err) = petrel(d, servers, &["outbox"], "");
    assert!(ok, "{out}{err}");
    assert!(out.contains("The outbox is empty."), "{out}");

    // A refused recipient: not sent, kept in the outbox with the server's reason, then deleted.
    let nobody = format!("nobody-cli@{}", servers.domain);
    let (ok, out, err) = petrel(
        d,
        servers,
        &[
            "send",
            "--to",
            &nobody,
            "--subject",
            "To nobody",
            "--body",
            "?",
        ],
        "",
    );
    assert!(!ok, "{out}{err}");
    assert!(err.contains("kept in the outbox"), "{err}");
    assert!(err.contains("Recipient address rejected"), "{err}");
    let (ok, out, err) = petrel(d, servers, &["outbox"], "");
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("refused") && out.contains("To nobody"),
        "{out}"
    );
    let id = out.split_whitespace().next().expect("an id").to_string();
    let (ok, out, err) = petrel(d, servers, &["outbox", "--retry", &id], "");
    assert!(
        !ok && err.contains("Recipient address rejected"),
        "{out}{err}"
    );
    let (ok, out, err) = petrel(d, servers, &["outbox", "--delete", &id], "");
    assert!(ok, "{out}{err}");
    let (_, out, _) = petrel(d, servers, &["outbox"], "");
    assert!(out.contains("The outbox is empty."), "{out}");

    // A wrong password is refused with plain words and saves nothing.
    let other = tempfile::tempdir().expect("tmp");
    let (ok, _, err) = petrel(
        other.path(),
        servers,
        &[
            "account",
            "add",
            "--email",
            &user.email,
            "--imap-host",
            &servers.host,
            "--imap-port",
            &imaps,
            "--smtp-host",
            &servers.host,
            "--smtp-port",
            &subs,
            "--password-stdin",
        ],
        "wrong\n",
    );
    assert!(!ok);
    assert!(
        err.contains("did not accept the user name or password"),
        "{err}"
    );
    let (ok, out, _) = petrel(other.path(), servers, &["account", "list"], "");
    assert!(ok && out.trim().is_empty(), "{out}");
}
