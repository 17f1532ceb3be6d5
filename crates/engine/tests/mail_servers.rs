//! The engine against real Dovecot and Postfix on loopback (started by petrel-testkit), with
//! TLS verified against the test CA — trusted the way a user's system would trust it.

use petrel_engine::engine::server;
use petrel_engine::model::{
    ComposeMode, EngineEvent, ErrorKind, IncomingProtocol, NewAccount, OutgoingMessage, Security,
};
use petrel_engine::secrets::Secrets;
use petrel_engine::Engine;
use petrel_testkit::{corpus, Servers, TestUser};

struct Setup {
    servers: &'static Servers,
    _dir: tempfile::TempDir,
    engine: Engine,
}

fn setup() -> Setup {
    let servers = Servers::shared().expect("test mail servers");
    // Trust the test CA the way a user's system would: through the system bundle variable.
    std::env::set_var("SSL_CERT_FILE", &servers.ca_file);
    let dir = tempfile::tempdir().expect("temp dir");
    let secrets = Secrets::file(dir.path().join("secrets.json"));
    let engine = Engine::open(dir.path(), secrets).expect("engine");
    Setup {
        servers,
        _dir: dir,
        engine,
    }
}

fn account(s: &Servers, user: &TestUser, imap: Security, smtp: Security) -> NewAccount {
    let imap_port = match imap {
        Security::Tls => s.imaps_port,
        _ => s.imap_port,
    };
    let smtp_port = match smtp {
        Security::Tls => s.submissions_port,
        _ => s.submission_port,
    };
    NewAccount {
        display_name: "Test User".into(),
        email: user.email.clone(),
        password: user.password.clone(),
        protocol: IncomingProtocol::Imap,
        pop3: None,
        incoming: server(&s.host, Some(imap_port), imap, &user.email, true),
        smtp: server(&s.host, Some(smtp_port), smtp, &user.email, false),
    }
}

/// A fresh user with `n` corpus messages in the INBOX, added as an account (tested logins).
async fn account_with_mail(
    t: &Setup,
    prefix: &str,
    n: usize,
    seed: u64,
    security: Security,
) -> (TestUser, petrel_engine::model::Account) {
    let user = t.servers.new_user(prefix).unwrap();
    t.servers
        .fill_mailbox(
            &user.email,
            "INBOX",
            &corpus::generate(n, seed, &t.servers.domain),
        )
        .unwrap();
    let account = t
        .engine
        .add_account(account(t.servers, &user, security, security))
        .await
        .unwrap();
    (user, account)
}

async fn wait_for<T>(mut f: impl AsyncFnMut() -> Option<T>, what: &str) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_account_sync_read_reply_over_implicit_tls() {
    let t = setup();
    let user = t.servers.new_user("slice").unwrap();
    let mut msgs = corpus::generate(40, 7, &t.servers.domain);
    msgs.push(corpus::simple(
        "Known subject for the slice test",
        "Sender Person <sender@petrel.test>",
        &user.email,
        "Hello from the test.\r\nSecond line.\r\n",
    ));
    t.servers.fill_mailbox(&user.email, "INBOX", &msgs).unwrap();

    let account = t
        .engine
        .add_account(account(t.servers, &user, Security::Tls, Security::Tls))
        .await
        .unwrap();
    let report = t.engine.sync_account(account.id).await.unwrap();
    assert_eq!(report.new_messages, 41);

    let folders = t.engine.folders(account.id).unwrap();
    let inbox = folders.iter().find(|f| f.path == "INBOX").unwrap();
    assert_eq!(inbox.total, 41);
    for role in ["sent", "drafts", "trash", "junk", "archive"] {
        assert!(
            folders
                .iter()
                .any(|f| f.role.map(|r| r.as_str()) == Some(role)),
            "no {role} folder in {folders:?}"
        );
    }

    let page = t.engine.messages(inbox.id, 0, 100).unwrap();
    assert_eq!(page.items.len(), 41);
    let dates: Vec<i64> = page.items.iter().map(|m| m.date).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let known = page
        .items
        .iter()
        .find(|m| m.subject == "Known subject for the slice test")
        .unwrap();
    let view = t.engine.message(known.id).await.unwrap();
    assert!(view.text.contains("Hello from the test."));
    assert_eq!(
        view.summary.from.as_ref().unwrap().email,
        "sender@petrel.test"
    );

    // Reply to ourselves so the reply can be checked in the same mailbox.
    let mut draft = t
        .engine
        .compose_from(known.id, ComposeMode::Reply)
        .await
        .unwrap();
    assert_eq!(draft.subject, "Re: Known subject for the slice test");
    assert!(draft.body.contains("> Hello from the test."));
    draft.to = user.email.clone();
    t.engine
        .send_now(OutgoingMessage {
            account_id: account.id,
            to: draft.to,
            cc: String::new(),
            subject: draft.subject,
            body: format!("My answer.\n{}", draft.body),
            in_reply_to: draft.in_reply_to,
            ..OutgoingMessage::default()
        })
        .await
        .unwrap();

    let mut events = t.engine.subscribe();
    let reply = wait_for(
        async || {
            t.engine.sync_account(account.id).await.ok()?;
            t.engine
                .messages(inbox.id, 0, 100)
                .ok()?
                .items
                .into_iter()
                .find(|m| m.subject == "Re: Known subject for the slice test")
        },
        "the reply in the INBOX",
    )
    .await;
    let mut saw_new_mail = false;
    while let Ok(e) = events.try_recv() {
        if let EngineEvent::NewMail { messages, .. } = e {
            saw_new_mail |= messages.iter().any(|m| m.id == reply.id);
        }
    }
    assert!(saw_new_mail, "a NewMail event for the reply");
    let raw = t.engine.store().raw_body(reply.id).unwrap().unwrap();
    let raw = String::from_utf8_lossy(&raw);
    assert!(raw.contains("In-Reply-To: <"), "{raw}");
    assert!(
        raw.contains(&format!("@{}>", t.servers.domain)),
        "Message-ID on our domain: {raw}"
    );

    // A copy went to Sent.
    t.engine.sync_account(account.id).await.unwrap();
    let sent = folders
        .iter()
        .find(|f| f.role.map(|r| r.as_str()) == Some("sent"))
        .unwrap();
    let sent_page = t.engine.messages(sent.id, 0, 10).unwrap();
    assert!(sent_page
        .items
        .iter()
        .any(|m| m.subject.starts_with("Re: Known subject")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_on_both_sides() {
    let t = setup();
    let (user, account) = account_with_mail(&t, "starttls", 5, 1, Security::Starttls).await;
    let report = t.engine.sync_account(account.id).await.unwrap();
    assert_eq!(report.new_messages, 5);
    t.engine
        .send_now(OutgoingMessage {
            account_id: account.id,
            to: user.email.clone(),
            cc: String::new(),
            subject: "Über STARTTLS — grüße".into(),
            body: "Ünïcödé body\n".into(),
            in_reply_to: None,
            ..OutgoingMessage::default()
        })
        .await
        .unwrap();
    let inbox = t
        .engine
        .folders(account.id)
        .unwrap()
        .into_iter()
        .find(|f| f.path == "INBOX")
        .unwrap();
    wait_for(
        async || {
            t.engine.sync_account(account.id).await.ok()?;
            t.engine
                .messages(inbox.id, 0, 50)
                .ok()?
                .items
                .into_iter()
                .find(|m| m.subject == "Über STARTTLS — grüße")
        },
        "the STARTTLS message",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_explained_and_nothing_is_saved() {
    let t = setup();
    let user = t.servers.new_user("wrongpw").unwrap();
    let mut new = account(t.servers, &user, Security::Tls, Security::Tls);
    new.password = "not-the-password".into();
    let err = t.engine.add_account(new).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AuthFailed, "{err}");
    assert!(
        err.summary().contains("user name or password"),
        "{}",
        err.summary()
    );
    assert!(t.engine.accounts().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_host_and_closed_port_are_explained() {
    let t = setup();
    let user = t.servers.new_user("nohost").unwrap();
    let mut new = account(t.servers, &user, Security::Tls, Security::Tls);
    new.incoming.host = "no-such-host.invalid".into();
    let err = t.engine.add_account(new).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HostNotFound, "{err}");

    let mut new = account(t.servers, &user, Security::Tls, Security::Tls);
    new.incoming.port = 1; // nothing listens there
    let err = t.engine.add_account(new).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn implicit_tls_against_a_plain_port_fails_cleanly() {
    let t = setup();
    let user = t.servers.new_user("tlsplain").unwrap();
    let mut new = account(t.servers, &user, Security::Tls, Security::Tls);
    new.incoming.port = t.servers.imap_port; // plain IMAP port, but we ask for TLS
    let err = t.engine.add_account(new).await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Tls | ErrorKind::Timeout),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_password_is_never_in_the_database() {
    let t = setup();
    let user = t.servers.new_user("nopwdb").unwrap();
    let password = user.password.clone();
    let account = t
        .engine
        .add_account(account(t.servers, &user, Security::Tls, Security::Tls))
        .await
        .unwrap();
    t.engine.sync_account(account.id).await.unwrap();
    let db = t.engine.store().path().to_path_buf();
    for path in [db.clone(), db.with_extension("sqlite3-wal")] {
        if let Ok(bytes) = std::fs::read(&path) {
            assert!(
                !bytes
                    .windows(password.len())
                    .any(|w| w == password.as_bytes()),
                "the password is in {}",
                path.display()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_changes_reach_the_store() {
    let t = setup();
    let (user, account) = account_with_mail(&t, "changes", 10, 3, Security::Tls).await;
    t.engine.sync_account(account.id).await.unwrap();
    let inbox = t
        .engine
        .folders(account.id)
        .unwrap()
        .into_iter()
        .find(|f| f.path == "INBOX")
        .unwrap();
    assert_eq!(inbox.total, 10);

    // New mail arrives; a second sync picks up only that.
    t.servers
        .fill_mailbox(
            &user.email,
            "INBOX",
            &[corpus::simple(
                "Arrived later",
                "a@petrel.test",
                &user.email,
                "later\r\n",
            )],
        )
        .unwrap();
    let report = t.engine.sync_account(account.id).await.unwrap();
    assert_eq!(report.new_messages, 1);
    let inbox = t.engine.store().folder(inbox.id).unwrap();
    assert_eq!(inbox.total, 11);
}
