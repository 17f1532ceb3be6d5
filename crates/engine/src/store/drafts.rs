//! Drafts saved by the composer: the newest save of each is kept here first (so nothing typed
//! is lost while offline), then uploaded to the account's Drafts folder by the replayer.

use rusqlite::{params, OptionalExtension};

use super::Store;
use crate::error::{Error, Result};

/// A draft whose newest save is not on the server yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingDraft {
    pub id: i64,
    pub account_id: i64,
    pub message_id: String,
    pub raw: Vec<u8>,
    pub revision: i64,
    /// Where the previous upload went, if any: folder, its UIDVALIDITY, the UID.
    pub folder_id: Option<i64>,
    pub uidvalidity: Option<u32>,
    pub server_uid: Option<u32>,
    /// Discarded by the user: its copies on the server are to be deleted, then the row.
    pub discarded: bool,
}

impl Store {
    /// Stores a draft's newest save: a new draft (`draft_id` `None`), or a new revision of an
    /// existing one of the same account. Returns the draft's id.
    pub fn save_draft(
        &self,
        account_id: i64,
        draft_id: Option<i64>,
        message_id: &str,
        raw: &[u8],
    ) -> Result<i64> {
        let ctx = "saving a draft";
        let conn = self.writer();
        match draft_id {
            None => {
                conn.execute(
                    "INSERT INTO drafts (account_id, message_id, raw) VALUES (?1, ?2, ?3)",
                    params![account_id, message_id, raw],
                )
                .map_err(Error::storage(ctx))?;
                Ok(conn.last_insert_rowid())
            }
            Some(id) => {
                let changed = conn
                    .execute(
                        "UPDATE drafts SET raw = ?3, revision = revision + 1, saved_at = unixepoch()
                         WHERE id = ?1 AND account_id = ?2 AND discarded = 0",
                        params![id, account_id, raw],
                    )
                    .map_err(Error::storage(ctx))?;
                if changed == 0 {
                    return Err(Error::NotFound("The draft".into()));
                }
                Ok(id)
            }
        }
    }

    /// The account and Message-ID of a stored draft.
    pub fn draft_identity(&self, draft_id: i64) -> Result<(i64, String)> {
        self.reader()
            .query_row(
                "SELECT account_id, message_id FROM drafts WHERE id = ?1",
                [draft_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(Error::storage("reading a draft"))?
            .ok_or_else(|| Error::NotFound("The draft".into()))
    }

    /// The draft of the account with this Message-ID (with or without `<>`), unless discarded.
    pub fn draft_by_message_id(&self, account_id: i64, message_id: &str) -> Result<Option<i64>> {
        let bare = message_id
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>');
        self.reader()
            .query_row(
                "SELECT id FROM drafts WHERE account_id = ?1 AND discarded = 0
                   AND trim(message_id, '<>') = ?2 ORDER BY id DESC LIMIT 1",
                params![account_id, bare],
                |r| r.get(0),
            )
            .optional()
            .map_err(Error::storage("reading drafts"))
    }

    /// Makes a draft found in the Drafts folder (saved by another program, or by Petrel before
    /// its row was gone) one of ours: its next save replaces that copy (found by `uid`, and by
    /// the Message-ID kept for every save). Nothing is uploaded until then.
    pub fn adopt_draft(
        &self,
        account_id: i64,
        message_id: &str,
        raw: &[u8],
        folder_id: i64,
        uidvalidity: Option<u32>,
        uid: Option<u32>,
    ) -> Result<i64> {
        let conn = self.writer();
        conn.execute(
            "INSERT INTO drafts (account_id, message_id, raw, revision, uploaded, folder_id,
                 uidvalidity, server_uid)
             VALUES (?1, ?2, ?3, 1, 1, ?4, ?5, ?6)",
            params![account_id, message_id, raw, folder_id, uidvalidity, uid],
        )
        .map_err(Error::storage("reopening a draft"))?;
        Ok(conn.last_insert_rowid())
    }

    /// The newest stored save of a draft (the raw message).
    pub fn draft_raw(&self, draft_id: i64) -> Result<Vec<u8>> {
        self.reader()
            .query_row("SELECT raw FROM drafts WHERE id = ?1", [draft_id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(Error::storage("reading a draft"))?
            .ok_or_else(|| Error::NotFound("The draft".into()))
    }

    /// The account's drafts whose newest save the server does not have, oldest first.
    pub fn pending_drafts(&self, account_id: i64) -> Result<Vec<PendingDraft>> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, account_id, message_id, raw, revision, folder_id, uidvalidity,
                        server_uid, discarded
                 FROM drafts WHERE account_id = ?1 AND uploaded < revision ORDER BY id",
            )
            .map_err(Error::storage("reading drafts"))?;
        let rows = stmt
            .query_map([account_id], |r| {
                Ok(PendingDraft {
                    id: r.get(0)?,
                    account_id: r.get(1)?,
                    message_id: r.get(2)?,
                    raw: r.get(3)?,
                    revision: r.get(4)?,
                    folder_id: r.get(5)?,
                    uidvalidity: r.get(6)?,
                    server_uid: r.get(7)?,
                    discarded: r.get::<_, i64>(8)? != 0,
                })
            })
            .map_err(Error::storage("reading drafts"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(Error::storage("reading drafts"))
    }

    /// Marks a draft discarded (its server copies are deleted by the replayer); returns its
    /// account.
    pub fn discard_draft(&self, draft_id: i64) -> Result<i64> {
        self.writer()
            .query_row(
                "UPDATE drafts SET discarded = 1, revision = revision + 1 WHERE id = ?1
                 RETURNING account_id",
                [draft_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(Error::storage("discarding a draft"))?
            .ok_or_else(|| Error::NotFound("The draft".into()))
    }

    /// Forgets a draft for good (after its server copies are gone).
    pub fn forget_draft(&self, draft_id: i64) -> Result<()> {
        self.writer()
            .execute("DELETE FROM drafts WHERE id = ?1", [draft_id])
            .map_err(Error::storage("discarding a draft"))?;
        Ok(())
    }

    /// How many drafts of the account wait to be uploaded.
    pub fn pending_draft_count(&self, account_id: i64) -> Result<u32> {
        self.reader()
            .query_row(
                "SELECT count(*) FROM drafts WHERE account_id = ?1 AND uploaded < revision",
                [account_id],
                |r| r.get(0),
            )
            .map_err(Error::storage("reading drafts"))
    }

    /// Records that `revision` of a draft is on the server, as `uid` (if known) in the folder.
    /// A save made meanwhile stays pending (its revision is higher).
    pub fn draft_uploaded(
        &self,
        draft_id: i64,
        revision: i64,
        folder_id: i64,
        uidvalidity: Option<u32>,
        uid: Option<u32>,
    ) -> Result<()> {
        self.writer()
            .execute(
                "UPDATE drafts SET uploaded = ?2, folder_id = ?3, uidvalidity = ?4, server_uid = ?5
                 WHERE id = ?1",
                params![draft_id, revision, folder_id, uidvalidity, uid],
            )
            .map_err(Error::storage("recording an uploaded draft"))?;
        Ok(())
    }
}
