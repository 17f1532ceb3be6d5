//! Large messages by part against the real Dovecot from petrel-testkit: opening a 20 MB message
//! downloads its text and the attachments' headers only (measured from Dovecot's own count of
//! the bytes it sent), it is stored text-only, saving its attachment downloads that part alone
//! and gives the exact original bytes; a small message is stored whole and saves from the store.

use base64::Engine as _;
use petrel_engine::model::{ComposeMode, ErrorKind};

mod common;
use common::Setup;

const BIG_ATTACHMENT: usize = 20 << 20;

/// Deterministic bytes that do not compress (xorshift).
fn noise(n: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(n + 8);
    while out.len() < n {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        out.extend_from_slice(&seed.to_le_bytes());
    }
    out.truncate(n);
    out
}

fn base64_lines(data: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(data);
    let mut out = String::with_capacity(encoded.len() / 76 * 78 + 80);
    for line in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(line).expect("ascii"));
        out.push_str("\r\n");
    }
    out
}

/// A message with a text/plain + text/html alternative (quoted-printable UTF-8), a binary
/// attachment (base64, RFC 2231 file name) and a CSV attachment (quoted-printable).
fn message(subject: &str, attachment: &[u8], csv: &str) -> Vec<u8> {
    format!(
        "From: Ann <ann@example.org>\r\nTo: Bo <bo@example.org>\r\nSubject: {subject}\r\n\
         Date: Thu, 26 Nov 2026 10:00:00 +0000\r\nMessage-ID: <{id}@example.org>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n\
         --outer\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n\
         --alt\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: quoted-printable\r\n\r\n\
         Gr=C3=BC=C3=9Fe aus K=C3=B6ln, hier sind die Messdaten.\r\n\r\nAnn\r\n\
         --alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
         <p>Gr&uuml;&szlig;e aus K&ouml;ln (HTML)</p>\r\n--alt--\r\n\
         --outer\r\nContent-Type: application/octet-stream\r\n\
         Content-Transfer-Encoding: base64\r\n\
         Content-Disposition: attachment; filename*=UTF-8''Messdaten%20M%C3%A4rz.bin\r\n\r\n\
         {b64}--outer\r\nContent-Type: text/csv; charset=utf-8\r\n\
         Content-Transfer-Encoding: quoted-printable\r\n\
         Content-Disposition: attachment; filename=\"table.csv\"\r\n\r\n{csv}\r\n--outer--\r\n",
        id = subject.replace(' ', "."),
        b64 = base64_lines(attachment),
        csv = csv
            .replace('=', "=3D")
            .replace('ö', "=C3=B6")
            .replace('\n', "\r\n"),
    )
    .into_bytes()
}

const CSV: &str = "ort;wert=x\nköln;1\nbonn;2";

impl Setup {
    fn message_id(&self, subject: &str) -> i64 {
        self.engine
            .folders(self.account.id)
            .expect("folders")
            .iter()
            .flat_map(|f| self.engine.messages(f.id, 0, 100).expect("messages").items)
            .find(|m| m.subject == subject)
            .unwrap_or_else(|| panic!("a message {subject:?}"))
            .id
    }

    /// How many times this user logged in over IMAP (logged at login, so never late).
    fn imap_logins(&self) -> usize {
        self.login_sessions().len()
    }

    /// The session ids of this user's IMAP logins, oldest first.
    fn login_sessions(&self) -> Vec<String> {
        let log = std::fs::read_to_string(&self.servers.dovecot_log).unwrap_or_default();
        let tag = format!("Login: user=<{}>", self.user.email);
        log.lines()
            .filter(|l| l.contains("imap-login") && l.contains(&tag))
            .filter_map(|l| {
                let id = l.split("session=<").nth(1)?.split('>').next()?;
                Some(id.to_string())
            })
            .collect()
    }

    /// Bytes Dovecot sent in the sessions that logged in after the first `logins` (from its
    /// log: "Logged out … out=N"), waiting for each to end.
    async fn bytes_out_since(&self, logins: usize) -> u64 {
        let sessions: Vec<String> = self.login_sessions().into_iter().skip(logins).collect();
        assert!(!sessions.is_empty(), "no IMAP login");
        for _ in 0..50 {
            let log = std::fs::read_to_string(&self.servers.dovecot_log).unwrap_or_default();
            let sent: Vec<u64> = sessions
                .iter()
                .filter_map(|id| {
                    let tag = format!("<{id}>: Info: Disconnected: Logged out");
                    let line = log.lines().find(|l| l.contains(&tag))?;
                    line.split_whitespace()
                        .find_map(|w| w.strip_prefix("out="))
                        .and_then(|n| n.parse().ok())
                })
                .collect();
            if sent.len() == sessions.len() {
                return sent.iter().sum();
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("Dovecot logged no end for the sessions {sessions:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_messages_open_text_only_and_save_attachments_by_part() {
    let t = common::setup("parts", "Parts Test", 0).await;
    let attachment = noise(BIG_ATTACHMENT, 0x5eed);
    let small_attachment = noise(3000, 7);
    let big = message("Big data", &attachment, CSV);
    let small = message("Small data", &small_attachment, CSV);
    assert!(big.len() > 27_000_000);
    t.servers
        .fill_mailbox(
            &t.user.email,
            "INBOX",
            &[
                big.clone(),
                small,
                message("Big data whole", &attachment, CSV),
            ],
        )
        .expect("fill");
    t.engine.sync_account(t.account.id).await.expect("sync");
    let id = t.message_id("Big data");
    assert!(
        !t.engine.store().has_body(id).expect("store"),
        "above the prefetch limit: not downloaded ahead"
    );

    // Opening: the text and the list of attachments, a few kilobytes from the server.
    let before = t.imap_logins();
    let started = std::time::Instant::now();
    let view = t.engine.message(id).await.expect("open");
    let open_time = started.elapsed();
    let sent = t.bytes_out_since(before).await;
    eprintln!(
        "opening the {} byte message: {sent} bytes from the server, {open_time:?}",
        big.len()
    );
    assert!(sent < 64 * 1024, "{sent} bytes sent to open the message");
    assert!(
        view.text
            .contains("Grüße aus Köln, hier sind die Messdaten."),
        "{:?}",
        view.text
    );
    assert!(!view.text.contains("HTML"), "the plain rendering is shown");
    let listed: Vec<_> = view
        .attachments
        .iter()
        .map(|a| (a.filename.as_str(), a.mime_type.as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            ("Messdaten März.bin", "application/octet-stream"),
            ("table.csv", "text/csv")
        ]
    );
    let estimated = i64::from(view.attachments[0].size);
    assert!(
        (estimated - BIG_ATTACHMENT as i64).abs() < 16,
        "estimated size {estimated}"
    );
    assert!(view.summary.has_attachments && view.summary.seen);
    let store = t.engine.store();
    assert!(store.has_body(id).expect("store"), "the text is stored");
    assert_eq!(
        store.raw_body(id).expect("store"),
        None,
        "stored text-only: never taken for the whole message"
    );

    // A reply quotes the text.
    let draft = t
        .engine
        .compose_from(id, ComposeMode::Reply)
        .await
        .expect("reply");
    assert!(draft.body.contains("> Grüße aus Köln"), "{}", draft.body);

    // Saving the big attachment: that part alone, exact bytes.
    let out = tempfile::tempdir().expect("temp dir");
    let dest = out.path().join("saved.bin");
    let before = t.imap_logins();
    let started = std::time::Instant::now();
    let written = t.engine.save_attachment(id, 0, &dest).await.expect("save");
    let save_time = started.elapsed();
    let sent = t.bytes_out_since(before).await;
    eprintln!(
        "saving the {BIG_ATTACHMENT} byte attachment: {sent} bytes from the server, {save_time:?}"
    );
    assert_eq!(written, BIG_ATTACHMENT as u64);
    let saved = std::fs::read(&dest).expect("saved file");
    let digest = |d: &[u8]| ring::digest::digest(&ring::digest::SHA256, d);
    assert_eq!(
        digest(&saved).as_ref(),
        digest(&attachment).as_ref(),
        "SHA-256 of the saved file"
    );
    assert!(
        sent < big.len() as u64 + 64 * 1024,
        "{sent} bytes for one part"
    );
    assert_eq!(
        std::fs::read_dir(out.path()).expect("dir").count(),
        1,
        "no temporary file left"
    );
    // The quoted-printable one.
    let csv_dest = out.path().join("table.csv");
    t.engine
        .save_attachment(id, 1, &csv_dest)
        .await
        .expect("save csv");
    assert_eq!(
        std::fs::read_to_string(&csv_dest).expect("csv"),
        CSV.replace('\n', "\r\n")
    );
    let e = t
        .engine
        .save_attachment(id, 2, &out.path().join("none"))
        .await
        .expect_err("no third attachment");
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let e = t
        .engine
        .save_attachment(id, 0, &out.path().join("missing/dir/x.bin"))
        .await
        .expect_err("no such folder");
    assert_eq!(e.kind(), ErrorKind::Storage);
    assert!(e.summary().contains("could not save"), "{}", e.summary());

    // Opening with the system's app: saved in a folder of its own under the cache folder given;
    // programs (here a .bin) are refused.
    let cache = out.path().join("cache");
    let opened = t
        .engine
        .attachment_for_opening(id, 1, &cache)
        .await
        .expect("for opening");
    assert_eq!(opened, cache.join(format!("{id}-1")).join("table.csv"));
    assert_eq!(
        std::fs::read_to_string(&opened).expect("csv"),
        CSV.replace('\n', "\r\n")
    );
    let e = t
        .engine
        .attachment_for_opening(id, 0, &cache)
        .await
        .expect_err("a .bin is not opened");
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.summary().contains("may be a program"), "{}", e.summary());

    // A small message is stored whole and its attachments come from the store.
    let small_id = t.message_id("Small data");
    let view = t.engine.message(small_id).await.expect("open small");
    assert!(view.text.contains("Grüße aus Köln"));
    assert_eq!(view.attachments.len(), 2);
    assert!(store.raw_body(small_id).expect("store").is_some());
    let dest = out.path().join("small.bin");
    let logins = t.imap_logins();
    t.engine
        .save_attachment(small_id, 0, &dest)
        .await
        .expect("save small");
    assert_eq!(std::fs::read(&dest).expect("file"), small_attachment);
    assert_eq!(
        t.imap_logins(),
        logins,
        "no connection for a stored message"
    );

    // For comparison: with a prefetch limit above its size, the same message is opened whole.
    t.engine
        .set_body_policy(
            t.account.id,
            petrel_engine::model::BodyPolicy {
                max_prefetch_bytes: 64 << 20,
                ..petrel_engine::model::BodyPolicy::default()
            },
        )
        .expect("policy");
    let whole_id = t.message_id("Big data whole");
    let before = t.imap_logins();
    let started = std::time::Instant::now();
    let view = t.engine.message(whole_id).await.expect("open whole");
    let whole_time = started.elapsed();
    let sent = t.bytes_out_since(before).await;
    eprintln!("opening it whole (limit 64 MiB): {sent} bytes from the server, {whole_time:?}");
    assert!(sent > big.len() as u64, "{sent} bytes: the whole message");
    assert_eq!(view.attachments.len(), 2);
    assert!(store.raw_body(whole_id).expect("store").is_some());
}
