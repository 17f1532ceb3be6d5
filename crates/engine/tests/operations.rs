//! Changes from the user against the real Dovecot from petrel-testkit: applied locally at once,
//! queued, and replayed on the server — flags, delete (to Trash, and for good in the Trash),
//! move and copy, empty trash; kept across a restart while the server is unreachable; dropped
//! quietly when the server expunged the message meanwhile; reported when the server refuses.

use std::time::{Duration, Instant};

use petrel_engine::model::{EngineEvent, Folder};
use petrel_engine::store::FlagChange;
use petrel_engine::SyncConfig;
use petrel_testkit::corpus;

mod common;
use common::{open_engine, Setup};

/// A fresh user with `n` messages in the INBOX, added as an account and synced once.
async fn setup(prefix: &str, n: usize) -> Setup {
    common::setup(prefix, "Operations Test", n).await
}

impl Setup {
    fn folder(&self, path: &str) -> Folder {
        self.engine
            .folders(self.account.id)
            .expect("folders")
            .into_iter()
            .find(|f| f.path == path)
            .unwrap_or_else(|| panic!("a folder {path}"))
    }

    fn id(&self, path: &str, uid: u32) -> i64 {
        self.engine
            .store()
            .message_id_for_uid(self.folder(path).id, uid)
            .expect("store")
            .unwrap_or_else(|| panic!("{path} uid {uid} is stored"))
    }

    /// The Message-IDs stored for a folder, sorted.
    fn message_ids(&self, path: &str) -> Vec<String> {
        let mut s: Vec<String> = self
            .engine
            .messages(self.folder(path).id, 0, 1000)
            .expect("messages")
            .items
            .into_iter()
            .map(|m| {
                let (mid, _) = self.engine.store().threading(m.id).expect("store");
                bare(&mid.expect("a Message-ID"))
            })
            .collect();
        s.sort();
        s
    }

    fn on_server(&self, path: &str) -> u32 {
        self.servers
            .message_count(&self.user.email, path)
            .expect("doveadm")
    }

    /// The server's flags of one message, from `doveadm fetch`.
    fn server_flags(&self, path: &str, uid: u32) -> String {
        self.servers
            .doveadm(&[
                "fetch",
                "-u",
                &self.user.email,
                "flags",
                "mailbox",
                path,
                "uid",
                &uid.to_string(),
            ])
            .expect("doveadm")
    }

    fn server_message_ids(&self, path: &str) -> Vec<String> {
        let out = self
            .servers
            .doveadm(&[
                "fetch",
                "-u",
                &self.user.email,
                "hdr.message-id",
                "mailbox",
                path,
                "all",
            ])
            .expect("doveadm");
        let mut s: Vec<String> = out
            .lines()
            .filter_map(|l| l.strip_prefix("hdr.message-id: "))
            .map(bare)
            .collect();
        s.sort();
        s
    }

    fn pending(&self) -> u32 {
        self.engine
            .store()
            .pending_count(self.account.id)
            .expect("store")
    }

    async fn replay(&self) -> usize {
        self.engine.replay(self.account.id).await.expect("replay")
    }
}

fn bare(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string()
}

fn seen(v: bool) -> FlagChange {
    FlagChange {
        seen: Some(v),
        ..FlagChange::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_flag_changes_reach_the_server_and_win_over_older_server_state() {
    let t = setup("opflags", 3).await;
    let one = t.id("INBOX", 1);
    t.engine
        .set_flags(
            &[one],
            FlagChange {
                seen: Some(true),
                flagged: Some(true),
                ..FlagChange::default()
            },
        )
        .expect("set flags");
    // Applied locally at once, before any network.
    let local = &t.engine.store().message_summaries(&[one]).expect("store")[0];
    assert!(local.seen && local.flagged, "{local:?}");
    assert_eq!(t.pending(), 1);
    assert!(!t.server_flags("INBOX", 1).contains("\\Seen"));

    assert_eq!(t.replay().await, 1);
    assert_eq!(t.pending(), 0);
    let flags = t.server_flags("INBOX", 1);
    assert!(
        flags.contains("\\Seen") && flags.contains("\\Flagged"),
        "{flags}"
    );

    t.engine
        .set_flags(
            &[one],
            FlagChange {
                flagged: Some(false),
                ..FlagChange::default()
            },
        )
        .expect("clear flagged");
    t.replay().await;
    let flags = t.server_flags("INBOX", 1);
    assert!(
        flags.contains("\\Seen") && !flags.contains("\\Flagged"),
        "{flags}"
    );

    // The server flags message 2 while the user's "read" is still queued: a sync before the
    // replay keeps the user's \Seen and takes the server's \Flagged; the replay then sends \Seen.
    let two = t.id("INBOX", 2);
    t.engine.set_flags(&[two], seen(true)).expect("seen");
    t.servers
        .doveadm(&[
            "flags",
            "add",
            "-u",
            &t.user.email,
            "\\Flagged",
            "mailbox",
            "INBOX",
            "uid",
            "2",
        ])
        .expect("doveadm");
    t.engine
        .sync_folder(t.folder("INBOX").id)
        .await
        .expect("sync");
    let local = &t.engine.store().message_summaries(&[two]).expect("store")[0];
    assert!(local.seen, "the user's pending change is kept: {local:?}");
    assert!(local.flagged, "the server's change arrives: {local:?}");
    t.replay().await;
    let flags = t.server_flags("INBOX", 2);
    assert!(
        flags.contains("\\Seen") && flags.contains("\\Flagged"),
        "{flags}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_a_message_marks_it_read_through_the_queue() {
    let t = setup("opopen", 1).await;
    let one = t.id("INBOX", 1);
    let view = t.engine.message(one).await.expect("open");
    assert!(view.summary.seen);
    assert!(t.folder("INBOX").unread == 0);
    assert_eq!(t.pending(), 1, "the \\Seen waits in the queue");
    t.replay().await;
    assert!(t.server_flags("INBOX", 1).contains("\\Seen"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_moves_to_trash_and_deletes_for_good_in_the_trash() {
    let t = setup("opdelete", 2).await;
    let one = t.id("INBOX", 1);
    let mid = bare(
        &t.engine
            .store()
            .threading(one)
            .expect("store")
            .0
            .expect("a Message-ID"),
    );
    t.engine.delete_messages(&[one]).expect("delete");
    assert_eq!(t.folder("INBOX").total, 1);
    assert_eq!(t.folder("Trash").total, 1, "shown in the Trash at once");

    t.replay().await;
    assert_eq!(t.on_server("INBOX"), 1);
    assert_eq!(t.on_server("Trash"), 1);
    assert_eq!(t.server_message_ids("Trash"), vec![mid]);

    // The next sync finds the server's copy: still one message, now with its server UID.
    t.engine.sync_account(t.account.id).await.expect("sync");
    assert_eq!(t.folder("Trash").total, 1, "no duplicate in the Trash");
    assert_eq!(t.message_ids("Trash"), t.server_message_ids("Trash"));
    let in_trash = t
        .engine
        .messages(t.folder("Trash").id, 0, 10)
        .expect("list")
        .items[0]
        .id;
    t.engine
        .message(in_trash)
        .await
        .expect("opens from the server's copy");

    t.engine
        .delete_messages(&[in_trash])
        .expect("delete for good");
    assert_eq!(t.folder("Trash").total, 0);
    t.replay().await;
    assert_eq!(t.on_server("Trash"), 0);
    assert_eq!(t.on_server("INBOX"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moves_and_copies_both_ways_without_duplicates() {
    let t = setup("opmove", 4).await;
    let all = t.message_ids("INBOX");

    // Moved on the server: the sync shows it.
    t.servers
        .doveadm(&[
            "move",
            "-u",
            &t.user.email,
            "Archive",
            "mailbox",
            "INBOX",
            "uid",
            "1",
        ])
        .expect("doveadm move");
    t.engine.sync_account(t.account.id).await.expect("sync");
    assert_eq!(t.folder("INBOX").total, 3);
    assert_eq!(t.message_ids("Archive"), t.server_message_ids("Archive"));
    assert_eq!(t.folder("Archive").total, 1);

    // Moved here: the server follows, and the next sync brings no second copy.
    t.engine
        .move_messages(&[t.id("INBOX", 2)], t.folder("Archive").id)
        .expect("move");
    t.engine
        .copy_messages(&[t.id("INBOX", 3)], t.folder("Archive").id)
        .expect("copy");
    assert_eq!(t.folder("INBOX").total, 2);
    assert_eq!(t.folder("Archive").total, 3);
    assert_eq!(t.replay().await, 2);
    assert_eq!(t.on_server("INBOX"), 2);
    assert_eq!(t.on_server("Archive"), 3);
    t.engine.sync_account(t.account.id).await.expect("sync");
    assert_eq!(t.folder("INBOX").total, 2);
    assert_eq!(t.folder("Archive").total, 3);
    assert_eq!(t.message_ids("Archive"), t.server_message_ids("Archive"));
    assert_eq!(t.message_ids("INBOX"), t.server_message_ids("INBOX"));

    // And back, twice in a row before anything reaches the server (the second move of a
    // message whose UID in Archive is not known until the first is done).
    let archived = t
        .engine
        .messages(t.folder("Archive").id, 0, 10)
        .expect("list")
        .items;
    let first = archived[0].id;
    t.engine
        .move_messages(&[first], t.folder("INBOX").id)
        .expect("move back");
    t.engine
        .move_messages(&[first], t.folder("Junk").id)
        .expect("move on");
    t.engine
        .archive_messages(&[t.id("INBOX", 4)])
        .expect("archive");
    t.replay().await;
    assert_eq!(t.pending(), 0);
    t.engine.sync_account(t.account.id).await.expect("sync");
    for path in ["INBOX", "Archive", "Junk"] {
        assert_eq!(t.message_ids(path), t.server_message_ids(path), "{path}");
    }
    assert_eq!(t.on_server("Junk"), 1);
    assert_eq!(t.on_server("Archive"), 3);
    assert_eq!(t.on_server("INBOX"), 1);
    let mut everything: Vec<String> = ["INBOX", "Archive", "Junk"]
        .iter()
        .flat_map(|p| t.server_message_ids(p))
        .collect();
    assert_eq!(everything.len(), 5, "four messages and one copy");
    everything.sort();
    everything.dedup();
    assert_eq!(everything, all, "nothing lost");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_made_offline_survive_a_restart_and_are_replayed_when_the_server_is_back() {
    let t = setup("opoffline", 2).await;
    let good_port = t.account.incoming.port;
    let closed_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let db_path = t.engine.store().path().to_path_buf();
    let account_id = t.account.id;
    let set_port = |port: u16| {
        let db = rusqlite::Connection::open(&db_path).expect("db");
        db.execute(
            "UPDATE accounts SET incoming_port = ?1 WHERE id = ?2",
            rusqlite::params![port, account_id],
        )
        .expect("update");
    };
    set_port(closed_port);
    let one = t.id("INBOX", 1);
    let two = t.id("INBOX", 2);
    t.engine
        .set_flags(
            &[one],
            FlagChange {
                flagged: Some(true),
                ..FlagChange::default()
            },
        )
        .expect("flag");
    t.engine
        .move_messages(&[two], t.folder("Archive").id)
        .expect("move");
    assert!(
        t.engine.replay(t.account.id).await.is_err(),
        "the server is unreachable"
    );
    assert_eq!(t.pending(), 2);

    // Restart: a new engine on the same data folder still has both, applied and queued.
    let Setup {
        servers,
        dir,
        engine,
        user,
        account,
    } = t;
    drop(engine);
    let t = Setup {
        servers,
        engine: open_engine(dir.path()),
        dir,
        user,
        account,
    };
    assert_eq!(t.pending(), 2);
    assert_eq!(t.folder("Archive").total, 1);
    assert!(t.engine.store().message_summaries(&[one]).expect("store")[0].flagged);

    set_port(good_port);
    let background = t
        .engine
        .start_background_with(SyncConfig {
            poll_every: Duration::from_secs(600),
            backoff_first: Duration::from_millis(200),
            backoff_max: Duration::from_secs(2),
            ..SyncConfig::default()
        })
        .expect("background");
    let deadline = Instant::now() + Duration::from_secs(20);
    while t.pending() > 0 || t.on_server("Archive") == 0 {
        assert!(Instant::now() < deadline, "the queue was not replayed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Once running, a new change reaches the server at once: the replay task is woken by the
    // queue (the next poll is ten minutes away).
    t.engine.set_flags(&[one], seen(true)).expect("seen");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !t.server_flags("INBOX", 1).contains("\\Seen") {
        assert!(Instant::now() < deadline, "the new change was not replayed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    background.shutdown().await;
    assert!(t.server_flags("INBOX", 1).contains("\\Flagged"));
    assert_eq!(t.on_server("INBOX"), 1);
    assert_eq!(t.on_server("Archive"), 1);
    t.engine.sync_account(t.account.id).await.expect("sync");
    assert_eq!(t.folder("Archive").total, 1);
    assert_eq!(t.folder("INBOX").total, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_to_a_message_expunged_on_the_server_is_dropped_quietly() {
    let t = setup("opgone", 3).await;
    t.engine
        .set_flags(&[t.id("INBOX", 1)], seen(true))
        .expect("flag");
    t.engine
        .move_messages(&[t.id("INBOX", 2)], t.folder("Archive").id)
        .expect("move");
    t.engine
        .delete_messages(&[t.id("INBOX", 3)])
        .expect("delete");
    t.servers
        .doveadm(&["expunge", "-u", &t.user.email, "mailbox", "INBOX", "all"])
        .expect("doveadm expunge");
    let mut events = t.engine.subscribe();
    assert_eq!(t.replay().await, 3);
    assert_eq!(t.pending(), 0);
    while let Ok(e) = events.try_recv() {
        assert!(
            !matches!(e, EngineEvent::AccountError { .. }),
            "no error for a message that is gone: {e:?}"
        );
    }
    assert_eq!(t.folder("Archive").total, 0, "nothing arrived in Archive");
    assert_eq!(t.folder("Trash").total, 0, "nothing arrived in the Trash");
    assert_eq!(t.on_server("Archive"), 0);
    assert_eq!(t.on_server("Trash"), 0);
    t.engine.sync_account(t.account.id).await.expect("sync");
    assert_eq!(t.folder("INBOX").total, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_trash_empties_it_here_at_once_and_on_the_server() {
    let t = setup("opempty", 2).await;
    t.servers
        .fill_mailbox(
            &t.user.email,
            "Trash",
            &corpus::generate(3, 9, &t.servers.domain),
        )
        .expect("fill trash");
    t.engine.sync_account(t.account.id).await.expect("sync");
    assert_eq!(t.folder("Trash").total, 3);
    t.engine
        .delete_messages(&[t.id("INBOX", 1)])
        .expect("delete");
    t.engine.empty_trash(t.account.id).expect("empty");
    assert_eq!(t.folder("Trash").total, 0);
    t.replay().await;
    assert_eq!(t.on_server("Trash"), 0);
    assert_eq!(t.on_server("INBOX"), 1);
    t.engine.sync_account(t.account.id).await.expect("sync");
    assert_eq!(t.folder("Trash").total, 0);
    assert_eq!(t.folder("INBOX").total, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_change_is_reported_and_the_server_state_shown_again() {
    let t = setup("oprefused", 2).await;
    t.servers
        .doveadm(&["mailbox", "create", "-u", &t.user.email, "Projects"])
        .expect("doveadm");
    t.engine.sync_account(t.account.id).await.expect("sync");
    // The folder disappears on the server before the move reaches it.
    t.servers
        .doveadm(&["mailbox", "delete", "-u", &t.user.email, "Projects"])
        .expect("doveadm");
    t.engine
        .move_messages(&[t.id("INBOX", 1)], t.folder("Projects").id)
        .expect("move");
    assert_eq!(t.folder("INBOX").total, 1);
    let mut events = t.engine.subscribe();
    t.replay().await;
    assert_eq!(t.pending(), 0, "a refused change is not retried");
    let mut reported = None;
    while let Ok(e) = events.try_recv() {
        if let EngineEvent::AccountError { error, .. } = e {
            reported = Some(error);
        }
    }
    let error = reported.expect("an AccountError event");
    assert!(
        error.summary.contains("refused to move"),
        "{}",
        error.summary
    );
    assert_eq!(
        t.folder("INBOX").total,
        2,
        "the message is back where the server has it"
    );
    assert_eq!(t.on_server("INBOX"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_is_not_made_to_another_message_after_a_uidvalidity_change() {
    let t = setup("opvalidity", 2).await;
    t.engine
        .set_flags(
            &[t.id("INBOX", 1)],
            FlagChange {
                flagged: Some(true),
                ..FlagChange::default()
            },
        )
        .expect("flag");
    let status = t
        .servers
        .doveadm(&[
            "-f",
            "flow",
            "mailbox",
            "status",
            "-u",
            &t.user.email,
            "uidvalidity",
            "INBOX",
        ])
        .expect("doveadm");
    let old: u32 = status
        .split_whitespace()
        .find_map(|kv| kv.strip_prefix("uidvalidity="))
        .and_then(|v| v.parse().ok())
        .expect("uidvalidity");
    t.servers
        .doveadm(&[
            "mailbox",
            "update",
            "-u",
            &t.user.email,
            "--uid-validity",
            &(old + 1000).to_string(),
            "INBOX",
        ])
        .expect("doveadm");
    assert_eq!(t.replay().await, 1, "settled by dropping it");
    assert_eq!(t.pending(), 0);
    assert!(
        !t.server_flags("INBOX", 1).contains("\\Flagged"),
        "UID 1 of the new UIDVALIDITY is not the message the user flagged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_move_and_uidplus_a_move_is_copy_then_delete_and_expunge() {
    let t = setup("opfallback", 3).await;
    let mut conn = petrel_engine::imap::Connection::connect(
        &petrel_engine::net::Tls::platform().expect("tls"),
        &t.account.incoming,
        &t.user.password,
    )
    .await
    .expect("connect");
    conn.forget_capability("MOVE");
    conn.forget_capability("UIDPLUS");
    assert!(!conn.has_capability("MOVE") && !conn.uidplus());
    let (exists, _) = conn.select_for_changes("INBOX").await.expect("select");
    assert_eq!(exists, 3);
    conn.move_message(2, "Archive").await.expect("move");
    conn.logout().await;
    assert_eq!(t.on_server("INBOX"), 2, "the original is expunged");
    assert_eq!(t.on_server("Archive"), 1);
    let gone = t.servers.doveadm(&[
        "fetch",
        "-u",
        &t.user.email,
        "uid",
        "mailbox",
        "INBOX",
        "all",
    ]);
    let uids: Vec<String> = gone
        .expect("doveadm")
        .lines()
        .filter_map(|l| l.strip_prefix("uid: ").map(str::to_string))
        .collect();
    assert_eq!(
        uids,
        vec!["1", "3"],
        "only the moved message left the INBOX"
    );
}
