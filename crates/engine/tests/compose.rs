//! The composer's messages against the real Postfix → Dovecot: a rich message with a non-ASCII
//! attachment name, an inline image and a Bcc recipient arrives intact (attachment bytes equal;
//! the Bcc recipient has it, nobody sees the Bcc); a draft with attachments shows in the Drafts
//! list at once, is uploaded, and reopened gives every field back (attachments byte-equal) and
//! replaces its copy when saved again, also one saved by another program; undo gives the
//! attachments back after their staged copies are gone; the outgoing server's SIZE is read.

mod common;

use std::time::Duration;

use common::setup;
use mail_parser::{MessageParser, MimeHeaders};
use petrel_engine::model::{BodyPolicy, EngineEvent, FolderRole, OutgoingMessage};
use petrel_engine::store::NewOutgoing;
use petrel_engine::Engine;
use petrel_testkit::{Servers, TestUser};

/// The messages of a mailbox as the server has them (`doveadm fetch text`).
fn server_messages(s: &Servers, user: &TestUser, folder: &str) -> Vec<Vec<u8>> {
    let out = s
        .doveadm(&["fetch", "-u", &user.email, "text", "mailbox", folder])
        .expect("doveadm fetch");
    out.split("text:\n")
        .map(|m| m.trim_start_matches('\n'))
        .filter(|m| !m.trim().is_empty())
        .map(|m| m.as_bytes().to_vec())
        .collect()
}

fn pdf_bytes() -> Vec<u8> {
    let mut v = b"%PDF-1.4\r\n".to_vec();
    v.extend((0..20_000u32).map(|i| (i * 31 % 256) as u8));
    v
}

fn png_bytes() -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend((0..3000u32).map(|i| (i * 7 % 251) as u8));
    v
}

const PDF_NAME: &str = "Übersicht März – ünïcødé.pdf";

fn rich_message(t: &common::Setup, engine: &Engine, to: &str, bcc: &str) -> OutgoingMessage {
    let pdf = engine
        .stage_attachment(PDF_NAME, "", false, &pdf_bytes())
        .expect("stage pdf");
    assert_eq!(pdf.mime_type, "application/pdf", "guessed from the name");
    let png = engine
        .stage_attachment("bild.png", "image/png", true, &png_bytes())
        .expect("stage png");
    let cid = png
        .content_id
        .clone()
        .expect("an inline image has a content id");
    assert!(cid.ends_with("@petrel"), "{cid}");
    OutgoingMessage {
        account_id: t.account.id,
        to: to.into(),
        bcc: bcc.into(),
        subject: "Pläne für Freitag ✉".into(),
        body: "ignored".into(),
        html: Some(format!(
            "<p>Hallo <b>zusammen</b>,</p><blockquote type=\"cite\"><p>altes Zitat</p></blockquote>\
             <p><img src=\"cid:{cid}\" alt=\"Bild\"></p><script>alert(1)</script>"
        )),
        attachments: vec![pdf, png],
        ..OutgoingMessage::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rich_message_with_files_and_bcc_arrives_intact() {
    let t = setup("cmrich", "Zoë Composer", 0).await;
    let hidden = t.servers.new_user("cmbcc").expect("bcc user");
    let out = rich_message(&t, &t.engine, &t.user.email, &hidden.email);
    t.engine.send_now(out).await.expect("sent");

    for (who, user) in [("To", &t.user), ("Bcc", &hidden)] {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let raw = loop {
            if let Some(m) = server_messages(t.servers, user, "INBOX").pop() {
                break m;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{who}: nothing arrived"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let msg = MessageParser::default().parse(&raw).expect("parse");
        assert_eq!(msg.subject(), Some("Pläne für Freitag ✉"), "{who}");
        assert_eq!(
            msg.from().and_then(|f| f.first()).and_then(|a| a.name()),
            Some("Zoë Composer")
        );
        assert!(msg.bcc().is_none(), "{who}: no Bcc header");
        let text = String::from_utf8_lossy(&raw);
        assert!(
            !text
                .lines()
                .any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
            "{who}: {text}"
        );
        let files: Vec<_> = msg.attachments().collect();
        assert_eq!(files.len(), 2, "{who}");
        let png = files
            .iter()
            .find(|p| p.attachment_name() == Some("bild.png"))
            .expect("the image");
        assert_eq!(png.contents(), png_bytes().as_slice());
        assert!(png.content_id().is_some_and(|c| c.ends_with("@petrel")));
        let pdf = files
            .iter()
            .find(|p| p.attachment_name() == Some(PDF_NAME))
            .expect("the PDF by its non-ASCII name");
        assert_eq!(pdf.contents(), pdf_bytes().as_slice(), "{who}: PDF bytes");
        let html = msg.body_html(0).expect("html");
        assert!(html.contains("<blockquote type=\"cite\">"), "{html}");
        assert!(!html.contains("script"), "{html}");
        let plain = msg.body_text(0).expect("plain");
        assert!(plain.contains("Hallo zusammen,"), "{plain}");
        assert!(plain.contains("> altes Zitat"), "{plain}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_with_files_is_listed_at_once_and_reopens_whole() {
    let t = setup("cmdraft", "Draft Writer", 1).await;
    let parent = t.listed(FolderRole::Inbox, 1)[0].id;
    let drafts = t.folder_with_role(FolderRole::Drafts);
    let mut events = t.engine.subscribe();
    let mut out = rich_message(
        &t,
        &t.engine,
        "Bo Beispiel <bo@example.org>",
        "geheim@example.org",
    );
    out.cc = "Çé <ce@example.org>".into();
    out.in_reply_to = Some(parent);
    let id = t.engine.save_draft(None, &out).expect("save");

    // In the Drafts list at once, before any upload.
    let listed = t.engine.messages(drafts.id, 0, 10).unwrap();
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].subject, out.subject);
    let changed = std::iter::from_fn(|| events.try_recv().ok()).any(
        |e| matches!(e, EngineEvent::FolderChanged { folder_id, .. } if folder_id == drafts.id),
    );
    assert!(changed, "FolderChanged for Drafts");
    // A sync before the upload leaves it there.
    t.engine.sync_account(t.account.id).await.ok();
    // (the sync pass replays first; either way there is one entry)
    assert_eq!(t.engine.messages(drafts.id, 0, 10).unwrap().items.len(), 1);

    t.engine.replay(t.account.id).await.expect("replay");
    t.engine.sync_account(t.account.id).await.expect("sync");
    let listed = t.engine.messages(drafts.id, 0, 10).unwrap();
    assert_eq!(listed.items.len(), 1, "one entry: the server's copy");
    assert_eq!(server_messages(t.servers, &t.user, "Drafts").len(), 1);

    // Staged copies gone (a week later): the reopened draft has the files from the message.
    t.engine.store().drop_stale_staged(-3600).unwrap();
    let opened = t.engine.open_draft(listed.items[0].id).await.expect("open");
    assert_eq!(
        opened.draft_id,
        Some(id),
        "the same draft: the next save replaces it"
    );
    let m = &opened.message;
    assert_eq!(m.account_id, t.account.id);
    assert_eq!(m.to, "Bo Beispiel <bo@example.org>");
    assert_eq!(m.cc, "Çé <ce@example.org>");
    assert_eq!(m.bcc, "geheim@example.org", "Bcc from the draft's header");
    assert_eq!(m.subject, out.subject);
    assert_eq!(m.in_reply_to, Some(parent));
    let identities = t.engine.identities(t.account.id).unwrap();
    assert_eq!(m.identity_id, Some(identities[0].id));
    let html = m.html.as_deref().expect("rich");
    assert_eq!(
        html,
        petrel_engine::mime::build::sanitize_html(out.html.as_deref().unwrap())
    );
    assert!(m.body.contains("Hallo zusammen,"), "{}", m.body);
    assert_eq!(m.attachments.len(), 2);
    for (new, old) in [
        (&m.attachments[0], &out.attachments[1]),
        (&m.attachments[1], &out.attachments[0]),
    ] {
        assert_eq!(new.name, old.name);
        assert_eq!(new.mime_type, old.mime_type);
        assert_eq!(new.content_id, old.content_id);
        assert_eq!(new.size, old.size);
    }
    assert_eq!(
        t.engine
            .store()
            .staged_attachment_data(m.attachments[1].id)
            .unwrap(),
        pdf_bytes()
    );
    assert_eq!(
        t.engine
            .store()
            .staged_attachment_data(m.attachments[0].id)
            .unwrap(),
        png_bytes()
    );
    assert!(t
        .engine
        .staged_image_url(m.attachments[0].id)
        .unwrap()
        .starts_with("data:image/png;base64,iVBOR"));
    assert!(
        t.engine.staged_image_url(m.attachments[1].id).is_err(),
        "not an image"
    );

    // Saved again from the reopened fields: still one copy, the new one.
    let mut again = opened.message.clone();
    again.subject = "Pläne, zweite Fassung".into();
    assert_eq!(t.engine.save_draft(opened.draft_id, &again).unwrap(), id);
    t.engine.replay(t.account.id).await.expect("replay");
    let copies = server_messages(t.servers, &t.user, "Drafts");
    assert_eq!(copies.len(), 1);
    let copy = MessageParser::default().parse(&copies[0]).unwrap();
    assert_eq!(copy.subject(), Some("Pläne, zweite Fassung"));
    assert_eq!(copy.attachments().count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_saved_elsewhere_is_replaced_when_saved_here() {
    let t = setup("cmforeign", "Draft Adopter", 0).await;
    let raw = b"From: Draft Adopter <x@example.org>\r\nTo: bo@example.org\r\n\
Message-ID: <foreign-1@example.org>\r\nSubject: From the phone\r\n\
Content-Type: text/plain; charset=utf-8\r\n\r\nwritten elsewhere\r\n";
    t.servers
        .deliver_raw(&t.user.email, "Drafts", raw)
        .expect("deliver");
    t.engine.sync_account(t.account.id).await.expect("sync");
    let listed = t.listed(FolderRole::Drafts, 10);
    assert_eq!(listed.len(), 1);
    let opened = t.engine.open_draft(listed[0].id).await.expect("open");
    assert_eq!(opened.message.body, "written elsewhere");
    assert_eq!(
        opened.message.identity_id, None,
        "From is no identity of the account"
    );
    let draft_id = opened.draft_id.expect("adopted");
    let mut edited = opened.message.clone();
    edited.body = "finished here".into();
    t.engine.save_draft(Some(draft_id), &edited).unwrap();
    t.engine.replay(t.account.id).await.expect("replay");
    let copies = server_messages(t.servers, &t.user, "Drafts");
    assert_eq!(copies.len(), 1, "the other program's copy was replaced");
    assert!(String::from_utf8_lossy(&copies[0]).contains("finished here"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_draft_opened_text_only_first_reopens_whole() {
    let t = setup("cmlarge", "Large Draft", 0).await;
    t.engine
        .set_body_policy(
            t.account.id,
            BodyPolicy {
                keep_all_offline: false,
                prefetch_days: 30,
                max_prefetch_bytes: 0,
            },
        )
        .unwrap();
    // Saved by another program (Petrel's own drafts keep their whole body from the save).
    use base64::Engine as _;
    let big: Vec<u8> = (0..1_500_000u32).map(|i| (i * 13 % 256) as u8).collect();
    let encoded = base64::engine::general_purpose::STANDARD.encode(&big);
    let lines: Vec<&str> = encoded
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let raw = format!(
        "From: x@example.org\r\nMessage-ID: <large-1@example.org>\r\nSubject: Large\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
Content-Type: text/plain; charset=utf-8\r\n\r\nsee the file\r\n--b\r\n\
Content-Type: application/octet-stream; name=gross.bin\r\n\
Content-Disposition: attachment; filename=gross.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n\
{}\r\n--b--\r\n",
        lines.join("\r\n")
    );
    t.servers
        .deliver_raw(&t.user.email, "Drafts", raw.as_bytes())
        .expect("deliver");
    t.engine.sync_account(t.account.id).await.expect("sync");
    let id = t.listed(FolderRole::Drafts, 1)[0].id;
    // Read first: above the size limit, only its text comes down.
    t.engine.message(id).await.expect("read");
    assert!(
        t.engine.store().raw_body(id).unwrap().is_none(),
        "text-only"
    );
    let opened = t.engine.open_draft(id).await.expect("open");
    assert_eq!(opened.message.body, "see the file");
    let a = &opened.message.attachments[0];
    assert_eq!(a.mime_type, "application/octet-stream");
    assert_eq!(t.engine.store().staged_attachment_data(a.id).unwrap(), big);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_gives_the_attachments_back_after_their_staged_copies_are_gone() {
    let t = setup("cmundo", "Undo Files", 0).await;
    let out = rich_message(&t, &t.engine, &t.user.email, "");
    let id = t
        .engine
        .send_with_delay(out.clone(), Duration::from_secs(60))
        .unwrap();
    t.engine.store().drop_stale_staged(-3600).unwrap();
    let back = t.engine.unsend(id).expect("unsend");
    assert_eq!(back.html, out.html);
    assert_eq!(back.to, out.to);
    assert_eq!(back.attachments.len(), 2);
    let pdf = back
        .attachments
        .iter()
        .find(|a| a.name == PDF_NAME)
        .unwrap();
    assert_eq!(
        t.engine.store().staged_attachment_data(pdf.id).unwrap(),
        pdf_bytes()
    );
    let png = back
        .attachments
        .iter()
        .find(|a| a.name == "bild.png")
        .unwrap();
    assert_eq!(png.content_id, out.attachments[1].content_id);

    // A row from before attachments existed (its JSON lacks the new fields) still comes back.
    let old = t
        .engine
        .store()
        .queue_outgoing(&NewOutgoing {
            account_id: t.account.id,
            message_id: "<old@example.org>",
            raw: b"From: a@example.org\r\nSubject: old\r\n\r\nold\r\n",
            envelope_from: "a@example.org",
            envelope_to: &["b@example.org".to_string()],
            draft: &format!(
                r#"{{"account_id":{},"to":"b@example.org","cc":"","subject":"old","body":"old","in_reply_to":null}}"#,
                t.account.id
            ),
            subject: "old",
            send_after: i64::MAX / 2,
        })
        .unwrap();
    let back = t.engine.unsend(old).expect("unsend an old row");
    assert_eq!(back.subject, "old");
    assert!(back.attachments.is_empty() && back.bcc.is_empty() && back.html.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outgoing_size_limit_is_postfixs() {
    let t = setup("cmsize", "Size Limit", 0).await;
    // A file no server would take is refused in plain words.
    let huge = vec![0u8; petrel_engine::compose::MAX_ATTACHMENT_BYTES + 1];
    let refused = t
        .engine
        .stage_attachment("film.mkv", "", false, &huge)
        .unwrap_err();
    assert_eq!(
        refused.summary(),
        "film.mkv is too large to attach (105 MB); most servers refuse messages over 25 MB."
    );
    drop(huge);
    // tests/servers/mailservers.sh: message_size_limit = 52428800
    assert_eq!(
        t.engine.outgoing_size_limit(t.account.id).await.unwrap(),
        Some(52_428_800)
    );
    // Known from then on, even with the server out of reach.
    let db = rusqlite::Connection::open(t.engine.store().path()).expect("db");
    db.execute(
        "UPDATE accounts SET smtp_port = 1 WHERE id = ?1",
        [t.account.id],
    )
    .expect("update");
    assert_eq!(
        t.engine.outgoing_size_limit(t.account.id).await.unwrap(),
        Some(52_428_800)
    );
}
