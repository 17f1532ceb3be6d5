//! Composing from mail against the real Postfix → Dovecot: reply all on a message delivered to
//! several recipients, forwards (inline with the original's attachments, and as an attachment,
//! the original byte for byte), `\Answered` and `$Forwarded` on the server after sending,
//! address suggestions after a sync and after sending, and one outbox sender per data folder.

mod common;

use std::time::{Duration, Instant};

use common::{open_engine, setup, Setup};
use mail_parser::MimeHeaders;
use petrel_engine::model::{ComposeMode, OutgoingMessage};
use petrel_engine::{Error, SyncConfig};
use petrel_testkit::TestUser;

/// A message from `from` to `to` (and `cc`) with a PDF attached, as another mail program sends it.
fn raw_message(from: &str, to: &str, cc: &str, subject: &str, id: &str) -> Vec<u8> {
    format!(
        "From: Ann Archer <{from}>\r\nTo: {to}\r\nCc: {cc}\r\nSubject: {subject}\r\n\
Date: Tue, 01 Jul 2025 10:00:00 +0200\r\nMessage-ID: <{id}>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
Shall we meet on Friday?\r\n> an older quote\r\n\r\nAnn\r\n\
--b1\r\nContent-Type: application/pdf; name=\"agenda.pdf\"\r\n\
Content-Disposition: attachment; filename=\"agenda.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
JVBERi0xLjQKJcOkw7zDtsOfCjEgMCBvYmoKPDwvVHlwZS9DYXRhbG9nPj4KZW5kb2JqCg==\r\n\
--b1--\r\n"
    )
    .into_bytes()
}

/// Delivers `raw` through Postfix's inbound port to `user`, and waits until it is there.
fn deliver(t: &Setup, from: &str, user: &TestUser, raw: &[u8], now_there: u32) {
    t.servers
        .send_smtp_plain(from, &user.email, raw)
        .expect("smtp");
    t.servers
        .wait_for_messages(&user.email, "INBOX", now_there, Duration::from_secs(20))
        .expect("delivered");
}

/// Syncs until the INBOX has a message with this subject; its id.
async fn find(t: &Setup, subject: &str) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        t.engine.sync_account(t.account.id).await.expect("sync");
        let inbox = t
            .engine
            .folders(t.account.id)
            .expect("folders")
            .into_iter()
            .find(|f| f.path == "INBOX")
            .expect("INBOX");
        if let Some(m) = t
            .engine
            .messages(inbox.id, 0, 100)
            .expect("list")
            .items
            .into_iter()
            .find(|m| m.subject == subject)
        {
            return m.id;
        }
        assert!(Instant::now() < deadline, "“{subject}” never arrived");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A message from `ann` to the user alone, delivered and synced: its id.
async fn receive_from(t: &Setup, ann: &TestUser, subject: &str, message_id: &str) -> i64 {
    let raw = raw_message(&ann.email, &t.user.email, "", subject, message_id);
    deliver(t, &ann.email, &t.user, &raw, 1);
    find(t, subject).await
}

/// Receives a message from a new user `sender`, forwards it back to them in `mode` and waits
/// for it: the original's id and the forward as it arrived (`doveadm fetch` text, LF line
/// ends).
async fn forward_back(
    t: &Setup,
    sender: &str,
    subject: &str,
    message_id: &str,
    mode: ComposeMode,
) -> (i64, String) {
    let ann = t.servers.new_user(sender).expect("user");
    let id = receive_from(t, &ann, subject, message_id).await;
    let fwd = t.engine.compose_from(id, mode).await.expect("forward");
    t.engine
        .send_now(OutgoingMessage {
            to: ann.email.clone(),
            ..fwd
        })
        .await
        .expect("send");
    t.servers
        .wait_for_messages(&ann.email, "INBOX", 1, Duration::from_secs(20))
        .expect("arrives");
    let received = t
        .servers
        .doveadm(&["fetch", "-u", &ann.email, "text", "mailbox", "INBOX", "all"])
        .expect("doveadm");
    let received = received
        .strip_prefix("text:\n")
        .map(str::to_owned)
        .unwrap_or(received);
    (id, received)
}

/// The server's flags of a stored message, from `doveadm fetch`.
fn server_flags(t: &Setup, message_id: i64) -> String {
    let loc = t
        .engine
        .store()
        .message_location(message_id)
        .expect("location");
    t.servers
        .doveadm(&[
            "fetch",
            "-u",
            &t.user.email,
            "flags",
            "mailbox",
            &loc.folder_path,
            "uid",
            &loc.uid.to_string(),
        ])
        .expect("doveadm")
}

fn emails(list: &[petrel_engine::model::Address]) -> Vec<String> {
    list.iter().map(|a| a.email.to_lowercase()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reply_all_leaves_out_the_user_and_marks_the_original_answered() {
    let t = setup("crall", "Bea Brown", 0).await;
    let ann = t.servers.new_user("crann").expect("user");
    let cy = t.servers.new_user("crcy").expect("user");
    let dee = t.servers.new_user("crdee").expect("user");
    // To: the user and Cy; Cc: Dee and the user again, spelt in capitals.
    let raw = raw_message(
        &ann.email,
        &format!("Bea Brown <{}>, Cy Cole <{}>", t.user.email, cy.email),
        &format!("{}, <{}>", dee.email, t.user.email.to_uppercase()),
        "Plans for Friday",
        "plans-1@petrel.test",
    );
    deliver(&t, &ann.email, &t.user, &raw, 1);
    let id = find(&t, "Plans for Friday").await;

    let all = t
        .engine
        .compose_from(id, ComposeMode::ReplyAll)
        .await
        .expect("reply all");
    assert_eq!(
        all.to,
        format!("Ann Archer <{}>, Cy Cole <{}>", ann.email, cy.email)
    );
    assert_eq!(all.cc, dee.email);
    assert_eq!(all.subject, "Re: Plans for Friday");
    assert_eq!(all.in_reply_to, Some(id));
    let default = t.engine.identities(t.account.id).expect("identities")[0].id;
    assert_eq!(all.identity_id, Some(default), "addressed to the account");
    assert!(all
        .body
        .contains("Ann Archer wrote:\n> Shall we meet on Friday?\n>> an older quote"));
    let one = t
        .engine
        .compose_from(id, ComposeMode::Reply)
        .await
        .expect("reply");
    assert_eq!(one.to, format!("Ann Archer <{}>", ann.email));
    assert!(one.cc.is_empty());

    // Suggestions after the sync: Ann wrote; the user's own address is never offered.
    t.engine.collect_contacts().await.expect("collect");
    assert_eq!(
        emails(&t.engine.suggest_addresses("ann arch", 5).expect("suggest")),
        vec![ann.email.to_lowercase()]
    );
    assert!(t
        .engine
        .suggest_addresses(&t.user.email, 5)
        .expect("suggest")
        .is_empty());

    // Sent: everyone gets it; the original is answered here and on the server.
    t.engine
        .send_now(OutgoingMessage {
            body: format!("Friday is fine.\n{}", all.body),
            ..all
        })
        .await
        .expect("send");
    for user in [&ann, &cy, &dee] {
        t.servers
            .wait_for_messages(&user.email, "INBOX", 1, Duration::from_secs(20))
            .expect("the reply arrives");
    }
    let summary = &t.engine.store().message_summaries(&[id]).expect("store")[0];
    assert!(summary.answered, "marked answered at once");
    t.engine.replay(t.account.id).await.expect("replay");
    let flags = server_flags(&t, id);
    assert!(flags.contains("\\Answered"), "{flags}");

    // Suggestions after sending (and after the Sent copy is synced: not counted twice): Ann
    // wrote and was written to, Cy and Dee were written to.
    t.engine.sync_account(t.account.id).await.expect("sync");
    t.engine.collect_contacts().await.expect("collect");
    let found = emails(&t.engine.suggest_addresses("cr", 10).expect("suggest"));
    let mut others = vec![cy.email.to_lowercase(), dee.email.to_lowercase()];
    others.sort();
    assert_eq!(found, [vec![ann.email.to_lowercase()], others].concat());
    let counts = |u: &TestUser| t.engine.store().contact_counts(&u.email).expect("counts");
    assert_eq!(counts(&cy), Some((1, 0)));
    assert_eq!(counts(&ann), Some((1, 1)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwards_carry_the_original_and_mark_it_forwarded() {
    let t = setup("crfwd", "Bea Brown", 0).await;
    let ann = t.servers.new_user("crfann").expect("user");
    let id = receive_from(&t, &ann, "Agenda: Q3", "agenda-1@petrel.test").await;

    // Inline: the forwarded block and the PDF, decoded.
    let inline = t
        .engine
        .compose_from(id, ComposeMode::Forward)
        .await
        .expect("forward");
    assert_eq!(inline.subject, "Fwd: Agenda: Q3");
    assert_eq!(inline.forwarded, Some(id));
    assert!(inline
        .body
        .contains("-------- Forwarded Message --------\nSubject: Agenda: Q3\n"));
    assert!(inline
        .body
        .contains(&format!("From: Ann Archer <{}>\n", ann.email)));
    assert!(inline.body.contains("Shall we meet on Friday?"));
    assert_eq!(inline.attachments.len(), 1);
    let pdf = &inline.attachments[0];
    assert_eq!(
        (pdf.name.as_str(), pdf.mime_type.as_str()),
        ("agenda.pdf", "application/pdf")
    );
    let data = t
        .engine
        .store()
        .staged_attachment_data(pdf.id)
        .expect("staged");
    assert!(data.starts_with(b"%PDF-1.4"), "{data:?}");

    // As an attachment: the whole original, byte for byte (downloaded when first opened
    // above: older than the prefetch window).
    let stored = t.engine.store().raw_body(id).expect("store").expect("body");
    let attached = t
        .engine
        .compose_from(id, ComposeMode::ForwardAsAttachment)
        .await
        .expect("forward as attachment");
    assert_eq!(attached.attachments.len(), 1);
    let eml = &attached.attachments[0];
    assert_eq!(
        (eml.name.as_str(), eml.mime_type.as_str()),
        ("Agenda_ Q3.eml", "message/rfc822")
    );
    let staged = t
        .engine
        .store()
        .staged_attachment_data(eml.id)
        .expect("staged");
    assert_eq!(staged, stored, "the original byte for byte");
    assert!(staged
        .windows(24)
        .any(|w| w == b"agenda-1@petrel.test>\r\nM"));

    // Sent: the original gets $Forwarded, here and on the server.
    t.engine
        .send_now(OutgoingMessage {
            to: ann.email.clone(),
            ..attached
        })
        .await
        .expect("send");
    t.engine.replay(t.account.id).await.expect("replay");
    let flags = server_flags(&t, id);
    assert!(flags.contains("$Forwarded"), "{flags}");
}

/// Sent and received: the attachment decodes to the original byte for byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_as_attachment_arrives_byte_for_byte() {
    let t = setup("crfwa", "Bea Brown", 0).await;
    let (id, received) = forward_back(
        &t,
        "crfaann",
        "Minutes",
        "minutes-1@petrel.test",
        ComposeMode::ForwardAsAttachment,
    )
    .await;
    let stored = t.engine.store().raw_body(id).expect("store").expect("body");
    let message = mail_parser::MessageParser::default()
        .parse(received.as_bytes())
        .expect("a message");
    let part = message
        .attachments()
        .find(|p| {
            p.content_type()
                .is_some_and(|ct| ct.ctype() == "message" && ct.subtype() == Some("rfc822"))
        })
        .expect("a message/rfc822 attachment");
    // Attached as it is (RFC 2046 §5.2.1: 7bit or 8bit, never base64), so any reader sees it.
    assert!(
        !part
            .content_transfer_encoding()
            .is_some_and(|cte| cte.eq_ignore_ascii_case("base64")),
        "{received}"
    );
    let inner = part.message().expect("a readable message");
    // doveadm prints line ends as LF; the message itself travelled with CRLF.
    let lf = |b: &[u8]| String::from_utf8_lossy(b).replace("\r\n", "\n");
    assert_eq!(
        lf(inner.raw_message()).trim_end(),
        lf(&stored).trim_end(),
        "the original, byte for byte, in: {received}"
    );
}

/// Sent and received: the forwarded block and the original's PDF.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_inline_arrives_with_the_attachments() {
    let t = setup("crfwi", "Bea Brown", 0).await;
    let (_, received) = forward_back(
        &t,
        "crfiann",
        "Slides",
        "slides-1@petrel.test",
        ComposeMode::Forward,
    )
    .await;
    let message = mail_parser::MessageParser::default()
        .parse(received.as_bytes())
        .expect("a message");
    assert!(message
        .body_text(0)
        .is_some_and(|t| t.contains("-------- Forwarded Message --------")));
    let pdf = message
        .attachments()
        .find(|p| p.attachment_name() == Some("agenda.pdf"))
        .expect("the PDF");
    assert!(pdf.contents().starts_with(b"%PDF-1.4"), "{received}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_sender_per_data_folder() {
    let t = setup("crlock", "Bea Brown", 0).await;
    let to = t.servers.new_user("crlockto").expect("user");
    let clocks = SyncConfig {
        poll_every: Duration::from_secs(1),
        backoff_first: Duration::from_millis(200),
        backoff_max: Duration::from_secs(1),
        ..SyncConfig::default()
    };
    // The first engine (the app) sends; a second one on the same folder (the CLI) does not.
    let background = t.engine.start_background_with(clocks.clone()).expect("bg");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !t.engine.sends_outbox() {
        assert!(
            Instant::now() < deadline,
            "the app never took the sender lock"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let other = open_engine(t.dir.path());
    assert!(!other.sends_outbox());
    let other_background = other.start_background_with(clocks).expect("bg");
    let sent = other
        .send_now(OutgoingMessage {
            account_id: t.account.id,
            to: to.email.clone(),
            subject: "Queued by the command line".into(),
            body: "hello".into(),
            ..OutgoingMessage::default()
        })
        .await;
    assert!(matches!(sent, Err(Error::SentElsewhere)), "{sent:?}");
    // The app sends it, once.
    t.servers
        .wait_for_messages(&to.email, "INBOX", 1, Duration::from_secs(30))
        .expect("sent by the app");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        t.servers.message_count(&to.email, "INBOX").expect("count"),
        1
    );
    other_background.shutdown().await;
    background.shutdown().await;
}

/// A POP3 account's mail is local: the reply marks the original answered here (nothing queued
/// for a server), the forward `$Forwarded` (stored), and the correspondents are suggested.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pop3_originals_are_marked_locally() {
    use petrel_engine::model::{Pop3Settings, Security};

    let s = common::servers();
    let user = s.new_user("crpop").expect("user");
    let ann = s.new_user("crpann").expect("user");
    let raw = raw_message(
        &ann.email,
        &user.email,
        "",
        "Local plans",
        "local-1@petrel.test",
    );
    s.send_smtp_plain(&ann.email, &user.email, &raw)
        .expect("smtp");
    s.wait_for_messages(&user.email, "INBOX", 1, Duration::from_secs(20))
        .expect("delivered");
    let dir = tempfile::tempdir().expect("dir");
    let engine = open_engine(dir.path());
    let account = engine
        .add_account(common::pop3_account(
            s,
            &user,
            Security::Tls,
            Pop3Settings::default(),
        ))
        .await
        .expect("account");
    engine.sync_account(account.id).await.expect("check");
    let inbox = engine
        .folders(account.id)
        .expect("folders")
        .into_iter()
        .find(|f| f.path == "INBOX" || f.name == "Inbox")
        .expect("Inbox");
    let id = engine.messages(inbox.id, 0, 10).expect("list").items[0].id;
    let reply = engine
        .compose_from(id, ComposeMode::Reply)
        .await
        .expect("reply");
    assert_eq!(reply.to, format!("Ann Archer <{}>", ann.email));
    engine.send_now(reply).await.expect("send");
    let forward = engine
        .compose_from(id, ComposeMode::ForwardAsAttachment)
        .await
        .expect("forward");
    engine
        .send_now(OutgoingMessage {
            to: ann.email.clone(),
            ..forward
        })
        .await
        .expect("send");
    let summary = &engine.store().message_summaries(&[id]).expect("store")[0];
    assert!(summary.answered);
    assert_eq!(engine.store().pending_count(account.id).expect("store"), 0);
    engine.collect_contacts().await.expect("collect");
    assert_eq!(
        emails(&engine.suggest_addresses("crpann", 5).expect("suggest")),
        vec![ann.email.to_lowercase()]
    );
}
