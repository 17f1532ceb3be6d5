//! Local folders: the folders of a POP3 account live only here. Their messages have no server
//! UID; they use their own row id as UID (unique, positive, stable across moves), so every list,
//! move and flag path works unchanged, and nothing is queued for a server.
//!
//! POP3 bookkeeping: `pop3_uidls` holds every UIDL downloaded, written in the same transaction as
//! the message itself. What to delete from the server is derived from it and the account's
//! settings each time (downloaded long enough ago, or deleted here), never remembered apart.

use std::collections::HashSet;

use rusqlite::{params, OptionalExtension, Transaction};

use super::{NewMessage, Store, StoredBody};
use crate::error::{Error, Result};
use crate::model::{FolderRole, IncomingProtocol, Pop3Settings};

/// The folders every POP3 account starts with: (path, role).
pub const LOCAL_FOLDERS: &[(&str, FolderRole)] = &[
    ("INBOX", FolderRole::Inbox),
    ("Drafts", FolderRole::Drafts),
    ("Sent", FolderRole::Sent),
    ("Archive", FolderRole::Archive),
    ("Trash", FolderRole::Trash),
];

/// The separator of local folder paths ("Projects/2026").
pub const LOCAL_DELIMITER: &str = "/";

pub(super) fn create_local_folders(tx: &Transaction<'_>, account_id: i64) -> Result<()> {
    for (path, role) in LOCAL_FOLDERS {
        let name = if *path == "INBOX" { "Inbox" } else { path };
        tx.execute(
            "INSERT INTO folders (account_id, path, name, delimiter, role, selectable, subscribed)
             VALUES (?1, ?2, ?3, ?4, ?5, 1, 1)",
            params![account_id, path, name, LOCAL_DELIMITER, role.as_str()],
        )
        .map_err(Error::storage("creating the local folders"))?;
    }
    Ok(())
}

/// One message downloaded from a POP3 server, ready to be stored.
pub struct Downloaded {
    pub uidl: String,
    pub message: NewMessage,
    pub body: StoredBody,
    pub snippet: String,
}

const CTX_LOCAL: &str = "saving a message in a local folder";

/// Inserts a message with its body into a local folder (UID = row id). Returns its id.
fn insert_local(
    tx: &Transaction<'_>,
    folder_id: i64,
    m: &NewMessage,
    body: &StoredBody,
    snippet: &str,
) -> Result<i64> {
    insert_row(tx, folder_id, m, body, snippet, false)
}

/// Inserts a message with its body: UID = row id, or its negative for a placeholder.
fn insert_row(
    tx: &Transaction<'_>,
    folder_id: i64,
    m: &NewMessage,
    body: &StoredBody,
    snippet: &str,
    placeholder: bool,
) -> Result<i64> {
    tx.prepare_cached(
        "INSERT INTO messages (folder_id, uid, message_id, in_reply_to, refs, subject,
             from_name, from_email, to_json, cc_json, reply_to_json, date, size,
             seen, flagged, answered, draft, has_attachments, snippet)
         VALUES (?1, (SELECT min(coalesce(min(uid), 0), 0) - 1 FROM messages WHERE folder_id = ?1),
             ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    )
    .and_then(|mut s| {
        s.execute(params![
            folder_id,
            m.message_id,
            m.in_reply_to,
            m.refs,
            m.subject,
            m.from.as_ref().and_then(|a| a.name.clone()),
            m.from.as_ref().map(|a| a.email.clone()),
            super::messages::to_json(&m.to),
            super::messages::to_json(&m.cc),
            super::messages::to_json(&m.reply_to),
            m.date,
            m.size,
            m.seen as i64,
            m.flagged as i64,
            m.answered as i64,
            m.draft as i64,
            (m.has_attachments || !body.attachments.is_empty()) as i64,
            snippet,
        ])
    })
    .map_err(Error::storage(CTX_LOCAL))?;
    let id = tx.last_insert_rowid();
    tx.execute(
        "UPDATE messages SET uid = CASE WHEN ?2 THEN -id ELSE id END WHERE id = ?1",
        params![id, placeholder],
    )
    .map_err(Error::storage(CTX_LOCAL))?;
    tx.prepare_cached(
        "INSERT INTO bodies (message_id, raw, text, attachments) VALUES (?1, ?2, ?3, ?4)",
    )
    .and_then(|mut s| {
        s.execute(params![
            id,
            body.raw,
            body.text,
            serde_json::to_string(&body.attachments).unwrap_or_else(|_| "[]".into())
        ])
    })
    .map_err(Error::storage(CTX_LOCAL))?;
    Ok(id)
}

impl Store {
    /// Whether the account's folders are local (a POP3 account).
    pub fn is_local_account(&self, account_id: i64) -> Result<bool> {
        let protocol: Option<String> = self
            .reader()
            .query_row(
                "SELECT protocol FROM accounts WHERE id = ?1",
                [account_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(Error::storage("reading an account"))?;
        Ok(protocol.as_deref() == Some(IncomingProtocol::Pop3.as_str()))
    }

    /// When the POP3 account was last checked (None: never; its first check is the initial
    /// download and brings no `NewMail`).
    pub fn pop3_last_check(&self, account_id: i64) -> Result<Option<i64>> {
        self.reader()
            .query_row(
                "SELECT pop3_last_check FROM accounts WHERE id = ?1",
                [account_id],
                |r| r.get(0),
            )
            .map_err(Error::storage("reading an account"))
    }

    pub fn set_pop3_last_check(&self, account_id: i64, at: i64) -> Result<()> {
        self.writer()
            .execute(
                "UPDATE accounts SET pop3_last_check = ?2 WHERE id = ?1",
                params![account_id, at],
            )
            .map_err(Error::storage("saving an account"))?;
        Ok(())
    }

    /// Stores a message in a local folder (a sent copy, a draft). Returns its id.
    pub fn insert_local_message(
        &self,
        folder_id: i64,
        message: &NewMessage,
        body: &StoredBody,
        snippet: &str,
    ) -> Result<i64> {
        let mut conn = self.writer();
        let tx = conn.transaction().map_err(Error::storage(CTX_LOCAL))?;
        let id = insert_local(&tx, folder_id, message, body, snippet)?;
        tx.commit().map_err(Error::storage(CTX_LOCAL))?;
        Ok(id)
    }

    /// Deletes the copies of a message (by its Message-ID) from a local folder: the previous save
    /// of a draft.
    pub fn delete_local_by_message_id(&self, folder_id: i64, message_id: &str) -> Result<usize> {
        // Stored without the angle brackets, as mail-parser reads it.
        let bare = message_id
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>');
        self.writer()
            .execute(
                "DELETE FROM messages WHERE folder_id = ?1 AND message_id = ?2",
                params![folder_id, bare],
            )
            .map_err(Error::storage("replacing a draft"))
    }

    /// Shows a draft in an IMAP account's Drafts folder before the server has it: its previous
    /// copies there (by Message-ID) go, and it comes back as a placeholder (negative UID) that
    /// the copy the replayer uploads replaces when the folder is next listed
    /// ([`Store::reconcile_placeholders`], which leaves it alone while the draft waits).
    pub fn put_draft_placeholder(
        &self,
        folder_id: i64,
        message: &NewMessage,
        body: &StoredBody,
        snippet: &str,
    ) -> Result<i64> {
        let bare = message
            .message_id
            .as_deref()
            .unwrap_or_default()
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_string();
        let mut conn = self.writer();
        let tx = conn.transaction().map_err(Error::storage(CTX_LOCAL))?;
        tx.execute(
            "DELETE FROM messages WHERE folder_id = ?1 AND message_id = ?2",
            params![folder_id, bare],
        )
        .map_err(Error::storage("replacing a draft"))?;
        let id = insert_row(&tx, folder_id, message, body, snippet, true)?;
        tx.commit().map_err(Error::storage(CTX_LOCAL))?;
        Ok(id)
    }

    /// The UIDLs already downloaded for the account.
    pub fn pop3_known(&self, account_id: i64) -> Result<HashSet<String>> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached("SELECT uidl FROM pop3_uidls WHERE account_id = ?1")
            .map_err(Error::storage("reading the downloaded-message list"))?;
        let rows = stmt
            .query_map([account_id], |r| r.get(0))
            .map_err(Error::storage("reading the downloaded-message list"))?;
        rows.collect::<rusqlite::Result<HashSet<String>>>()
            .map_err(Error::storage("reading the downloaded-message list"))
    }

    /// Stores downloaded messages into the folder and records their UIDLs, all in one
    /// transaction: after a crash either a message and its UIDL are both here or neither is.
    /// A UIDL already recorded is skipped. Returns the new message ids.
    pub fn store_downloaded(
        &self,
        account_id: i64,
        folder_id: i64,
        batch: &[Downloaded],
    ) -> Result<Vec<i64>> {
        let mut conn = self.writer();
        let tx = conn
            .transaction()
            .map_err(Error::storage("saving downloaded mail"))?;
        let mut ids = Vec::with_capacity(batch.len());
        for d in batch {
            let known = tx
                .prepare_cached("SELECT 1 FROM pop3_uidls WHERE account_id = ?1 AND uidl = ?2")
                .and_then(|mut s| s.exists(params![account_id, d.uidl]))
                .map_err(Error::storage("saving downloaded mail"))?;
            if known {
                continue;
            }
            let id = insert_local(&tx, folder_id, &d.message, &d.body, &d.snippet)?;
            tx.prepare_cached(
                "INSERT INTO pop3_uidls (account_id, uidl, message) VALUES (?1, ?2, ?3)",
            )
            .and_then(|mut s| s.execute(params![account_id, d.uidl, id]))
            .map_err(Error::storage("saving downloaded mail"))?;
            ids.push(id);
        }
        tx.commit()
            .map_err(Error::storage("saving downloaded mail"))?;
        Ok(ids)
    }

    /// Of the UIDLs on the server, those the account's settings say to delete there now: all
    /// downloaded ones when mail is not left on the server; else those downloaded more than
    /// `delete_after_days` ago, and those deleted here (in the Trash or gone) when asked.
    pub fn pop3_to_delete(
        &self,
        account_id: i64,
        settings: &Pop3Settings,
        now: i64,
    ) -> Result<HashSet<String>> {
        let conn = self.reader();
        let ctx = "choosing what to delete from the server";
        let mut out = HashSet::new();
        let mut add = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> Result<()> {
            let mut stmt = conn.prepare_cached(sql).map_err(Error::storage(ctx))?;
            let rows = stmt
                .query_map(p, |r| r.get::<_, String>(0))
                .map_err(Error::storage(ctx))?;
            for r in rows {
                out.insert(r.map_err(Error::storage(ctx))?);
            }
            Ok(())
        };
        if !settings.leave_on_server {
            add(
                "SELECT uidl FROM pop3_uidls WHERE account_id = ?1",
                &[&account_id],
            )?;
            return Ok(out);
        }
        if let Some(days) = settings.delete_after_days {
            let before = now - i64::from(days) * 86_400;
            add(
                "SELECT uidl FROM pop3_uidls WHERE account_id = ?1 AND downloaded_at <= ?2",
                &[&account_id, &before],
            )?;
        }
        if settings.delete_when_deleted_locally {
            add(
                "SELECT u.uidl FROM pop3_uidls u
                 LEFT JOIN messages m ON m.id = u.message
                 LEFT JOIN folders f ON f.id = m.folder_id
                 WHERE u.account_id = ?1 AND (u.message IS NULL OR f.role = 'trash')",
                &[&account_id],
            )?;
        }
        Ok(out)
    }

    /// Forgets UIDLs that are no longer on the server (deleted there by us or by another
    /// program): they can never come back, and the list stays as long as the server's.
    pub fn pop3_forget(&self, account_id: i64, uidls: &[String]) -> Result<()> {
        let mut conn = self.writer();
        let tx = conn
            .transaction()
            .map_err(Error::storage("updating the downloaded-message list"))?;
        for u in uidls {
            tx.prepare_cached("DELETE FROM pop3_uidls WHERE account_id = ?1 AND uidl = ?2")
                .and_then(|mut s| s.execute(params![account_id, u]))
                .map_err(Error::storage("updating the downloaded-message list"))?;
        }
        tx.commit()
            .map_err(Error::storage("updating the downloaded-message list"))?;
        Ok(())
    }

    /// Sets when a UIDL was downloaded (tests of "delete after N days").
    pub fn pop3_set_downloaded_at(&self, account_id: i64, uidl: &str, at: i64) -> Result<()> {
        self.writer()
            .execute(
                "UPDATE pop3_uidls SET downloaded_at = ?3 WHERE account_id = ?1 AND uidl = ?2",
                params![account_id, uidl, at],
            )
            .map_err(Error::storage("updating the downloaded-message list"))?;
        Ok(())
    }

    /// Creates a local folder under `parent` (a path, or the top level). Returns its id.
    pub fn create_local_folder(
        &self,
        account_id: i64,
        parent: Option<&str>,
        name: &str,
    ) -> Result<i64> {
        let path = local_path(parent, name)?;
        let mut conn = self.writer();
        let tx = conn
            .transaction()
            .map_err(Error::storage("creating a folder"))?;
        let exists = tx
            .query_row(
                "SELECT 1 FROM folders WHERE account_id = ?1 AND path = ?2 COLLATE NOCASE",
                params![account_id, path],
                |_| Ok(()),
            )
            .optional()
            .map_err(Error::storage("creating a folder"))?
            .is_some();
        if exists {
            return Err(Error::InvalidInput(format!(
                "A folder named “{name}” already exists there."
            )));
        }
        tx.execute(
            "INSERT INTO folders (account_id, path, name, delimiter, selectable, subscribed)
             VALUES (?1, ?2, ?3, ?4, 1, 1)",
            params![account_id, path, name.trim(), LOCAL_DELIMITER],
        )
        .map_err(Error::storage("creating a folder"))?;
        let id = tx.last_insert_rowid();
        tx.commit().map_err(Error::storage("creating a folder"))?;
        Ok(id)
    }

    /// Renames a local folder (and the paths of the folders inside it); messages stay.
    pub fn rename_local_folder(&self, folder_id: i64, new_name: &str) -> Result<()> {
        let folder = self.folder(folder_id)?;
        if folder.role.is_some() {
            return Err(Error::InvalidInput(format!(
                "“{}” is a special folder and keeps its name.",
                folder.name
            )));
        }
        let parent = folder
            .path
            .rsplit_once(LOCAL_DELIMITER)
            .map(|(p, _)| p.to_string());
        let new_path = local_path(parent.as_deref(), new_name)?;
        let mut conn = self.writer();
        let tx = conn
            .transaction()
            .map_err(Error::storage("renaming a folder"))?;
        let taken = tx
            .query_row(
                "SELECT 1 FROM folders WHERE account_id = ?1 AND path = ?2 COLLATE NOCASE
                     AND id != ?3",
                params![folder.account_id, new_path, folder_id],
                |_| Ok(()),
            )
            .optional()
            .map_err(Error::storage("renaming a folder"))?
            .is_some();
        if taken {
            return Err(Error::InvalidInput(format!(
                "A folder named “{}” already exists there.",
                new_name.trim()
            )));
        }
        let prefix = format!("{}{LOCAL_DELIMITER}", folder.path);
        tx.execute(
            "UPDATE folders SET path = ?3 || substr(path, ?4)
             WHERE account_id = ?1 AND substr(path, 1, length(?2)) = ?2",
            params![
                folder.account_id,
                prefix,
                format!("{new_path}{LOCAL_DELIMITER}"),
                prefix.chars().count() as i64 + 1
            ],
        )
        .map_err(Error::storage("renaming a folder"))?;
        tx.execute(
            "UPDATE folders SET path = ?2, name = ?3 WHERE id = ?1",
            params![folder_id, new_path, new_name.trim()],
        )
        .map_err(Error::storage("renaming a folder"))?;
        tx.commit().map_err(Error::storage("renaming a folder"))?;
        Ok(())
    }

    /// Deletes a local folder, the folders inside it and their messages.
    pub fn delete_local_folder(&self, folder_id: i64) -> Result<()> {
        let folder = self.folder(folder_id)?;
        if folder.role.is_some() {
            return Err(Error::InvalidInput(format!(
                "“{}” is a special folder and cannot be deleted.",
                folder.name
            )));
        }
        let prefix = format!("{}{LOCAL_DELIMITER}", folder.path);
        let mut conn = self.writer();
        let tx = conn
            .transaction()
            .map_err(Error::storage("deleting a folder"))?;
        tx.execute(
            "DELETE FROM folders WHERE account_id = ?1
                 AND (id = ?2 OR substr(path, 1, length(?3)) = ?3)",
            params![folder.account_id, folder_id, prefix],
        )
        .map_err(Error::storage("deleting a folder"))?;
        tx.commit().map_err(Error::storage("deleting a folder"))?;
        Ok(())
    }
}

/// The path of a local folder named `name` under `parent`; refuses names that would be empty,
/// contain the delimiter, or collide with the Inbox.
fn local_path(parent: Option<&str>, name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::InvalidInput("Enter a name for the folder.".into()));
    }
    if name.contains(LOCAL_DELIMITER) {
        return Err(Error::InvalidInput(format!(
            "A folder name cannot contain “{LOCAL_DELIMITER}”."
        )));
    }
    if parent.is_none() && name.eq_ignore_ascii_case("INBOX") {
        return Err(Error::InvalidInput("There is already an Inbox.".into()));
    }
    Ok(match parent {
        Some(p) => format!("{p}{LOCAL_DELIMITER}{name}"),
        None => name.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_refuse_empty_delimiters_and_a_second_inbox() {
        assert_eq!(local_path(None, " Projects ").unwrap(), "Projects");
        assert_eq!(
            local_path(Some("Projects"), "2026").unwrap(),
            "Projects/2026"
        );
        assert!(local_path(None, "  ").is_err());
        assert!(local_path(None, "a/b").is_err());
        assert!(local_path(None, "inbox").is_err());
        assert_eq!(local_path(Some("Inbox"), "inbox").unwrap(), "Inbox/inbox");
    }
}
