//! Incremental sync against the real Dovecot from petrel-testkit: QRESYNC, CONDSTORE and the
//! plain fallback, and UIDVALIDITY resets.

use petrel_engine::engine::server;
use petrel_engine::imap::{Connection, Extensions, SyncMode};
use petrel_engine::model::{Account, EngineEvent, Folder, MessageSummary, NewAccount, Security};
use petrel_engine::net::Tls;
use petrel_engine::secrets::Secrets;
use petrel_engine::Engine;
use petrel_testkit::{corpus, Servers, TestUser};

struct Setup {
    servers: &'static Servers,
    _dir: tempfile::TempDir,
    engine: Engine,
    user: TestUser,
    account: Account,
}

/// A fresh user with `n` messages in the INBOX, added as an account over IMAPS.
async fn setup(prefix: &str, n: usize) -> Setup {
    let servers = Servers::shared().expect("test mail servers");
    std::env::set_var("SSL_CERT_FILE", &servers.ca_file);
    let dir = tempfile::tempdir().expect("temp dir");
    let engine =
        Engine::open(dir.path(), Secrets::file(dir.path().join("secrets.json"))).expect("engine");
    let user = servers.new_user(prefix).expect("user");
    if n > 0 {
        servers
            .fill_mailbox(
                &user.email,
                "INBOX",
                &corpus::generate(n, 11, &servers.domain),
            )
            .expect("fill");
    }
    let account = engine
        .add_account(NewAccount {
            display_name: "Sync Test".into(),
            email: user.email.clone(),
            password: user.password.clone(),
            imap: server(
                &servers.host,
                Some(servers.imaps_port),
                Security::Tls,
                &user.email,
                true,
            ),
            smtp: server(
                &servers.host,
                Some(servers.submissions_port),
                Security::Tls,
                &user.email,
                false,
            ),
        })
        .await
        .expect("account");
    Setup {
        servers,
        _dir: dir,
        engine,
        user,
        account,
    }
}

impl Setup {
    fn inbox(&self) -> Folder {
        self.engine
            .folders(self.account.id)
            .expect("folders")
            .into_iter()
            .find(|f| f.path == "INBOX")
            .expect("an INBOX")
    }

    fn summary(&self, folder: &Folder, uid: u32) -> Option<MessageSummary> {
        let id = self
            .engine
            .store()
            .message_id_for_uid(folder.id, uid)
            .expect("store")?;
        self.engine
            .store()
            .message_summaries(&[id])
            .expect("store")
            .pop()
    }

    fn doveadm(&self, args: &[&str]) -> String {
        self.servers.doveadm(args).expect("doveadm")
    }

    fn deliver(&self, subject: &str) {
        self.servers
            .deliver_raw(
                &self.user.email,
                "INBOX",
                &corpus::simple(
                    subject,
                    "Pusher <push@petrel.test>",
                    &self.user.email,
                    "pushed\r\n",
                ),
            )
            .expect("deliver");
    }

    /// A connection using at most `allowed` sync extensions, to exercise the fallbacks.
    async fn limited_connection(&self, allowed: Extensions) -> Connection {
        Connection::connect_with(
            &Tls::platform().expect("tls"),
            &self.account.imap,
            &self.user.password,
            allowed,
        )
        .await
        .expect("connect")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qresync_resync_sees_flags_and_expunges_and_costs_nothing_when_idle() {
    let t = setup("qresync", 6).await;
    t.engine.sync_account(t.account.id).await.expect("sync");
    let inbox = t.inbox();
    assert_eq!(inbox.total, 6);

    let quiet = t.engine.sync_folder(inbox.id).await.expect("resync");
    assert_eq!(quiet.mode, SyncMode::Qresync);
    assert_eq!(quiet.fetched, 0, "a no-change resync fetches nothing");
    assert!(!quiet.changed());

    t.doveadm(&[
        "flags",
        "add",
        "-u",
        &t.user.email,
        "\\Flagged \\Seen",
        "mailbox",
        "INBOX",
        "uid",
        "2",
    ]);
    t.doveadm(&[
        "expunge",
        "-u",
        &t.user.email,
        "mailbox",
        "INBOX",
        "uid",
        "4",
    ]);
    t.deliver("Third party");
    let changes = t.engine.sync_folder(inbox.id).await.expect("resync");
    assert_eq!(changes.mode, SyncMode::Qresync);
    assert_eq!(changes.flags_changed, 1, "{changes:?}");
    assert_eq!(changes.removed, 1, "{changes:?}");
    assert_eq!(changes.new_ids.len(), 1, "{changes:?}");
    let two = t.summary(&inbox, 2).expect("uid 2 is kept");
    assert!(two.flagged && two.seen, "{two:?}");
    assert!(t.summary(&inbox, 4).is_none(), "uid 4 is gone");
    assert_eq!(t.inbox().total, 6);

    t.doveadm(&[
        "flags",
        "remove",
        "-u",
        &t.user.email,
        "\\Seen",
        "mailbox",
        "INBOX",
        "uid",
        "2",
    ]);
    let again = t.engine.sync_folder(inbox.id).await.expect("resync");
    assert_eq!(again.flags_changed, 1);
    assert!(!t.summary(&inbox, 2).expect("uid 2").seen);
    assert_eq!(
        t.engine
            .sync_folder(inbox.id)
            .await
            .expect("resync")
            .fetched,
        0
    );
}

/// Server changes: flag uid 1, expunge uid 3, one new message; then a sync over `conn`.
async fn server_changes_then_sync(t: &Setup, mut conn: Connection, expected: SyncMode) {
    let inbox = t.inbox();
    let state = t.engine.store().folder_state(inbox.id).expect("state");
    let quiet = conn
        .sync_folder(t.engine.store(), &state, |_, _| {})
        .await
        .expect("sync");
    assert_eq!(quiet.mode, expected);
    assert!(!quiet.changed(), "{quiet:?}");
    if expected == SyncMode::Condstore {
        assert_eq!(quiet.fetched, 0, "CONDSTORE with no change fetches nothing");
    }

    t.doveadm(&[
        "flags",
        "add",
        "-u",
        &t.user.email,
        "\\Flagged",
        "mailbox",
        "INBOX",
        "uid",
        "1",
    ]);
    t.doveadm(&[
        "expunge",
        "-u",
        &t.user.email,
        "mailbox",
        "INBOX",
        "uid",
        "3",
    ]);
    t.deliver("Fallback news");
    let state = t.engine.store().folder_state(inbox.id).expect("state");
    let out = conn
        .sync_folder(t.engine.store(), &state, |_, _| {})
        .await
        .expect("sync");
    conn.logout().await;
    assert_eq!(out.mode, expected);
    assert_eq!(
        (out.flags_changed, out.removed, out.new_ids.len()),
        (1, 1, 1),
        "{out:?}"
    );
    assert!(t.summary(&inbox, 1).expect("uid 1").flagged);
    assert!(t.summary(&inbox, 3).is_none());
    assert_eq!(t.inbox().total, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn condstore_without_qresync_finds_the_same_changes() {
    let t = setup("condstore", 5).await;
    t.engine.sync_account(t.account.id).await.expect("sync");
    let conn = t
        .limited_connection(Extensions {
            qresync: false,
            condstore: true,
        })
        .await;
    assert!(conn.condstore() && !conn.qresync());
    server_changes_then_sync(&t, conn, SyncMode::Condstore).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_without_modseq_get_the_full_flag_fallback() {
    let t = setup("nomodseq", 5).await;
    t.engine.sync_account(t.account.id).await.expect("sync");
    let conn = t
        .limited_connection(Extensions {
            qresync: false,
            condstore: false,
        })
        .await;
    server_changes_then_sync(&t, conn, SyncMode::Full).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_uidvalidity_change_starts_the_folder_over_and_keeps_bodies() {
    let t = setup("uidvalidity", 5).await;
    let mut events = t.engine.subscribe();
    let report = t.engine.sync_account(t.account.id).await.expect("sync");
    assert_eq!(report.bodies, 5, "the INBOX bodies are downloaded");
    let inbox = t.inbox();

    let status = t.doveadm(&[
        "-f",
        "flow",
        "mailbox",
        "status",
        "-u",
        &t.user.email,
        "uidvalidity",
        "INBOX",
    ]);
    let old: u32 = status
        .split_whitespace()
        .find_map(|kv| kv.strip_prefix("uidvalidity="))
        .and_then(|v| v.parse().ok())
        .expect("uidvalidity");
    let new = (old + 1000).to_string();
    t.doveadm(&[
        "mailbox",
        "update",
        "-u",
        &t.user.email,
        "--uid-validity",
        &new,
        "INBOX",
    ]);

    let out = t.engine.sync_folder(inbox.id).await.expect("resync");
    assert!(out.uidvalidity_reset, "{out:?}");
    assert_eq!(out.mode, SyncMode::Initial);
    assert_eq!(out.new_ids.len(), 5);
    assert_eq!(out.bodies_kept, 5, "bodies matched again by Message-ID");
    let after = t.engine.messages(inbox.id, 0, 10).expect("page");
    assert_eq!(after.total, 5, "the old rows are gone, nothing is doubled");
    for m in &after.items {
        assert!(t.engine.store().has_body(m.id).expect("store"), "{m:?}");
        let view = t.engine.store().message_view(m.id).expect("store");
        assert!(view.is_some_and(|v| !v.text.is_empty()));
    }
    let state = t.engine.store().folder_state(inbox.id).expect("state");
    assert_eq!(state.uidvalidity, Some(old + 1000));
    assert!(state.highestmodseq.is_some());
    // The same mail again is no news.
    while let Ok(e) = events.try_recv() {
        assert!(!matches!(e, EngineEvent::NewMail { .. }), "{e:?}");
    }
    // And the next resync is cheap again.
    let next = t.engine.sync_folder(inbox.id).await.expect("resync");
    assert_eq!((next.mode, next.fetched), (SyncMode::Qresync, 0));
}
