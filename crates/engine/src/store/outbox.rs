//! The outbox: every message the user sent, stored fully built before anything is tried, until
//! the outgoing server accepted it and its Sent copy is filed (see `sync/outbox.rs` and
//! migration 12 for the states). Times are milliseconds since the Unix epoch.

use rusqlite::{params, OptionalExtension, Row};

use super::Store;
use crate::error::{Error, Result};
use crate::model::{OutboxMessage, OutboxState};

const CTX: &str = "the outbox";

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A message to put in the outbox.
#[derive(Debug, Clone)]
pub struct NewOutgoing<'a> {
    pub account_id: i64,
    /// The Message-ID header's value, with its angle brackets.
    pub message_id: &'a str,
    pub raw: &'a [u8],
    pub envelope_from: &'a str,
    pub envelope_to: &'a [String],
    /// The composer's fields (JSON of an `OutgoingMessage`), given back by undo.
    pub draft: &'a str,
    pub subject: &'a str,
    pub send_after: i64,
}

/// A message taken from the outbox to be sent (its state is `sending` now).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub id: i64,
    pub account_id: i64,
    pub message_id: String,
    pub raw: Vec<u8>,
    pub envelope_from: String,
    pub envelope_to: Vec<String>,
    /// This attempt included.
    pub attempts: u32,
}

/// An accepted message whose Sent copy is still to be filed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentCopy {
    pub id: i64,
    pub message_id: String,
    pub raw: Vec<u8>,
}

/// What [`Store::outbox_take_back`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TakeBack {
    /// Removed from the outbox; the composer's fields (JSON).
    Taken {
        account_id: i64,
        draft: String,
        /// The message as built (its attachments are read back from it).
        raw: Vec<u8>,
    },
    /// Too late: the undo delay passed, or sending started (or is over).
    TooLate(OutboxState),
    Missing,
}

fn state_of(s: &str) -> rusqlite::Result<OutboxState> {
    OutboxState::parse(s).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("unknown outbox state {s:?}").into(),
        )
    })
}

fn recipients(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

fn outgoing(r: &Row<'_>) -> rusqlite::Result<Outgoing> {
    Ok(Outgoing {
        id: r.get(0)?,
        account_id: r.get(1)?,
        message_id: r.get(2)?,
        raw: r.get(3)?,
        envelope_from: r.get(4)?,
        envelope_to: recipients(&r.get::<_, String>(5)?),
        attempts: r.get(6)?,
    })
}

const OUTGOING_COLUMNS: &str =
    "id, account_id, message_id, raw, envelope_from, envelope_to, attempts";

impl Store {
    /// Puts a message in the outbox (committed when this returns). Returns its id.
    pub fn queue_outgoing(&self, m: &NewOutgoing<'_>) -> Result<i64> {
        let to = serde_json::to_string(m.envelope_to)
            .map_err(|e| Error::Internal(format!("listing the recipients: {e}")))?;
        let conn = self.writer();
        conn.execute(
            "INSERT INTO outbox (account_id, message_id, raw, envelope_from, envelope_to, draft,
                                 subject, send_after, next_attempt, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)",
            params![
                m.account_id,
                m.message_id,
                m.raw,
                m.envelope_from,
                to,
                m.draft,
                m.subject,
                m.send_after,
                now_ms()
            ],
        )
        .map_err(Error::storage(CTX))?;
        Ok(conn.last_insert_rowid())
    }

    /// Takes a message back (undo send): while it is queued, was never tried, and its undo delay
    /// has not passed at `now`; or once the server refused it for good.
    pub fn outbox_take_back(&self, id: i64, now: i64) -> Result<TakeBack> {
        let mut conn = self.writer();
        let tx = conn.transaction().map_err(Error::storage(CTX))?;
        let row: Option<(i64, String, String, u32, i64, Vec<u8>)> = tx
            .query_row(
                "SELECT account_id, draft, state, attempts, send_after, raw FROM outbox
                 WHERE id = ?1",
                [id],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )
            .optional()
            .map_err(Error::storage(CTX))?;
        let Some((account_id, draft, state, attempts, send_after, raw)) = row else {
            return Ok(TakeBack::Missing);
        };
        let state = state_of(&state).map_err(Error::storage(CTX))?;
        // A refused message can be taken back too (to fix an address); one tried and queued
        // again may have reached the server already (an answer lost on the way).
        let undoable = state == OutboxState::Failed
            || (state == OutboxState::Queued && attempts == 0 && now < send_after);
        if !undoable {
            return Ok(TakeBack::TooLate(state));
        }
        tx.execute("DELETE FROM outbox WHERE id = ?1", [id])
            .map_err(Error::storage(CTX))?;
        tx.commit().map_err(Error::storage(CTX))?;
        Ok(TakeBack::Taken {
            account_id,
            draft,
            raw,
        })
    }

    /// Takes the account's next due message (queued, `next_attempt` reached at `now`) and marks
    /// it `sending`, counting the attempt.
    pub fn claim_due(&self, account_id: i64, now: i64) -> Result<Option<Outgoing>> {
        self.claim_where(
            "account_id = ?1 AND state = 'queued' AND next_attempt <= ?2
             ORDER BY next_attempt, id LIMIT 1",
            account_id,
            now,
        )
    }

    /// Takes one message to send if it is queued and due at `now`.
    pub fn claim(&self, id: i64, now: i64) -> Result<Option<Outgoing>> {
        self.claim_where(
            "id = ?1 AND state = 'queued' AND next_attempt <= ?2",
            id,
            now,
        )
    }

    fn claim_where(&self, filter: &str, key: i64, now: i64) -> Result<Option<Outgoing>> {
        let mut conn = self.writer();
        let tx = conn.transaction().map_err(Error::storage(CTX))?;
        let id: Option<i64> = tx
            .query_row(
                &format!("SELECT id FROM outbox WHERE {filter}"),
                params![key, now],
                |r| r.get(0),
            )
            .optional()
            .map_err(Error::storage(CTX))?;
        let Some(id) = id else { return Ok(None) };
        let claimed = tx
            .query_row(
                &format!(
                    "UPDATE outbox SET state = 'sending', attempts = attempts + 1 WHERE id = ?1
                     RETURNING {OUTGOING_COLUMNS}"
                ),
                [id],
                outgoing,
            )
            .map_err(Error::storage(CTX))?;
        tx.commit().map_err(Error::storage(CTX))?;
        Ok(Some(claimed))
    }

    /// The server accepted the message: only its Sent copy is left to do.
    pub fn outbox_accepted(&self, id: i64) -> Result<()> {
        self.writer()
            .execute(
                "UPDATE outbox SET state = 'sent', reason = NULL, detail = NULL WHERE id = ?1",
                [id],
            )
            .map_err(Error::storage(CTX))?;
        Ok(())
    }

    /// A passing failure: queued again for `next_attempt`, with the reason kept for the list.
    pub fn outbox_deferred(
        &self,
        id: i64,
        next_attempt: i64,
        reason: &str,
        detail: &str,
    ) -> Result<()> {
        self.writer()
            .execute(
                "UPDATE outbox SET state = 'queued', next_attempt = ?2, reason = ?3, detail = ?4
                 WHERE id = ?1 AND state = 'sending'",
                params![id, next_attempt, reason, detail],
            )
            .map_err(Error::storage(CTX))?;
        Ok(())
    }

    /// Refused for good: kept with the reason until the user acts.
    pub fn outbox_failed(&self, id: i64, reason: &str, detail: &str) -> Result<()> {
        self.writer()
            .execute(
                "UPDATE outbox SET state = 'failed', reason = ?2, detail = ?3
                 WHERE id = ?1 AND state = 'sending'",
                params![id, reason, detail],
            )
            .map_err(Error::storage(CTX))?;
        Ok(())
    }

    /// Messages left `sending` by a run that ended (crashed, killed) mid-send: queued again, due
    /// at once. Whether the server got them is unknown, so they are sent again (at least once).
    pub fn outbox_recover(&self, account_id: i64) -> Result<usize> {
        self.writer()
            .execute(
                "UPDATE outbox SET state = 'queued', next_attempt = ?2,
                        reason = 'Sending was interrupted; Petrel sends it again.'
                 WHERE account_id = ?1 AND state = 'sending'",
                params![account_id, now_ms()],
            )
            .map_err(Error::storage(CTX))
    }

    /// When the account's next queued message is due, if any.
    pub fn outbox_next_due(&self, account_id: i64) -> Result<Option<i64>> {
        self.reader()
            .query_row(
                "SELECT min(next_attempt) FROM outbox WHERE account_id = ?1 AND state = 'queued'",
                [account_id],
                |r| r.get(0),
            )
            .map_err(Error::storage(CTX))
    }

    /// The account's messages not yet accepted by the server (queued, sending, failed), oldest
    /// first.
    pub fn outbox(&self, account_id: i64) -> Result<Vec<OutboxMessage>> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, account_id, subject, envelope_to, state, attempts, reason, detail,
                        send_after, next_attempt, created_at
                 FROM outbox WHERE account_id = ?1 AND state != 'sent' ORDER BY id",
            )
            .map_err(Error::storage(CTX))?;
        let rows = stmt
            .query_map([account_id], |r| {
                let state = state_of(&r.get::<_, String>(4)?)?;
                Ok(OutboxMessage {
                    id: r.get(0)?,
                    account_id: r.get(1)?,
                    subject: r.get(2)?,
                    recipients: recipients(&r.get::<_, String>(3)?),
                    state,
                    attempts: r.get(5)?,
                    reason: r.get(6)?,
                    detail: r.get(7)?,
                    send_after: r.get(8)?,
                    next_attempt: (state == OutboxState::Queued)
                        .then(|| r.get(9))
                        .transpose()?,
                    created_at: r.get(10)?,
                })
            })
            .map_err(Error::storage(CTX))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(Error::storage(CTX))
    }

    /// The state and account of an outbox message (`None`: not in the outbox).
    pub fn outbox_state(&self, id: i64) -> Result<Option<(i64, OutboxState)>> {
        let row: Option<(i64, String)> = self
            .reader()
            .query_row(
                "SELECT account_id, state FROM outbox WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(Error::storage(CTX))?;
        row.map(|(a, s)| Ok((a, state_of(&s).map_err(Error::storage(CTX))?)))
            .transpose()
    }

    /// Makes a queued or failed message due at `now` (the reason stays until the attempt).
    /// Returns false if it is in another state or gone.
    pub fn outbox_retry(&self, id: i64, now: i64) -> Result<bool> {
        let n = self
            .writer()
            .execute(
                "UPDATE outbox SET state = 'queued', next_attempt = ?2
                 WHERE id = ?1 AND state IN ('queued', 'failed')",
                params![id, now],
            )
            .map_err(Error::storage(CTX))?;
        Ok(n > 0)
    }

    /// Deletes a queued or failed message. Returns false if it is in another state or gone.
    pub fn outbox_delete(&self, id: i64) -> Result<bool> {
        let n = self
            .writer()
            .execute(
                "DELETE FROM outbox WHERE id = ?1 AND state IN ('queued', 'failed')",
                [id],
            )
            .map_err(Error::storage(CTX))?;
        Ok(n > 0)
    }

    /// The account's accepted messages whose Sent copy is still to be filed, oldest first.
    pub fn sent_copies(&self, account_id: i64) -> Result<Vec<SentCopy>> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, message_id, raw FROM outbox
                 WHERE account_id = ?1 AND state = 'sent' ORDER BY id",
            )
            .map_err(Error::storage(CTX))?;
        let rows = stmt
            .query_map([account_id], |r| {
                Ok(SentCopy {
                    id: r.get(0)?,
                    message_id: r.get(1)?,
                    raw: r.get(2)?,
                })
            })
            .map_err(Error::storage(CTX))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(Error::storage(CTX))
    }

    /// How many accepted messages of the account wait for their Sent copy.
    pub fn sent_copy_count(&self, account_id: i64) -> Result<u32> {
        self.reader()
            .query_row(
                "SELECT count(*) FROM outbox WHERE account_id = ?1 AND state = 'sent'",
                [account_id],
                |r| r.get(0),
            )
            .map_err(Error::storage(CTX))
    }

    /// Forgets a message for good (sent and filed).
    pub fn outbox_forget(&self, id: i64) -> Result<()> {
        self.writer()
            .execute("DELETE FROM outbox WHERE id = ?1", [id])
            .map_err(Error::storage(CTX))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{IncomingProtocol, NewAccount, Security, ServerSettings};

    fn store(dir: &tempfile::TempDir) -> (Store, i64) {
        let store = Store::open(&dir.path().join("petrel.sqlite3")).unwrap();
        let settings = ServerSettings {
            host: "mail.example.org".into(),
            port: 465,
            security: Security::Tls,
            username: "ann@example.org".into(),
            trusted_cert: None,
        };
        let account = store
            .insert_account(&NewAccount {
                display_name: "Ann".into(),
                email: "ann@example.org".into(),
                password: String::new(),
                protocol: IncomingProtocol::Imap,
                incoming: settings.clone(),
                smtp: settings,
                pop3: None,
            })
            .unwrap();
        (store, account.id)
    }

    fn queue(store: &Store, account_id: i64, send_after: i64) -> i64 {
        store
            .queue_outgoing(&NewOutgoing {
                account_id,
                message_id: "<m@example.org>",
                raw: b"Subject: x\r\n\r\nx\r\n",
                envelope_from: "ann@example.org",
                envelope_to: &["bo@example.org".to_string()],
                draft: "{}",
                subject: "x",
                send_after,
            })
            .unwrap()
    }

    #[test]
    fn undo_is_possible_only_before_the_first_attempt() {
        let dir = tempfile::tempdir().unwrap();
        let (store, account) = store(&dir);
        let now = now_ms();
        let a = queue(&store, account, now + 5_000);
        // Not due during its undo time; taken back.
        assert_eq!(store.claim_due(account, now).unwrap(), None);
        assert_eq!(store.outbox_next_due(account).unwrap(), Some(now + 5_000));
        assert!(matches!(
            store.outbox_take_back(a, now).unwrap(),
            TakeBack::Taken { .. }
        ));
        assert_eq!(store.outbox_take_back(a, now).unwrap(), TakeBack::Missing);

        // Due: claimed once (a second claim finds nothing), then too late to undo.
        let b = queue(&store, account, now);
        assert_eq!(
            store.outbox_take_back(b, now).unwrap(),
            TakeBack::TooLate(OutboxState::Queued)
        );
        let claimed = store.claim_due(account, now).unwrap().unwrap();
        assert_eq!((claimed.id, claimed.attempts), (b, 1));
        assert_eq!(claimed.envelope_to, ["bo@example.org"]);
        assert_eq!(store.claim_due(account, now).unwrap(), None);
        assert_eq!(store.claim(b, now).unwrap(), None);
        assert_eq!(
            store.outbox_take_back(b, now).unwrap(),
            TakeBack::TooLate(OutboxState::Sending)
        );

        // A run that ended mid-send: queued again, due at once, still not undoable.
        assert_eq!(store.outbox_recover(account).unwrap(), 1);
        let listed = store.outbox(account).unwrap();
        assert_eq!(listed[0].state, OutboxState::Queued);
        assert!(listed[0].reason.is_some());
        let again = store.claim_due(account, now_ms()).unwrap().unwrap();
        assert_eq!(again.attempts, 2);

        // A passing failure waits for its time; a refusal waits for the user.
        store
            .outbox_deferred(b, now + 60_000, "offline", "detail")
            .unwrap();
        assert_eq!(store.claim_due(account, now).unwrap(), None);
        assert!(store.outbox_retry(b, now).unwrap());
        store.claim(b, now).unwrap().unwrap();
        store.outbox_failed(b, "refused", "550").unwrap();
        let listed = store.outbox(account).unwrap();
        assert_eq!(
            (listed[0].state, listed[0].next_attempt),
            (OutboxState::Failed, None)
        );
        assert_eq!(store.claim_due(account, now_ms()).unwrap(), None);
        // Refused: can be taken back to fix it.
        assert!(matches!(
            store.outbox_take_back(b, now).unwrap(),
            TakeBack::Taken { .. }
        ));

        // Accepted: out of the list, waiting only for its Sent copy; not deletable.
        let c = queue(&store, account, now);
        store.claim(c, now).unwrap().unwrap();
        store.outbox_accepted(c).unwrap();
        assert!(store.outbox(account).unwrap().is_empty());
        assert_eq!(store.sent_copy_count(account).unwrap(), 1);
        assert!(!store.outbox_delete(c).unwrap());
        assert!(!store.outbox_retry(c, now).unwrap());
        store.outbox_forget(c).unwrap();
        assert!(store.sent_copies(account).unwrap().is_empty());
    }
}
