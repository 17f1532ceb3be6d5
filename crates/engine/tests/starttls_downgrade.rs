//! A server that stops offering STARTTLS (as an attacker in the middle would make it look) is an
//! error, never a reason to continue unencrypted. The servers here are small real TCP servers on
//! loopback that speak just enough IMAP and SMTP to refuse STARTTLS; no password may reach them.

use std::sync::{Arc, Mutex};

use petrel_engine::engine::server;
use petrel_engine::model::{ErrorKind, IncomingProtocol, NewAccount, Security};
use petrel_engine::secrets::Secrets;
use petrel_engine::Engine;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// Serves one protocol: `greeting`, then answers each line with `answer(line)`; records lines.
async fn serve(
    greeting: &'static str,
    answer: fn(&str) -> Option<String>,
) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut r = BufReader::new(r);
                if w.write_all(greeting.as_bytes()).await.is_err() {
                    return;
                }
                let mut line = String::new();
                while r.read_line(&mut line).await.map(|n| n > 0).unwrap_or(false) {
                    log.lock().expect("log").push(line.trim_end().to_string());
                    match answer(line.trim_end()) {
                        Some(reply) => {
                            if w.write_all(reply.as_bytes()).await.is_err() {
                                return;
                            }
                        }
                        None => return,
                    }
                    line.clear();
                }
            });
        }
    });
    (port, seen)
}

fn imap_without_starttls(line: &str) -> Option<String> {
    let (tag, rest) = line.split_once(' ')?;
    let cmd = rest.to_ascii_uppercase();
    if cmd.starts_with("STARTTLS") {
        Some(format!("{tag} BAD STARTTLS is not available\r\n"))
    } else if cmd.starts_with("CAPABILITY") {
        Some(format!(
            "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK done\r\n"
        ))
    } else if cmd.starts_with("LOGOUT") {
        Some(format!("* BYE\r\n{tag} OK bye\r\n"))
    } else {
        Some(format!("{tag} NO not here\r\n"))
    }
}

fn smtp_without_starttls(line: &str) -> Option<String> {
    let cmd = line.to_ascii_uppercase();
    if cmd.starts_with("EHLO") {
        Some("250-fake.invalid\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n".into())
    } else if cmd.starts_with("QUIT") {
        Some("221 bye\r\n".into())
    } else if cmd.starts_with("STARTTLS") {
        Some("502 not implemented\r\n".into())
    } else {
        Some("530 must issue STARTTLS first\r\n".into())
    }
}

fn account(imap_port: u16, smtp_port: u16) -> NewAccount {
    NewAccount {
        display_name: "Downgrade".into(),
        email: "victim@example.org".into(),
        password: "secret-that-must-not-leak".into(),
        protocol: IncomingProtocol::Imap,
        pop3: None,
        incoming: server(
            "localhost",
            Some(imap_port),
            Security::Starttls,
            "victim@example.org",
            true,
        ),
        smtp: server(
            "localhost",
            Some(smtp_port),
            Security::Starttls,
            "victim@example.org",
            false,
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_starttls_is_an_error_on_both_sides() {
    let (imap_port, imap_seen) = serve(
        "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake ready\r\n",
        imap_without_starttls,
    )
    .await;
    let (smtp_port, smtp_seen) = serve("220 fake.invalid ESMTP\r\n", smtp_without_starttls).await;
    // A real server for the other side, so each error is the one under test.
    let dir = tempfile::tempdir().expect("tmp");
    let engine =
        Engine::open(dir.path(), Secrets::file(dir.path().join("s.json"))).expect("engine");

    let err = engine
        .add_account(account(imap_port, smtp_port))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NoEncryption, "{err}");
    assert!(
        err.summary().contains("does not offer encryption"),
        "{}",
        err.summary()
    );

    // Each side on its own: SMTP (lettre, Tls::Required) refuses too.
    let smtp_err = petrel_engine::smtp::check_login(
        &petrel_engine::net::Tls::platform().expect("tls"),
        &account(imap_port, smtp_port).smtp,
        "secret-that-must-not-leak",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(smtp_err.kind(), ErrorKind::NoEncryption),
        "{smtp_err:?}"
    );

    for line in imap_seen
        .lock()
        .expect("log")
        .iter()
        .chain(smtp_seen.lock().expect("log").iter())
    {
        assert!(
            !line.contains("secret"),
            "the password went out in clear: {line}"
        );
        assert!(
            !line.to_ascii_uppercase().contains("LOGIN victim"),
            "{line}"
        );
        assert!(!line.to_ascii_uppercase().starts_with("AUTH"), "{line}");
    }
    assert!(engine.accounts().expect("accounts").is_empty());
}
