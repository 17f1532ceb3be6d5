//! Incremental sync and push against the real Dovecot from petrel-testkit: QRESYNC, CONDSTORE and
//! the plain fallback, UIDVALIDITY resets, IDLE delivering `NewMail`, and the push connection
//! coming back after the server drops it.

mod common;

use std::time::{Duration, Instant};

use petrel_engine::engine::server;
use petrel_engine::imap::{Connection, Extensions, SyncMode};
use petrel_engine::model::{
    Account, EngineEvent, Folder, IncomingProtocol, MessageSummary, NewAccount, Security,
};
use petrel_engine::net::Tls;
use petrel_engine::{Engine, SyncConfig};
use petrel_testkit::{corpus, Servers, TestUser};
use tokio::sync::broadcast;

struct Setup {
    servers: &'static Servers,
    _dir: tempfile::TempDir,
    engine: Engine,
    user: TestUser,
    account: Account,
}

/// A fresh user with `n` messages in the INBOX, added as an account over IMAPS.
async fn setup(prefix: &str, n: usize) -> Setup {
    setup_on(prefix, n, None).await
}

/// [`setup`], with the account's IMAPS port replaced (by a relay's).
async fn setup_on(prefix: &str, n: usize, imaps_port: Option<u16>) -> Setup {
    let (servers, user) = common::user_with_mail(prefix, n, 11);
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = common::open_engine(dir.path());
    let mut new = common::tls_account(servers, &user, "Sync Test");
    if let Some(port) = imaps_port {
        new.incoming.port = port;
    }
    let account = engine.add_account(new).await.expect("account");
    Setup {
        servers,
        _dir: dir,
        engine,
        user,
        account,
    }
}

/// The INBOX of an account, as the engine lists it.
fn inbox_of(engine: &Engine, account_id: i64) -> Folder {
    engine
        .folders(account_id)
        .expect("folders")
        .into_iter()
        .find(|f| f.path == "INBOX")
        .expect("an INBOX")
}

/// An engine on a fresh folder with `user`'s account reading over plain IMAP through `relay`
/// (loopback only, so that a cut is a clean end of stream).
async fn relayed_engine(
    servers: &Servers,
    user: &TestUser,
    relay: &Relay,
    name: &str,
) -> (tempfile::TempDir, Engine, Account) {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = common::open_engine(dir.path());
    let mut new = common::tls_account(servers, user, name);
    new.incoming = server(
        &servers.host,
        Some(relay.port),
        Security::Plain,
        &user.email,
        true,
    );
    let account = engine.add_account(new).await.expect("account");
    (dir, engine, account)
}

impl Setup {
    fn inbox(&self) -> Folder {
        inbox_of(&self.engine, self.account.id)
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

    /// Pids of the user's IMAP connections, from `doveadm who`.
    fn imap_pids(&self) -> Vec<String> {
        self.doveadm(&["who", "-1", &self.user.email])
            .lines()
            .filter(|l| l.contains(&self.user.email) && l.contains("imap"))
            .filter_map(|l| l.split_whitespace().nth(2).map(str::to_string))
            .collect()
    }

    /// A connection using at most `allowed` sync extensions, to exercise the fallbacks.
    async fn limited_connection(&self, allowed: Extensions) -> Connection {
        Connection::connect_with(
            &Tls::platform().expect("tls"),
            &self.account.incoming,
            &self.user.password,
            allowed,
        )
        .await
        .expect("connect")
    }
}

fn test_clocks() -> SyncConfig {
    SyncConfig {
        // Long enough that only IDLE can explain what a test sees.
        poll_every: Duration::from_secs(600),
        backoff_first: Duration::from_millis(200),
        backoff_max: Duration::from_secs(2),
        ..SyncConfig::default()
    }
}

/// The next `NewMail` event within `limit`, ignoring other events.
async fn new_mail(
    events: &mut broadcast::Receiver<EngineEvent>,
    limit: Duration,
) -> Option<Vec<MessageSummary>> {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Err(_) => return None,
            Ok(Ok(EngineEvent::NewMail { messages, .. })) => return Some(messages),
            Ok(Ok(_)) => {}
            Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(broadcast::error::RecvError::Closed)) => return None,
        }
    }
}

async fn wait_until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Starts the background sync and waits until its first pass is done and the push connection
/// is the only one left open.
async fn start_push(t: &Setup) -> (petrel_engine::Background, broadcast::Receiver<EngineEvent>) {
    start_push_with(t, test_clocks()).await
}

async fn start_push_with(
    t: &Setup,
    clocks: SyncConfig,
) -> (petrel_engine::Background, broadcast::Receiver<EngineEvent>) {
    let mut events = t.engine.subscribe();
    let background = t.engine.start_background_with(clocks).expect("start");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Ok(EngineEvent::SyncDone { account_id })) if account_id == t.account.id => break,
            Ok(Ok(EngineEvent::NewMail { .. })) => panic!("NewMail during the first sync"),
            Ok(Ok(EngineEvent::AccountError { error, .. })) => panic!("sync failed: {error:?}"),
            Ok(_) => {}
            Err(_) => panic!("the first background sync did not finish"),
        }
    }
    wait_until("only the push connection", Duration::from_secs(10), || {
        t.imap_pids().len() == 1
    })
    .await;
    // Let the push connection finish its INBOX sync and enter IDLE.
    tokio::time::sleep(Duration::from_millis(500)).await;
    (background, events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_mail_arrives_through_idle_within_two_seconds() {
    let t = setup("idle", 3).await;
    let (background, mut events) = start_push(&t).await;
    assert_eq!(t.inbox().total, 3);

    t.deliver("Pushed to you");
    let started = Instant::now();
    let messages = new_mail(&mut events, Duration::from_secs(2))
        .await
        .expect("a NewMail event within 2 s of delivery");
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0].subject, "Pushed to you");
    assert!(!messages[0].seen);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(t.inbox().total, 4);
    background.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_comes_back_after_the_server_drops_the_connection() {
    let t = setup("kick", 2).await;
    let (background, mut events) = start_push(&t).await;
    let before = t.imap_pids();
    assert_eq!(before.len(), 1);

    let kicked = t.doveadm(&["kick", &t.user.email]);
    assert!(kicked.contains(&t.user.email), "kick said: {kicked}");
    wait_until("a new push connection", Duration::from_secs(15), || {
        let now = t.imap_pids();
        now.len() == 1 && now != before
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    // The reconnected connection may still be logging in on a loaded machine: allow for it
    // (the 2 s latency is `new_mail_arrives_through_idle_within_two_seconds`'s business).
    t.deliver("After the reconnect");
    let messages = new_mail(&mut events, Duration::from_secs(10))
        .await
        .expect("NewMail through the new IDLE connection");
    assert_eq!(messages[0].subject, "After the reconnect");
    background.shutdown().await;
    wait_until(
        "the push connection to close",
        Duration::from_secs(10),
        || t.imap_pids().is_empty(),
    )
    .await;
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
    // The corpus spans two years: keep all of it offline, whatever the prefetch window.
    t.engine
        .set_body_policy(
            t.account.id,
            petrel_engine::model::BodyPolicy {
                keep_all_offline: true,
                ..Default::default()
            },
        )
        .expect("policy");
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

/// A byte-for-byte TCP relay to an IMAP port that can break connections two ways:
/// - `freeze` makes every connection open at that moment stop passing data while staying open
///   (no FIN, no RST), the way a connection dies behind a NAT or on a dropped network;
/// - `cut_after` closes a connection cleanly at the first response boundary (`\r\n* `) after that
///   many bytes from the server, the way a server going away mid-answer looks on plain IMAP.
///
/// Later connections relay normally (unless `cut_after` still applies). `down` counts the bytes
/// the server sent.
struct Relay {
    port: u16,
    accepted: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    freeze: tokio::sync::watch::Sender<u32>,
    cut_after: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    down: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    async fn start(target: (String, u16)) -> Relay {
        use std::sync::atomic::Ordering;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (freeze, freeze_rx) = tokio::sync::watch::channel(0u32);
        let count = accepted.clone();
        let cut_after = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(usize::MAX));
        let down = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (budget, total) = (cut_after.clone(), down.clone());
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let mut frozen = freeze_rx.clone();
                frozen.borrow_and_update();
                let target = target.clone();
                let budget = budget.load(Ordering::SeqCst);
                let total = total.clone();
                tokio::spawn(async move {
                    let mut sent = 0usize;
                    let Ok(server) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    let (mut cr, mut cw) = client.into_split();
                    let (mut sr, mut sw) = server.into_split();
                    let mut a = [0u8; 16384];
                    let mut b = [0u8; 16384];
                    loop {
                        tokio::select! {
                            _ = frozen.changed() => {
                                // Hold both sockets open and pass nothing, for ever.
                                let _keep = (cr, cw, sr, sw);
                                std::future::pending::<()>().await;
                                return;
                            }
                            n = cr.read(&mut a) => match n {
                                Ok(n) if n > 0 => if sw.write_all(&a[..n]).await.is_err() { return },
                                _ => return,
                            },
                            n = sr.read(&mut b) => match n {
                                Ok(n) if n > 0 => {
                                    total.fetch_add(n, Ordering::SeqCst);
                                    let data = &b[..n];
                                    let from = budget.saturating_sub(sent).min(n);
                                    sent += n;
                                    let boundary = (sent > budget)
                                        .then(|| data[from..].windows(4).position(|w| w == b"\r\n* "))
                                        .flatten();
                                    if let Some(i) = boundary {
                                        // Up to and with the CRLF, then a clean close.
                                        let _ = cw.write_all(&data[..from + i + 2]).await;
                                        let _ = cw.shutdown().await;
                                        return;
                                    }
                                    if cw.write_all(data).await.is_err() { return }
                                }
                                _ => return,
                            },
                        }
                    }
                });
            }
        });
        Relay {
            port,
            accepted,
            freeze,
            cut_after,
            down,
            task,
        }
    }

    fn accepted(&self) -> usize {
        self.accepted.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silently_dead_push_connection_is_noticed_and_replaced() {
    let servers = Servers::shared().expect("test mail servers");
    std::env::set_var("SSL_CERT_FILE", &servers.ca_file);
    let relay = Relay::start((servers.host.clone(), servers.imaps_port)).await;
    let t = setup_on("deadconn", 2, Some(relay.port)).await;
    // Short clocks: silent for 1 s → probe, to be answered within 3 s (a loaded test machine
    // may be slow to answer; the real clocks give 10 s).
    let clocks = SyncConfig {
        idle_quiet: Duration::from_secs(1),
        answer_within: Duration::from_secs(3),
        backoff_max: Duration::from_secs(1),
        ..test_clocks()
    };
    let (background, mut events) = start_push_with(&t, clocks).await;
    // Probes keep a live connection: still the same one after several quiet periods.
    let before = relay.accepted();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(relay.accepted(), before, "a live connection is kept");

    relay.freeze.send_modify(|g| *g += 1);
    let frozen_at = Instant::now();
    wait_until("a replacement connection", Duration::from_secs(12), || {
        relay.accepted() > before
    })
    .await;
    // quiet (1 s) + answer (3 s) + first backoff (0.2 s), with room for a slow machine.
    assert!(frozen_at.elapsed() < Duration::from_secs(10));
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // What matters here is that the replacement connection delivers at all; the 2 s latency
    // is the business of `new_mail_arrives_through_idle` (a loaded machine may still be
    // logging the new connection in when the mail arrives).
    t.deliver("Through the new connection");
    let messages = new_mail(&mut events, Duration::from_secs(15))
        .await
        .unwrap_or_else(|| {
            panic!(
                "no NewMail through the replacement connection ({} connections made)",
                relay.accepted()
            )
        });
    assert_eq!(messages[0].subject, "Through the new connection");
    background.shutdown().await;
}

/// `Some((first, last))` when the sorted UIDs are exactly first..=last, without a gap.
fn span(uids: &[u32]) -> Option<(u32, u32)> {
    let (first, last) = (*uids.first()?, *uids.last()?);
    (uids.windows(2).all(|w| w[1] == w[0] + 1)).then_some((first, last))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_sync_cut_mid_listing_resumes_without_gaps_or_duplicates() {
    use std::sync::atomic::Ordering;
    const N: usize = 3000;
    let (servers, user) = common::user_with_mail("cut", N, 21);
    // Plain IMAP (allowed on loopback only), so that a close is a clean end of stream: the case
    // where a truncated answer could pass for a complete one.
    let relay = Relay::start((servers.host.clone(), servers.imap_port)).await;
    let via_relay = server(
        &servers.host,
        Some(relay.port),
        Security::Plain,
        &user.email,
        true,
    );
    let direct = server(
        &servers.host,
        Some(servers.imaps_port),
        Security::Tls,
        &user.email,
        true,
    );
    let tls = Tls::platform().expect("tls");
    let dir = tempfile::tempdir().expect("temp dir");
    let store_at = |name: &str| {
        let store = petrel_engine::store::Store::open(&dir.path().join(name)).expect("store");
        let account = store
            .insert_account(&NewAccount {
                display_name: "Cut".into(),
                email: user.email.clone(),
                password: String::new(),
                protocol: IncomingProtocol::Imap,
                incoming: via_relay.clone(),
                smtp: direct.clone(),
                pop3: None,
            })
            .expect("account");
        (store, account.id)
    };
    async fn first_sync(
        tls: &Tls,
        settings: &petrel_engine::model::ServerSettings,
        password: &str,
        store: &petrel_engine::store::Store,
        account_id: i64,
    ) -> petrel_engine::Result<i64> {
        let mut conn = Connection::connect(tls, settings, password).await?;
        let entries = conn.list_folders().await?;
        store.sync_folder_list(account_id, &entries)?;
        let inbox = store
            .folder_by_role(account_id, petrel_engine::model::FolderRole::Inbox)?
            .expect("an INBOX");
        conn.sync_folder(store, &inbox, |_, _| {}).await?;
        conn.logout().await;
        Ok(inbox.id)
    }

    // How many bytes a whole first listing takes through the relay.
    let (measure, measure_account) = store_at("measure.sqlite3");
    first_sync(&tls, &via_relay, &user.password, &measure, measure_account)
        .await
        .expect("a whole first sync");
    let whole = relay.down.load(Ordering::SeqCst);

    // The same, cut in the middle: it fails, and what it stored is whole chunks only.
    let (store, account_id) = store_at("cut.sqlite3");
    relay.cut_after.store(whole / 2, Ordering::SeqCst);
    let cut = first_sync(&tls, &via_relay, &user.password, &store, account_id).await;
    assert!(cut.is_err(), "the cut sync must fail: {cut:?}");
    let inbox = store
        .folder_by_role(account_id, petrel_engine::model::FolderRole::Inbox)
        .expect("store")
        .expect("an INBOX");
    let stored = store.message_count(inbox.id).expect("count") as usize;
    assert!(stored > 0 && stored < N, "stored {stored} of {N}");
    assert_eq!(
        span(&store.uids(inbox.id).expect("uids")),
        Some(((N - stored + 1) as u32, N as u32)),
        "only whole chunks, newest first, are kept"
    );

    // Resumed on a good connection: everything, once, and the next sync is the cheap one.
    let mut conn = Connection::connect(&tls, &direct, &user.password)
        .await
        .expect("connect");
    let state = store.folder_state(inbox.id).expect("state");
    let resumed = conn
        .sync_folder(&store, &state, |_, _| {})
        .await
        .expect("resume");
    assert!(resumed.initial, "finishing the first listing is no news");
    assert_eq!(resumed.new_ids.len(), N - stored);
    let uids = store.uids(inbox.id).expect("uids");
    assert_eq!((uids.len(), span(&uids)), (N, Some((1, N as u32))));
    let state = store.folder_state(inbox.id).expect("state");
    let again = conn
        .sync_folder(&store, &state, |_, _| {})
        .await
        .expect("resync");
    assert_eq!((again.mode, again.fetched), (SyncMode::Qresync, 0));
    conn.logout().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_is_reissued_on_the_same_connection_and_keeps_delivering() {
    let servers = Servers::shared().expect("test mail servers");
    let relay = Relay::start((servers.host.clone(), servers.imaps_port)).await;
    let t = setup_on("reissue", 1, Some(relay.port)).await;
    // IDLE re-issued every second (the real clock: 25 minutes); no probes in between.
    let clocks = SyncConfig {
        idle_restart: Duration::from_secs(1),
        idle_quiet: Duration::from_secs(30),
        ..test_clocks()
    };
    let (background, mut events) = start_push_with(&t, clocks).await;
    let connections = relay.accepted();
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert_eq!(relay.accepted(), connections, "no reconnection");
    assert_eq!(t.imap_pids().len(), 1);

    t.deliver("After three re-issues");
    let messages = new_mail(&mut events, Duration::from_secs(2))
        .await
        .expect("NewMail after the IDLE was re-issued");
    assert_eq!(messages[0].subject, "After three re-issues");
    background.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_all_mail_offline_downloads_every_body_once() {
    let t = setup("offline", 620).await;
    // No prefetch (a window of 0 days): every body is left to download_all_bodies.
    t.engine
        .set_body_policy(
            t.account.id,
            petrel_engine::model::BodyPolicy {
                prefetch_days: 0,
                ..Default::default()
            },
        )
        .expect("policy");
    let report = t.engine.sync_account(t.account.id).await.expect("sync");
    assert_eq!(report.bodies, 0, "nothing prefetched");
    let inbox = t.inbox();
    let missing = t
        .engine
        .store()
        .messages_without_body(inbox.id, u32::MAX)
        .expect("store");
    assert_eq!(missing.len(), 620);

    let mut calls = Vec::new();
    let got = t
        .engine
        .download_all_bodies(inbox.id, |done, total| calls.push((done, total)))
        .await
        .expect("download");
    assert_eq!(got, 620);
    assert_eq!(calls.last(), Some(&(620, 620)), "{calls:?}");
    assert!(calls.windows(2).all(|w| w[0].0 < w[1].0), "{calls:?}");
    let store = t.engine.store();
    assert!(store
        .messages_without_body(inbox.id, u32::MAX)
        .expect("store")
        .is_empty());
    // Every body is the whole message: as long as the server's RFC822.SIZE.
    for (id, _, size) in &missing {
        let raw = store.raw_body(*id).expect("store").expect("a body");
        assert_eq!(raw.len(), *size as usize, "message {id}");
    }
    let view = store
        .message_view(missing[0].0)
        .expect("store")
        .expect("view");
    assert!(!view.text.is_empty() || !view.attachments.is_empty());

    let again = t
        .engine
        .download_all_bodies(inbox.id, |_, _| {})
        .await
        .expect("download");
    assert_eq!(again, 0, "nothing is downloaded twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_download_cut_midway_keeps_whole_bodies_and_resumes() {
    use std::sync::atomic::Ordering;
    const N: usize = 1500;
    let (servers, user) = common::user_with_mail("bodycut", N, 23);
    // Plain IMAP through the relay (loopback only), so that the cut is a clean end of stream.
    let relay = Relay::start((servers.host.clone(), servers.imap_port)).await;
    let (_dir, engine, account) = relayed_engine(servers, &user, &relay, "Body Cut").await;
    engine
        .set_body_policy(
            account.id,
            petrel_engine::model::BodyPolicy {
                prefetch_days: 0,
                ..Default::default()
            },
        )
        .expect("policy");
    engine.sync_account(account.id).await.expect("sync");
    let inbox = inbox_of(&engine, account.id);
    let store = engine.store();
    let missing = store
        .messages_without_body(inbox.id, u32::MAX)
        .expect("store");
    assert_eq!(missing.len(), N);
    let bytes: usize = missing.iter().map(|m| m.2 as usize).sum();
    // Whole bodies only: each stored one is exactly as long as the server's RFC822.SIZE.
    let check_stored = || {
        let mut stored = 0;
        for (id, _, size) in &missing {
            if let Some(raw) = store.raw_body(*id).expect("store") {
                assert_eq!(raw.len(), *size as usize, "message {id}");
                stored += 1;
            }
        }
        stored
    };

    relay.cut_after.store(bytes / 2, Ordering::SeqCst);
    let cut = engine.download_all_bodies(inbox.id, |_, _| {}).await;
    assert!(cut.is_err(), "the cut download must fail: {cut:?}");
    let stored = check_stored();
    assert!(stored > 0 && stored < N, "stored {stored} of {N}");

    relay.cut_after.store(usize::MAX, Ordering::SeqCst);
    let resumed = engine
        .download_all_bodies(inbox.id, |_, _| {})
        .await
        .expect("resume");
    assert_eq!(resumed, N - stored, "the rest, and nothing twice");
    assert_eq!(check_stored(), N);
    let again = engine
        .download_all_bodies(inbox.id, |_, _| {})
        .await
        .expect("download");
    assert_eq!(again, 0);
}

/// Every message of the folder as the reader and the list see it, by UID, with its raw body:
/// what two ways of syncing the same mailbox must agree on (row ids left out).
fn folder_contents(
    engine: &Engine,
    folder: &Folder,
) -> Vec<(
    u32,
    Option<petrel_engine::model::MessageView>,
    Option<Vec<u8>>,
)> {
    let store = engine.store();
    store
        .uids(folder.id)
        .expect("uids")
        .into_iter()
        .map(|uid| {
            let id = store
                .message_id_for_uid(folder.id, uid)
                .expect("store")
                .expect("a row");
            let view = store.message_view(id).expect("store").map(|mut v| {
                (v.summary.id, v.summary.folder_id) = (0, 0);
                v
            });
            (uid, view, store.raw_body(id).expect("store"))
        })
        .collect()
}

fn keep_all(max_prefetch_bytes: u32) -> petrel_engine::model::BodyPolicy {
    petrel_engine::model::BodyPolicy {
        keep_all_offline: true,
        max_prefetch_bytes,
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_all_mail_offline_lists_in_one_pass_what_headers_then_bodies_store() {
    const N: usize = 1300;
    let (servers, user) = common::user_with_mail("onepass", N, 25);
    let add = |name: &'static str| {
        let dir = tempfile::tempdir().expect("temp dir");
        let engine = common::open_engine(dir.path());
        let new = common::tls_account(servers, &user, name);
        async move {
            let account = engine.add_account(new).await.expect("account");
            (dir, engine, account)
        }
    };

    // The header listing, then every body.
    let (_a_dir, a, a_account) = add("Headers").await;
    a.set_body_policy(
        a_account.id,
        petrel_engine::model::BodyPolicy {
            prefetch_days: 0,
            ..Default::default()
        },
    )
    .expect("policy");
    a.sync_account(a_account.id).await.expect("sync");
    let a_inbox = inbox_of(&a, a_account.id);
    let mut sizes: Vec<u32> = a
        .store()
        .messages_without_body(a_inbox.id, u32::MAX)
        .expect("store")
        .iter()
        .map(|m| m.2)
        .collect();
    assert_eq!(sizes.len(), N);
    a.download_all_bodies(a_inbox.id, |_, _| {})
        .await
        .expect("download");

    // One pass, with a size limit that leaves the 20 largest messages out.
    sizes.sort_unstable();
    let limit = sizes[N - 21];
    let large = sizes.iter().filter(|s| **s > limit).count();
    assert!(large > 0 && large <= 20, "{large}");
    let (_b_dir, b, b_account) = add("One pass").await;
    b.set_body_policy(b_account.id, keep_all(limit))
        .expect("policy");
    let mut events = b.subscribe();
    let report = b.sync_account(b_account.id).await.expect("sync");
    let b_inbox = inbox_of(&b, b_account.id);
    assert_eq!(report.bodies, N - large, "every body within the limit");
    assert_eq!(report.new_messages, N);
    let without: Vec<u32> = b
        .store()
        .messages_without_body(b_inbox.id, u32::MAX)
        .expect("store")
        .iter()
        .map(|m| m.2)
        .collect();
    assert_eq!(
        without.len(),
        large,
        "large messages are listed, not downloaded"
    );
    assert!(without.iter().all(|s| *s > limit));
    let mut progress = Vec::new();
    while let Ok(e) = events.try_recv() {
        if let EngineEvent::SyncProgress {
            folder,
            done,
            total,
            ..
        } = e
        {
            if folder == "INBOX" {
                progress.push((done, total));
            }
        }
    }
    assert_eq!(progress.first(), Some(&(500, N as u32)), "{progress:?}");
    assert_eq!(progress.last(), Some(&(N as u32, N as u32)), "{progress:?}");
    assert!(
        progress.windows(2).all(|w| w[0].0 <= w[1].0),
        "{progress:?}"
    );

    // The large ones on demand; then both stores hold the same rows and bodies.
    let got = b
        .download_all_bodies(b_inbox.id, |_, _| {})
        .await
        .expect("download");
    assert_eq!(got, large);
    let (left, right) = (folder_contents(&a, &a_inbox), folder_contents(&b, &b_inbox));
    assert_eq!(left.len(), N);
    for (l, r) in left.iter().zip(&right) {
        assert_eq!(l, r, "UID {}", l.0);
    }
    assert_eq!(left.len(), right.len());

    // Listed for good: the next sync is the cheap one, and nothing is downloaded twice.
    let again = b.sync_folder(b_inbox.id).await.expect("resync");
    assert_eq!((again.mode, again.fetched), (SyncMode::Qresync, 0));
    let again = b.sync_account(b_account.id).await.expect("sync");
    assert_eq!((again.new_messages, again.bodies), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_pass_first_sync_cut_midway_resumes_without_gaps_or_duplicates() {
    use std::sync::atomic::Ordering;
    const N: usize = 1500;
    let (servers, user) = common::user_with_mail("onepasscut", N, 27);
    // Plain IMAP through the relay (loopback only), so that the cut is a clean end of stream.
    let relay = Relay::start((servers.host.clone(), servers.imap_port)).await;
    let (_dir, engine, account) = relayed_engine(servers, &user, &relay, "One Pass Cut").await;
    engine
        .set_body_policy(account.id, keep_all(u32::MAX))
        .expect("policy");
    // The server's RFC822.SIZE of every message, over a direct connection.
    let mut conn = Connection::connect(
        &Tls::platform().expect("tls"),
        &common::tls_account(servers, &user, "Sizes").incoming,
        &user.password,
    )
    .await
    .expect("connect");
    conn.examine("INBOX").await.expect("examine");
    let sizes: std::collections::HashMap<u32, u32> = conn
        .sizes_below(u32::MAX)
        .await
        .expect("sizes")
        .into_iter()
        .collect();
    conn.logout().await;
    assert_eq!(sizes.len(), N);
    let bytes: usize = sizes.values().map(|s| *s as usize).sum();

    relay.cut_after.store(bytes / 2, Ordering::SeqCst);
    let cut = engine.sync_account(account.id).await;
    assert!(cut.is_err(), "the cut sync must fail: {cut:?}");
    let inbox = inbox_of(&engine, account.id);
    let store = engine.store();
    let stored = store.message_count(inbox.id).expect("count") as usize;
    assert!(stored > 500 && stored < N, "stored {stored} of {N}");
    // Whatever is stored is whole: each body as long as the server's RFC822.SIZE.
    let check_bodies = || {
        let mut with_body = 0;
        for uid in store.uids(inbox.id).expect("uids") {
            let id = store
                .message_id_for_uid(inbox.id, uid)
                .expect("store")
                .expect("row");
            if let Some(raw) = store.raw_body(id).expect("store") {
                assert_eq!(raw.len() as u32, sizes[&uid], "UID {uid}");
                with_body += 1;
            }
        }
        with_body
    };
    assert!(check_bodies() > 0);

    // Resumed: every message once, every body, and then the folder is synced incrementally.
    relay.cut_after.store(usize::MAX, Ordering::SeqCst);
    let resumed = engine.sync_account(account.id).await.expect("resume");
    assert_eq!(resumed.new_messages, N - stored);
    let uids = store.uids(inbox.id).expect("uids");
    assert_eq!((uids.len(), span(&uids)), (N, Some((1, N as u32))));
    assert_eq!(check_bodies(), N);
    let again = engine.sync_folder(inbox.id).await.expect("resync");
    assert_eq!((again.mode, again.fetched), (SyncMode::Qresync, 0));
}
