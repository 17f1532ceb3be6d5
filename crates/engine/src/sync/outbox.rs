//! The outbox: once the user presses Send, the message exists on disk until a server has
//! accepted it.
//!
//! [`Engine::send`] builds the message once (Message-ID, Date, threading headers) and commits it
//! to the store's outbox with `send_after = now + undo delay`, then returns its id at once.
//! Until `send_after`, [`Engine::unsend`] takes it back (the composer's fields are returned, kept
//! as JSON in the row; its attachments are staged again from the built message, read back with
//! the code that reopens drafts, so they are there however long the message waited).
//! The per-account sender task ([`send_loop`], woken when something is queued and when the next
//! message is due) claims due messages (`sending`), hands them to the outgoing server, and then:
//! - accepted: `sent`; the Sent copy is filed — a POP3 account's in its local Sent folder at once,
//!   an IMAP account's by the replayer ([`Engine::file_sent_copies_on`]: APPEND with `\Seen`,
//!   unless a copy with the same Message-ID is already there, so a retried APPEND never
//!   duplicates; the body of the APPENDUID's message is stored so it is never downloaded) — and
//!   the row is deleted. Providers that file sent mail themselves (Gmail: `saves_sent` in the
//!   provider table) get no APPEND.
//! - refused for good (5xx, rejected recipients, a refused login or certificate): `failed` with
//!   the server's reason, an `AccountError`; it waits for the user (retry, delete, or take it
//!   back into the composer).
//! - anything else (no connection, time-out, 4xx): queued again after an exponential backoff
//!   counted from its attempts (so it survives restarts too).
//!
//! Only one process per data folder sends (the one holding the sender lock, `sender_lock.rs`);
//! in the others the sender tasks wait for the lock and `send_now` leaves the message queued.
//!
//! Delivery is at least once: a message found `sending` when the sender task starts (the last run
//! ended mid-send) is sent again. A crash after the server accepted it but before the store
//! recorded that sends a duplicate (same Message-ID, which many mail programs fold); the other
//! choice, at most once, would silently lose the message whenever the crash came before the
//! server took it, which is the failure this outbox exists to prevent.

use std::time::Duration;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::imap;
use crate::mime;
use crate::model::{
    Account, EngineEvent, FolderRole, IncomingProtocol, OutboxMessage, OutboxState, OutgoingMessage,
};
use crate::smtp;
use crate::store::{now_ms, NewOutgoing, Outgoing, SentCopy, TakeBack};

use super::{Backoff, SyncConfig};

/// The undo delay unless the engine is told otherwise ([`Engine::set_undo_delay`]).
pub const DEFAULT_UNDO_DELAY: Duration = Duration::from_secs(5);

/// How often a process that does not send the outbox checks whether the sender went away.
const SENDER_LOCK_RETRY: Duration = Duration::from_secs(10);
/// How often the sender looks for messages queued by another process on the same data folder.
const OTHER_PROCESS_CHECK: Duration = Duration::from_secs(15);

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Engine {
    /// Sends a message: built and stored in the outbox at once, handed to the server by the
    /// background sender once the engine's undo delay (default 5 s) has passed. Returns the
    /// outbox id (for [`Engine::unsend`]). Emits `OutboxChanged`.
    pub fn send(&self, out: OutgoingMessage) -> Result<i64> {
        self.send_with_delay(out, self.undo_delay())
    }

    /// [`Engine::send`] with this undo delay (zero: due at once).
    pub fn send_with_delay(&self, out: OutgoingMessage, undo_delay: Duration) -> Result<i64> {
        let account = self.store().account(out.account_id)?;
        let message = self.build_outgoing(&out, mime::Purpose::Send)?;
        let message_id = message
            .headers()
            .get_raw("Message-ID")
            .map(str::to_string)
            .ok_or_else(|| Error::Internal("the built message has no Message-ID".into()))?;
        let envelope = message.envelope();
        let from = envelope
            .from()
            .map(ToString::to_string)
            .unwrap_or_else(|| account.email.clone());
        let to: Vec<String> = envelope.to().iter().map(ToString::to_string).collect();
        let draft = serde_json::to_string(&out)
            .map_err(|e| Error::Internal(format!("keeping the composer's fields: {e}")))?;
        let id = self.store().queue_outgoing(&NewOutgoing {
            account_id: account.id,
            message_id: &message_id,
            raw: &message.formatted(),
            envelope_from: &from,
            envelope_to: &to,
            draft: &draft,
            subject: out.subject.trim(),
            send_after: now_ms().saturating_add(millis(undo_delay)),
        })?;
        self.outbox_changed(account.id);
        Ok(id)
    }

    /// Sends a message with no undo delay and waits for the server's answer (the command line
    /// and tests). The message is in the outbox first like any other: if the server cannot be
    /// reached it stays there (queued, retried by the background sender) and the error is
    /// returned; if the server refuses it, it stays as failed with the reason. Once accepted, the
    /// Sent copy is filed before this returns (a failure there is logged; the replayer retries).
    pub async fn send_now(&self, out: OutgoingMessage) -> Result<i64> {
        let id = self.send_with_delay(out, Duration::ZERO)?;
        self.deliver_now(id).await.map(|()| id)
    }

    /// Sends one message of the outbox now (once its undo delay is over) and waits for the
    /// server's answer (see [`Engine::send_now`]). If the background sender has it already, waits
    /// for its outcome.
    /// In a process that does not send the data folder's outbox (another one holds the sender
    /// lock: see `sync/sender_lock.rs`) the message stays queued for that one, and
    /// `Error::SentElsewhere` says so.
    pub async fn deliver_now(&self, outbox_id: i64) -> Result<()> {
        if !self.sends_outbox() {
            return Err(Error::SentElsewhere);
        }
        loop {
            if let Some(item) = self.store().claim(outbox_id, now_ms())? {
                let account_id = item.account_id;
                self.deliver(item, &SyncConfig::default()).await?;
                if let Err(e) = self.file_sent_copies(account_id).await {
                    tracing::warn!("the sent message could not be copied to Sent yet: {e}");
                }
                return Ok(());
            }
            let Some((account_id, state)) = self.store().outbox_state(outbox_id)? else {
                return Ok(());
            };
            let entry = self
                .store()
                .outbox(account_id)?
                .into_iter()
                .find(|m| m.id == outbox_id);
            match (state, entry) {
                (OutboxState::Sent, _) | (_, None) => return Ok(()),
                (OutboxState::Failed, Some(m)) => {
                    let detail = m.detail.or(m.reason).unwrap_or_default();
                    let words = detail
                        .strip_prefix("the server refused the message: ")
                        .unwrap_or(&detail);
                    return Err(Error::SendRejected(words.to_string()));
                }
                // Tried by the background sender, which will try again later.
                (OutboxState::Queued, Some(m)) if m.attempts > 0 => {
                    return Err(Error::SendDeferred {
                        server: format!(
                            "The outgoing server {}",
                            self.store().account(account_id)?.smtp.host
                        ),
                        detail: m.detail.or(m.reason).unwrap_or_default(),
                    })
                }
                // Within its undo delay, or being sent by the background sender.
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// Takes a message back from the outbox within its undo delay (or after the server refused
    /// it for good): it is removed and the composer's fields are returned. Too late once the
    /// delay has passed or sending has started.
    pub fn unsend(&self, outbox_id: i64) -> Result<OutgoingMessage> {
        match self.store().outbox_take_back(outbox_id, now_ms())? {
            TakeBack::Taken {
                account_id,
                draft,
                raw,
            } => {
                self.outbox_changed(account_id);
                let mut out: OutgoingMessage = serde_json::from_str(&draft)
                    .map_err(|e| Error::Internal(format!("reading the composer's fields: {e}")))?;
                // The staged copies may be gone (they last a week): the attachments come back
                // from the message as built, read as a reopened draft's are.
                if !out.attachments.is_empty() {
                    out.attachments = self.restage_from_raw(&raw)?;
                }
                Ok(out)
            }
            TakeBack::TooLate(state) => Err(Error::TooLateToUndo(
                match state {
                    OutboxState::Queued => {
                        "the undo time is over and the message is on its way to the server"
                    }
                    OutboxState::Sending => "the message is being handed to the server right now",
                    _ => "the server has already accepted the message",
                }
                .into(),
            )),
            TakeBack::Missing => Err(Error::TooLateToUndo(
                "the message is no longer in the outbox (it was sent or deleted)".into(),
            )),
        }
    }

    /// The account's messages the server has not accepted yet, oldest first.
    pub fn outbox(&self, account_id: i64) -> Result<Vec<OutboxMessage>> {
        self.store().outbox(account_id)
    }

    /// Sends a queued or failed message again now (a failed one with the same content; to change
    /// it, take it back with [`Engine::unsend`]).
    pub fn retry_outbox(&self, outbox_id: i64) -> Result<()> {
        let state = self.store().outbox_state(outbox_id)?;
        if !self.store().outbox_retry(outbox_id, now_ms())? {
            return Err(match state {
                None => Error::NotFound("The message in the outbox".into()),
                Some(_) => Error::InvalidInput(
                    "This message is being sent or was already sent; there is nothing to retry."
                        .into(),
                ),
            });
        }
        if let Some((account_id, _)) = state {
            self.outbox_changed(account_id);
        }
        Ok(())
    }

    /// Deletes a queued or failed message from the outbox, unsent.
    pub fn delete_outbox(&self, outbox_id: i64) -> Result<()> {
        let state = self.store().outbox_state(outbox_id)?;
        if !self.store().outbox_delete(outbox_id)? {
            return Err(match state {
                None => Error::NotFound("The message in the outbox".into()),
                Some(_) => Error::InvalidInput(
                    "This message is being sent or was already sent, so it cannot be deleted from the outbox."
                        .into(),
                ),
            });
        }
        if let Some((account_id, _)) = state {
            self.outbox_changed(account_id);
        }
        Ok(())
    }

    fn outbox_changed(&self, account_id: i64) {
        self.emit(EngineEvent::OutboxChanged { account_id });
        self.outbox_wake();
    }

    /// Sends every due message of the account, one after the other. Returns when the next
    /// queued one is due (milliseconds since the Unix epoch), if any.
    pub(crate) async fn send_due(
        &self,
        account_id: i64,
        config: &SyncConfig,
    ) -> Result<Option<i64>> {
        while let Some(item) = self.store().claim_due(account_id, now_ms())? {
            if let Err(e) = self.deliver(item, config).await {
                tracing::info!("account {account_id}: a message was not sent ({e})");
            }
        }
        self.store().outbox_next_due(account_id)
    }

    /// Hands one claimed message to the server and records the outcome (see the module comment).
    async fn deliver(&self, item: Outgoing, config: &SyncConfig) -> Result<()> {
        let account_id = item.account_id;
        let account = self.store().account(account_id)?;
        let outcome = async {
            let envelope = envelope(&item)?;
            let password = self.password(account_id).await?;
            smtp::send(self.tls(), &account.smtp, &password, &envelope, &item.raw).await
        }
        .await;
        match outcome {
            Ok(()) => {
                self.store().outbox_accepted(item.id)?;
                // Before the Sent copy: filing it may forget the row and its composer's fields.
                self.after_sent(item.id, &item.message_id);
                self.outbox_changed(account_id);
                self.after_accepted(&account, item.id, &item.message_id, &item.raw)?;
                Ok(())
            }
            Err(e) if permanent(&e) => {
                let user = e.to_user();
                tracing::warn!("account {account_id}: the server refused a message: {e}");
                self.store()
                    .outbox_failed(item.id, &user.summary, &user.detail)?;
                self.outbox_changed(account_id);
                self.emit(EngineEvent::AccountError {
                    account_id,
                    error: user,
                });
                Err(e)
            }
            Err(e) => {
                let user = e.to_user();
                let wait = Backoff::new(config.backoff_first, config.backoff_max)
                    .wait_after(item.attempts);
                self.store().outbox_deferred(
                    item.id,
                    now_ms().saturating_add(millis(wait)),
                    &user.summary,
                    &user.detail,
                )?;
                self.outbox_changed(account_id);
                Err(e)
            }
        }
    }

    /// After the server accepted a message: its Sent copy.
    fn after_accepted(
        &self,
        account: &Account,
        id: i64,
        message_id: &str,
        raw: &[u8],
    ) -> Result<()> {
        if account.protocol == IncomingProtocol::Pop3 {
            self.file_locally(account.id, message_id, raw)?;
            return self.store().outbox_forget(id);
        }
        if crate::discovery::providers::saves_sent_copy(&account.smtp.host) {
            return self.store().outbox_forget(id);
        }
        // Filed by the replayer, with the account's other server work.
        self.operations_queued();
        Ok(())
    }

    /// A POP3 account's Sent copy, in its local Sent folder (replacing a copy with the same
    /// Message-ID, so doing it twice leaves one).
    fn file_locally(&self, account_id: i64, message_id: &str, raw: &[u8]) -> Result<()> {
        let store = self.store();
        let Some(sent) = store.folder_by_role(account_id, FolderRole::Sent)? else {
            return Ok(());
        };
        store.delete_local_by_message_id(sent.id, message_id)?;
        let flags = mime::Flags {
            seen: true,
            ..mime::Flags::default()
        };
        let (message, parsed) = mime::parse_whole(raw.to_vec(), flags, now_ms() / 1000);
        store.insert_local_message(sent.id, &message, &parsed.body, &parsed.snippet)?;
        self.emit(EngineEvent::FolderChanged {
            account_id,
            folder_id: sent.id,
        });
        Ok(())
    }

    /// Files the account's pending Sent copies on a connection of its own (see
    /// [`Engine::file_sent_copies_on`]).
    async fn file_sent_copies(&self, account_id: i64) -> Result<usize> {
        if self.store().sent_copy_count(account_id)? == 0 {
            return Ok(0);
        }
        let mut conn = self.connect_imap(account_id).await?;
        let lock = self.replay_lock(account_id);
        let outcome = {
            let _guard = lock.lock().await;
            self.file_sent_copies_on(&mut conn, account_id).await
        };
        conn.logout().await;
        outcome
    }

    /// APPENDs the account's accepted messages to its Sent folder (run by the replayer, which
    /// holds the replay lock). A copy already there (same Message-ID) is not appended again.
    /// Copies wait while the folder list is unknown; without a Sent folder, or when the server
    /// refuses for good, they are dropped (the message itself was sent).
    pub(crate) async fn file_sent_copies_on(
        &self,
        conn: &mut imap::Connection,
        account_id: i64,
    ) -> Result<usize> {
        let store = self.store();
        let copies = store.sent_copies(account_id)?;
        if copies.is_empty() {
            return Ok(0);
        }
        let Some(sent) = store.folder_by_role(account_id, FolderRole::Sent)? else {
            if store.folders(account_id)?.is_empty() {
                return Ok(0);
            }
            tracing::info!("account {account_id}: no Sent folder; sent messages are not copied");
            for copy in &copies {
                store.outbox_forget(copy.id)?;
            }
            return Ok(copies.len());
        };
        let mut filed = Vec::new();
        for copy in &copies {
            match file_one(conn, copy, &sent.path).await {
                Ok(uid) => {
                    store.outbox_forget(copy.id)?;
                    filed.push((uid, copy));
                }
                Err(Error::Protocol { server, detail })
                    if !super::operations::passing_refusal(&detail) =>
                {
                    store.outbox_forget(copy.id)?;
                    let what = format!("file a copy of a sent message in “{}”", sent.path);
                    self.report_refused(account_id, server, what, detail);
                }
                Err(e) => return Err(e),
            }
        }
        if !filed.is_empty() {
            let folder = store.folder(sent.id)?;
            if let Err(e) = self.sync_folder_on(conn, &folder).await {
                tracing::warn!(
                    "listing “{}” after filing sent mail failed: {e}",
                    folder.path
                );
            }
            // The body is known: stored now rather than downloaded later.
            for (uid, copy) in &filed {
                let Some(uid) = uid else { continue };
                if let Some(id) = store.message_id_for_uid(sent.id, *uid)? {
                    if !store.has_body(id)? {
                        let parsed = mime::parse_body(copy.raw.clone());
                        store.store_body(
                            id,
                            &parsed.body,
                            &parsed.snippet,
                            parsed.has_attachments,
                        )?;
                    }
                }
            }
        }
        Ok(filed.len())
    }
}

/// APPENDs one Sent copy unless the folder has it already; its UID when known.
async fn file_one(conn: &mut imap::Connection, copy: &SentCopy, path: &str) -> Result<Option<u32>> {
    conn.select_for_changes(path).await?;
    let there = conn.uids_with_message_id(&copy.message_id).await?;
    if let Some(uid) = there.into_iter().max() {
        return Ok(Some(uid));
    }
    conn.append_message(path, "\\Seen", &copy.raw).await
}

/// The SMTP envelope stored with a message.
fn envelope(item: &Outgoing) -> Result<lettre::address::Envelope> {
    let parse = |a: &str| {
        a.parse::<lettre::Address>()
            .map_err(|e| Error::InvalidInput(format!("“{a}” is not a valid address ({e}).")))
    };
    let to = item
        .envelope_to
        .iter()
        .map(|a| parse(a))
        .collect::<Result<Vec<_>>>()?;
    lettre::address::Envelope::new(Some(parse(&item.envelope_from)?), to)
        .map_err(|e| Error::InvalidInput(format!("The message has no valid recipients ({e}).")))
}

/// Failures that waiting will not cure: the server refused the message or the recipients, the
/// login, or the connection's security; the user must act.
fn permanent(e: &Error) -> bool {
    matches!(
        e,
        Error::SendRejected(_)
            | Error::AuthFailed { .. }
            | Error::CertificateNotTrusted { .. }
            | Error::NoStarttls { .. }
            | Error::InvalidInput(_)
    )
}

/// An account's sender: at start, messages left `sending` by an earlier run are queued again;
/// then every due message is sent, whenever something is queued and when the next one is due
/// (at least every `poll_every`, for messages another process queued).
pub(super) async fn send_loop(engine: Engine, account_id: i64, config: SyncConfig) {
    // One sender per data folder: another process may hold the lock (and be sending what a
    // recovery here would send again); wait for it to go.
    let mut told = false;
    while !engine.sends_outbox() {
        if !told {
            tracing::info!("another Petrel process sends this data folder's outbox; waiting");
            told = true;
        }
        tokio::time::sleep(SENDER_LOCK_RETRY).await;
    }
    match engine.store().outbox_recover(account_id) {
        Ok(0) => {}
        Ok(n) => {
            tracing::info!("account {account_id}: {n} interrupted message(s) will be sent again");
            engine.emit(EngineEvent::OutboxChanged { account_id });
        }
        Err(e) => tracing::error!("account {account_id}: reading the outbox failed: {e}"),
    }
    let mut woken = engine.outbox_watch();
    // Messages queued by other processes (the command line) wake nobody here: looked for often.
    let idle = config.poll_every.min(OTHER_PROCESS_CHECK);
    loop {
        woken.borrow_and_update();
        let wait = match engine.send_due(account_id, &config).await {
            Ok(Some(due)) => Duration::from_millis(u64::try_from(due - now_ms()).unwrap_or(0))
                .clamp(Duration::from_millis(10), idle),
            Ok(None) => idle,
            Err(e) => {
                tracing::error!("account {account_id}: the outbox could not be read: {e}");
                config.backoff_first
            }
        };
        tokio::select! {
            _ = woken.changed() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_wait_for_the_user_and_the_rest_is_retried() {
        assert!(permanent(&Error::SendRejected("550 no such user".into())));
        assert!(permanent(&Error::AuthFailed {
            server: "s".into(),
            detail: "535".into(),
            advice: None
        }));
        assert!(!permanent(&Error::SendDeferred {
            server: "s".into(),
            detail: "451".into()
        }));
        assert!(!permanent(&Error::ConnectionRefused {
            host: "h".into(),
            port: 465
        }));
        assert!(!permanent(&Error::Timeout { what: "x".into() }));
    }
}
