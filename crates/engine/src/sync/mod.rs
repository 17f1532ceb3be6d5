//! The background scheduler: keeps every account up to date while the app runs.
//!
//! Per account, two tasks:
//! - **push**: one long-lived connection IDLEs on the INBOX. Every wake-up runs an incremental
//!   sync of the INBOX on that same connection (new unseen mail becomes `NewMail`). The IDLE is
//!   re-issued every [`SyncConfig::idle_restart`] (servers drop IDLEs after 29 minutes); when the
//!   server has said nothing for [`SyncConfig::idle_quiet`] the connection is probed with DONE and
//!   NOOP, each answer due within [`SyncConfig::answer_within`], so a dead connection is noticed
//!   within a minute. Lost connections are re-made with exponential backoff.
//! - **poll**: a full pass over every folder (and the bodies the account's `BodyPolicy` asks for)
//!   at start and every [`SyncConfig::poll_every`]; for a server without IDLE this is also how
//!   the INBOX is checked.
//!
//! - **replay**: sends the user's queued changes ([`operations`]) to the server whenever one is
//!   queued (and at start, for what an earlier run left), retrying with backoff while the server
//!   is unreachable. Every sync pass replays first too. Drafts and the Sent copies of sent
//!   messages are uploaded the same way.
//! - **send** (IMAP and POP3 accounts): hands the outbox's due messages to the outgoing server
//!   ([`outbox`]), woken when one is queued and when the next is due.
//!
//! A supervisor starts and stops these as accounts are added and removed. Everything stops when
//! the [`Background`] handle is dropped or shut down.

mod drafts;
mod folders;
mod local;
mod operations;
mod outbox;
mod pop3;
pub(crate) mod sender_lock;

pub use outbox::DEFAULT_UNDO_DELAY;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::imap::IdleOutcome;
use crate::model::{FolderRole, IncomingProtocol};

/// The scheduler's clocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncConfig {
    /// How often every folder is synced.
    pub poll_every: Duration,
    /// How often POP3 accounts are checked; `None`: as each account's settings say (tests set
    /// a short one).
    pub pop3_every: Option<Duration>,
    /// How long one IDLE command may run before it is re-issued (servers allow 29 minutes).
    pub idle_restart: Duration,
    /// How long the server may stay silent during IDLE before the connection is probed.
    pub idle_quiet: Duration,
    /// How long the server may take to answer a probe (DONE, NOOP).
    pub answer_within: Duration,
    /// The first wait before reconnecting; doubled after every failure.
    pub backoff_first: Duration,
    /// The longest wait before reconnecting.
    pub backoff_max: Duration,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            poll_every: Duration::from_secs(3 * 60),
            pop3_every: None,
            idle_restart: Duration::from_secs(25 * 60),
            // Quiet limit plus answer time stays under a minute.
            idle_quiet: Duration::from_secs(45),
            answer_within: Duration::from_secs(10),
            backoff_first: Duration::from_secs(2),
            backoff_max: Duration::from_secs(4 * 60),
        }
    }
}

/// Exponential backoff between reconnection attempts.
#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    pub fn new(first: Duration, max: Duration) -> Backoff {
        Backoff {
            first,
            max,
            next: first,
        }
    }

    /// The wait before the next attempt; each call doubles the following one, up to the cap.
    pub fn next_wait(&mut self) -> Duration {
        let wait = self.next;
        self.next = (self.next * 2).min(self.max);
        wait
    }

    /// The wait after `failures` failures in a row (1: the first wait), without changing the
    /// state: for retries whose count is stored (the outbox).
    pub fn wait_after(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(31);
        self.first
            .checked_mul(1 << doublings)
            .unwrap_or(self.max)
            .min(self.max)
    }

    /// After a success: start again from the first wait.
    pub fn reset(&mut self) {
        self.next = self.first;
    }
}

/// The running background sync. Dropping it (or [`Background::shutdown`]) stops every task.
#[derive(Debug)]
pub struct Background {
    supervisor: Option<JoinHandle<()>>,
}

impl Background {
    /// Stops the scheduler and waits until it is gone; the per-account tasks it owns are aborted
    /// with it (at their next await point: no store write is ever left half-done).
    pub async fn shutdown(mut self) {
        if let Some(supervisor) = self.supervisor.take() {
            supervisor.abort();
            let _ = supervisor.await;
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(supervisor) = self.supervisor.take() {
            supervisor.abort();
        }
    }
}

/// The tasks of one account; aborted when dropped. A POP3 account has only a poll (check) task
/// and the sender.
struct AccountTasks {
    push: Option<JoinHandle<()>>,
    poll: JoinHandle<()>,
    replay: Option<JoinHandle<()>>,
    send: JoinHandle<()>,
}

impl Drop for AccountTasks {
    fn drop(&mut self) {
        self.poll.abort();
        self.send.abort();
        for task in [&self.push, &self.replay].into_iter().flatten() {
            task.abort();
        }
    }
}

impl Engine {
    /// Starts syncing every account in the background with the usual clocks. Must be called
    /// from within a tokio runtime.
    pub fn start_background(&self) -> Result<Background> {
        self.start_background_with(SyncConfig::default())
    }

    /// [`Engine::start_background`] with chosen clocks (tests use short ones).
    pub fn start_background_with(&self, config: SyncConfig) -> Result<Background> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::Internal("the background sync was started outside the async runtime".into())
        })?;
        let supervisor = runtime.spawn(supervise(self.clone(), config));
        Ok(Background {
            supervisor: Some(supervisor),
        })
    }
}

async fn supervise(engine: Engine, config: SyncConfig) {
    let mut running: HashMap<i64, AccountTasks> = HashMap::new();
    loop {
        match engine.accounts() {
            Ok(accounts) => {
                let ids: HashSet<i64> = accounts.iter().map(|a| a.id).collect();
                running.retain(|id, _| ids.contains(id));
                for account in accounts {
                    let id = account.id;
                    running.entry(id).or_insert_with(|| match account.protocol {
                        IncomingProtocol::Imap => AccountTasks {
                            push: Some(tokio::spawn(push_loop(engine.clone(), id, config.clone()))),
                            poll: tokio::spawn(poll_loop(engine.clone(), id, config.clone())),
                            replay: Some(tokio::spawn(replay_loop(
                                engine.clone(),
                                id,
                                config.clone(),
                            ))),
                            send: tokio::spawn(outbox::send_loop(
                                engine.clone(),
                                id,
                                config.clone(),
                            )),
                        },
                        IncomingProtocol::Pop3 => AccountTasks {
                            push: None,
                            poll: tokio::spawn(pop3_loop(engine.clone(), id, config.clone())),
                            replay: None,
                            send: tokio::spawn(outbox::send_loop(
                                engine.clone(),
                                id,
                                config.clone(),
                            )),
                        },
                    });
                }
            }
            Err(e) => tracing::error!("listing accounts for the background sync failed: {e}"),
        }
        tokio::select! {
            _ = engine.accounts_changed() => {}
            _ = tokio::time::sleep(config.poll_every) => {}
        }
    }
}

/// Every folder at start and every `poll_every`; failures retried with backoff. `sync_account`
/// reports failures to the UI as `AccountError`.
async fn poll_loop(engine: Engine, account_id: i64, config: SyncConfig) {
    let mut backoff = Backoff::new(config.backoff_first, config.backoff_max);
    loop {
        let wait = match engine.sync_account(account_id).await {
            Ok(_) => {
                backoff.reset();
                config.poll_every
            }
            Err(e) => {
                tracing::warn!("sync of account {account_id} failed: {e}");
                backoff.next_wait().min(config.poll_every)
            }
        };
        tokio::time::sleep(wait).await;
    }
}

/// A POP3 account: a check at start and every `check_every_minutes` of its settings (read
/// again before every wait, so a change applies from the next wait on), or
/// `SyncConfig::pop3_every` when set. Failures retried with backoff.
async fn pop3_loop(engine: Engine, account_id: i64, config: SyncConfig) {
    let mut backoff = Backoff::new(config.backoff_first, config.backoff_max);
    loop {
        let every = config.pop3_every.unwrap_or_else(|| {
            engine
                .store()
                .account(account_id)
                .ok()
                .and_then(|a| a.pop3)
                .map(|p| Duration::from_secs(u64::from(p.check_every_minutes.max(1)) * 60))
                .unwrap_or(Duration::from_secs(10 * 60))
        });
        let wait = match engine.sync_account(account_id).await {
            Ok(_) => {
                backoff.reset();
                every
            }
            Err(e) => {
                tracing::warn!("checking account {account_id} failed: {e}");
                backoff.next_wait().min(every)
            }
        };
        tokio::time::sleep(wait).await;
    }
}

/// Replays the account's queued changes whenever one is queued; while the server cannot be
/// reached, again after a backoff wait. Failures are logged: the poll loop reports an unreachable
/// server, and refused changes are reported by the replay itself.
async fn replay_loop(engine: Engine, account_id: i64, config: SyncConfig) {
    let mut queued = engine.queued_watch();
    let mut backoff = Backoff::new(config.backoff_first, config.backoff_max);
    loop {
        queued.borrow_and_update();
        match engine.replay(account_id).await {
            Ok(_) => backoff.reset(),
            Err(e) => {
                tracing::info!("account {account_id}: queued changes wait for the server ({e})");
                tokio::time::sleep(backoff.next_wait().min(config.poll_every)).await;
                continue;
            }
        }
        tokio::select! {
            _ = queued.changed() => {}
            // Operations of an earlier run whose place on the server a sync has since found.
            _ = tokio::time::sleep(config.poll_every) => {}
        }
    }
}

/// IDLE on the INBOX, for as long as the task runs. Returns only if the server has no IDLE.
async fn push_loop(engine: Engine, account_id: i64, config: SyncConfig) {
    let mut backoff = Backoff::new(config.backoff_first, config.backoff_max);
    loop {
        match push_session(&engine, account_id, &config, &mut backoff).await {
            Ok(()) => {
                tracing::info!("account {account_id}: no IDLE on the server, polling only");
                return;
            }
            // Not reported to the UI: the poll loop reports the same trouble once per pass.
            Err(e) => tracing::info!("account {account_id}: push connection lost ({e})"),
        }
        tokio::time::sleep(backoff.next_wait()).await;
    }
}

/// One push connection: sync the INBOX, IDLE, repeat; an error ends the connection.
async fn push_session(
    engine: &Engine,
    account_id: i64,
    config: &SyncConfig,
    backoff: &mut Backoff,
) -> Result<()> {
    let mut conn = engine.connect_imap(account_id).await?;
    if !conn.has_capability("IDLE") {
        conn.logout().await;
        return Ok(());
    }
    let inbox = match engine
        .store()
        .folder_by_role(account_id, FolderRole::Inbox)?
    {
        Some(state) => engine.store().folder(state.id)?,
        None => engine
            .sync_folder_list_on(&mut conn, account_id)
            .await?
            .into_iter()
            .find(|f| f.role == Some(FolderRole::Inbox))
            .ok_or_else(|| Error::NotFound("The INBOX".into()))?,
    };
    loop {
        engine.sync_folder_on(&mut conn, &inbox).await?;
        engine.spawn_collect_contacts();
        backoff.reset();
        if conn.take_pending_changes() {
            // Something arrived while the sync ran: the server will not say it again.
            continue;
        }
        loop {
            let outcome = conn
                .idle(config.idle_restart, config.idle_quiet, config.answer_within)
                .await?;
            match outcome {
                IdleOutcome::Changed => break,
                IdleOutcome::Quiet => {
                    if conn.noop(config.answer_within).await? {
                        break;
                    }
                }
                IdleOutcome::Expired => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_secs(2), Duration::from_secs(10));
        let waits: Vec<u64> = (0..5).map(|_| b.next_wait().as_secs()).collect();
        assert_eq!(waits, vec![2, 4, 8, 10, 10]);
        b.reset();
        assert_eq!(b.next_wait(), Duration::from_secs(2));
        let waits: Vec<u64> = (1..=5).map(|n| b.wait_after(n).as_secs()).collect();
        assert_eq!(waits, vec![2, 4, 8, 10, 10]);
        assert_eq!(b.wait_after(0).as_secs(), 2);
        assert_eq!(b.wait_after(400).as_secs(), 10);
    }

    #[test]
    fn a_dead_connection_is_noticed_within_a_minute() {
        let c = SyncConfig::default();
        assert!(c.idle_quiet + c.answer_within < Duration::from_secs(60));
        assert!(c.idle_restart < Duration::from_secs(29 * 60));
    }
}
