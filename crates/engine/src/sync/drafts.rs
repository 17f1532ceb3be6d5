//! Drafts: [`Engine::save_draft`] stores the composer's newest save locally at once (nothing is
//! lost offline; the composer never waits for the network) and wakes the replayer, which
//! uploads it to the account's Drafts folder ([`Engine::replay`], also at the start of every
//! sync pass): APPEND the new copy (its UID from APPENDUID when the server offers UIDPLUS), then
//! delete the previous copies of the same draft — the UID recorded at the last upload, and any
//! copy found by the draft's Message-ID (which stays the same across saves), so a crash between
//! the two steps or a server without UIDPLUS leaves no duplicate behind. A discarded draft
//! ([`Engine::discard_draft`]) has its copies deleted the same way, then is forgotten.
//!
//! An IMAP draft is in the Drafts folder's list from the moment it is saved: a placeholder row
//! (negative UID) replaces its previous copy there, and stays through syncs while the draft waits
//! for upload; the sync after the upload matches it to the server's copy by Message-ID
//! ([`crate::store::Store::reconcile_placeholders`]), so the list never shows it twice.

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::imap;
use crate::mime;
use crate::model::{EngineEvent, FolderRole, OutgoingMessage};
use crate::store::PendingDraft;

impl Engine {
    /// Saves a draft: a new one (`draft_id` `None`) or a new version of `draft_id`. Stored here
    /// at once, then uploaded to the Drafts folder in the background (replacing the previous
    /// copy there). Returns the draft's id, to pass again on the next save. Recipients may be
    /// empty; those given must be valid addresses.
    pub fn save_draft(&self, draft_id: Option<i64>, draft: &OutgoingMessage) -> Result<i64> {
        let account = self.store().account(draft.account_id)?;
        let message_id = match draft_id {
            Some(id) => {
                let (account_id, message_id) = self.store().draft_identity(id)?;
                if account_id != draft.account_id {
                    return Err(Error::InvalidInput(
                        "That draft belongs to another account.".into(),
                    ));
                }
                message_id
            }
            None => mime::new_message_id(&account.email),
        };
        let raw = self
            .build_outgoing(
                draft,
                mime::Purpose::Draft {
                    message_id: &message_id,
                },
            )?
            .formatted();
        let id = self
            .store()
            .save_draft(account.id, draft_id, &message_id, &raw)?;
        if self.store().is_local_account(account.id)? {
            self.file_drafts_locally(account.id)?;
        } else {
            self.show_draft_placeholder(account.id, &raw)?;
            self.operations_queued();
        }
        Ok(id)
    }

    /// Shows a saved draft in the IMAP Drafts folder's list at once, as a placeholder (replacing
    /// its previous copy there) until the replayer's upload is listed.
    fn show_draft_placeholder(&self, account_id: i64, raw: &[u8]) -> Result<()> {
        let Some(folder) = self
            .store()
            .folder_by_role(account_id, FolderRole::Drafts)?
        else {
            return Ok(());
        };
        let flags = mime::Flags {
            seen: true,
            draft: true,
            ..mime::Flags::default()
        };
        let (message, parsed) = mime::parse_whole(raw.to_vec(), flags, unix_now());
        self.store()
            .put_draft_placeholder(folder.id, &message, &parsed.body, &parsed.snippet)?;
        self.emit(EngineEvent::FolderChanged {
            account_id,
            folder_id: folder.id,
        });
        Ok(())
    }

    /// For an account with local folders (POP3): each pending draft replaces its previous copy
    /// in the local Drafts folder at once; a discarded one is removed from it.
    fn file_drafts_locally(&self, account_id: i64) -> Result<()> {
        let store = self.store();
        let Some(folder) = store.folder_by_role(account_id, FolderRole::Drafts)? else {
            return Ok(());
        };
        for draft in store.pending_drafts(account_id)? {
            store.delete_local_by_message_id(folder.id, &draft.message_id)?;
            if draft.discarded {
                store.forget_draft(draft.id)?;
                continue;
            }
            let flags = mime::Flags {
                seen: true,
                draft: true,
                ..mime::Flags::default()
            };
            let (message, parsed) = mime::parse_whole(draft.raw.clone(), flags, unix_now());
            let id =
                store.insert_local_message(folder.id, &message, &parsed.body, &parsed.snippet)?;
            let uid = u32::try_from(id).ok();
            store.draft_uploaded(draft.id, draft.revision, folder.id, None, uid)?;
        }
        self.emit(EngineEvent::FolderChanged {
            account_id,
            folder_id: folder.id,
        });
        Ok(())
    }

    /// Discards a draft (sent, or thrown away): gone here at once, and its copies in the Drafts
    /// folder are deleted in the background. Saving it again afterwards fails.
    pub fn discard_draft(&self, draft_id: i64) -> Result<()> {
        let account_id = self.store().discard_draft(draft_id)?;
        if self.store().is_local_account(account_id)? {
            self.file_drafts_locally(account_id)?;
        } else {
            // Out of the Drafts list at once; the server's copies go in the background.
            let (_, message_id) = self.store().draft_identity(draft_id)?;
            if let Some(folder) = self
                .store()
                .folder_by_role(account_id, FolderRole::Drafts)?
            {
                if self
                    .store()
                    .delete_local_by_message_id(folder.id, &message_id)?
                    > 0
                {
                    self.emit(EngineEvent::FolderChanged {
                        account_id,
                        folder_id: folder.id,
                    });
                }
            }
            self.operations_queued();
        }
        Ok(())
    }

    /// Uploads the account's pending drafts over `conn` (see the module comment). Returns how
    /// many were uploaded. Drafts stay pending while the account has no Drafts folder.
    pub(crate) async fn upload_drafts_on(
        &self,
        conn: &mut imap::Connection,
        account_id: i64,
    ) -> Result<usize> {
        let pending = self.store().pending_drafts(account_id)?;
        if pending.is_empty() {
            return Ok(0);
        }
        let Some(folder) = self
            .store()
            .folder_by_role(account_id, FolderRole::Drafts)?
        else {
            for draft in pending.iter().filter(|d| d.discarded) {
                self.store().forget_draft(draft.id)?;
            }
            tracing::info!("account {account_id}: no Drafts folder; drafts stay on this computer");
            return Ok(0);
        };
        let mut uploaded = 0;
        for draft in &pending {
            let done = if draft.discarded {
                self.remove_draft_copies(conn, draft, folder.id, &folder.path)
                    .await
            } else {
                self.upload_draft(conn, draft, folder.id, &folder.path)
                    .await
            };
            match done {
                Ok(()) => uploaded += 1,
                Err(Error::Protocol { server, detail })
                    if !super::operations::passing_refusal(&detail) =>
                {
                    // A saved draft is kept here, not retried until it is saved again; a
                    // discarded one is forgotten.
                    let what = if draft.discarded {
                        self.store().forget_draft(draft.id)?;
                        format!(
                            "delete a discarded draft from “{}”",
                            crate::imap::utf7::display(&folder.path)
                        )
                    } else {
                        self.store().draft_uploaded(
                            draft.id,
                            draft.revision,
                            folder.id,
                            None,
                            None,
                        )?;
                        format!(
                            "save a draft in “{}”",
                            crate::imap::utf7::display(&folder.path)
                        )
                    };
                    self.report_refused(account_id, server, what, detail);
                }
                Err(e) => return Err(e),
            }
        }
        if uploaded > 0 {
            let drafts = self.store().folder(folder.id)?;
            if let Err(e) = self.sync_folder_on(conn, &drafts).await {
                tracing::warn!(
                    "listing “{}” after saving drafts failed: {e}",
                    crate::imap::utf7::display(&folder.path)
                );
            }
        }
        Ok(uploaded)
    }

    /// Deletes every copy of a discarded draft from the Drafts folder, then forgets it.
    async fn remove_draft_copies(
        &self,
        conn: &mut imap::Connection,
        draft: &PendingDraft,
        folder_id: i64,
        path: &str,
    ) -> Result<()> {
        let (_, uidvalidity) = conn.select_for_changes(path).await?;
        let mut copies = conn.uids_with_message_id(&draft.message_id).await?;
        if let Some(previous) = draft.server_uid {
            if draft.folder_id == Some(folder_id) && draft.uidvalidity == uidvalidity {
                copies.push(previous);
            }
        }
        if !copies.is_empty() {
            conn.expunge_messages(&imap::uid_set(&copies)).await?;
        }
        self.store().forget_draft(draft.id)
    }

    async fn upload_draft(
        &self,
        conn: &mut imap::Connection,
        draft: &PendingDraft,
        folder_id: i64,
        path: &str,
    ) -> Result<()> {
        let appended = conn
            .append_message(path, "\\Draft \\Seen", &draft.raw)
            .await?;
        let (_, uidvalidity) = conn.select_for_changes(path).await?;
        let copies = conn.uids_with_message_id(&draft.message_id).await?;
        // Without APPENDUID the newest copy is the one just appended (UIDs only grow).
        let new_uid = appended.or_else(|| copies.iter().max().copied());
        let mut old: Vec<u32> = copies.into_iter().filter(|u| Some(*u) != new_uid).collect();
        if let Some(previous) = draft.server_uid {
            if draft.folder_id == Some(folder_id)
                && draft.uidvalidity == uidvalidity
                && Some(previous) != new_uid
            {
                old.push(previous);
            }
        }
        if !old.is_empty() {
            conn.expunge_messages(&imap::uid_set(&old)).await?;
        }
        self.store()
            .draft_uploaded(draft.id, draft.revision, folder_id, uidvalidity, new_uid)
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
