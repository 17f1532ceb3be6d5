use rusqlite::{params, OptionalExtension, Row};

use super::{bool_from, Store};
use crate::error::{Error, Result};
use crate::mime::parts::RemotePart;
use crate::model::{Address, AttachmentInfo, MessagePage, MessageSummary, MessageView};

/// A message's list data, as parsed from the server's headers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewMessage {
    pub uid: u32,
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    /// The References header's ids, space separated.
    pub refs: String,
    pub subject: String,
    pub from: Option<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub reply_to: Vec<Address>,
    pub date: i64,
    pub size: u32,
    pub seen: bool,
    pub flagged: bool,
    pub answered: bool,
    pub draft: bool,
    pub has_attachments: bool,
}

/// A downloaded body with what was derived from it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredBody {
    /// The whole message; only its header when `remote_parts` is set.
    pub raw: Vec<u8>,
    pub text: String,
    pub attachments: Vec<AttachmentInfo>,
    /// Set for a message stored text-only: where each of `attachments` is on the server.
    pub remote_parts: Option<Vec<RemotePart>>,
}

/// What is stored of a message's body, for saving its attachments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodySource {
    /// The whole message.
    Full(Vec<u8>),
    /// Text only: the attachments are on the server, here.
    TextOnly(Vec<RemotePart>),
}

/// Where a stored message lives on its server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageLocation {
    pub account_id: i64,
    pub folder_id: i64,
    pub folder_path: String,
    pub uid: u32,
    /// RFC822.SIZE: the whole message's size on the server.
    pub size: u32,
}

const SUMMARY_COLUMNS: &str = "m.id, m.folder_id, m.subject, m.from_name, m.from_email, m.date, \
     m.snippet, m.seen, m.flagged, m.answered, m.has_attachments";

fn summary_from_row(row: &Row<'_>) -> rusqlite::Result<MessageSummary> {
    let from_email: Option<String> = row.get(4)?;
    Ok(MessageSummary {
        id: row.get(0)?,
        folder_id: row.get(1)?,
        subject: row.get(2)?,
        from: from_email.map(|email| Address {
            name: row.get::<_, Option<String>>(3).ok().flatten(),
            email,
        }),
        date: row.get(5)?,
        snippet: row.get(6)?,
        seen: bool_from(row.get(7)?),
        flagged: bool_from(row.get(8)?),
        answered: bool_from(row.get(9)?),
        has_attachments: bool_from(row.get(10)?),
    })
}

fn addresses(json: &str) -> Vec<Address> {
    serde_json::from_str(json).unwrap_or_default()
}

pub(super) fn to_json(list: &[Address]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".into())
}

impl Store {
    /// Inserts messages new to the folder (by UID) in one transaction; known UIDs only get their
    /// flags refreshed. Returns the ids of the rows that were new.
    pub fn insert_messages(&self, folder_id: i64, messages: &[NewMessage]) -> Result<Vec<i64>> {
        let mut conn = self.writer();
        let tx = conn
            .transaction()
            .map_err(Error::storage("saving messages"))?;
        let new_ids = insert_rows(&tx, folder_id, messages.iter(), |_, _| Ok(()))?;
        tx.commit().map_err(Error::storage("saving messages"))?;
        Ok(new_ids)
    }

    /// [`Store::insert_messages`] and [`Store::store_bodies`] in one transaction: the list rows
    /// of messages downloaded whole, each with its body, snippet and attachment mark (the row's
    /// `has_attachments`). Returns the ids of the rows that were new.
    pub fn insert_messages_with_bodies<'a>(
        &self,
        folder_id: i64,
        messages: impl IntoIterator<Item = (&'a NewMessage, &'a StoredBody, &'a str)>,
    ) -> Result<Vec<i64>> {
        let mut conn = self.writer();
        let tx = conn
            .transaction()
            .map_err(Error::storage("saving messages"))?;
        let items: Vec<_> = messages.into_iter().collect();
        let mut ids = Vec::with_capacity(items.len());
        let new_ids = insert_rows(&tx, folder_id, items.iter().map(|i| i.0), |_, id| {
            ids.push(id);
            Ok(())
        })?;
        put_bodies(
            &tx,
            ids.into_iter()
                .zip(&items)
                .map(|(id, (m, body, snippet))| (id, *body, *snippet, m.has_attachments)),
        )?;
        tx.commit().map_err(Error::storage("saving messages"))?;
        Ok(new_ids)
    }

    /// Every UID stored for the folder, ascending.
    pub fn uids(&self, folder_id: i64) -> Result<Vec<u32>> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(
                "SELECT uid FROM messages WHERE folder_id = ?1 AND uid > 0 ORDER BY uid",
            )
            .map_err(Error::storage("listing messages"))?;
        let rows = stmt
            .query_map([folder_id], |r| r.get(0))
            .map_err(Error::storage("listing messages"))?;
        rows.collect::<rusqlite::Result<Vec<u32>>>()
            .map_err(Error::storage("listing messages"))
    }

    /// How many messages of the folder are stored.
    pub fn message_count(&self, folder_id: i64) -> Result<u32> {
        self.reader()
            .query_row(
                "SELECT count(*) FROM messages WHERE folder_id = ?1 AND uid > 0",
                [folder_id],
                |r| r.get(0),
            )
            .map_err(Error::storage("counting messages"))
    }

    /// Sets the flags of stored messages: (uid, seen, flagged, answered, draft).
    pub fn update_flags(
        &self,
        folder_id: i64,
        flags: &[(u32, bool, bool, bool, bool)],
    ) -> Result<usize> {
        let mut conn = self.writer();
        let tx = conn.transaction().map_err(Error::storage("saving flags"))?;
        let mut changed = 0;
        {
            let mut stmt = tx
                .prepare_cached(
                    "UPDATE messages SET seen = ?3, flagged = ?4, answered = ?5, draft = ?6
                     WHERE folder_id = ?1 AND uid = ?2
                       AND (seen, flagged, answered, draft) IS NOT (?3, ?4, ?5, ?6)",
                )
                .map_err(Error::storage("saving flags"))?;
            for (uid, seen, flagged, answered, draft) in flags {
                changed += stmt
                    .execute(params![
                        folder_id,
                        uid,
                        *seen as i64,
                        *flagged as i64,
                        *answered as i64,
                        *draft as i64
                    ])
                    .map_err(Error::storage("saving flags"))?;
            }
        }
        tx.commit().map_err(Error::storage("saving flags"))?;
        Ok(changed)
    }

    /// Removes messages the server no longer has.
    pub fn remove_uids(&self, folder_id: i64, uids: &[u32]) -> Result<usize> {
        let mut conn = self.writer();
        let tx = conn
            .transaction()
            .map_err(Error::storage("removing messages"))?;
        let mut removed = 0;
        {
            let mut stmt = tx
                .prepare_cached("DELETE FROM messages WHERE folder_id = ?1 AND uid = ?2")
                .map_err(Error::storage("removing messages"))?;
            for uid in uids {
                removed += stmt
                    .execute(params![folder_id, uid])
                    .map_err(Error::storage("removing messages"))?;
            }
        }
        tx.commit().map_err(Error::storage("removing messages"))?;
        Ok(removed)
    }

    /// A window of the folder's messages, newest first.
    pub fn messages_page(&self, folder_id: i64, offset: u32, limit: u32) -> Result<MessagePage> {
        let conn = self.reader();
        let total: u32 = conn
            .query_row(
                "SELECT count(*) FROM messages WHERE folder_id = ?1",
                [folder_id],
                |r| r.get(0),
            )
            .map_err(Error::storage("listing messages"))?;
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {SUMMARY_COLUMNS} FROM messages m WHERE m.folder_id = ?1
                 ORDER BY m.date DESC, m.id DESC LIMIT ?2 OFFSET ?3"
            ))
            .map_err(Error::storage("listing messages"))?;
        let items = stmt
            .query_map(params![folder_id, limit, offset], summary_from_row)
            .map_err(Error::storage("listing messages"))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(Error::storage("listing messages"))?;
        Ok(MessagePage {
            total,
            offset,
            items,
        })
    }

    pub fn message_summaries(&self, ids: &[i64]) -> Result<Vec<MessageSummary>> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {SUMMARY_COLUMNS} FROM messages m WHERE m.id = ?1"
            ))
            .map_err(Error::storage("reading messages"))?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(s) = stmt
                .query_row([id], summary_from_row)
                .optional()
                .map_err(Error::storage("reading messages"))?
            {
                out.push(s);
            }
        }
        Ok(out)
    }

    /// Where the message is on the server. A message moved or copied here locally whose move has
    /// not reached the server yet has no place there: that is an `InvalidInput` error saying so.
    pub fn message_location(&self, message_id: i64) -> Result<MessageLocation> {
        let (account_id, folder_id, folder_path, uid, size): (i64, i64, String, i64, u32) = self
            .reader()
            .query_row(
                "SELECT f.account_id, f.id, f.path, m.uid, m.size FROM messages m
                 JOIN folders f ON f.id = m.folder_id WHERE m.id = ?1",
                [message_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()
            .map_err(Error::storage("reading a message"))?
            .ok_or_else(|| Error::NotFound("The message".to_string()))?;
        let uid = u32::try_from(uid).ok().filter(|u| *u > 0).ok_or_else(|| {
            Error::InvalidInput(
                "This message is still being moved on the server. It can be downloaded once \
                 the server is reachable again."
                    .into(),
            )
        })?;
        Ok(MessageLocation {
            account_id,
            folder_id,
            folder_path,
            uid,
            size,
        })
    }

    /// Stores a downloaded body and the list data derived from it.
    pub fn store_body(
        &self,
        message_id: i64,
        body: &StoredBody,
        snippet: &str,
        has_attachments: bool,
    ) -> Result<()> {
        self.store_bodies([(message_id, body, snippet, has_attachments)])?;
        Ok(())
    }

    /// [`Store::store_body`] for many messages, in one transaction: (message id, body, snippet,
    /// has attachments). Returns how many were stored.
    pub fn store_bodies<'a>(
        &self,
        bodies: impl IntoIterator<Item = (i64, &'a StoredBody, &'a str, bool)>,
    ) -> Result<usize> {
        let mut conn = self.writer();
        let tx = conn
            .transaction()
            .map_err(Error::storage("saving a message body"))?;
        let stored = put_bodies(&tx, bodies)?;
        tx.commit()
            .map_err(Error::storage("saving a message body"))?;
        Ok(stored)
    }

    pub fn has_body(&self, message_id: i64) -> Result<bool> {
        self.reader()
            .query_row(
                "SELECT 1 FROM bodies WHERE message_id = ?1",
                [message_id],
                |_| Ok(()),
            )
            .optional()
            .map(|r| r.is_some())
            .map_err(Error::storage("reading a message body"))
    }

    /// The whole message as downloaded; `None` if it is not stored, or stored text-only.
    pub fn raw_body(&self, message_id: i64) -> Result<Option<Vec<u8>>> {
        self.reader()
            .query_row(
                "SELECT raw FROM bodies WHERE message_id = ?1 AND parts IS NULL",
                [message_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(Error::storage("reading a message body"))
    }

    /// What is stored of the message for saving attachments; `None` if nothing is.
    pub fn body_source(&self, message_id: i64) -> Result<Option<BodySource>> {
        let row: Option<(Vec<u8>, Option<String>)> = self
            .reader()
            .query_row(
                "SELECT CASE WHEN parts IS NULL THEN raw ELSE x'' END, parts
                 FROM bodies WHERE message_id = ?1",
                [message_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(Error::storage("reading a message body"))?;
        Ok(row.map(|(raw, parts)| match parts {
            None => BodySource::Full(raw),
            Some(json) => BodySource::TextOnly(serde_json::from_str(&json).unwrap_or_default()),
        }))
    }

    /// Messages of the folder whose whole body is not downloaded yet (none, or text only),
    /// newest first: (id, uid, size).
    pub fn messages_without_body(
        &self,
        folder_id: i64,
        limit: u32,
    ) -> Result<Vec<(i64, u32, u32)>> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(
                "SELECT m.id, m.uid, m.size FROM messages m
                 WHERE m.folder_id = ?1 AND m.uid > 0
                   AND NOT EXISTS (SELECT 1 FROM bodies b INDEXED BY bodies_whole
                                   WHERE b.message_id = m.id AND b.parts IS NULL)
                 ORDER BY m.uid DESC LIMIT ?2",
            )
            .map_err(Error::storage("listing messages"))?;
        let rows = stmt
            .query_map(params![folder_id, limit], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .map_err(Error::storage("listing messages"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(Error::storage("listing messages"))
    }

    /// The id of the folder's message with this UID.
    pub fn message_id_for_uid(&self, folder_id: i64, uid: u32) -> Result<Option<i64>> {
        self.reader()
            .query_row(
                "SELECT id FROM messages WHERE folder_id = ?1 AND uid = ?2",
                params![folder_id, uid],
                |r| r.get(0),
            )
            .optional()
            .map_err(Error::storage("reading a message"))
    }

    /// The full reader view of a message whose body is stored.
    pub fn message_view(&self, message_id: i64) -> Result<Option<MessageView>> {
        let conn = self.reader();
        conn.query_row(
            &format!(
                "SELECT {SUMMARY_COLUMNS}, m.to_json, m.cc_json, m.reply_to_json, m.message_id,
                        b.text, b.attachments
                 FROM messages m JOIN bodies b ON b.message_id = m.id WHERE m.id = ?1"
            ),
            [message_id],
            |r| {
                let attachments: String = r.get(16)?;
                Ok(MessageView {
                    summary: summary_from_row(r)?,
                    to: addresses(&r.get::<_, String>(11)?),
                    cc: addresses(&r.get::<_, String>(12)?),
                    reply_to: addresses(&r.get::<_, String>(13)?),
                    message_id: r.get(14)?,
                    text: r.get(15)?,
                    attachments: serde_json::from_str(&attachments).unwrap_or_default(),
                })
            },
        )
        .optional()
        .map_err(Error::storage("reading a message"))
    }

    /// A stored message's account, folder and UID (negative for a placeholder).
    pub fn message_place(&self, message_id: i64) -> Result<(i64, i64, i64)> {
        self.reader()
            .query_row(
                "SELECT f.account_id, f.id, m.uid FROM messages m
                 JOIN folders f ON f.id = m.folder_id WHERE m.id = ?1",
                [message_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(Error::storage("reading a message"))?
            .ok_or_else(|| Error::NotFound("The message".to_string()))
    }

    /// A stored message of the account with this Message-ID (without `<>`): the parent of a
    /// reopened reply. One outside Drafts first, then the oldest.
    pub fn message_by_message_id(&self, account_id: i64, message_id: &str) -> Result<Option<i64>> {
        self.reader()
            .query_row(
                "SELECT m.id FROM messages m JOIN folders f ON f.id = m.folder_id
                 WHERE f.account_id = ?1 AND m.message_id = ?2
                 ORDER BY coalesce(f.role = 'drafts', 0), m.uid < 0, m.id LIMIT 1",
                params![account_id, message_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(Error::storage("looking for the message answered"))
    }

    /// Threading headers of a stored message: (Message-ID, References).
    pub fn threading(&self, message_id: i64) -> Result<(Option<String>, String)> {
        self.reader()
            .query_row(
                "SELECT message_id, refs FROM messages WHERE id = ?1",
                [message_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(Error::storage("reading a message"))?
            .ok_or_else(|| Error::NotFound("The message".to_string()))
    }
}

/// Inserts the rows of messages new to the folder (by UID); known UIDs only get their flags
/// refreshed. `each(message, id)` hears every message's row id, new or not. Returns the ids of
/// the rows that were new.
fn insert_rows<'a>(
    tx: &rusqlite::Transaction<'_>,
    folder_id: i64,
    messages: impl Iterator<Item = &'a NewMessage>,
    mut each: impl FnMut(&NewMessage, i64) -> Result<()>,
) -> Result<Vec<i64>> {
    let ctx = "saving messages";
    let mut new_ids = Vec::new();
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO messages (folder_id, uid, message_id, in_reply_to, refs, subject,
                 from_name, from_email, to_json, cc_json, reply_to_json, date, size,
                 seen, flagged, answered, draft, has_attachments)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                 ?17, ?18)
             ON CONFLICT (folder_id, uid) DO NOTHING",
        )
        .map_err(Error::storage(ctx))?;
    let mut flags = tx
        .prepare_cached(
            "UPDATE messages SET seen = ?3, flagged = ?4, answered = ?5, draft = ?6
             WHERE folder_id = ?1 AND uid = ?2 RETURNING id",
        )
        .map_err(Error::storage(ctx))?;
    for m in messages {
        let inserted = insert
            .execute(params![
                folder_id,
                m.uid,
                m.message_id,
                m.in_reply_to,
                m.refs,
                m.subject,
                m.from.as_ref().and_then(|a| a.name.clone()),
                m.from.as_ref().map(|a| a.email.clone()),
                to_json(&m.to),
                to_json(&m.cc),
                to_json(&m.reply_to),
                m.date,
                m.size,
                m.seen as i64,
                m.flagged as i64,
                m.answered as i64,
                m.draft as i64,
                m.has_attachments as i64,
            ])
            .map_err(Error::storage(ctx))?;
        let id = if inserted == 1 {
            let id = tx.last_insert_rowid();
            new_ids.push(id);
            id
        } else {
            flags
                .query_row(
                    params![
                        folder_id,
                        m.uid,
                        m.seen as i64,
                        m.flagged as i64,
                        m.answered as i64,
                        m.draft as i64
                    ],
                    |r| r.get(0),
                )
                .map_err(Error::storage(ctx))?
        };
        each(m, id)?;
    }
    Ok(new_ids)
}

/// Stores bodies (message id, body, snippet, has_attachments) in `tx`; returns how many.
fn put_bodies<'a>(
    tx: &rusqlite::Transaction<'_>,
    bodies: impl IntoIterator<Item = (i64, &'a StoredBody, &'a str, bool)>,
) -> Result<usize> {
    let ctx = "saving a message body";
    let mut stored = 0;
    let mut body_stmt = tx
        .prepare_cached(
            "INSERT INTO bodies (message_id, raw, text, attachments, parts)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (message_id) DO UPDATE SET raw = excluded.raw,
                 text = excluded.text, attachments = excluded.attachments,
                 parts = excluded.parts",
        )
        .map_err(Error::storage(ctx))?;
    let mut summary_stmt = tx
        .prepare_cached("UPDATE messages SET snippet = ?2, has_attachments = ?3 WHERE id = ?1")
        .map_err(Error::storage(ctx))?;
    for (message_id, body, snippet, has_attachments) in bodies {
        body_stmt
            .execute(params![
                message_id,
                body.raw,
                body.text,
                serde_json::to_string(&body.attachments).unwrap_or_else(|_| "[]".into()),
                body.remote_parts
                    .as_ref()
                    .map(|p| serde_json::to_string(p).unwrap_or_else(|_| "[]".into()))
            ])
            .map_err(Error::storage(ctx))?;
        summary_stmt
            .execute(params![message_id, snippet, has_attachments as i64])
            .map_err(Error::storage(ctx))?;
        stored += 1;
    }
    Ok(stored)
}
