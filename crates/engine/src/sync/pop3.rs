//! Checking a POP3 account: download what is new into the local Inbox, then delete from the
//! server what the account's settings say.
//!
//! Safety, in order:
//! 1. New messages are those whose UIDL is not recorded (`pop3_uidls`).
//! 2. Each batch of downloaded messages is committed together with their UIDLs; a crash before
//!    the commit loses only the download (the messages are still on the server and still new).
//! 3. DELE is sent only for UIDLs already committed here, and only after every download of the
//!    session is committed. The server deletes at QUIT; a crash before QUIT deletes nothing, and
//!    the next check sends the DELEs again (the UIDLs are known, so nothing is downloaded twice).
//! 4. A UIDL leaves the record only once the server no longer lists it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::engine::{Engine, SyncReport};
use crate::error::{Error, Result};
use crate::mime;
use crate::model::{EngineEvent, FolderRole, IncomingProtocol};
use crate::pop3::Client;
use crate::store::Downloaded;

/// A batch is committed when it holds this many messages …
const BATCH_MESSAGES: usize = 200;
/// … or this many bytes …
const BATCH_BYTES: usize = 16 * 1024 * 1024;
/// … or has waited this long (so that new mail shows up quickly even on a slow line).
const BATCH_AGE: Duration = Duration::from_millis(500);
/// Downloaded messages waiting to be parsed and stored are held to this many KiB.
const IN_FLIGHT_KIB: u32 = 32 * 1024;

/// A downloaded message on its way to the store; its share of the budget is freed with it.
struct InFlight {
    uidl: String,
    raw: Vec<u8>,
    _permit: OwnedSemaphorePermit,
}

impl Engine {
    /// One check of a POP3 account ("Get mail"): see the module documentation. `NewMail` is
    /// emitted for what arrived after the account's first check.
    pub(crate) async fn check_pop3(&self, account_id: i64) -> Result<SyncReport> {
        let lock = self.sync_lock(account_id);
        let _guard = lock.lock().await;
        let store = self.store();
        let account = store.account(account_id)?;
        if account.protocol != IncomingProtocol::Pop3 {
            return Err(Error::Internal(format!(
                "account {account_id} is not a POP3 account"
            )));
        }
        let settings = account.pop3.clone().unwrap_or_default();
        let inbox = store
            .folder_by_role(account_id, FolderRole::Inbox)?
            .ok_or_else(|| Error::NotFound("The local Inbox".into()))?;
        let initial = store.pop3_last_check(account_id)?.is_none();
        let password = self.password(account_id).await?;
        let mut client = Client::connect(self.tls(), &account.incoming, &password).await?;

        let listing = client.uidl().await.map_err(|e| match e {
            Error::Protocol { server, detail } => Error::Protocol {
                server,
                detail: format!(
                    "it cannot tell its messages apart (no UIDL: {detail}), so Petrel cannot \
                     know which ones it already downloaded"
                ),
            },
            other => other,
        })?;
        let sizes: HashMap<u32, u64> = client.list().await?.into_iter().collect();
        let on_server: HashSet<&str> = listing.iter().map(|(_, u)| u.as_str()).collect();
        let known = store.pop3_known(account_id)?;
        // Newest first (the highest numbers), like the IMAP sync: recent mail shows up first.
        let mut new: Vec<(u32, &str)> = listing
            .iter()
            .filter(|(_, u)| !known.contains(u.as_str()))
            .map(|(n, u)| (*n, u.as_str()))
            .collect();
        new.sort_by_key(|(n, _)| std::cmp::Reverse(*n));
        let max = client.max_message() as u64;

        let total = new.len() as u32;
        let mut report = SyncReport {
            folders: 1,
            ..SyncReport::default()
        };
        // The network reads while a worker thread parses and commits (two cores at work); the
        // messages in between are held to `IN_FLIGHT_KIB`.
        let budget = Arc::new(Semaphore::new(IN_FLIGHT_KIB as usize));
        let (to_worker, from_net) = std::sync::mpsc::channel::<InFlight>();
        let worker = {
            let engine = self.clone();
            let inbox_id = inbox.id;
            tokio::task::spawn_blocking(move || {
                engine.store_downloads(account_id, inbox_id, from_net, total)
            })
        };
        let wanted: Vec<u32> = new
            .iter()
            .filter(|(n, _)| {
                let too_big = sizes.get(n).is_some_and(|s| *s > max);
                if too_big {
                    tracing::warn!(
                        "account {account_id}: message {n} is larger than {} MB; left on the \
                         server",
                        max / (1024 * 1024)
                    );
                }
                !too_big
            })
            .map(|(n, _)| *n)
            .collect();
        let uidl_of: HashMap<u32, &str> = new.iter().copied().collect();
        let downloaded: Result<()> = async {
            let mut retrieval = client.retr_many(&wanted);
            while let Some((n, raw)) = retrieval.next().await? {
                let kib = u32::try_from(raw.len() / 1024 + 1)
                    .unwrap_or(u32::MAX)
                    .min(IN_FLIGHT_KIB);
                let permit = budget
                    .clone()
                    .acquire_many_owned(kib)
                    .await
                    .map_err(|e| Error::Internal(format!("download budget: {e}")))?;
                let uidl = uidl_of.get(&n).copied().unwrap_or_default().to_string();
                if to_worker
                    .send(InFlight {
                        uidl,
                        raw,
                        _permit: permit,
                    })
                    .is_err()
                {
                    // The worker stopped on a storage error; it reports it below.
                    break;
                }
            }
            Ok(())
        }
        .await;
        drop(to_worker);
        // What was downloaded is stored even when the connection failed meanwhile.
        let stored = worker
            .await
            .map_err(|e| Error::Internal(format!("storing downloaded mail: {e}")))?;
        let new_ids = stored?;
        downloaded?;
        report.new_messages = new_ids.len();
        report.bodies = new_ids.len();

        // Everything downloaded is committed: now, and only now, deletions.
        let delete = store.pop3_to_delete(account_id, &settings, unix_now())?;
        let mut deleted = Vec::new();
        for (n, uidl) in &listing {
            if delete.contains(uidl) {
                client.dele(*n).await?;
                deleted.push(uidl.clone());
            }
        }
        client.quit().await?;
        // Gone from the server (deleted now, or by another program): forget them.
        let mut forget: Vec<String> = known
            .iter()
            .filter(|u| !on_server.contains(u.as_str()))
            .cloned()
            .collect();
        forget.extend(deleted);
        store.pop3_forget(account_id, &forget)?;
        store.set_pop3_last_check(account_id, unix_now())?;

        if !initial && !new_ids.is_empty() {
            let messages = store.message_summaries(&new_ids)?;
            if !messages.is_empty() {
                self.emit(EngineEvent::NewMail {
                    account_id,
                    folder_id: inbox.id,
                    messages,
                });
            }
        }
        Ok(report)
    }

    /// The worker's side: parse what the network hands over and commit it in batches (see the
    /// `BATCH_*` limits), until the network side is done. Returns the new message ids.
    fn store_downloads(
        &self,
        account_id: i64,
        folder_id: i64,
        from_net: std::sync::mpsc::Receiver<InFlight>,
        total: u32,
    ) -> Result<Vec<i64>> {
        let mut ids = Vec::new();
        let mut batch: Vec<Downloaded> = Vec::new();
        let mut bytes = 0usize;
        let mut started = Instant::now();
        let mut done = 0u32;
        loop {
            let wait = BATCH_AGE.saturating_sub(started.elapsed());
            let next = match from_net.recv_timeout(wait) {
                Ok(m) => Some(m),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => None,
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            };
            if let Some(m) = next {
                bytes += m.raw.len();
                batch.push(parse_downloaded(&m.uidl, m.raw));
            }
            let full = batch.len() >= BATCH_MESSAGES || bytes >= BATCH_BYTES;
            if !batch.is_empty() && (full || started.elapsed() >= BATCH_AGE) {
                done += batch.len() as u32;
                ids.extend(self.commit_batch(account_id, folder_id, &mut batch, done, total)?);
                bytes = 0;
                started = Instant::now();
            } else if batch.is_empty() {
                started = Instant::now();
            }
        }
        if !batch.is_empty() {
            done += batch.len() as u32;
            ids.extend(self.commit_batch(account_id, folder_id, &mut batch, done, total)?);
        }
        Ok(ids)
    }

    fn commit_batch(
        &self,
        account_id: i64,
        folder_id: i64,
        batch: &mut Vec<Downloaded>,
        done: u32,
        total: u32,
    ) -> Result<Vec<i64>> {
        let ids = self
            .store()
            .store_downloaded(account_id, folder_id, batch)?;
        batch.clear();
        self.emit(EngineEvent::SyncProgress {
            account_id,
            folder: "INBOX".into(),
            done,
            total,
        });
        self.emit(EngineEvent::FolderChanged {
            account_id,
            folder_id,
        });
        Ok(ids)
    }
}

/// A downloaded message, parsed for the list and the reader. Malformed mail is still stored.
fn parse_downloaded(uidl: &str, raw: Vec<u8>) -> Downloaded {
    let (message, parsed) = mime::parse_whole(raw, mime::Flags::default(), unix_now());
    Downloaded {
        uidl: uidl.to_string(),
        message,
        body: parsed.body,
        snippet: parsed.snippet,
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
