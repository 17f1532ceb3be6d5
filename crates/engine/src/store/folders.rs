use rusqlite::{params, OptionalExtension, Row};

use super::Store;
use crate::error::{Error, Result};
use crate::model::{Folder, FolderRole};

/// One folder as the server lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderEntry {
    pub path: String,
    /// The last segment of the path, for display.
    pub name: String,
    pub delimiter: Option<String>,
    pub role: Option<FolderRole>,
    pub selectable: bool,
    /// Subscribed on the server (in its LSUB answer; INBOX always is).
    pub subscribed: bool,
}

/// What the sync engine remembers about a folder between runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FolderState {
    pub id: i64,
    pub account_id: i64,
    pub path: String,
    pub uidvalidity: Option<u32>,
    pub uidnext: Option<u32>,
    pub highestmodseq: Option<u64>,
}

fn folder_from_row(row: &Row<'_>) -> rusqlite::Result<Folder> {
    let role: Option<String> = row.get(4)?;
    Ok(Folder {
        id: row.get(0)?,
        account_id: row.get(1)?,
        path: row.get(2)?,
        name: row.get(3)?,
        role: role.as_deref().and_then(FolderRole::parse),
        unread: row.get(5)?,
        total: row.get(6)?,
        subscribed: row.get::<_, i64>(7)? != 0,
        delimiter: row.get(8)?,
    })
}

impl Store {
    /// Replaces the account's folder list with the server's: new folders are added, known ones
    /// updated, vanished ones removed with their messages. Returns true if anything changed.
    pub fn sync_folder_list(&self, account_id: i64, folders: &[FolderEntry]) -> Result<bool> {
        let mut conn = self.writer();
        let tx = conn
            .transaction()
            .map_err(Error::storage("updating folders"))?;
        let mut changed = false;
        {
            type Known = (i64, Option<String>, bool, bool, String);
            let mut existing: std::collections::BTreeMap<String, Known> = Default::default();
            let mut stmt = tx
                .prepare_cached(
                    "SELECT id, path, role, selectable, subscribed, name FROM folders
                     WHERE account_id = ?1",
                )
                .map_err(Error::storage("updating folders"))?;
            let rows = stmt
                .query_map([account_id], |r| {
                    Ok((
                        r.get::<_, String>(1)?,
                        (
                            r.get::<_, i64>(0)?,
                            r.get::<_, Option<String>>(2)?,
                            r.get::<_, i64>(3)? != 0,
                            r.get::<_, i64>(4)? != 0,
                            r.get::<_, String>(5)?,
                        ),
                    ))
                })
                .map_err(Error::storage("updating folders"))?;
            for row in rows {
                let (path, v) = row.map_err(Error::storage("updating folders"))?;
                existing.insert(path, v);
            }
            for FolderEntry {
                path,
                name,
                delimiter,
                role,
                selectable,
                subscribed,
            } in folders
            {
                let role_str = role.map(|r| r.as_str().to_string());
                match existing.remove(path) {
                    Some((_, old_role, old_sel, old_sub, old_name))
                        if old_role == role_str
                            && old_sel == *selectable
                            && old_sub == *subscribed
                            && old_name == *name => {}
                    // The name too: folders stored before names were decoded get theirs.
                    Some((id, ..)) => {
                        tx.execute(
                            "UPDATE folders SET role = ?2, selectable = ?3, subscribed = ?4,
                                 name = ?5
                             WHERE id = ?1",
                            params![id, role_str, *selectable as i64, *subscribed as i64, name],
                        )
                        .map_err(Error::storage("updating folders"))?;
                        changed = true;
                    }
                    None => {
                        tx.execute(
                            "INSERT INTO folders (account_id, path, name, delimiter, role, selectable,
                                 subscribed)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                            params![
                                account_id,
                                path,
                                name,
                                delimiter,
                                role_str,
                                *selectable as i64,
                                *subscribed as i64
                            ],
                        )
                        .map_err(Error::storage("updating folders"))?;
                        changed = true;
                    }
                }
            }
            for (_, (id, ..)) in existing {
                tx.execute("DELETE FROM folders WHERE id = ?1", [id])
                    .map_err(Error::storage("updating folders"))?;
                changed = true;
            }
        }
        tx.commit().map_err(Error::storage("updating folders"))?;
        Ok(changed)
    }

    /// The hierarchy delimiter of a folder, or of the account's folders when `folder_id` is
    /// `None` (the one the server uses for top-level folders). `None` for a flat server.
    pub fn folder_delimiter(
        &self,
        account_id: i64,
        folder_id: Option<i64>,
    ) -> Result<Option<String>> {
        self.reader()
            .query_row(
                "SELECT delimiter FROM folders
                 WHERE account_id = ?1 AND (?2 IS NULL OR id = ?2) AND delimiter IS NOT NULL
                 ORDER BY id LIMIT 1",
                params![account_id, folder_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(Error::storage("reading a folder"))
    }

    /// Records the folder's subscription as the server now has it.
    pub fn set_folder_subscribed(&self, folder_id: i64, subscribed: bool) -> Result<()> {
        self.writer()
            .execute(
                "UPDATE folders SET subscribed = ?2 WHERE id = ?1",
                params![folder_id, subscribed as i64],
            )
            .map_err(Error::storage("updating a folder"))?;
        Ok(())
    }

    /// After the server renamed `from` to `to` (raw paths): the folder gets its new path and
    /// display `name`, the folders below it their new paths, keeping their messages and sync state (a rename keeps UIDVALIDITY).
    pub fn rename_folder(
        &self,
        account_id: i64,
        from: &str,
        to: &str,
        name: &str,
        delimiter: Option<&str>,
    ) -> Result<()> {
        let ctx = "renaming a folder";
        let mut conn = self.writer();
        let tx = conn.transaction().map_err(Error::storage(ctx))?;
        tx.execute(
            "UPDATE folders SET path = ?3, name = ?4 WHERE account_id = ?1 AND path = ?2",
            params![account_id, from, to, name],
        )
        .map_err(Error::storage(ctx))?;
        if let Some(d) = delimiter.filter(|d| !d.is_empty()) {
            let prefix = format!("{from}{d}");
            tx.execute(
                "UPDATE folders SET path = ?3 || substr(path, length(?2) + 1)
                 WHERE account_id = ?1 AND substr(path, 1, length(?2)) = ?2",
                params![account_id, prefix, format!("{to}{d}")],
            )
            .map_err(Error::storage(ctx))?;
        }
        tx.commit().map_err(Error::storage(ctx))?;
        Ok(())
    }

    /// The account's folders with their counts, in display order: INBOX, the special folders,
    /// then the rest by path.
    pub fn folders(&self, account_id: i64) -> Result<Vec<Folder>> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(
                "SELECT f.id, f.account_id, f.path, f.name, f.role,
                        (SELECT count(*) FROM messages m WHERE m.folder_id = f.id AND m.seen = 0),
                        (SELECT count(*) FROM messages m WHERE m.folder_id = f.id), f.subscribed,
                        f.delimiter
                 FROM folders f
                 WHERE f.account_id = ?1 AND f.selectable = 1
                 ORDER BY CASE f.role WHEN 'inbox' THEN 0 WHEN 'drafts' THEN 1 WHEN 'sent' THEN 2
                          WHEN 'archive' THEN 3 WHEN 'junk' THEN 4 WHEN 'trash' THEN 5
                          ELSE 6 END, f.path",
            )
            .map_err(Error::storage("listing folders"))?;
        let rows = stmt
            .query_map([account_id], folder_from_row)
            .map_err(Error::storage("listing folders"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(Error::storage("listing folders"))
    }

    pub fn folder(&self, folder_id: i64) -> Result<Folder> {
        self.reader()
            .query_row(
                "SELECT f.id, f.account_id, f.path, f.name, f.role,
                        (SELECT count(*) FROM messages m WHERE m.folder_id = f.id AND m.seen = 0),
                        (SELECT count(*) FROM messages m WHERE m.folder_id = f.id), f.subscribed,
                        f.delimiter
                 FROM folders f WHERE f.id = ?1",
                [folder_id],
                folder_from_row,
            )
            .optional()
            .map_err(Error::storage("reading a folder"))?
            .ok_or_else(|| Error::NotFound(format!("Folder {folder_id}")))
    }

    pub fn folder_by_role(&self, account_id: i64, role: FolderRole) -> Result<Option<FolderState>> {
        self.folder_state_where(
            "account_id = ?1 AND role = ?2",
            params![account_id, role.as_str()],
        )
    }

    pub fn folder_state(&self, folder_id: i64) -> Result<FolderState> {
        self.folder_state_where("id = ?1", params![folder_id])?
            .ok_or_else(|| Error::NotFound(format!("Folder {folder_id}")))
    }

    fn folder_state_where(
        &self,
        condition: &str,
        args: impl rusqlite::Params,
    ) -> Result<Option<FolderState>> {
        self.reader()
            .query_row(
                &format!(
                    "SELECT id, account_id, path, uidvalidity, uidnext, highestmodseq
                     FROM folders WHERE {condition} LIMIT 1"
                ),
                args,
                |r| {
                    Ok(FolderState {
                        id: r.get(0)?,
                        account_id: r.get(1)?,
                        path: r.get(2)?,
                        uidvalidity: r.get(3)?,
                        uidnext: r.get(4)?,
                        highestmodseq: r.get::<_, Option<i64>>(5)?.map(|v| v as u64),
                    })
                },
            )
            .optional()
            .map_err(Error::storage("reading a folder"))
    }

    /// Records the folder's UIDVALIDITY. If it changed, the folder's messages are dropped (their
    /// UIDs mean nothing any more; they are the server's copies and will be listed again), but
    /// their downloaded bodies are set aside to be matched back by Message-ID
    /// ([`Store::reattach_bodies`]); the sync state (UIDNEXT, HIGHESTMODSEQ) is forgotten.
    /// Returns true on such a reset.
    pub fn set_uidvalidity(&self, folder_id: i64, uidvalidity: u32) -> Result<bool> {
        let ctx = "starting the folder over after its UIDVALIDITY changed";
        let mut conn = self.writer();
        let tx = conn.transaction().map_err(Error::storage(ctx))?;
        let old: Option<u32> = tx
            .query_row(
                "SELECT uidvalidity FROM folders WHERE id = ?1",
                [folder_id],
                |r| r.get(0),
            )
            .map_err(Error::storage(ctx))?;
        let reset = matches!(old, Some(v) if v != uidvalidity);
        if reset {
            start_over(&tx, folder_id)?;
        }
        tx.execute(
            "UPDATE folders SET uidvalidity = ?2 WHERE id = ?1",
            params![folder_id, uidvalidity],
        )
        .map_err(Error::storage(ctx))?;
        tx.commit().map_err(Error::storage(ctx))?;
        Ok(reset)
    }

    /// Forgets what is stored of the folder so that its next sync lists it again from the server
    /// (downloaded bodies are set aside and matched back, as after a UIDVALIDITY change). Used
    /// when the server refused a change the user made, to show the server's truth again.
    pub fn reset_folder(&self, folder_id: i64) -> Result<()> {
        let ctx = "starting the folder over";
        let mut conn = self.writer();
        let tx = conn.transaction().map_err(Error::storage(ctx))?;
        start_over(&tx, folder_id)?;
        tx.commit().map_err(Error::storage(ctx))?;
        Ok(())
    }

    /// After a folder was listed again in full: gives the bodies set aside by a UIDVALIDITY reset
    /// back to the messages with the same Message-ID, and forgets the rest (the server no longer
    /// has them). Returns how many bodies found their message again.
    pub fn reattach_bodies(&self, folder_id: i64) -> Result<usize> {
        let ctx = "matching downloaded messages again after a folder reset";
        let mut conn = self.writer();
        let pending: bool = conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM stale_bodies WHERE folder_id = ?1)",
                [folder_id],
                |r| r.get(0),
            )
            .map_err(Error::storage(ctx))?;
        if !pending {
            return Ok(0);
        }
        let tx = conn.transaction().map_err(Error::storage(ctx))?;
        let attached = tx
            .execute(
                "INSERT INTO bodies (message_id, raw, text, attachments, parts)
                 SELECT m.id, s.raw, s.text, s.attachments, s.parts
                 FROM stale_bodies s JOIN messages m
                   ON m.folder_id = s.folder_id AND m.message_id = s.message_id
                 WHERE s.folder_id = ?1
                 ON CONFLICT (message_id) DO NOTHING",
                [folder_id],
            )
            .map_err(Error::storage(ctx))?;
        tx.execute(
            "UPDATE messages SET snippet = s.snippet, has_attachments = s.has_attachments
             FROM stale_bodies s
             WHERE messages.folder_id = ?1 AND s.folder_id = ?1
               AND s.message_id = messages.message_id",
            [folder_id],
        )
        .map_err(Error::storage(ctx))?;
        tx.execute("DELETE FROM stale_bodies WHERE folder_id = ?1", [folder_id])
            .map_err(Error::storage(ctx))?;
        tx.commit().map_err(Error::storage(ctx))?;
        Ok(attached)
    }

    /// What the server said about the folder at the end of a successful sync. HIGHESTMODSEQ is
    /// only ever stored once the changes up to it are in the store.
    pub fn set_sync_state(
        &self,
        folder_id: i64,
        uidnext: Option<u32>,
        highestmodseq: Option<u64>,
    ) -> Result<()> {
        self.writer()
            .execute(
                "UPDATE folders SET uidnext = coalesce(?2, uidnext), highestmodseq = ?3
                 WHERE id = ?1",
                params![folder_id, uidnext, highestmodseq.map(|m| m as i64)],
            )
            .map_err(Error::storage("updating a folder"))?;
        Ok(())
    }
}

/// Sets the folder's messages aside: their bodies go to `stale_bodies` (matched back by Message-ID
/// once the folder is listed again), the rows and the sync state (UIDNEXT, HIGHESTMODSEQ) go.
fn start_over(tx: &rusqlite::Transaction<'_>, folder_id: i64) -> Result<()> {
    let ctx = "starting the folder over";
    tx.execute(
        "INSERT INTO stale_bodies (folder_id, message_id, raw, text, attachments, snippet,
             has_attachments, parts)
         SELECT m.folder_id, m.message_id, b.raw, b.text, b.attachments, m.snippet,
                m.has_attachments, b.parts
         FROM messages m JOIN bodies b ON b.message_id = m.id
         WHERE m.folder_id = ?1 AND m.message_id IS NOT NULL",
        [folder_id],
    )
    .map_err(Error::storage(ctx))?;
    tx.execute("DELETE FROM messages WHERE folder_id = ?1", [folder_id])
        .map_err(Error::storage(ctx))?;
    tx.execute(
        "UPDATE folders SET uidnext = NULL, highestmodseq = NULL WHERE id = ?1",
        [folder_id],
    )
    .map_err(Error::storage(ctx))?;
    Ok(())
}
