//! The composer's engine side: attachments staged, the message built (to send or to save as a
//! draft, `mime::build`), a draft reopened into the composer's fields (`mime::read`), and the
//! outgoing server's size limit.

use std::collections::HashMap;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::mime::{self, read::FoundFile, Purpose};
use crate::model::{ComposeAttachment, FolderRole, OpenedDraft, OutgoingMessage};
use crate::smtp;

/// Above this a file is refused when attached: no mail server takes it.
pub const MAX_ATTACHMENT_BYTES: usize = 100 * 1024 * 1024;

/// The outgoing servers' SIZE limits, by account, once learnt.
#[derive(Default)]
pub(crate) struct SizeLimits(std::sync::Mutex<HashMap<i64, Option<u64>>>);

fn megabytes(bytes: usize) -> String {
    format!("{:.0} MB", bytes as f64 / 1_000_000.0)
}

impl Engine {
    /// Builds the message `out` describes, as its identity, with its attachments' staged bytes.
    pub(crate) fn build_outgoing(
        &self,
        out: &OutgoingMessage,
        purpose: Purpose<'_>,
    ) -> Result<lettre::Message> {
        let store = self.store();
        let threading = match out.in_reply_to {
            Some(parent) => {
                let (mid, refs) = store.threading(parent)?;
                mime::threading_for(mid.as_deref(), &refs)
            }
            None => None,
        };
        let identity = store.sending_identity(out.account_id, out.identity_id)?;
        mime::build_message(
            &identity.name,
            &identity.email,
            out,
            threading,
            purpose,
            &|a| store.staged_attachment_data(a.id),
        )
    }

    /// Stages a file for the composer (its bytes copied into the store). The type is guessed
    /// from the name when empty; an inline image gets a content id (`<img src="cid:…">`).
    pub fn stage_attachment(
        &self,
        name: &str,
        mime_type: &str,
        inline: bool,
        data: &[u8],
    ) -> Result<ComposeAttachment> {
        let name = name.trim();
        if data.len() > MAX_ATTACHMENT_BYTES {
            return Err(Error::InvalidInput(format!(
                "{} is too large to attach ({}); most servers refuse messages over 25 MB.",
                if name.is_empty() { "This file" } else { name },
                megabytes(data.len())
            )));
        }
        let mime_type = match mime_type.trim() {
            "" => mime_guess::from_path(name)
                .first_or_octet_stream()
                .essence_str()
                .to_string(),
            t => t.to_ascii_lowercase(),
        };
        let content_id = inline.then(mime::new_content_id);
        self.store()
            .stage_attachment(name, &mime_type, content_id.as_deref(), data)
    }

    /// A staged image as a `data:` URL, for the editor to show an inline image of a reopened
    /// draft. Refused for anything that is not an image.
    pub fn staged_image_url(&self, id: i64) -> Result<String> {
        use base64::Engine as _;
        let (mime_type, data) = self.store().staged_attachment_typed(id)?;
        if !mime_type.starts_with("image/") || mime_type.contains(['"', ';', ',', ' ']) {
            return Err(Error::InvalidInput(
                "Only images can be shown in the message.".into(),
            ));
        }
        Ok(format!(
            "data:{mime_type};base64,{}",
            base64::engine::general_purpose::STANDARD.encode(data)
        ))
    }

    /// Forgets what was learnt of an account's outgoing server (the account is gone).
    pub(crate) fn forget_size_limit(&self, account_id: i64) {
        if let Ok(mut m) = self.size_limits().0.lock() {
            m.remove(&account_id);
        }
    }

    /// The largest message the account's outgoing server takes (its EHLO SIZE), learnt once and
    /// kept in memory; `None` when the server names none or cannot be reached (asked again next
    /// time).
    pub async fn outgoing_size_limit(&self, account_id: i64) -> Result<Option<u64>> {
        if let Some(known) = self.size_limits().get(account_id) {
            return Ok(known);
        }
        let account = self.store().account(account_id)?;
        match smtp::size_limit(self.tls(), &account.smtp).await {
            Ok(limit) => {
                self.size_limits().put(account_id, limit);
                Ok(limit)
            }
            Err(e) => {
                tracing::info!("the outgoing server's size limit is not known: {e}");
                Ok(None)
            }
        }
    }

    /// Stages found files again for the composer.
    fn restage(&self, files: Vec<FoundFile>) -> Result<Vec<ComposeAttachment>> {
        files
            .into_iter()
            .map(|f| {
                self.store().stage_attachment(
                    &f.name,
                    &f.mime_type,
                    f.content_id.as_deref(),
                    &f.data,
                )
            })
            .collect()
    }

    /// The attachments of a message taken back from the outbox, staged again from the message as
    /// built (their staged copies may be gone: they are dropped after a week), read as a
    /// reopened draft's are.
    pub(crate) fn restage_from_raw(&self, raw: &[u8]) -> Result<Vec<ComposeAttachment>> {
        let back = mime::read::read_back(raw)?;
        self.restage(back.files)
    }

    /// Reopens a message of a Drafts folder in the composer: every field back (Bcc from its
    /// header, the HTML and the plain text, attachments and inline images staged again with
    /// their content ids, the answered message by In-Reply-To, the identity by From), and a
    /// draft id whose next save replaces this copy (on the server too: the replayer deletes it).
    pub async fn open_draft(&self, message_id: i64) -> Result<OpenedDraft> {
        let raw = self.whole_message(message_id).await?;
        let store = self.store();
        let (account_id, folder_id, uid) = store.message_place(message_id)?;
        let back = mime::read::read_back(&raw)?;
        let in_reply_to = match back.in_reply_to.as_deref() {
            Some(parent) => {
                let found = store.message_by_message_id(account_id, parent)?;
                if found.is_none() {
                    tracing::info!(
                        "the message a reopened draft answers (<{parent}>) is not stored here; \
                         the reply will not be threaded"
                    );
                }
                found
            }
            None => None,
        };
        let identity_id = back.from.as_ref().and_then(|from| {
            store.identities(account_id).ok().and_then(|ids| {
                ids.into_iter()
                    .find(|i| i.email.eq_ignore_ascii_case(&from.email))
                    .map(|i| i.id)
            })
        });
        let draft_id = match back.message_id.as_deref() {
            Some(mid) => match store.draft_by_message_id(account_id, mid)? {
                Some(id) => id,
                None => self.adopt(account_id, folder_id, uid, &format!("<{mid}>"), &raw)?,
            },
            None => {
                let account = store.account(account_id)?;
                let mid = mime::new_message_id(&account.email);
                self.adopt(account_id, folder_id, uid, &mid, &raw)?
            }
        };
        let attachments = self.restage(back.files)?;
        Ok(OpenedDraft {
            message: OutgoingMessage {
                account_id,
                identity_id,
                to: back.to,
                cc: back.cc,
                bcc: back.bcc,
                subject: back.subject,
                body: back.body,
                html: back.html,
                attachments,
                in_reply_to,
                forwarded: None,
            },
            draft_id: Some(draft_id),
        })
    }

    /// A draft row for a Drafts message Petrel has no row for, so that its next save replaces it.
    fn adopt(
        &self,
        account_id: i64,
        folder_id: i64,
        uid: i64,
        message_id: &str,
        raw: &[u8],
    ) -> Result<i64> {
        let store = self.store();
        let drafts = store.folder_by_role(account_id, FolderRole::Drafts)?;
        let uidvalidity = drafts
            .as_ref()
            .filter(|f| f.id == folder_id)
            .and_then(|f| f.uidvalidity);
        let uid = u32::try_from(uid).ok().filter(|u| *u > 0);
        store.adopt_draft(account_id, message_id, raw, folder_id, uidvalidity, uid)
    }
}

impl SizeLimits {
    fn get(&self, account_id: i64) -> Option<Option<u64>> {
        self.0
            .lock()
            .map(|m| m.get(&account_id).copied())
            .unwrap_or(None)
    }
    fn put(&self, account_id: i64, limit: Option<u64>) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(account_id, limit);
        }
    }
}
