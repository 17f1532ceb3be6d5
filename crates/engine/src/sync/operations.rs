//! Changes from the user: applied to the store at once (the UI never waits for the network) and
//! queued in the store's operation queue in the same transaction; then replayed on the server in
//! order by [`Engine::replay`], from the per-account background task (woken whenever something
//! is queued, retrying with backoff while the server is unreachable) and at the start of every
//! sync pass.
//!
//! Conflicts: a message the server expunged meanwhile makes its operations no-ops (dropped
//! quietly); flags changed on the server meanwhile lose to the user's latest action for the flags
//! it touched (`+FLAGS`/`-FLAGS` of just those, and pending changes re-applied after every sync).
//! A change the server refuses for good is dropped, reported as an `AccountError`, and the folders
//! it touched are listed again from the server.

use std::collections::{HashMap, HashSet};

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::imap;
use crate::model::{EngineEvent, FolderRole};
use crate::store::{FlagChange, OpKind, Operation, Touched};

impl Engine {
    /// A change the server refused for good: logged, and told to the UI as an `AccountError`.
    pub(crate) fn report_refused(
        &self,
        account_id: i64,
        server: String,
        what: String,
        detail: String,
    ) {
        let error = Error::ChangeRefused {
            server,
            what,
            detail,
        };
        tracing::warn!("{error}");
        self.emit(EngineEvent::AccountError {
            account_id,
            error: error.to_user(),
        });
    }

    fn applied(&self, touched: Touched) {
        for (account_id, folder_id) in touched {
            self.emit(EngineEvent::FolderChanged {
                account_id,
                folder_id,
            });
        }
        self.operations_queued();
    }

    /// Sets (`Some(true)`) or clears (`Some(false)`) \Seen, \Flagged and \Answered on messages;
    /// `None` leaves a flag alone. Applied locally at once, then sent to the server.
    /// Emits `FolderChanged` for the folders involved.
    pub fn set_flags(&self, message_ids: &[i64], change: FlagChange) -> Result<()> {
        let touched = self.store().queue_flags(message_ids, change)?;
        self.applied(touched);
        Ok(())
    }

    /// Moves messages to another folder of their account. Applied locally at once, then sent to
    /// the server (MOVE, or COPY + EXPUNGE). Emits `FolderChanged` for both folders.
    pub fn move_messages(&self, message_ids: &[i64], target_folder_id: i64) -> Result<()> {
        let touched = self
            .store()
            .queue_transfer(message_ids, target_folder_id, false)?;
        self.applied(touched);
        Ok(())
    }

    /// Copies messages to another folder of their account. Applied locally at once, then sent to
    /// the server. Emits `FolderChanged` for the target folder.
    pub fn copy_messages(&self, message_ids: &[i64], target_folder_id: i64) -> Result<()> {
        let touched = self
            .store()
            .queue_transfer(message_ids, target_folder_id, true)?;
        self.applied(touched);
        Ok(())
    }

    /// Deletes messages: moved to their account's Trash folder; messages already in the Trash
    /// are deleted for good. Fails, changing nothing, for an account without a Trash folder.
    pub fn delete_messages(&self, message_ids: &[i64]) -> Result<()> {
        let mut for_good = Vec::new();
        let mut to_trash: HashMap<i64, Vec<i64>> = HashMap::new();
        for &id in message_ids {
            let Some((account_id, folder_id)) = self.store().message_folder(id)? else {
                continue;
            };
            let trash = self
                .store()
                .folder_by_role(account_id, FolderRole::Trash)?
                .ok_or_else(|| {
                    Error::InvalidInput(
                        "This account has no Trash folder, so nothing was deleted.".into(),
                    )
                })?;
            if trash.id == folder_id {
                for_good.push(id);
            } else {
                to_trash.entry(trash.id).or_default().push(id);
            }
        }
        let mut touched = self.store().queue_expunge(&for_good)?;
        for (trash, ids) in to_trash {
            touched.extend(self.store().queue_transfer(&ids, trash, false)?);
        }
        self.applied(touched);
        Ok(())
    }

    /// Moves messages to their account's Archive folder. Fails, changing nothing, for an account
    /// without one.
    pub fn archive_messages(&self, message_ids: &[i64]) -> Result<()> {
        let mut by_archive: HashMap<i64, Vec<i64>> = HashMap::new();
        for &id in message_ids {
            let Some((account_id, folder_id)) = self.store().message_folder(id)? else {
                continue;
            };
            let archive = self
                .store()
                .folder_by_role(account_id, FolderRole::Archive)?
                .ok_or_else(|| {
                    Error::InvalidInput(
                        "This account has no Archive folder, so nothing was archived.".into(),
                    )
                })?;
            if archive.id != folder_id {
                by_archive.entry(archive.id).or_default().push(id);
            }
        }
        let mut touched = Touched::new();
        for (archive, ids) in by_archive {
            touched.extend(self.store().queue_transfer(&ids, archive, false)?);
        }
        self.applied(touched);
        Ok(())
    }

    /// Deletes everything in the account's Trash folder for good. Emits `FolderChanged`.
    pub fn empty_trash(&self, account_id: i64) -> Result<()> {
        let trash = self
            .store()
            .folder_by_role(account_id, FolderRole::Trash)?
            .ok_or_else(|| Error::InvalidInput("This account has no Trash folder.".into()))?;
        self.store().queue_empty(trash.id)?;
        self.applied(vec![(account_id, trash.id)]);
        Ok(())
    }

    /// Sends the account's queued changes (and saved drafts, see `drafts.rs`, and the Sent
    /// copies of sent messages, see `outbox.rs`) to the server on a connection of its own. Returns how
    /// many were settled. A network error stops the replay and keeps the rest queued.
    pub async fn replay(&self, account_id: i64) -> Result<usize> {
        if self.store().pending_count(account_id)? == 0
            && self.store().pending_draft_count(account_id)? == 0
            && self.store().sent_copy_count(account_id)? == 0
        {
            return Ok(0);
        }
        let mut conn = self.connect_imap(account_id).await?;
        let outcome = self.replay_on(&mut conn, account_id).await;
        conn.logout().await;
        outcome
    }

    /// [`Engine::replay`] over `conn`, oldest operation first.
    pub(crate) async fn replay_on(
        &self,
        conn: &mut imap::Connection,
        account_id: i64,
    ) -> Result<usize> {
        let lock = self.replay_lock(account_id);
        let _guard = lock.lock().await;
        let store = self.store();
        let mut selected: Option<Selected> = None;
        // Messages whose place on the server is not known yet: their later operations wait too.
        let mut waiting: HashSet<i64> = HashSet::new();
        let mut settled = 0;
        for op in store.pending_operations(account_id)? {
            if op.message.is_some_and(|m| waiting.contains(&m)) {
                continue;
            }
            let (uid, uidvalidity) = store.operation_uid(&op)?;
            if op.kind != OpKind::Empty && uid.is_none() {
                match op.message {
                    // Gone locally before it reached the server: nothing to do there.
                    None => store.operation_done(op.id)?,
                    Some(m) => {
                        waiting.insert(m);
                    }
                }
                continue;
            }
            match self.apply(conn, &op, uid, uidvalidity, &mut selected).await {
                Ok(()) => {
                    store.operation_done(op.id)?;
                    settled += 1;
                }
                Err(Error::Protocol { server, detail }) if !passing_refusal(&detail) => {
                    store.operation_done(op.id)?;
                    settled += 1;
                    selected = None;
                    self.refused(conn, &op, server, detail).await?;
                }
                Err(e) => {
                    store.operation_attempted(op.id)?;
                    return Err(e);
                }
            }
        }
        // Drafts after the message changes: they never depend on each other.
        settled += self.upload_drafts_on(conn, account_id).await?;
        settled += self.file_sent_copies_on(conn, account_id).await?;
        Ok(settled)
    }
}

/// The folder selected on the replay connection.
struct Selected {
    path: String,
    exists: u32,
    uidvalidity: Option<u32>,
}

impl Engine {
    /// One operation on the server.
    async fn apply(
        &self,
        conn: &mut imap::Connection,
        op: &Operation,
        uid: Option<u32>,
        uidvalidity: Option<u32>,
        selected: &mut Option<Selected>,
    ) -> Result<()> {
        let current = match selected.take() {
            Some(s) if s.path == op.folder && op.kind != OpKind::Empty => s,
            _ => {
                let (exists, uidvalidity) = conn.select_for_changes(&op.folder).await?;
                Selected {
                    path: op.folder.clone(),
                    exists,
                    uidvalidity,
                }
            }
        };
        let (exists, server_validity) = (current.exists, current.uidvalidity);
        *selected = Some(current);
        if op.kind == OpKind::Empty {
            if exists > 0 {
                conn.expunge_messages("1:*").await?;
            }
            return Ok(());
        }
        let Some(uid) = uid else { return Ok(()) };
        if let (Some(ours), Some(theirs)) = (uidvalidity, server_validity) {
            if ours != theirs {
                // The folder was renumbered: the UID is another message now, or none. The sync
                // lists the folder again; the change is dropped rather than made to the wrong one.
                tracing::info!(
                    "dropping a change in “{}”: its UIDVALIDITY changed",
                    op.folder
                );
                return Ok(());
            }
        }
        match op.kind {
            OpKind::Flags => conn.store_flags(uid, op.flags).await,
            OpKind::Expunge => conn.expunge_messages(&uid.to_string()).await,
            OpKind::Move | OpKind::Copy => {
                let target = op.target.as_deref().unwrap_or_default();
                let landed = if op.kind == OpKind::Move {
                    conn.move_message(uid, target).await?
                } else {
                    conn.copy_message(uid, target).await?
                };
                match (landed, op.placeholder) {
                    (Some(new_uid), _) => self.store().transfer_landed(op, new_uid)?,
                    // UIDPLUS and no COPYUID: the server no longer had the message.
                    (None, Some(placeholder)) if conn.uidplus() => {
                        self.store().drop_placeholder(placeholder)?;
                        if let Some(target_id) = op.target_id {
                            self.emit(EngineEvent::FolderChanged {
                                account_id: op.account_id,
                                folder_id: target_id,
                            });
                        }
                    }
                    // The next sync of the target folder brings it (matched by Message-ID).
                    _ => {}
                }
                Ok(())
            }
            OpKind::Empty => Ok(()),
        }
    }

    /// The server refused an operation for good: say so, and show the server's state of the
    /// folders it touched again.
    async fn refused(
        &self,
        conn: &mut imap::Connection,
        op: &Operation,
        server: String,
        detail: String,
    ) -> Result<()> {
        let target = op.target.as_deref().unwrap_or_default();
        let what = match op.kind {
            OpKind::Flags => format!("change the flags of a message in “{}”", op.folder),
            OpKind::Move => format!("move a message from “{}” to “{target}”", op.folder),
            OpKind::Copy => format!("copy a message from “{}” to “{target}”", op.folder),
            OpKind::Expunge => format!("delete a message in “{}”", op.folder),
            OpKind::Empty => format!("empty “{}”", op.folder),
        };
        self.report_refused(op.account_id, server, what, detail);
        for folder_id in std::iter::once(op.folder_id).chain(op.target_id) {
            // The folder may be gone from the server too; the folder list sync will tell.
            let Ok(folder) = self.store().folder(folder_id) else {
                continue;
            };
            self.store().reset_folder(folder_id)?;
            if let Err(e) = self.sync_folder_on(conn, &folder).await {
                tracing::warn!("listing “{}” again failed: {e}", folder.path);
                if !matches!(e, Error::Protocol { .. }) {
                    return Err(e);
                }
            }
        }
        Ok(())
    }
}

/// A refusal the server means as "not now" (RFC 5530 codes): the change is kept and retried.
pub(super) fn passing_refusal(detail: &str) -> bool {
    let upper = detail.to_ascii_uppercase();
    [
        "[UNAVAILABLE]",
        "[INUSE]",
        "[LIMIT]",
        "[SERVERBUG]",
        "[OVERQUOTA]",
    ]
    .iter()
    .any(|code| upper.contains(code))
}

#[cfg(test)]
mod tests {
    #[test]
    fn temporary_refusals_are_retried_and_the_rest_are_final() {
        assert!(super::passing_refusal(
            "UID MOVE was refused: No [INUSE] Mailbox is locked"
        ));
        assert!(super::passing_refusal(
            "STORE was refused: No [unavailable] try later"
        ));
        assert!(!super::passing_refusal(
            "UID MOVE was refused: No [TRYCREATE] Mailbox doesn't exist: Projects"
        ));
        assert!(!super::passing_refusal(
            "UID STORE was refused: Bad Error in IMAP command"
        ));
    }
}
