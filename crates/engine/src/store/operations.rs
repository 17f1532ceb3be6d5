//! The operation queue: every change the user makes is applied to the stored messages and queued
//! here in the same transaction, so what the UI shows is always something the replayer
//! (`sync::replay`) will send to the server, in order, even after a restart.
//!
//! A message moved or copied locally waits in its target folder as a *placeholder*: a row with a
//! negative UID (minus its id) until the server's UID is known, from COPYUID, or from the next
//! sync of the target folder, matched by Message-ID ([`Store::reconcile_placeholders`]). A saved
//! draft waits in the Drafts folder the same way until the replayer has uploaded it.

use rusqlite::{params, OptionalExtension, Transaction};

use super::Store;
use crate::error::{Error, Result};

/// What an operation does on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    /// Set or clear \Seen, \Flagged, \Answered.
    Flags,
    /// Move to `target` (MOVE, or COPY + \Deleted + EXPUNGE).
    Move,
    /// Copy to `target`.
    Copy,
    /// Mark \Deleted and expunge (delete for good).
    Expunge,
    /// Expunge everything in the folder (empty the Trash).
    Empty,
}

impl OpKind {
    fn as_str(self) -> &'static str {
        match self {
            OpKind::Flags => "flags",
            OpKind::Move => "move",
            OpKind::Copy => "copy",
            OpKind::Expunge => "expunge",
            OpKind::Empty => "empty",
        }
    }

    fn parse(s: &str) -> Option<OpKind> {
        Some(match s {
            "flags" => OpKind::Flags,
            "move" => OpKind::Move,
            "copy" => OpKind::Copy,
            "expunge" => OpKind::Expunge,
            "empty" => OpKind::Empty,
            _ => return None,
        })
    }
}

/// Flags to set (`Some(true)`), clear (`Some(false)`) or leave alone (`None`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlagChange {
    pub seen: Option<bool>,
    pub flagged: Option<bool>,
    pub answered: Option<bool>,
    /// The `$Forwarded` keyword (RFC 5788), set once the user's forward of it was sent.
    pub forwarded: Option<bool>,
}

impl FlagChange {
    pub fn is_empty(&self) -> bool {
        self.seen.is_none()
            && self.flagged.is_none()
            && self.answered.is_none()
            && self.forwarded.is_none()
    }
}

/// One queued operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    pub id: i64,
    pub account_id: i64,
    pub kind: OpKind,
    /// The local row the operation is about (gone if it was removed meanwhile).
    pub message: Option<i64>,
    pub folder_id: i64,
    /// The server folder the message is in.
    pub folder: String,
    /// Its UID there; `None` while the message is a placeholder whose UID is not known yet.
    pub uid: Option<u32>,
    pub target_id: Option<i64>,
    pub target: Option<String>,
    /// The placeholder row standing for the moved or copied message in the target folder.
    pub placeholder: Option<i64>,
    pub flags: FlagChange,
    pub attempts: u32,
    /// The folder's UIDVALIDITY that `uid` belongs to, when known.
    pub uidvalidity: Option<u32>,
}

/// A folder whose contents changed: (account id, folder id).
pub type Touched = Vec<(i64, i64)>;

struct Row {
    folder_id: i64,
    uid: i64,
    account_id: i64,
    path: String,
}

fn row(tx: &Transaction<'_>, id: i64) -> Result<Option<Row>> {
    tx.query_row(
        "SELECT m.folder_id, m.uid, f.account_id, f.path FROM messages m
         JOIN folders f ON f.id = m.folder_id WHERE m.id = ?1",
        [id],
        |r| {
            Ok(Row {
                folder_id: r.get(0)?,
                uid: r.get(1)?,
                account_id: r.get(2)?,
                path: r.get(3)?,
            })
        },
    )
    .optional()
    .map_err(Error::storage("reading a message"))
}

/// Whether the account's folders are local only (a POP3 account): nothing to replay.
fn is_local(tx: &Transaction<'_>, account_id: i64) -> Result<bool> {
    tx.prepare_cached("SELECT 1 FROM accounts WHERE id = ?1 AND protocol = 'pop3'")
        .and_then(|mut s| s.exists([account_id]))
        .map_err(Error::storage("reading an account"))
}

fn known_uid(uid: i64) -> Option<u32> {
    u32::try_from(uid).ok().filter(|u| *u > 0)
}

fn touch(touched: &mut Touched, account_id: i64, folder_id: i64) {
    if !touched.contains(&(account_id, folder_id)) {
        touched.push((account_id, folder_id));
    }
}

#[allow(clippy::too_many_arguments)]
fn insert_op(
    tx: &Transaction<'_>,
    account_id: i64,
    kind: OpKind,
    message: Option<i64>,
    folder_id: i64,
    folder: &str,
    uid: Option<u32>,
    target: Option<(i64, &str)>,
    placeholder: Option<i64>,
    flags: FlagChange,
) -> Result<()> {
    if is_local(tx, account_id)? {
        // Local folders (POP3 accounts): the change is complete once it is in the store.
        return Ok(());
    }
    tx.execute(
        "INSERT INTO operations (account_id, kind, message, folder_id, folder, uid, target_id,
             target, placeholder, seen, flagged, answered, forwarded, uidvalidity)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,
             (SELECT uidvalidity FROM folders WHERE id = ?4))",
        params![
            account_id,
            kind.as_str(),
            message,
            folder_id,
            folder,
            uid,
            target.map(|t| t.0),
            target.map(|t| t.1),
            placeholder,
            flags.seen,
            flags.flagged,
            flags.answered,
            flags.forwarded
        ],
    )
    .map_err(Error::storage("queueing a change for the server"))?;
    Ok(())
}

const CTX: &str = "saving a change to messages";

impl Store {
    /// Sets or clears flags of stored messages at once and queues the same for the server.
    /// Returns the folders whose contents changed.
    pub fn queue_flags(&self, ids: &[i64], change: FlagChange) -> Result<Touched> {
        let mut touched = Touched::new();
        if change.is_empty() {
            return Ok(touched);
        }
        let mut conn = self.writer();
        let tx = conn.transaction().map_err(Error::storage(CTX))?;
        for &id in ids {
            let Some(r) = row(&tx, id)? else { continue };
            tx.execute(
                "UPDATE messages SET seen = coalesce(?2, seen), flagged = coalesce(?3, flagged),
                     answered = coalesce(?4, answered), forwarded = coalesce(?5, forwarded)
                 WHERE id = ?1",
                params![
                    id,
                    change.seen,
                    change.flagged,
                    change.answered,
                    change.forwarded
                ],
            )
            .map_err(Error::storage(CTX))?;
            insert_op(
                &tx,
                r.account_id,
                OpKind::Flags,
                Some(id),
                r.folder_id,
                &r.path,
                known_uid(r.uid),
                None,
                None,
                change,
            )?;
            touch(&mut touched, r.account_id, r.folder_id);
        }
        tx.commit().map_err(Error::storage(CTX))?;
        Ok(touched)
    }

    /// Moves (or copies) stored messages to another folder of the same account at once and queues
    /// the same for the server. Returns the folders whose contents changed.
    pub fn queue_transfer(&self, ids: &[i64], target_id: i64, copy: bool) -> Result<Touched> {
        let mut touched = Touched::new();
        let mut conn = self.writer();
        let tx = conn.transaction().map_err(Error::storage(CTX))?;
        let (target_account, target_path): (i64, String) = tx
            .query_row(
                "SELECT account_id, path FROM folders WHERE id = ?1 AND selectable = 1",
                [target_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(Error::storage(CTX))?
            .ok_or_else(|| Error::NotFound("The target folder".into()))?;
        let local = is_local(&tx, target_account)?;
        for &id in ids {
            let Some(r) = row(&tx, id)? else { continue };
            if r.account_id != target_account {
                return Err(Error::InvalidInput(
                    "Messages can only be moved or copied to a folder of their own account.".into(),
                ));
            }
            if r.folder_id == target_id {
                continue;
            }
            let kind = if copy { OpKind::Copy } else { OpKind::Move };
            let placeholder = if copy {
                tx.execute(
                    "INSERT INTO messages (folder_id, uid, message_id, in_reply_to, refs, subject,
                         from_name, from_email, to_json, cc_json, reply_to_json, date, size, seen,
                         flagged, answered, draft, has_attachments, snippet)
                     SELECT ?2, 0, message_id, in_reply_to, refs, subject, from_name, from_email,
                         to_json, cc_json, reply_to_json, date, size, seen, flagged, answered,
                         draft, has_attachments, snippet
                     FROM messages WHERE id = ?1",
                    params![id, target_id],
                )
                .map_err(Error::storage(CTX))?;
                let new = tx.last_insert_rowid();
                // A placeholder (negative UID) until the server's UID is known; in a local
                // folder the row id is the UID for good.
                tx.execute(
                    "UPDATE messages SET uid = CASE WHEN ?2 THEN id ELSE -id END WHERE id = ?1",
                    params![new, local],
                )
                .map_err(Error::storage(CTX))?;
                tx.execute(
                    "INSERT INTO bodies (message_id, raw, text, attachments, parts)
                     SELECT ?2, raw, text, attachments, parts FROM bodies WHERE message_id = ?1",
                    params![id, new],
                )
                .map_err(Error::storage(CTX))?;
                new
            } else {
                tx.execute(
                    "UPDATE messages SET folder_id = ?2,
                         uid = CASE WHEN ?3 THEN id ELSE -id END WHERE id = ?1",
                    params![id, target_id, local],
                )
                .map_err(Error::storage(CTX))?;
                touch(&mut touched, r.account_id, r.folder_id);
                id
            };
            insert_op(
                &tx,
                r.account_id,
                kind,
                Some(id),
                r.folder_id,
                &r.path,
                known_uid(r.uid),
                Some((target_id, &target_path)),
                Some(placeholder),
                FlagChange::default(),
            )?;
            touch(&mut touched, r.account_id, target_id);
        }
        tx.commit().map_err(Error::storage(CTX))?;
        Ok(touched)
    }

    /// Deletes stored messages for good at once and queues the same for the server (\Deleted and
    /// EXPUNGE). A message still waiting to be moved here is instead deleted from where it was;
    /// one waiting to be copied here is simply not copied.
    pub fn queue_expunge(&self, ids: &[i64]) -> Result<Touched> {
        let mut touched = Touched::new();
        let mut conn = self.writer();
        let tx = conn.transaction().map_err(Error::storage(CTX))?;
        for &id in ids {
            let Some(r) = row(&tx, id)? else { continue };
            let uid = known_uid(r.uid);
            if uid.is_none() {
                // A placeholder: rewrite the operation that made it.
                let creator: Option<(i64, String)> = tx
                    .query_row(
                        "SELECT id, kind FROM operations WHERE placeholder = ?1
                         ORDER BY id DESC LIMIT 1",
                        [id],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()
                    .map_err(Error::storage(CTX))?;
                match creator {
                    Some((op, kind)) if kind == "move" => {
                        tx.execute(
                            "UPDATE operations SET kind = 'expunge', target_id = NULL,
                                 target = NULL, placeholder = NULL WHERE id = ?1",
                            [op],
                        )
                        .map_err(Error::storage(CTX))?;
                    }
                    Some((op, _)) => {
                        tx.execute("DELETE FROM operations WHERE id = ?1", [op])
                            .map_err(Error::storage(CTX))?;
                    }
                    None => {}
                }
            } else {
                insert_op(
                    &tx,
                    r.account_id,
                    OpKind::Expunge,
                    None,
                    r.folder_id,
                    &r.path,
                    uid,
                    None,
                    None,
                    FlagChange::default(),
                )?;
            }
            tx.execute("DELETE FROM messages WHERE id = ?1", [id])
                .map_err(Error::storage(CTX))?;
            touch(&mut touched, r.account_id, r.folder_id);
        }
        tx.commit().map_err(Error::storage(CTX))?;
        Ok(touched)
    }

    /// Removes every stored message of the folder at once and queues emptying it on the server.
    pub fn queue_empty(&self, folder_id: i64) -> Result<()> {
        let mut conn = self.writer();
        let tx = conn.transaction().map_err(Error::storage(CTX))?;
        let (account_id, path): (i64, String) = tx
            .query_row(
                "SELECT account_id, path FROM folders WHERE id = ?1",
                [folder_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(Error::storage(CTX))?
            .ok_or_else(|| Error::NotFound(format!("Folder {folder_id}")))?;
        tx.execute("DELETE FROM messages WHERE folder_id = ?1", [folder_id])
            .map_err(Error::storage(CTX))?;
        insert_op(
            &tx,
            account_id,
            OpKind::Empty,
            None,
            folder_id,
            &path,
            None,
            None,
            None,
            FlagChange::default(),
        )?;
        tx.commit().map_err(Error::storage(CTX))?;
        Ok(())
    }

    /// The account's queued operations, oldest first.
    pub fn pending_operations(&self, account_id: i64) -> Result<Vec<Operation>> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, account_id, kind, message, folder_id, folder, uid, target_id, target,
                        placeholder, seen, flagged, answered, attempts, uidvalidity, forwarded
                 FROM operations WHERE account_id = ?1 ORDER BY id",
            )
            .map_err(Error::storage("reading queued changes"))?;
        let rows = stmt
            .query_map([account_id], |r| {
                let kind: String = r.get(2)?;
                Ok(Operation {
                    id: r.get(0)?,
                    account_id: r.get(1)?,
                    kind: OpKind::parse(&kind).ok_or_else(|| {
                        rusqlite::Error::FromSqlConversionFailure(
                            2,
                            rusqlite::types::Type::Text,
                            format!("unknown operation {kind:?}").into(),
                        )
                    })?,
                    message: r.get(3)?,
                    folder_id: r.get(4)?,
                    folder: r.get(5)?,
                    uid: r.get(6)?,
                    target_id: r.get(7)?,
                    target: r.get(8)?,
                    placeholder: r.get(9)?,
                    flags: FlagChange {
                        seen: r.get(10)?,
                        flagged: r.get(11)?,
                        answered: r.get(12)?,
                        forwarded: r.get(15)?,
                    },
                    attempts: r.get(13)?,
                    uidvalidity: r.get(14)?,
                })
            })
            .map_err(Error::storage("reading queued changes"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(Error::storage("reading queued changes"))
    }

    /// How many operations of the account wait for the server.
    pub fn pending_count(&self, account_id: i64) -> Result<u32> {
        self.reader()
            .query_row(
                "SELECT count(*) FROM operations WHERE account_id = ?1",
                [account_id],
                |r| r.get(0),
            )
            .map_err(Error::storage("reading queued changes"))
    }

    /// The server has done (or will never do) the operation: forget it.
    pub fn operation_done(&self, id: i64) -> Result<()> {
        self.writer()
            .execute("DELETE FROM operations WHERE id = ?1", [id])
            .map_err(Error::storage("updating queued changes"))?;
        Ok(())
    }

    /// The operation could not reach the server this time.
    pub fn operation_attempted(&self, id: i64) -> Result<()> {
        self.writer()
            .execute(
                "UPDATE operations SET attempts = attempts + 1 WHERE id = ?1",
                [id],
            )
            .map_err(Error::storage("updating queued changes"))?;
        Ok(())
    }

    /// The UID where a placeholder's message now is in the source folder of later operations
    /// (e.g. a message moved twice before either reached the server).
    /// Returns the UID and the UIDVALIDITY it belongs to.
    pub fn operation_uid(&self, op: &Operation) -> Result<(Option<u32>, Option<u32>)> {
        if op.uid.is_some() {
            return Ok((op.uid, op.uidvalidity));
        }
        Ok(self
            .reader()
            .query_row(
                "SELECT uid, uidvalidity FROM operations WHERE id = ?1",
                [op.id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(Error::storage("reading queued changes"))?
            .unwrap_or((None, None)))
    }

    /// The server put the moved or copied message at `uid` in the target folder: the placeholder
    /// takes that UID (or, if a sync already brought the message, gives way to it), and later
    /// operations on it learn where it is.
    pub fn transfer_landed(&self, op: &Operation, uid: u32) -> Result<()> {
        let (Some(target_id), Some(placeholder)) = (op.target_id, op.placeholder) else {
            return Ok(());
        };
        let ctx = "recording where a moved message landed";
        let mut conn = self.writer();
        let tx = conn.transaction().map_err(Error::storage(ctx))?;
        tx.execute(
            "UPDATE operations SET uid = ?3,
                 uidvalidity = (SELECT uidvalidity FROM folders WHERE id = ?2)
             WHERE message = ?1 AND uid IS NULL AND folder_id = ?2 AND id > ?4",
            params![placeholder, target_id, uid, op.id],
        )
        .map_err(Error::storage(ctx))?;
        let still_there: bool = tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM messages WHERE id = ?1 AND folder_id = ?2
                                AND uid < 0)",
                params![placeholder, target_id],
                |r| r.get(0),
            )
            .map_err(Error::storage(ctx))?;
        if still_there {
            let synced: Option<i64> = tx
                .query_row(
                    "SELECT id FROM messages WHERE folder_id = ?1 AND uid = ?2",
                    params![target_id, uid],
                    |r| r.get(0),
                )
                .optional()
                .map_err(Error::storage(ctx))?;
            match synced {
                Some(real) => merge_into(&tx, placeholder, real)?,
                None => {
                    tx.execute(
                        "UPDATE messages SET uid = ?2 WHERE id = ?1",
                        params![placeholder, uid],
                    )
                    .map_err(Error::storage(ctx))?;
                }
            }
        }
        tx.commit().map_err(Error::storage(ctx))?;
        Ok(())
    }

    /// Removes a placeholder whose message the server did not move or copy (it was gone).
    pub fn drop_placeholder(&self, placeholder: i64) -> Result<()> {
        self.writer()
            .execute(
                "DELETE FROM messages WHERE id = ?1 AND uid < 0",
                [placeholder],
            )
            .map_err(Error::storage("removing a message"))?;
        Ok(())
    }

    /// After a sync of the folder: placeholders no queued operation still stands for are matched
    /// to the message the server reported, by Message-ID (their body and later operations go to
    /// it), or removed. Returns how many placeholders were resolved.
    pub fn reconcile_placeholders(&self, folder_id: i64) -> Result<usize> {
        let ctx = "matching moved messages with the server's";
        let mut conn = self.writer();
        let tx = conn.transaction().map_err(Error::storage(ctx))?;
        let settled: Vec<(i64, Option<String>)> = {
            let mut stmt = tx
                .prepare_cached(
                    "SELECT m.id, m.message_id FROM messages m
                     WHERE m.folder_id = ?1 AND m.uid < 0
                       AND NOT EXISTS (SELECT 1 FROM operations o WHERE o.placeholder = m.id)
                       AND NOT EXISTS (SELECT 1 FROM drafts d WHERE d.uploaded < d.revision
                             AND d.discarded = 0 AND trim(d.message_id, '<>') = m.message_id)",
                )
                .map_err(Error::storage(ctx))?;
            let rows = stmt
                .query_map([folder_id], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(Error::storage(ctx))?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
                .map_err(Error::storage(ctx))?
        };
        for (placeholder, message_id) in &settled {
            let real: Option<i64> = match message_id {
                Some(mid) => tx
                    .query_row(
                        "SELECT id FROM messages WHERE folder_id = ?1 AND message_id = ?2
                           AND uid > 0 ORDER BY uid DESC LIMIT 1",
                        params![folder_id, mid],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(Error::storage(ctx))?,
                None => None,
            };
            match real {
                Some(real) => merge_into(&tx, *placeholder, real)?,
                None => {
                    tx.execute("DELETE FROM messages WHERE id = ?1", [placeholder])
                        .map_err(Error::storage(ctx))?;
                }
            }
        }
        tx.commit().map_err(Error::storage(ctx))?;
        Ok(settled.len())
    }

    /// After a sync of the folder: flag changes still waiting for the server win over the
    /// server's older state (the user's latest action counts, for the flags it touched).
    pub fn reapply_pending_flags(&self, folder_id: i64) -> Result<usize> {
        let ctx = "keeping flag changes that wait for the server";
        let mut conn = self.writer();
        let tx = conn.transaction().map_err(Error::storage(ctx))?;
        let changed = tx
            .execute(
                "UPDATE messages AS m SET
                     seen = coalesce((SELECT o.seen FROM operations o WHERE o.kind = 'flags'
                         AND o.folder_id = m.folder_id AND o.uid = m.uid AND o.seen IS NOT NULL
                         ORDER BY o.id DESC LIMIT 1), m.seen),
                     flagged = coalesce((SELECT o.flagged FROM operations o WHERE o.kind = 'flags'
                         AND o.folder_id = m.folder_id AND o.uid = m.uid AND o.flagged IS NOT NULL
                         ORDER BY o.id DESC LIMIT 1), m.flagged),
                     answered = coalesce((SELECT o.answered FROM operations o
                         WHERE o.kind = 'flags' AND o.folder_id = m.folder_id AND o.uid = m.uid
                           AND o.answered IS NOT NULL ORDER BY o.id DESC LIMIT 1), m.answered)
                 WHERE m.folder_id = ?1 AND EXISTS
                     (SELECT 1 FROM operations o WHERE o.kind = 'flags' AND o.folder_id = ?1
                        AND o.uid = m.uid
                        AND ((o.seen IS NOT NULL AND o.seen IS NOT m.seen)
                          OR (o.flagged IS NOT NULL AND o.flagged IS NOT m.flagged)
                          OR (o.answered IS NOT NULL AND o.answered IS NOT m.answered)))",
                [folder_id],
            )
            .map_err(Error::storage(ctx))?;
        tx.commit().map_err(Error::storage(ctx))?;
        Ok(changed)
    }
}

/// The sync brought the real row for a placeholder: the real row keeps the body and takes over
/// the operations waiting on the placeholder, which goes.
fn merge_into(tx: &Transaction<'_>, placeholder: i64, real: i64) -> Result<()> {
    let ctx = "matching a moved message with the server's";
    tx.execute(
        "INSERT OR IGNORE INTO bodies (message_id, raw, text, attachments, parts)
         SELECT ?2, raw, text, attachments, parts FROM bodies WHERE message_id = ?1",
        params![placeholder, real],
    )
    .map_err(Error::storage(ctx))?;
    tx.execute(
        "UPDATE messages SET snippet = (SELECT snippet FROM messages WHERE id = ?1),
             has_attachments = (SELECT has_attachments FROM messages WHERE id = ?1)
         WHERE id = ?2 AND snippet = ''",
        params![placeholder, real],
    )
    .map_err(Error::storage(ctx))?;
    tx.execute(
        "UPDATE operations SET message = ?2,
             uidvalidity = CASE WHEN uid IS NULL THEN (SELECT f.uidvalidity FROM messages m
                 JOIN folders f ON f.id = m.folder_id WHERE m.id = ?2) ELSE uidvalidity END,
             uid = coalesce(uid, (SELECT uid FROM messages WHERE id = ?2))
         WHERE message = ?1",
        params![placeholder, real],
    )
    .map_err(Error::storage(ctx))?;
    tx.execute("DELETE FROM messages WHERE id = ?1", [placeholder])
        .map_err(Error::storage(ctx))?;
    Ok(())
}

impl Store {
    /// The account and folder a stored message is in (placeholders included).
    pub fn message_folder(&self, message_id: i64) -> Result<Option<(i64, i64)>> {
        self.reader()
            .query_row(
                "SELECT f.account_id, f.id FROM messages m JOIN folders f ON f.id = m.folder_id
                 WHERE m.id = ?1",
                [message_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(Error::storage("reading a message"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Security, ServerSettings};
    use crate::store::{FolderEntry, NewMessage, StoredBody};

    fn settings() -> ServerSettings {
        ServerSettings {
            host: "mail.example.org".into(),
            port: 993,
            security: Security::Tls,
            username: "ann@example.org".into(),
            trusted_cert: None,
        }
    }

    fn folder(path: &str) -> FolderEntry {
        FolderEntry {
            path: path.into(),
            name: path.into(),
            delimiter: Some("/".into()),
            role: None,
            selectable: true,
            subscribed: true,
        }
    }

    fn message(uid: u32, id: &str) -> NewMessage {
        NewMessage {
            uid,
            message_id: Some(id.into()),
            subject: format!("message {uid}"),
            ..NewMessage::default()
        }
    }

    /// A store with an INBOX holding uids 1 and 2 and an empty Archive: (store, inbox, archive).
    fn store(dir: &tempfile::TempDir) -> (Store, i64, i64) {
        let store = Store::open(&dir.path().join("petrel.sqlite3")).unwrap();
        let account = store
            .insert_account(&crate::model::NewAccount {
                display_name: "Ann".into(),
                email: "ann@example.org".into(),
                password: String::new(),
                protocol: crate::model::IncomingProtocol::Imap,
                incoming: settings(),
                smtp: settings(),
                pop3: None,
            })
            .unwrap();
        store
            .sync_folder_list(account.id, &[folder("INBOX"), folder("Archive")])
            .unwrap();
        let folders = store.folders(account.id).unwrap();
        let id = |p: &str| folders.iter().find(|f| f.path == p).unwrap().id;
        let (inbox, archive) = (id("INBOX"), id("Archive"));
        store
            .insert_messages(inbox, &[message(1, "a@x"), message(2, "b@x")])
            .unwrap();
        (store, inbox, archive)
    }

    #[test]
    fn a_moved_message_meets_the_servers_copy_by_message_id() {
        let dir = tempfile::tempdir().unwrap();
        let (store, inbox, archive) = store(&dir);
        let row = store.message_id_for_uid(inbox, 1).unwrap().unwrap();
        store
            .store_body(row, &StoredBody::default(), "hello", false)
            .unwrap();
        store.queue_transfer(&[row], archive, false).unwrap();
        assert_eq!(store.uids(inbox).unwrap(), vec![2]);
        assert!(store.uids(archive).unwrap().is_empty(), "no server UID yet");
        assert_eq!(store.folder(archive).unwrap().total, 1, "but shown there");
        assert!(store.message_location(row).is_err());

        // While the move waits, a sync of the Archive leaves the placeholder alone.
        assert_eq!(store.reconcile_placeholders(archive).unwrap(), 0);
        let op = store.pending_operations(1).unwrap().remove(0);
        assert_eq!(op.uid, Some(1));
        store.operation_done(op.id).unwrap();

        // The server did it without saying where (no COPYUID); the sync brings uid 9.
        let new = store
            .insert_messages(archive, &[message(9, "a@x")])
            .unwrap();
        assert_eq!(store.reconcile_placeholders(archive).unwrap(), 1);
        assert_eq!(store.folder(archive).unwrap().total, 1, "no duplicate");
        assert_eq!(store.uids(archive).unwrap(), vec![9]);
        assert!(store.has_body(new[0]).unwrap(), "the body went along");
    }

    #[test]
    fn a_draft_placeholder_waits_for_its_upload_then_meets_the_servers_copy() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _, archive) = store(&dir);
        // The Archive stands in for Drafts: the store does not look at roles here.
        let account = store.folder(archive).unwrap().account_id;
        let draft = store
            .save_draft(account, None, "<d1@x>", b"Subject: v1\r\n\r\nv1")
            .unwrap();
        store
            .put_draft_placeholder(archive, &message(0, "d1@x"), &StoredBody::default(), "v1")
            .unwrap();
        assert_eq!(store.folder(archive).unwrap().total, 1);
        // A second save replaces the first placeholder: still one row.
        store
            .put_draft_placeholder(archive, &message(0, "d1@x"), &StoredBody::default(), "v2")
            .unwrap();
        assert_eq!(store.folder(archive).unwrap().total, 1);
        // Pending: a sync leaves it alone.
        assert_eq!(store.reconcile_placeholders(archive).unwrap(), 0);
        assert_eq!(store.folder(archive).unwrap().total, 1);
        // Uploaded; the sync brings the server's copy: one row, the server's.
        store
            .draft_uploaded(draft, 1, archive, Some(1), Some(7))
            .unwrap();
        store
            .insert_messages(archive, &[message(7, "d1@x")])
            .unwrap();
        assert_eq!(store.reconcile_placeholders(archive).unwrap(), 1);
        assert_eq!(store.folder(archive).unwrap().total, 1, "no duplicate");
        assert_eq!(store.uids(archive).unwrap(), vec![7]);
    }

    #[test]
    fn pending_flags_survive_a_sync_with_the_servers_older_state() {
        let dir = tempfile::tempdir().unwrap();
        let (store, inbox, _) = store(&dir);
        let row = store.message_id_for_uid(inbox, 2).unwrap().unwrap();
        let change = FlagChange {
            flagged: Some(true),
            ..FlagChange::default()
        };
        store.queue_flags(&[row], change).unwrap();
        // The server still has the old flags, and \Seen set elsewhere.
        store
            .update_flags(inbox, &[(2, true, false, false, false)])
            .unwrap();
        assert_eq!(store.reapply_pending_flags(inbox).unwrap(), 1);
        let m = &store.message_summaries(&[row]).unwrap()[0];
        assert!(m.flagged, "the user's change wins for the flag it touched");
        assert!(m.seen, "the server's change to another flag stays");
    }

    #[test]
    fn deleting_a_message_still_waiting_to_be_moved_deletes_it_where_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let (store, inbox, archive) = store(&dir);
        let row = store.message_id_for_uid(inbox, 1).unwrap().unwrap();
        store.queue_transfer(&[row], archive, false).unwrap();
        store.queue_expunge(&[row]).unwrap();
        let ops = store.pending_operations(1).unwrap();
        assert_eq!(ops.len(), 1);
        assert_eq!(ops[0].kind, OpKind::Expunge);
        assert_eq!((ops[0].folder.as_str(), ops[0].uid), ("INBOX", Some(1)));
        assert_eq!(store.folder(archive).unwrap().total, 0);
    }
}
