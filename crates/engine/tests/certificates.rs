//! A server whose certificate no trusted authority vouches for: Petrel refuses it, shows what
//! it is, and — only after the user trusts exactly that certificate — accepts it, on IMAP and on
//! SMTP (implicit TLS and STARTTLS). This binary runs WITHOUT the test CA in its trust store.

use petrel_engine::engine::server;
use petrel_engine::model::{ErrorKind, IncomingProtocol, NewAccount, OutgoingMessage, Security};
use petrel_engine::secrets::Secrets;
use petrel_engine::Engine;
use petrel_testkit::{corpus, Servers};

/// The server certificate's fingerprint as openssl computes it (independent of our code).
fn openssl_fingerprint(servers: &Servers) -> String {
    let out = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
        .arg(servers.dir.join("server.pem"))
        .output()
        .expect("openssl");
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .rsplit('=')
        .next()
        .expect("fingerprint")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untrusted_certificate_is_explained_then_pinned() {
    // The system trust store only: the test CA is unknown here.
    std::env::remove_var("SSL_CERT_FILE");
    let servers = Servers::shared().expect("servers");
    let user = servers.new_user("pin").expect("user");
    servers
        .fill_mailbox(
            &user.email,
            "INBOX",
            &corpus::generate(3, 9, &servers.domain),
        )
        .expect("fill");
    let dir = tempfile::tempdir().expect("tmp");
    let engine =
        Engine::open(dir.path(), Secrets::file(dir.path().join("s.json"))).expect("engine");
    let expected = openssl_fingerprint(servers);
    assert_eq!(expected.len(), 95, "{expected}");

    let new = |imap: Security, smtp: Security| NewAccount {
        display_name: "Pinned".into(),
        email: user.email.clone(),
        password: user.password.clone(),
        protocol: IncomingProtocol::Imap,
        pop3: None,
        incoming: server(
            &servers.host,
            Some(if imap == Security::Tls {
                servers.imaps_port
            } else {
                servers.imap_port
            }),
            imap,
            &user.email,
            true,
        ),
        smtp: server(
            &servers.host,
            Some(if smtp == Security::Tls {
                servers.submissions_port
            } else {
                servers.submission_port
            }),
            smtp,
            &user.email,
            false,
        ),
    };

    // Refused, with the certificate shown.
    let err = engine
        .add_account(new(Security::Tls, Security::Tls))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CertificateNotTrusted, "{err}");
    let shown = err.to_user().certificate.expect("certificate details");
    assert_eq!(shown.sha256, expected);
    assert_eq!(shown.host, "localhost");
    assert!(shown.issuer.contains("Petrel"), "issuer {}", shown.issuer);
    assert!(shown.reason.contains("no authority"), "{}", shown.reason);
    assert!(shown.not_after > shown.not_before);
    assert!(engine.accounts().unwrap().is_empty());

    // The outgoing side alone, through lettre, explains it the same way.
    let mut only_smtp = new(Security::Tls, Security::Starttls);
    only_smtp.incoming.trusted_cert = Some(expected.clone());
    let err = engine.add_account(only_smtp).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CertificateNotTrusted, "{err}");
    assert_eq!(
        err.to_user().certificate.expect("smtp certificate").sha256,
        expected
    );

    // A pin for some other certificate changes nothing.
    let mut wrong = new(Security::Tls, Security::Tls);
    wrong.incoming.trusted_cert = Some("00:".repeat(31) + "00");
    wrong.smtp.trusted_cert = wrong.incoming.trusted_cert.clone();
    let err = engine.add_account(wrong).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CertificateNotTrusted, "{err}");

    // Trusted explicitly, on both sides (IMAP STARTTLS + SMTP STARTTLS here).
    let mut pinned = new(Security::Starttls, Security::Starttls);
    pinned.incoming.trusted_cert = Some(expected.clone());
    pinned.smtp.trusted_cert = Some(expected.to_lowercase().replace(':', ""));
    let account = engine.add_account(pinned).await.expect("pinned account");
    let report = engine.sync_account(account.id).await.expect("sync");
    assert_eq!(report.new_messages, 3);
    engine
        .send_now(OutgoingMessage {
            account_id: account.id,
            to: user.email.clone(),
            cc: String::new(),
            subject: "Through a pinned certificate".into(),
            body: "hello\n".into(),
            in_reply_to: None,
            ..OutgoingMessage::default()
        })
        .await
        .expect("send over pinned STARTTLS");
    servers
        .wait_for_messages(&user.email, "INBOX", 4, std::time::Duration::from_secs(20))
        .expect("delivered");
    // The pin is stored with the account, so later connections use it too.
    let stored = engine.accounts().unwrap().remove(0);
    assert_eq!(
        stored.incoming.trusted_cert.as_deref(),
        Some(expected.as_str())
    );
}
