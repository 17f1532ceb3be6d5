//! [`Engine`]: the one facade over store, servers and secrets that the desktop shell and the
//! command line share. Cheap to clone (an `Arc` inside); every method is safe to call from any
//! task. Reads come from the local store and never wait for the network.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

use crate::discovery::{Discovery, Dns, PortMap};
use crate::error::{Error, Result};
use crate::imap;
use crate::mime;
use crate::model::{
    Account, BodyPolicy, DiscoveryOutcome, DiscoveryProgress, EngineEvent, Folder, FolderRole,
    Identity, IncomingProtocol, MessagePage, MessageView, NewAccount, Pop3Settings, Security,
    ServerSettings,
};
use crate::net::Tls;
use crate::paths;
use crate::secrets::Secrets;
use crate::smtp;
use crate::store::{FlagChange, Store};

/// Bodies are fetched in UID sets of about this many bytes (by RFC822.SIZE) per FETCH command:
/// few round trips (the server idles during each), and the UID set stays a short command line.
const BODY_FETCH_BYTES: u64 = 32 << 20;
/// At most this many messages per FETCH command, however small they are.
const BODY_FETCH_MAX: usize = 2000;
/// Bodies are parsed and stored (one transaction) in batches of about this many bytes as they
/// arrive: small enough to keep memory flat and commit often.
const BODY_BATCH_BYTES: usize = 4 << 20;
/// How many batches may wait between two stages of the body pipeline.
const BODY_PIPELINE_DEPTH: usize = 2;

#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    data_dir: PathBuf,
    store: Store,
    secrets: Secrets,
    tls: Tls,
    events: broadcast::Sender<EngineEvent>,
    /// One sync pass at a time per account.
    sync_locks: Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>,
    /// One sync at a time per folder (a pass and an IDLE wake-up may meet on the INBOX).
    folder_locks: Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>,
    /// Told when accounts are added or removed, so the background scheduler follows.
    accounts_changed: tokio::sync::Notify,
    /// One replay of the operation queue at a time per account.
    replay_locks: Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>,
    /// Bumped whenever an operation is queued, to wake the replayers.
    queued: tokio::sync::watch::Sender<u64>,
    /// Bumped whenever the outbox changes, to wake the senders.
    outbox: tokio::sync::watch::Sender<u64>,
    /// How long a sent message waits in the outbox before it is handed to the server.
    undo_delay: Mutex<std::time::Duration>,
    /// The outgoing servers' SIZE limits, learnt once per account.
    size_limits: crate::compose::SizeLimits,
    /// Set while contacts are being collected in the background (one collector at a time).
    pub(crate) collecting_contacts: std::sync::atomic::AtomicBool,
    /// Only the process holding it sends the outbox (see `sync/sender_lock.rs`).
    sender_lock: crate::sync::sender_lock::SenderLock,
}

/// What a sync of one account did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub folders: usize,
    pub new_messages: usize,
    pub bodies: usize,
    /// FETCH responses received while listing (headers and flags, not bodies).
    pub fetched: usize,
}

/// How long an attachment staged by the composer is kept (see `store/staged.rs`).
const STAGED_MAX_AGE_SECS: i64 = 7 * 24 * 3600;

impl Engine {
    /// Opens the engine on the usual data folder (see [`paths::data_dir`]), with the password
    /// store the user chose (see [`Secrets::from_env`]).
    pub fn open_default() -> Result<Engine> {
        let dir = paths::data_dir()?;
        let secrets = Secrets::from_env(&dir);
        Engine::open(&dir, secrets)
    }

    pub fn open(data_dir: &Path, secrets: Secrets) -> Result<Engine> {
        let store = Store::open(&paths::database_path(data_dir))?;
        // Attachments staged by composers closed long ago (another process on the same folder,
        // such as the command line, may have a composer open now: hence the age).
        if let Err(e) = store.drop_stale_staged(STAGED_MAX_AGE_SECS) {
            tracing::warn!("could not drop old attachment copies: {e}");
        }
        let (events, _) = broadcast::channel(1024);
        Ok(Engine {
            inner: Arc::new(Inner {
                data_dir: data_dir.to_path_buf(),
                store,
                secrets,
                tls: Tls::platform()?,
                events,
                sync_locks: Mutex::new(HashMap::new()),
                folder_locks: Mutex::new(HashMap::new()),
                accounts_changed: tokio::sync::Notify::new(),
                replay_locks: Mutex::new(HashMap::new()),
                queued: tokio::sync::watch::channel(0).0,
                outbox: tokio::sync::watch::channel(0).0,
                undo_delay: Mutex::new(crate::sync::DEFAULT_UNDO_DELAY),
                size_limits: Default::default(),
                collecting_contacts: std::sync::atomic::AtomicBool::new(false),
                sender_lock: crate::sync::sender_lock::SenderLock::new(data_dir),
            }),
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Whether this process sends the data folder's outbox: only one process does, the one
    /// holding the lock file (taken now if it is free). The others queue messages for it.
    pub fn sends_outbox(&self) -> bool {
        self.inner.sender_lock.try_hold()
    }

    /// Starts collecting the contacts of newly stored messages on a task of its own, unless a
    /// collector is already running (see [`Engine::collect_contacts`]).
    pub(crate) fn spawn_collect_contacts(&self) {
        use std::sync::atomic::Ordering;
        if self.inner.collecting_contacts.swap(true, Ordering::AcqRel) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.inner
                .collecting_contacts
                .store(false, Ordering::Release);
            return;
        };
        let engine = self.clone();
        runtime.spawn(async move {
            engine.collect_contacts_quietly().await;
            engine
                .inner
                .collecting_contacts
                .store(false, Ordering::Release);
        });
    }

    /// Events from now on (sync progress, new mail, errors).
    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.inner.events.subscribe()
    }

    pub(crate) fn emit(&self, event: EngineEvent) {
        // No receiver is fine: nobody is listening (e.g. the command line).
        let _ = self.inner.events.send(event);
    }

    pub(crate) async fn password(&self, account_id: i64) -> Result<String> {
        let engine = self.clone();
        tokio::task::spawn_blocking(move || engine.inner.secrets.get(account_id))
            .await
            .map_err(|e| Error::Internal(format!("reading the keychain: {e}")))?
    }

    /// Discovery of settings, sharing the engine's TLS. Three environment variables point it at
    /// local servers for tests and demos (never needed in real use): `PETREL_DNS_SERVER`
    /// (ADDR:PORT of the only DNS server to ask), `PETREL_PROBE_PORTS` (`993=31993,…`: the ports
    /// guesses really connect to) and `PETREL_AUTOCONFIG_PORTS` (`HTTPS[,HTTP]` ports of
    /// autoconfig web servers).
    pub fn discovery(&self) -> Result<Discovery> {
        let mut d = Discovery::new(Dns::system(), self.inner.tls.clone());
        if let Ok(addr) = std::env::var("PETREL_DNS_SERVER") {
            let addr = addr.parse().map_err(|_| {
                Error::InvalidInput(format!("PETREL_DNS_SERVER={addr} is not ADDR:PORT"))
            })?;
            d = d.with_nameserver(addr);
        }
        if let Ok(ports) = std::env::var("PETREL_PROBE_PORTS") {
            d = d.with_port_map(PortMap::parse(&ports)?);
        }
        if let Ok(ports) = std::env::var("PETREL_AUTOCONFIG_PORTS") {
            let mut it = ports.split(',').map(|p| p.trim().parse::<u16>().ok());
            d = d.with_web_ports(it.next().flatten(), it.next().flatten());
        }
        Ok(d)
    }

    /// Finds the settings for an address; `progress` hears every source's state.
    pub async fn discover(
        &self,
        email: &str,
        progress: &(dyn Fn(&DiscoveryProgress) + Send + Sync),
    ) -> Result<DiscoveryOutcome> {
        self.discovery()?.discover(email, progress).await
    }

    /// Checks the settings against the real servers (log in to both), then saves the account
    /// and its password (to the keychain). Nothing is saved if anything fails.
    pub async fn add_account(&self, new: NewAccount) -> Result<Account> {
        let new = validate(new)?;
        let (incoming, outgoing) = tokio::join!(
            self.check_incoming(&new),
            smtp::check_login(&self.inner.tls, &new.smtp, &new.password)
        );
        incoming.map_err(|e| with_provider_advice(e, &new))?;
        outgoing.map_err(|e| with_provider_advice(e, &new))?;
        let account = self.inner.store.insert_account(&new)?;
        let engine = self.clone();
        let password = new.password.clone();
        let id = account.id;
        let stored = tokio::task::spawn_blocking(move || engine.inner.secrets.set(id, &password))
            .await
            .map_err(|e| Error::Internal(format!("writing the keychain: {e}")))
            .and_then(|r| r);
        if let Err(e) = stored {
            self.inner.store.delete_account(id)?;
            return Err(e);
        }
        self.inner.accounts_changed.notify_one();
        Ok(account)
    }

    /// Logs in to the incoming server (IMAP or POP3) and out again.
    async fn check_incoming(&self, new: &NewAccount) -> Result<()> {
        match new.protocol {
            IncomingProtocol::Imap => {
                imap::Connection::connect(&self.inner.tls, &new.incoming, &new.password)
                    .await?
                    .logout()
                    .await;
            }
            IncomingProtocol::Pop3 => {
                // QUIT ends the session cleanly (nothing was marked for deletion).
                crate::pop3::Client::connect(&self.inner.tls, &new.incoming, &new.password)
                    .await?
                    .quit()
                    .await?;
            }
        }
        Ok(())
    }

    /// Changes a POP3 account's download settings (leave on server, delete after N days,
    /// delete when deleted here, how often to check); the next check follows them.
    pub fn set_pop3_settings(&self, account_id: i64, settings: Pop3Settings) -> Result<()> {
        if settings.check_every_minutes == 0 {
            return Err(Error::InvalidInput(
                "Check for new mail at least once a minute (or less often).".into(),
            ));
        }
        if settings.delete_after_days == Some(0) {
            return Err(Error::InvalidInput(
                "Keep messages on the server for at least one day, or turn that option off.".into(),
            ));
        }
        self.inner.store.set_pop3_settings(account_id, &settings)?;
        self.inner.accounts_changed.notify_one();
        Ok(())
    }

    pub(crate) fn size_limits(&self) -> &crate::compose::SizeLimits {
        &self.inner.size_limits
    }

    pub(crate) fn tls(&self) -> &crate::net::Tls {
        &self.inner.tls
    }

    pub async fn remove_account(&self, account_id: i64) -> Result<()> {
        self.inner.store.delete_account(account_id)?;
        self.forget_size_limit(account_id);
        self.inner.accounts_changed.notify_one();
        let engine = self.clone();
        tokio::task::spawn_blocking(move || engine.inner.secrets.delete(account_id))
            .await
            .map_err(|e| Error::Internal(format!("writing the keychain: {e}")))?
    }

    pub fn accounts(&self) -> Result<Vec<Account>> {
        self.inner.store.accounts()
    }

    pub fn folders(&self, account_id: i64) -> Result<Vec<Folder>> {
        self.inner.store.folders(account_id)
    }

    pub fn messages(&self, folder_id: i64, offset: u32, limit: u32) -> Result<MessagePage> {
        self.inner
            .store
            .messages_page(folder_id, offset, limit.min(1000))
    }

    /// The message for the reader; its body is downloaded first if it is not stored yet (only
    /// its text for a large message: see [`crate::bodies`]).
    /// Opening a message marks it read, here at once and on the server through the operation
    /// queue (see [`Engine::set_flags`]).
    pub async fn message(&self, message_id: i64) -> Result<MessageView> {
        self.ensure_body(message_id).await?;
        let mut view = self
            .inner
            .store
            .message_view(message_id)?
            .ok_or_else(|| Error::NotFound("The message".to_string()))?;
        if !view.summary.seen {
            self.set_flags(
                &[message_id],
                FlagChange {
                    seen: Some(true),
                    ..FlagChange::default()
                },
            )?;
            view.summary.seen = true;
        }
        Ok(view)
    }

    /// Waits until an account is added or removed.
    pub(crate) async fn accounts_changed(&self) {
        self.inner.accounts_changed.notified().await
    }

    pub(crate) async fn connect_imap(&self, account_id: i64) -> Result<imap::Connection> {
        let account = self.inner.store.account(account_id)?;
        if account.protocol != IncomingProtocol::Imap {
            return Err(Error::InvalidInput(format!(
                "{} is a POP3 account: its folders are on this computer, not on a server.",
                account.email
            )));
        }
        let password = self.password(account_id).await?;
        imap::Connection::connect(&self.inner.tls, &account.incoming, &password).await
    }

    pub(crate) fn replay_lock(&self, account_id: i64) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .inner
            .replay_locks
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        locks.entry(account_id).or_default().clone()
    }

    /// Wakes the replayers: an operation was queued.
    pub(crate) fn operations_queued(&self) {
        self.inner.queued.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Wakes the senders: the outbox changed.
    pub(crate) fn outbox_wake(&self) {
        self.inner.outbox.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Changes whenever the outbox changes.
    pub(crate) fn outbox_watch(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.outbox.subscribe()
    }

    /// How long [`Engine::send`] keeps a message back so that it can be taken back
    /// ([`Engine::unsend`]); 5 s unless set.
    pub fn undo_delay(&self) -> std::time::Duration {
        *self
            .inner
            .undo_delay
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Sets the undo delay for messages sent from now on (zero: none).
    pub fn set_undo_delay(&self, delay: std::time::Duration) {
        *self
            .inner
            .undo_delay
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = delay;
    }

    /// Changes whenever an operation is queued.
    pub(crate) fn queued_watch(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.queued.subscribe()
    }

    pub(crate) fn sync_lock(&self, account_id: i64) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .inner
            .sync_locks
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        locks.entry(account_id).or_default().clone()
    }

    fn folder_lock(&self, folder_id: i64) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .inner
            .folder_locks
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        locks.entry(folder_id).or_default().clone()
    }

    /// Brings one folder up to date on its own connection (see [`imap::Connection::sync_folder`]
    /// for what that costs), with the same events as a whole-account sync.
    pub async fn sync_folder(&self, folder_id: i64) -> Result<imap::FolderSync> {
        let folder = self.inner.store.folder(folder_id)?;
        let mut conn = self.connect_imap(folder.account_id).await?;
        let outcome = self.sync_folder_on(&mut conn, &folder).await;
        conn.logout().await;
        outcome
    }

    /// Syncs one folder over `conn`, emitting `SyncProgress`, `FolderChanged` and, after the
    /// first sync, `NewMail` for new unseen messages (not in Junk, Trash, Sent or Drafts).
    /// With "keep all mail offline", a first listing lists all but its newest chunk from the
    /// whole messages (see [`Engine::finish_listing_whole`]).
    pub(crate) async fn sync_folder_on(
        &self,
        conn: &mut imap::Connection,
        folder: &Folder,
    ) -> Result<imap::FolderSync> {
        let mut outcome = self.sync_folder_deferring(conn, folder).await?;
        if let Some(pending) = outcome.pending.take() {
            self.finish_listing_whole(conn, folder, pending, &mut outcome)
                .await?;
        }
        Ok(outcome)
    }

    /// `SyncProgress` and `FolderChanged` for a chunk of a folder's listing.
    fn listing_progress(&self, folder: &Folder) -> impl FnMut(u32, u32) + Send + 'static {
        let events = self.inner.events.clone();
        let (account_id, folder_id) = (folder.account_id, folder.id);
        // For people: "Syncing Entwürfe", not the server's spelling.
        let path = imap::utf7::display(&folder.path);
        move |done, total| {
            let _ = events.send(EngineEvent::SyncProgress {
                account_id,
                folder: path.clone(),
                done,
                total,
            });
            let _ = events.send(EngineEvent::FolderChanged {
                account_id,
                folder_id,
            });
        }
    }

    /// [`Engine::sync_folder_on`], except that a first listing for "keep all mail offline" stops
    /// after its newest chunk and leaves the rest in [`imap::FolderSync::pending`], for
    /// [`Engine::finish_listing_whole`] (a whole-account sync lists every folder's newest mail
    /// first).
    async fn sync_folder_deferring(
        &self,
        conn: &mut imap::Connection,
        folder: &Folder,
    ) -> Result<imap::FolderSync> {
        let lock = self.folder_lock(folder.id);
        let _guard = lock.lock().await;
        let store = &self.inner.store;
        let account_id = folder.account_id;
        let folder_id = folder.id;
        let state = store.folder_state(folder.id)?;
        let whole = store.body_policy(account_id)?.keep_all_offline;
        let outcome = conn
            .sync_folder_with(store, &state, whole, self.listing_progress(folder))
            .await?;
        // Moved messages meet the server's copy; flag changes not yet sent stay as the user set them.
        let settled =
            store.reconcile_placeholders(folder.id)? + store.reapply_pending_flags(folder.id)?;
        if outcome.changed() || outcome.uidvalidity_reset || settled > 0 {
            self.emit(EngineEvent::FolderChanged {
                account_id,
                folder_id,
            });
        }
        let quiet = matches!(
            folder.role,
            Some(FolderRole::Junk | FolderRole::Trash | FolderRole::Sent | FolderRole::Drafts)
        );
        if !outcome.initial && !outcome.new_ids.is_empty() && !quiet {
            let messages = store
                .message_summaries(&outcome.new_ids)?
                .into_iter()
                .filter(|m| !m.seen)
                .collect::<Vec<_>>();
            if !messages.is_empty() {
                self.emit(EngineEvent::NewMail {
                    account_id,
                    folder_id,
                    messages,
                });
            }
        }
        Ok(outcome)
    }

    /// Refreshes the account's folder list over `conn`; returns the folders.
    pub(crate) async fn sync_folder_list_on(
        &self,
        conn: &mut imap::Connection,
        account_id: i64,
    ) -> Result<Vec<Folder>> {
        let mut entries = conn.list_folders().await?;
        match conn.subscribed_paths().await {
            Ok(subscribed) => {
                for e in &mut entries {
                    e.subscribed =
                        e.role == Some(FolderRole::Inbox) || subscribed.contains(&e.path);
                }
            }
            // Subscriptions are a hint; the folders themselves matter.
            Err(Error::Protocol { detail, .. }) => {
                tracing::info!("the subscribed folders could not be listed: {detail}")
            }
            Err(e) => return Err(e),
        }
        if self.inner.store.sync_folder_list(account_id, &entries)? {
            self.emit(EngineEvent::FoldersChanged { account_id });
        }
        self.inner.store.folders(account_id)
    }

    /// Syncs every folder of the account, INBOX first, then downloads the bodies its
    /// [`BodyPolicy`] asks for.
    /// Errors are also reported as an `AccountError` event.
    pub async fn sync_account(&self, account_id: i64) -> Result<SyncReport> {
        let result = self.sync_account_inner(account_id).await;
        // Off the sync's hot path: the addresses of what this pass stored, in the background.
        self.spawn_collect_contacts();
        match &result {
            Ok(_) => self.emit(EngineEvent::SyncDone { account_id }),
            Err(e) => self.emit(EngineEvent::AccountError {
                account_id,
                error: e.to_user(),
            }),
        }
        result
    }

    async fn sync_account_inner(&self, account_id: i64) -> Result<SyncReport> {
        if self.inner.store.is_local_account(account_id)? {
            return self.check_pop3(account_id).await;
        }
        let lock = self.sync_lock(account_id);
        let _guard = lock.lock().await;
        let mut conn = self.connect_imap(account_id).await?;
        // The user's changes first, so that nothing is overwritten by the server's older state.
        self.replay_on(&mut conn, account_id).await?;
        let folders = self.sync_folder_list_on(&mut conn, account_id).await?;
        let mut report = SyncReport {
            folders: folders.len(),
            ..SyncReport::default()
        };
        let mut pending = Vec::new();
        for folder in &folders {
            let mut outcome = self.sync_folder_deferring(&mut conn, folder).await?;
            report.new_messages += outcome.new_ids.len();
            report.fetched += outcome.fetched;
            if let Some(p) = outcome.pending.take() {
                pending.push((folder, p));
            }
        }
        // "Keep all mail offline", first sync: every folder's newest mail is listed; now the
        // rest, from the whole messages.
        for (folder, p) in pending {
            let mut rest = imap::FolderSync::default();
            self.finish_listing_whole(&mut conn, folder, p, &mut rest)
                .await?;
            report.new_messages += rest.new_ids.len();
            report.fetched += rest.fetched;
            report.bodies += rest.bodies;
        }
        report.bodies += self
            .prefetch_bodies(&mut conn, account_id, &folders)
            .await?;
        conn.logout().await;
        Ok(report)
    }

    /// The account's body download settings.
    pub fn body_policy(&self, account_id: i64) -> Result<BodyPolicy> {
        self.inner.store.body_policy(account_id)
    }

    /// Changes the account's body download settings; the next sync pass follows them (bodies
    /// already downloaded stay).
    pub fn set_body_policy(&self, account_id: i64, policy: BodyPolicy) -> Result<()> {
        self.inner.store.set_body_policy(account_id, policy)
    }

    /// The account's identities (who the user sends as), its default first.
    pub fn identities(&self, account_id: i64) -> Result<Vec<Identity>> {
        self.inner.store.identities(account_id)
    }

    /// Adds an identity (an alias) to `identity.account_id`; returns it with its id.
    pub fn add_identity(&self, identity: Identity) -> Result<Identity> {
        let identity = checked_identity(identity)?;
        self.inner.store.account(identity.account_id)?;
        self.inner.store.add_identity(&identity)
    }

    /// Saves an identity's name, address, signature and format (the default identity keeps the
    /// account's address; its name becomes the account's display name).
    pub fn update_identity(&self, identity: Identity) -> Result<()> {
        let identity = checked_identity(identity)?;
        self.inner.store.update_identity(&identity)?;
        self.inner.accounts_changed.notify_waiters();
        Ok(())
    }

    /// Removes an identity; the account's default one stays.
    pub fn delete_identity(&self, identity_id: i64) -> Result<()> {
        self.inner.store.delete_identity(identity_id)
    }

    /// The rest of a first listing for "keep all mail offline", in one pass: the messages below
    /// the newest chunk are fetched whole with their list data (`UID FLAGS INTERNALDATE
    /// RFC822.SIZE BODY.PEEK[]`) and their list rows derived from the bodies
    /// (`mime::parse_listed`, as the header listing does from the same fields), each batch of
    /// rows and bodies committed in one transaction as it arrives, newest FETCH command first;
    /// instead of a header listing and then a second FETCH of the same messages. Messages above
    /// the size limit (`max_prefetch_bytes`, known from a first `UID FETCH (UID RFC822.SIZE)`)
    /// are listed from their headers only, as before. The newest chunk's bodies come first.
    /// Once everything is stored, the folder's sync state is: a cut before that is resumed by the
    /// next sync, which lists whatever is missing (`Connection::sync_folder`).
    async fn finish_listing_whole(
        &self,
        conn: &mut imap::Connection,
        folder: &Folder,
        pending: imap::PendingListing,
        outcome: &mut imap::FolderSync,
    ) -> Result<()> {
        let lock = self.folder_lock(folder.id);
        let _guard = lock.lock().await;
        let store = &self.inner.store;
        let max_bytes = store.body_policy(folder.account_id)?.max_prefetch_bytes;
        let mut progress = self.listing_progress(folder);
        // The newest chunk's bodies first: that is what the user reads first.
        let newest: Vec<(i64, u32, u32)> = store
            .messages_without_body(folder.id, pending.done)?
            .into_iter()
            .filter(|(_, uid, size)| *uid >= pending.below && *size <= max_bytes)
            .collect();
        outcome.bodies += self
            .download_listed_on(conn, folder, newest, &mut |_, _| {})
            .await?;
        conn.examine(&folder.path).await?;
        let sizes = conn.sizes_below(pending.below).await?;
        outcome.fetched += sizes.len();
        // (UID, size), newest first.
        let (whole, large): (Vec<_>, Vec<_>) = sizes
            .into_iter()
            .rev()
            .partition(|(_, size): &(u32, u32)| *size <= max_bytes);
        let mut done = pending.done;
        if !large.is_empty() {
            let uids: Vec<u32> = large.iter().map(|(uid, _)| *uid).collect();
            let (ids, fetched) = conn.list_uids(store, folder.id, &uids).await?;
            outcome.fetched += fetched;
            done += uids.len() as u32;
            outcome.new_ids.extend(ids);
            progress(done.min(pending.exists), pending.exists);
        }
        let rows: Vec<(i64, u32, u32)> = whole.iter().map(|(uid, size)| (0, *uid, *size)).collect();
        let folder_id = folder.id;
        let (stored, ids) = self
            .pipeline(
                conn,
                folder,
                &rows,
                true,
                |m| {
                    Some(mime::parse_listed(
                        m.uid,
                        m.raw,
                        m.flags,
                        m.internal_date,
                        m.size,
                    ))
                },
                move |store, batch| {
                    let ids = store.insert_messages_with_bodies(
                        folder_id,
                        batch
                            .iter()
                            .map(|(row, p)| (row, &p.body, p.snippet.as_str())),
                    )?;
                    Ok((batch.len(), ids))
                },
                &mut |stored, _| {
                    let listed = done + stored as u32;
                    progress(listed.min(pending.exists), pending.exists)
                },
            )
            .await?;
        outcome.fetched += stored;
        outcome.bodies += stored;
        outcome.new_ids.extend(ids);
        outcome.bodies_kept += pending.finish(store, folder.id)?;
        Ok(())
    }

    /// Downloads, folder by folder in `folders`' order (INBOX first), the missing bodies the
    /// account's [`BodyPolicy`] asks for: those of messages dated within the window (or all with
    /// "keep all mail offline"), newest first, none larger than the size limit.
    async fn prefetch_bodies(
        &self,
        conn: &mut imap::Connection,
        account_id: i64,
        folders: &[Folder],
    ) -> Result<usize> {
        let policy = self.inner.store.body_policy(account_id)?;
        if !policy.keep_all_offline && policy.prefetch_days == 0 {
            return Ok(0);
        }
        let since = (!policy.keep_all_offline).then(|| {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or_default();
            now - i64::from(policy.prefetch_days) * 86_400
        });
        let mut stored = 0;
        for folder in folders {
            let wanted =
                self.inner
                    .store
                    .bodies_to_prefetch(folder.id, since, policy.max_prefetch_bytes)?;
            stored += self
                .download_listed_on(conn, folder, wanted, &mut |_, _| {})
                .await?;
        }
        Ok(stored)
    }

    /// "Keep all mail offline": downloads the body of every message of the folder that has none
    /// stored yet, newest first, on its own connection. `progress(done, total)` is called after
    /// every stored batch. Returns how many bodies were stored.
    pub async fn download_all_bodies(
        &self,
        folder_id: i64,
        mut progress: impl FnMut(usize, usize) + Send,
    ) -> Result<usize> {
        let folder = self.inner.store.folder(folder_id)?;
        if self
            .inner
            .store
            .messages_without_body(folder_id, 1)?
            .is_empty()
        {
            return Ok(0);
        }
        let mut conn = self.connect_imap(folder.account_id).await?;
        let outcome = self
            .download_bodies_on(&mut conn, &folder, u32::MAX, &mut progress)
            .await;
        conn.logout().await;
        outcome
    }

    /// Downloads up to `limit` missing bodies of the folder, newest first (see
    /// [`Engine::download_listed_on`]).
    async fn download_bodies_on(
        &self,
        conn: &mut imap::Connection,
        folder: &Folder,
        limit: u32,
        progress: &mut (dyn FnMut(usize, usize) + Send),
    ) -> Result<usize> {
        let missing = self.inner.store.messages_without_body(folder.id, limit)?;
        self.download_listed_on(conn, folder, missing, progress)
            .await
    }

    /// Downloads the listed (id, uid, size) bodies of the folder, in that order by FETCH
    /// commands of about [`BODY_FETCH_BYTES`] (within one, the server sends in UID order), through
    /// [`Engine::pipeline`]. Returns how many bodies were stored.
    async fn download_listed_on(
        &self,
        conn: &mut imap::Connection,
        folder: &Folder,
        missing: Vec<(i64, u32, u32)>,
        progress: &mut (dyn FnMut(usize, usize) + Send),
    ) -> Result<usize> {
        if missing.is_empty() {
            return Ok(0);
        }
        conn.examine(&folder.path).await?;
        let ids: HashMap<u32, i64> = missing.iter().map(|(id, uid, _)| (*uid, *id)).collect();
        let (stored, _) = self
            .pipeline(
                conn,
                folder,
                &missing,
                false,
                move |m| Some((*ids.get(&m.uid)?, mime::parse_body(m.raw))),
                |store, batch| {
                    let stored =
                        store.store_bodies(batch.iter().map(|(id, p)| {
                            (*id, &p.body, p.snippet.as_str(), p.has_attachments)
                        }))?;
                    Ok((stored, Vec::new()))
                },
                progress,
            )
            .await?;
        Ok(stored)
    }

    /// Fetches the listed (id, uid, size) messages whole, in the folder already selected, in
    /// that order by FETCH commands of about [`BODY_FETCH_BYTES`] (`with_list`: with their
    /// flags, INTERNALDATE and RFC822.SIZE). Three stages run at once, joined by bounded
    /// channels: this task reads the server's answers and cuts them into batches of about
    /// [`BODY_BATCH_BYTES`]; a thread parses each message (`parse`); another stores each batch
    /// (`save`: one transaction, so each batch is usable once committed; it says how many
    /// messages it stored and the ids of new rows). `progress(stored, total)` is called after
    /// every committed batch. When the connection fails, what arrived before is still stored;
    /// when storing fails, the download stops.
    #[allow(clippy::too_many_arguments)]
    async fn pipeline<P: Send + 'static>(
        &self,
        conn: &mut imap::Connection,
        folder: &Folder,
        rows: &[(i64, u32, u32)],
        with_list: bool,
        parse: impl Fn(imap::FetchedMessage) -> Option<P> + Send + 'static,
        save: impl Fn(&Store, Vec<P>) -> Result<(usize, Vec<i64>)> + Send + 'static,
        progress: &mut (dyn FnMut(usize, usize) + Send),
    ) -> Result<(usize, Vec<i64>)> {
        if rows.is_empty() {
            return Ok((0, Vec::new()));
        }
        let total = rows.len();
        let (raw_tx, raw_rx) = tokio::sync::mpsc::channel(BODY_PIPELINE_DEPTH);
        let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel();
        let engine = self.clone();
        let worker = tokio::task::spawn_blocking(move || {
            engine.parse_and_store(raw_rx, parse, save, &done_tx);
        });
        let fetching = async move {
            for command in fetch_commands(rows) {
                let uids: Vec<u32> = command.iter().map(|(_, uid, _)| *uid).collect();
                if !conn
                    .stream_selected_bodies(&uids, with_list, BODY_BATCH_BYTES, &raw_tx)
                    .await?
                {
                    break; // storing stopped: its error is the one to report
                }
            }
            Ok::<(), Error>(())
        };
        tokio::pin!(fetching);
        let mut fetched = None;
        let (mut stored, mut new_ids) = (0, Vec::new());
        let mut store_error = None;
        let mut pipeline_done = false;
        // What is under way is finished before an error returns: nothing is left half-done.
        while fetched.is_none() || !pipeline_done {
            tokio::select! {
                outcome = &mut fetching, if fetched.is_none() => fetched = Some(outcome),
                done = done_rx.recv(), if !pipeline_done => match done {
                    Some(Ok((n, ids))) => {
                        stored += n;
                        new_ids.extend(ids);
                        self.emit(EngineEvent::FolderChanged {
                            account_id: folder.account_id,
                            folder_id: folder.id,
                        });
                        progress(stored, total);
                    }
                    Some(Err(e)) => store_error = Some(e),
                    None => pipeline_done = true,
                },
            }
        }
        worker
            .await
            .map_err(|e| Error::Internal(format!("storing messages: {e}")))?;
        if let Some(e) = store_error {
            return Err(e);
        }
        fetched.unwrap_or(Ok(()))?;
        Ok((stored, new_ids))
    }

    /// The parsing and storing stages of [`Engine::pipeline`], on this (blocking) thread and one
    /// more: batches of messages from `raw` are parsed, then saved, and every save's outcome is
    /// sent to `done`. Stops at the first storing error (the parser then stops, which closes
    /// `raw` and tells the fetch).
    fn parse_and_store<P: Send>(
        &self,
        mut raw: tokio::sync::mpsc::Receiver<Vec<imap::FetchedMessage>>,
        parse: impl Fn(imap::FetchedMessage) -> Option<P> + Send,
        save: impl Fn(&Store, Vec<P>) -> Result<(usize, Vec<i64>)>,
        done: &tokio::sync::mpsc::UnboundedSender<Result<(usize, Vec<i64>)>>,
    ) {
        let (parsed_tx, parsed_rx) =
            std::sync::mpsc::sync_channel::<Vec<P>>(BODY_PIPELINE_DEPTH - 1);
        std::thread::scope(|scope| {
            let parser = std::thread::Builder::new()
                .name("petrel-parse".into())
                .spawn_scoped(scope, move || {
                    while let Some(batch) = raw.blocking_recv() {
                        let parsed = batch.into_iter().filter_map(&parse).collect();
                        if parsed_tx.send(parsed).is_err() {
                            break;
                        }
                    }
                });
            if let Err(e) = parser {
                let _ = done.send(Err(Error::Internal(format!(
                    "starting the message parser: {e}"
                ))));
                return;
            }
            for parsed in parsed_rx {
                let outcome = save(&self.inner.store, parsed);
                let failed = outcome.is_err();
                if done.send(outcome).is_err() || failed {
                    break;
                }
            }
        });
    }
}

/// Splits (id, uid, size) rows into FETCH commands of about [`BODY_FETCH_BYTES`] (at least one
/// message, at most [`BODY_FETCH_MAX`]).
fn fetch_commands(rows: &[(i64, u32, u32)]) -> Vec<&[(i64, u32, u32)]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0u64;
    for (i, (_, _, size)) in rows.iter().enumerate() {
        if i > start && (bytes + u64::from(*size) > BODY_FETCH_BYTES || i - start >= BODY_FETCH_MAX)
        {
            out.push(&rows[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += u64::from(*size);
    }
    if start < rows.len() {
        out.push(&rows[start..]);
    }
    out
}

/// A refused password at a provider known to need app passwords (or OAuth) says so, with the
/// provider's help page.
fn with_provider_advice(e: Error, new: &NewAccount) -> Error {
    match e {
        Error::AuthFailed {
            server,
            detail,
            advice: None,
        } => {
            let domain = new
                .email
                .rsplit_once('@')
                .map(|(_, d)| d)
                .unwrap_or_default();
            let provider = crate::discovery::providers::by_domain(domain).or_else(|| {
                crate::discovery::providers::all().ok().and_then(|all| {
                    all.iter().find(|p| {
                        p.incoming
                            .iter()
                            .chain(p.outgoing.iter())
                            .any(|s| s.host.eq_ignore_ascii_case(&new.incoming.host))
                    })
                })
            });
            let advice = provider.and_then(|p| {
                p.notes.first().map(|note| {
                    Box::new(crate::error::Advice {
                        note: note.clone(),
                        help_url: p.help_url.clone(),
                    })
                })
            });
            Error::AuthFailed {
                server,
                detail,
                advice,
            }
        }
        other => other,
    }
}

fn validate(mut new: NewAccount) -> Result<NewAccount> {
    new.email = new.email.trim().to_string();
    new.display_name = new.display_name.trim().to_string();
    let Some((local, domain)) = new.email.split_once('@') else {
        return Err(Error::InvalidInput(format!(
            "“{}” is not an e-mail address.",
            new.email
        )));
    };
    if local.is_empty() || domain.is_empty() || domain.contains('@') {
        return Err(Error::InvalidInput(format!(
            "“{}” is not an e-mail address.",
            new.email
        )));
    }
    if new.password.is_empty() {
        return Err(Error::InvalidInput(
            "Enter the password of the account.".into(),
        ));
    }
    if new.protocol == IncomingProtocol::Pop3 {
        let p = new.pop3.get_or_insert_with(Pop3Settings::default);
        if p.check_every_minutes == 0 {
            p.check_every_minutes = Pop3Settings::default().check_every_minutes;
        }
    } else {
        new.pop3 = None;
    }
    for (label, s) in [("incoming", &mut new.incoming), ("outgoing", &mut new.smtp)] {
        s.host = s.host.trim().to_string();
        s.username = s.username.trim().to_string();
        if s.host.is_empty() {
            return Err(Error::InvalidInput(format!(
                "Enter the {label} server's name."
            )));
        }
        if s.port == 0 {
            return Err(Error::InvalidInput(format!(
                "Enter the {label} server's port."
            )));
        }
        if s.username.is_empty() {
            s.username = new.email.clone();
        }
    }
    if new.display_name.is_empty() {
        new.display_name = local.to_string();
    }
    Ok(new)
}

/// The usual POP3 port for a security.
pub fn default_pop3_port(security: Security) -> u16 {
    match security {
        Security::Tls => 995,
        _ => 110,
    }
}

/// The usual port for a protocol and security.
pub fn default_port(imap: bool, security: Security) -> u16 {
    match (imap, security) {
        (true, Security::Tls) => 993,
        (true, _) => 143,
        (false, Security::Tls) => 465,
        (false, Security::Starttls) => 587,
        (false, Security::Plain) => 25,
    }
}

/// Settings with the usual port and the address as the user name.
pub fn server(
    host: &str,
    port: Option<u16>,
    security: Security,
    username: &str,
    imap: bool,
) -> ServerSettings {
    ServerSettings {
        host: host.to_string(),
        port: port.unwrap_or_else(|| default_port(imap, security)),
        security,
        username: username.to_string(),
        trusted_cert: None,
    }
}

/// An identity as the user typed it, trimmed and checked: a name and a valid address.
fn checked_identity(mut identity: Identity) -> Result<Identity> {
    identity.name = identity.name.trim().to_string();
    identity.email = identity.email.trim().to_string();
    if identity.name.is_empty() {
        return Err(Error::InvalidInput(
            "Type the name people should see for this address.".into(),
        ));
    }
    if identity.email.parse::<lettre::Address>().is_err() {
        return Err(Error::InvalidInput(format!(
            "“{}” is not an e-mail address.",
            identity.email
        )));
    }
    Ok(identity)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_account(email: &str, imap_host: &str) -> NewAccount {
        NewAccount {
            display_name: String::new(),
            email: email.into(),
            password: "x".into(),
            protocol: IncomingProtocol::Imap,
            incoming: server(imap_host, None, Security::Tls, email, true),
            pop3: None,
            smtp: server("smtp.example.org", None, Security::Tls, email, false),
        }
    }

    fn refused() -> Error {
        Error::AuthFailed {
            server: "The incoming server".into(),
            detail: "NO [AUTHENTICATIONFAILED]".into(),
            advice: None,
        }
    }

    #[test]
    fn refused_password_at_a_known_provider_points_to_app_passwords() {
        let e = with_provider_advice(refused(), &new_account("ann@gmail.com", "imap.gmail.com"));
        let u = e.to_user();
        assert!(u.summary.contains("app password"), "{}", u.summary);
        assert!(u
            .help_url
            .as_deref()
            .is_some_and(|h| h.starts_with("https://")));

        // A custom domain hosted by the same provider is recognised by its server.
        let e = with_provider_advice(
            refused(),
            &new_account("ann@family.example", "imap.gmail.com"),
        );
        assert!(e.to_user().help_url.is_some());

        // Unknown provider: the plain advice.
        let e = with_provider_advice(
            refused(),
            &new_account("ann@example.org", "mail.example.org"),
        );
        let u = e.to_user();
        assert!(
            u.summary.contains("Check them and try again"),
            "{}",
            u.summary
        );
        assert!(u.help_url.is_none());
    }

    #[test]
    fn fetch_commands_follow_sizes() {
        let rows: Vec<(i64, u32, u32)> = (0..10).map(|i| (i, i as u32, 8 << 20)).collect();
        let sizes: Vec<usize> = fetch_commands(&rows).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, [4, 4, 2]);
        // A message larger than a command goes alone; tiny ones stop at the count limit.
        let big = [(1, 1, 40 << 20), (2, 2, 10)];
        assert_eq!(fetch_commands(&big).len(), 2);
        let tiny: Vec<(i64, u32, u32)> = (0..4500).map(|i| (i, i as u32, 10)).collect();
        let sizes: Vec<usize> = fetch_commands(&tiny).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, [2000, 2000, 500]);
        assert!(fetch_commands(&[]).is_empty());
    }

    #[test]
    fn validation_fills_defaults_and_refuses_nonsense() {
        let v = validate(new_account("  ann@example.org ", " imap.example.org ")).unwrap();
        assert_eq!(v.email, "ann@example.org");
        assert_eq!(v.display_name, "ann");
        assert_eq!(v.incoming.host, "imap.example.org");
        assert!(validate(new_account("not-an-address", "h")).is_err());
        let mut no_pw = new_account("a@b.c", "h");
        no_pw.password.clear();
        assert!(validate(no_pw).is_err());
    }
}
