//! The engine's side of composing from mail: [`Engine::compose_from`] (reply, reply all,
//! forward inline or as an attachment; the fields are made by `mime::replies`, the attachments
//! staged here), address completion from the contacts seen in mail
//! ([`Engine::suggest_addresses`], collected by [`Engine::collect_contacts`] after each sync
//! pass: see `store/contacts.rs`), and what follows a sent message ([`Engine::after_sent`]:
//! recipients counted as written to, the original marked `\Answered` or `$Forwarded`).

use mail_parser::{MessageParser, MimeHeaders};

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::mime::{self, replies};
use crate::model::{Address, ComposeMode, OutgoingMessage};
use crate::store::{now_ms, FlagChange, CONTACT_BATCH};

impl Engine {
    /// The composer's fields for answering or forwarding a stored message (its body is
    /// downloaded first if needed). See `mime::replies` for what each mode gives; a forward's
    /// attachments (the original's, or the whole original as `message/rfc822`) are staged.
    pub async fn compose_from(
        &self,
        message_id: i64,
        mode: ComposeMode,
    ) -> Result<OutgoingMessage> {
        let view = self.message(message_id).await?;
        let (account_id, _) = self
            .store()
            .message_folder(message_id)?
            .ok_or_else(|| Error::NotFound("The message".into()))?;
        let identities = self.store().identities(account_id)?;
        let own = self.store().own_addresses()?;
        let delivered_to = self
            .store()
            .stored_header(message_id)?
            .map(|h| delivered_to(&h))
            .unwrap_or_default();
        // The original's own HTML to quote, when it is stored whole and has one.
        let html = match mode {
            ComposeMode::ForwardAsAttachment => None,
            _ => self
                .store()
                .raw_body(message_id)?
                .and_then(|raw| replies::quotable_html(&raw)),
        };
        let mut out = replies::compose_from(
            &replies::Original {
                account_id,
                view: &view,
                delivered_to,
                identities: &identities,
                own: &own,
                when: replies::readable_date(view.summary.date),
                html,
            },
            mode,
        );
        match mode {
            ComposeMode::Forward if !view.attachments.is_empty() => {
                let raw = self.whole_message(message_id).await?;
                let parts = tokio::task::spawn_blocking(move || attachments_of(&raw))
                    .await
                    .map_err(|e| Error::Internal(format!("reading attachments: {e}")))?;
                for (name, mime_type, data) in parts {
                    out.attachments.push(
                        self.store()
                            .stage_attachment(&name, &mime_type, None, &data)?,
                    );
                }
            }
            ComposeMode::ForwardAsAttachment => {
                let raw = self.whole_message(message_id).await?;
                out.attachments.push(self.store().stage_attachment(
                    &replies::eml_name(&view.summary.subject),
                    "message/rfc822",
                    None,
                    &raw,
                )?);
            }
            _ => {}
        }
        Ok(out)
    }

    /// People seen in mail whose address, name or a word of it starts with `query`, best first
    /// (see [`crate::store::Store::suggest_addresses`]).
    pub fn suggest_addresses(&self, query: &str, limit: u32) -> Result<Vec<Address>> {
        self.store().suggest_addresses(query, limit.min(100))
    }

    /// Collects the contacts of the messages stored since the last time, a batch (one short
    /// transaction) at a time, letting other tasks run in between. Returns how many messages
    /// were read.
    pub async fn collect_contacts(&self) -> Result<usize> {
        let mut total = 0;
        loop {
            let n = self.store().collect_contacts(CONTACT_BATCH)?;
            if n == 0 {
                return Ok(total);
            }
            total += n;
            tokio::task::yield_now().await;
        }
    }

    /// [`Engine::collect_contacts`], a failure only logged (after a sync pass).
    pub(crate) async fn collect_contacts_quietly(&self) {
        if let Err(e) = self.collect_contacts().await {
            tracing::warn!("collecting the addresses seen in mail failed: {e}");
        }
    }

    /// After the server accepted outbox message `outbox_id`: its recipients (To, Cc, Bcc) count
    /// as written to, and the message it answers is marked `\Answered` (or the one it forwards
    /// `$Forwarded`), here at once and on the server through the operation queue. Failures are
    /// logged: the message was sent.
    pub(crate) fn after_sent(&self, outbox_id: i64, message_id: &str) {
        if let Err(e) = self.after_sent_inner(outbox_id, message_id) {
            tracing::warn!("after sending message {outbox_id}: {e}");
        }
    }

    fn after_sent_inner(&self, outbox_id: i64, message_id: &str) -> Result<()> {
        let Some(draft) = self.store().outbox_draft(outbox_id)? else {
            return Ok(());
        };
        let out: OutgoingMessage = serde_json::from_str(&draft)
            .map_err(|e| Error::Internal(format!("reading the composer's fields: {e}")))?;
        let mut recipients = Vec::new();
        for field in [&out.to, &out.cc, &out.bcc] {
            // Checked when the message was built; a field that no longer parses adds nobody.
            for m in mime::parse_recipients(field).unwrap_or_default() {
                recipients.push(Address {
                    name: m.name.filter(|n| !n.trim().is_empty()),
                    email: m.email.to_string(),
                });
            }
        }
        self.store()
            .count_sent(message_id, &recipients, now_ms() / 1000)?;
        if let Some(parent) = out.in_reply_to {
            self.set_flags(
                &[parent],
                FlagChange {
                    answered: Some(true),
                    ..FlagChange::default()
                },
            )?;
        }
        if let Some(original) = out.forwarded {
            self.set_flags(
                &[original],
                FlagChange {
                    forwarded: Some(true),
                    ..FlagChange::default()
                },
            )?;
        }
        Ok(())
    }
}

/// The Delivered-To and X-Original-To addresses of a message's header.
fn delivered_to(header: &[u8]) -> Vec<String> {
    let Some(msg) = MessageParser::default().parse_headers(header) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for name in ["Delivered-To", "X-Original-To"] {
        for value in msg.header_values(name) {
            if let Some(text) = value.as_text() {
                out.extend(
                    text.split(',')
                        .map(|a| a.trim().trim_start_matches('<').trim_end_matches('>'))
                        .filter(|a| a.contains('@'))
                        .map(str::to_string),
                );
            }
        }
    }
    out
}

/// The attachments of a whole message as the reader lists them: (name, type, decoded bytes).
fn attachments_of(raw: &[u8]) -> Vec<(String, String, Vec<u8>)> {
    let Some(msg) = MessageParser::default().parse(raw) else {
        return Vec::new();
    };
    msg.attachments()
        .map(|part| {
            let mime_type = part
                .content_type()
                .map(|ct| match ct.subtype() {
                    Some(sub) => format!("{}/{}", ct.ctype(), sub),
                    None => ct.ctype().to_string(),
                })
                .unwrap_or_else(|| "application/octet-stream".to_string());
            let name = part
                .attachment_name()
                .map(str::to_string)
                .unwrap_or_else(|| "attachment".to_string());
            (name, mime_type, part.contents().to_vec())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivered_to_is_read_from_the_header() {
        let h = b"Delivered-To: alias@example.org\r\nX-Original-To: <x@example.org>\r\nSubject: s\r\n\r\n";
        assert_eq!(delivered_to(h), ["alias@example.org", "x@example.org"]);
        assert!(delivered_to(b"Subject: s\r\n\r\n").is_empty());
    }

    #[test]
    fn attachments_are_decoded_in_the_readers_order() {
        let raw = b"From: a@example.org\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n\
--b\r\nContent-Type: application/pdf; name=\"r.pdf\"\r\nContent-Disposition: attachment; filename=\"r.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\nSGVsbG8=\r\n--b\r\nContent-Type: text/plain; name=n.txt\r\n\
Content-Disposition: attachment; filename=n.txt\r\n\r\nnotes\r\n--b--\r\n";
        let parts = attachments_of(raw);
        assert_eq!(parts.len(), 2);
        assert_eq!(
            parts[0],
            ("r.pdf".into(), "application/pdf".into(), b"Hello".to_vec())
        );
        assert_eq!(parts[1].0, "n.txt");
    }
}
