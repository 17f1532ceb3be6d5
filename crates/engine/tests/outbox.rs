//! The outbox against the real Postfix → Dovecot: once the user presses Send, the message exists
//! on disk until a server has accepted it. Queued messages arrive intact, wait while the server
//! is unreachable (across an engine restart) and go out exactly once when it is back; refusals
//! stay with their reason; undo takes a message back; the Sent copy is filed; a process killed
//! mid-send loses nothing.

mod common;

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{open_engine, servers, setup, tls_account};
use petrel_engine::model::{EngineEvent, ErrorKind, FolderRole, OutboxState, OutgoingMessage};
use petrel_engine::store::Store;
use petrel_engine::{Engine, SyncConfig};
use petrel_testkit::{Servers, TestUser};

/// Short clocks: retries after 200 ms, 400 ms, … up to 1 s.
fn clocks() -> SyncConfig {
    SyncConfig {
        backoff_first: Duration::from_millis(200),
        backoff_max: Duration::from_secs(1),
        poll_every: Duration::from_secs(60),
        ..SyncConfig::default()
    }
}

fn message(account_id: i64, to: &str, subject: &str, body: &str) -> OutgoingMessage {
    OutgoingMessage {
        account_id,
        to: to.into(),
        cc: String::new(),
        subject: subject.into(),
        body: body.into(),
        in_reply_to: None,
        ..OutgoingMessage::default()
    }
}

async fn wait_until<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn count(s: &Servers, user: &TestUser, folder: &str) -> u32 {
    s.message_count(&user.email, folder).expect("doveadm count")
}

fn fetch_all(s: &Servers, user: &TestUser, folder: &str) -> String {
    s.doveadm(&["fetch", "-u", &user.email, "flags text", "mailbox", folder])
        .expect("doveadm fetch")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_message_arrives_intact_and_its_sent_copy_is_filed() {
    let t = setup("obsend", "Zoë Outbox", 0).await;
    let mut events = t.engine.subscribe();
    let background = t.engine.start_background_with(clocks()).unwrap();
    let subject = "Grüße aus dem Postausgang — ✉";
    let body = "Zeile eins: äöü ß\nZeile zwei.\n";
    let id = t
        .engine
        .send_with_delay(
            message(t.account.id, &t.user.email, subject, body),
            Duration::from_millis(500),
        )
        .unwrap();
    // On disk at once, queued, with its undo time ahead.
    let listed = t.engine.outbox(t.account.id).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, id);
    assert_eq!(listed[0].state, OutboxState::Queued);
    assert_eq!(listed[0].subject, subject);
    assert_eq!(listed[0].recipients, vec![t.user.email.clone()]);
    assert!(listed[0].send_after > listed[0].created_at);

    wait_until("the message in the INBOX", 30, || {
        (count(t.servers, &t.user, "INBOX") == 1).then_some(())
    })
    .await;
    wait_until("the Sent copy and an empty outbox", 30, || {
        (count(t.servers, &t.user, "Sent") == 1
            && t.engine.outbox(t.account.id).unwrap().is_empty())
        .then_some(())
    })
    .await;

    // Intact: read back over IMAP by the engine itself.
    t.engine.sync_account(t.account.id).await.unwrap();
    let page = t.listed(FolderRole::Inbox, 10);
    assert_eq!(page.len(), 1);
    let view = t.engine.message(page[0].id).await.unwrap();
    assert_eq!(view.summary.subject, subject);
    assert_eq!(view.text.replace("\r\n", "\n").trim_end(), body.trim_end());
    let from = view.summary.from.clone().unwrap();
    assert_eq!(from.email, t.user.email);
    assert_eq!(from.name.as_deref(), Some("Zoë Outbox"));
    let mid = view.message_id.clone().expect("a Message-ID");
    assert!(mid.ends_with(&format!("@{}", t.servers.domain)), "{mid}");
    let raw = t.engine.store().raw_body(page[0].id).unwrap().unwrap();
    let raw = String::from_utf8_lossy(&raw);
    assert!(raw.contains("\r\nDate: "), "{raw}");
    assert!(!raw.replace("\r\n", "").contains('\n'), "no bare LF");

    // The Sent copy: the same message, \Seen, once (checked over IMAP by the engine and by
    // Dovecot's own view).
    let sent_page = t.listed(FolderRole::Sent, 10);
    assert_eq!(sent_page.len(), 1);
    assert_eq!(sent_page[0].subject, subject);
    assert!(sent_page[0].seen);
    assert!(
        t.engine.store().has_body(sent_page[0].id).unwrap(),
        "the body of the APPENDed copy is stored (APPENDUID), not downloaded again"
    );
    let dump = fetch_all(t.servers, &t.user, "Sent");
    assert!(dump.contains("\\Seen"), "{dump}");
    assert!(dump.contains(&mid), "{dump}");

    let mut changed = 0;
    while let Ok(e) = events.try_recv() {
        if matches!(e, EngineEvent::OutboxChanged { account_id } if account_id == t.account.id) {
            changed += 1;
        }
    }
    assert!(
        changed >= 2,
        "OutboxChanged when queued and when sent ({changed})"
    );
    background.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_within_the_delay_sends_nothing_and_gives_the_fields_back() {
    let t = setup("obundo", "Undo", 0).await;
    let background = t.engine.start_background_with(clocks()).unwrap();
    let out = OutgoingMessage {
        cc: t.user.email.clone(),
        in_reply_to: None,
        ..message(
            t.account.id,
            &t.user.email,
            "Oops, not yet",
            "Half a thought\n",
        )
    };
    // The engine's own delay (5 s by default).
    assert_eq!(t.engine.undo_delay(), Duration::from_secs(5));
    let id = t.engine.send(out.clone()).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let back = t.engine.unsend(id).unwrap();
    assert_eq!(back, out);
    assert!(t.engine.outbox(t.account.id).unwrap().is_empty());
    let again = t.engine.unsend(id).unwrap_err();
    assert_eq!(again.kind(), ErrorKind::TooLate, "{again}");

    // No delay: too late at once, and it goes out.
    t.engine.set_undo_delay(Duration::ZERO);
    let id = t
        .engine
        .send(message(t.account.id, &t.user.email, "Straight out", "x\n"))
        .unwrap();
    let late = t.engine.unsend(id).unwrap_err();
    assert_eq!(late.kind(), ErrorKind::TooLate);
    assert!(late.summary().contains("too late"), "{}", late.summary());
    wait_until("the second message", 30, || {
        (count(t.servers, &t.user, "INBOX") >= 1).then_some(())
    })
    .await;
    // Give a wrongly sent first message time to show up: only the second one arrives.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(count(t.servers, &t.user, "INBOX"), 1);
    let dump = fetch_all(t.servers, &t.user, "INBOX");
    assert!(
        dump.contains("Straight out") && !dump.contains("Oops"),
        "{dump}"
    );
    background.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_recipient_keeps_the_message_with_the_reason() {
    let t = setup("obreject", "Reject", 0).await;
    let mut events = t.engine.subscribe();
    // reject_unlisted_recipient: Postfix refuses unknown users of its own domain with 550.
    let nobody = format!("nobody-{}@{}", t.account.id, t.servers.domain);
    let out = message(t.account.id, &nobody, "To nobody", "Hello?\n");
    let e = t.engine.send_now(out.clone()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::SendRejected, "{e}");
    let listed = t.engine.outbox(t.account.id).unwrap();
    assert_eq!(listed.len(), 1);
    let failed = &listed[0];
    assert_eq!(failed.state, OutboxState::Failed);
    assert_eq!(failed.next_attempt, None);
    let reason = failed.reason.clone().unwrap_or_default();
    let detail = failed.detail.clone().unwrap_or_default();
    assert!(reason.contains("refused"), "{reason}");
    assert!(
        reason.contains("Recipient address rejected") && reason.contains("550"),
        "the server's words: {reason}"
    );
    assert!(detail.contains(&nobody), "{detail}");
    let mut reported = false;
    while let Ok(e) = events.try_recv() {
        if let EngineEvent::AccountError { error, .. } = e {
            reported |= error.kind == ErrorKind::SendRejected;
        }
    }
    assert!(reported, "an AccountError for the refusal");

    // It stays failed, in a background with retries, until the user acts.
    let background = t.engine.start_background_with(clocks()).unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let listed = t.engine.outbox(t.account.id).unwrap();
    assert_eq!(
        (listed[0].state, listed[0].attempts),
        (OutboxState::Failed, 1)
    );
    // Retry now: refused again, attempts counted.
    t.engine.retry_outbox(failed.id).unwrap();
    let listed = wait_until("the retry's outcome", 20, || {
        let l = t.engine.outbox(t.account.id).unwrap();
        (l[0].state == OutboxState::Failed && l[0].attempts == 2).then_some(l)
    })
    .await;
    assert_eq!(listed.len(), 1);
    // Taken back into the composer to fix the address.
    let back = t.engine.unsend(failed.id).unwrap();
    assert_eq!(back, out);
    // A second refused one is deleted.
    let _ = t.engine.send_now(out).await.unwrap_err();
    let id = t.engine.outbox(t.account.id).unwrap()[0].id;
    t.engine.delete_outbox(id).unwrap();
    assert!(t.engine.outbox(t.account.id).unwrap().is_empty());
    assert_eq!(
        t.engine.delete_outbox(id).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        count(t.servers, &t.user, "Sent"),
        0,
        "no Sent copy of a refused message"
    );
    background.shutdown().await;
}

// ---- a relay to the submission port that can be down or stall

const PASS: u8 = 0;
/// Connections are accepted and closed at once (the server is down).
const DOWN: u8 = 1;
/// The client's bytes beyond `STALL_AFTER` are swallowed: the message never completes.
const STALL: u8 = 2;
const STALL_AFTER: usize = 32 << 10;

struct Relay {
    port: u16,
    mode: Arc<AtomicU8>,
    /// Client bytes swallowed while stalling.
    swallowed: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    async fn start(target: (String, u16)) -> Relay {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mode = Arc::new(AtomicU8::new(PASS));
        let swallowed = Arc::new(AtomicUsize::new(0));
        let (m, sw_count) = (mode.clone(), swallowed.clone());
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if m.load(Ordering::SeqCst) == DOWN {
                    drop(client);
                    continue;
                }
                let (m, swallowed, target) = (m.clone(), sw_count.clone(), target.clone());
                tokio::spawn(async move {
                    let Ok(server) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    let (mut cr, mut cw) = client.into_split();
                    let (mut sr, mut sw) = server.into_split();
                    let mut up = 0usize;
                    let mut stalled = false;
                    let mut a = [0u8; 16384];
                    let mut b = [0u8; 16384];
                    loop {
                        tokio::select! {
                            n = cr.read(&mut a) => match n {
                                Ok(n) if n > 0 => {
                                    // Once stalled, always stalled: a later short read let
                                    // through would corrupt the TLS stream (a bad record MAC).
                                    stalled |= m.load(Ordering::SeqCst) == STALL
                                        && up + n > STALL_AFTER;
                                    if stalled {
                                        swallowed.fetch_add(n, Ordering::SeqCst);
                                        continue;
                                    }
                                    up += n;
                                    if sw.write_all(&a[..n]).await.is_err() { return }
                                }
                                _ => return,
                            },
                            n = sr.read(&mut b) => match n {
                                Ok(n) if n > 0 => if cw.write_all(&b[..n]).await.is_err() { return },
                                _ => return,
                            },
                        }
                    }
                });
            }
        });
        Relay {
            port,
            mode,
            swallowed,
            task,
        }
    }

    fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// An account whose outgoing server is reached through `relay` (added while the relay passes).
async fn relayed_account(
    s: &'static Servers,
    prefix: &str,
    relay: &Relay,
) -> (tempfile::TempDir, Engine, TestUser, i64) {
    let dir = tempfile::tempdir().unwrap();
    let engine = open_engine(dir.path());
    let user = s.new_user(prefix).unwrap();
    let mut new = tls_account(s, &user, "Relayed");
    new.smtp.port = relay.port;
    let account = engine.add_account(new).await.unwrap();
    engine.sync_account(account.id).await.unwrap();
    (dir, engine, user, account.id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_keeps_the_message_across_a_restart_then_it_goes_out_once() {
    let s = servers();
    let relay = Relay::start((s.host.clone(), s.submissions_port)).await;
    let (dir, engine, user, account) = relayed_account(s, "obdown", &relay).await;
    relay.set(DOWN);
    let background = engine.start_background_with(clocks()).unwrap();
    let id = engine
        .send_with_delay(
            message(account, &user.email, "Patience", "It waits.\n"),
            Duration::ZERO,
        )
        .unwrap();
    let waiting = wait_until("retries with a reason", 30, || {
        let l = engine.outbox(account).unwrap();
        (l.len() == 1 && l[0].attempts >= 3 && l[0].state == OutboxState::Queued).then_some(l)
    })
    .await;
    assert_eq!(waiting[0].id, id);
    assert!(waiting[0].reason.is_some(), "why it waits: {waiting:?}");
    let reason = waiting[0].reason.clone().unwrap_or_default();
    assert!(reason.contains("connection"), "in plain words: {reason}");
    assert!(waiting[0].next_attempt.is_some());
    assert_eq!(count(s, &user, "INBOX"), 0);

    // The app quits while offline; a new run on the same data folder finds the message.
    background.shutdown().await;
    drop(engine);
    let engine = open_engine(dir.path());
    let listed = engine.outbox(account).unwrap();
    assert_eq!(listed.len(), 1, "the message survived the restart");
    let background = engine.start_background_with(clocks()).unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(count(s, &user, "INBOX"), 0);

    // The server is back: out it goes, once.
    relay.set(PASS);
    wait_until("the message in the INBOX", 30, || {
        (count(s, &user, "INBOX") == 1).then_some(())
    })
    .await;
    wait_until("an empty outbox and the Sent copy", 30, || {
        (engine.outbox(account).unwrap().is_empty() && count(s, &user, "Sent") == 1).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(count(s, &user, "INBOX"), 1, "exactly one copy");
    assert_eq!(count(s, &user, "Sent"), 1, "exactly one Sent copy");
    background.shutdown().await;
}

// ---- a process killed while sending

const CHILD_DIR: &str = "PETREL_TEST_OUTBOX_CHILD_DIR";

/// Run by `a_kill_while_sending_loses_nothing` in a child process, which it kills mid-send.
/// Without its environment variable (a plain `--ignored` run) it does nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a helper process of a_kill_while_sending_loses_nothing"]
async fn child_sender() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    servers();
    let engine = open_engine(std::path::Path::new(&dir));
    let _background = engine.start_background_with(clocks()).unwrap();
    tokio::time::sleep(Duration::from_secs(120)).await;
}

fn outbox_states(dir: &std::path::Path, account: i64) -> Vec<OutboxState> {
    let store = Store::open(&dir.join("petrel.sqlite3")).unwrap();
    store
        .outbox(account)
        .unwrap()
        .into_iter()
        .map(|m| m.state)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_while_sending_loses_nothing() {
    let s = servers();
    let relay = Relay::start((s.host.clone(), s.submissions_port)).await;
    let (dir, engine, user, account) = relayed_account(s, "obkill", &relay).await;
    // Large enough that DATA is still flowing when the relay stalls.
    let body = "Eine lange Nachricht. ".repeat(20_000);
    engine
        .send_with_delay(
            message(account, &user.email, "Killed mid-send", &body),
            Duration::ZERO,
        )
        .unwrap();
    drop(engine);
    relay.set(STALL);

    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "child_sender", "--nocapture"])
        .env(CHILD_DIR, dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the child ended by itself"
        );
        if relay.swallowed.load(Ordering::SeqCst) > 0
            && outbox_states(dir.path(), account) == [OutboxState::Sending]
        {
            break;
        }
        assert!(Instant::now() < deadline, "the child never got to sending");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let left = Store::open(&dir.path().join("petrel.sqlite3"))
        .unwrap()
        .outbox(account)
        .unwrap();
    assert_eq!(
        left.iter().map(|m| m.state).collect::<Vec<_>>(),
        [OutboxState::Sending],
        "still on disk after the kill: {left:?}"
    );
    assert_eq!(count(s, &user, "INBOX"), 0, "the server never accepted it");

    // A new run sends it again, once.
    relay.set(PASS);
    let engine = open_engine(dir.path());
    let background = engine.start_background_with(clocks()).unwrap();
    wait_until("the message in the INBOX", 60, || {
        (count(s, &user, "INBOX") == 1).then_some(())
    })
    .await;
    wait_until("an empty outbox", 30, || {
        (engine.outbox(account).unwrap().is_empty() && count(s, &user, "Sent") == 1).then_some(())
    })
    .await;
    let dump = fetch_all(s, &user, "INBOX");
    assert!(dump.contains("Killed mid-send"), "{dump}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(count(s, &user, "INBOX"), 1, "exactly one copy");
    background.shutdown().await;
}
