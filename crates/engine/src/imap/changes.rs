//! The user's changes, sent to the server: flags (`UID STORE`), moves (`UID MOVE`, RFC 6851, or
//! COPY + \Deleted + EXPUNGE), copies (`UID COPY`), deletions (\Deleted + `UID EXPUNGE`, UIDPLUS,
//! or plain EXPUNGE). Where the server says where a message landed (COPYUID, UIDPLUS), that UID
//! is returned. Appending a message (`APPEND`, its UID from APPENDUID when the server offers
//! UIDPLUS) and finding copies by Message-ID (`UID SEARCH HEADER`). Every wait is time-limited
//! (see `responses.rs`).

use async_imap::imap_proto::rfc4315::UidSetMember;
use async_imap::imap_proto::{MailboxDatum, Response, ResponseCode, Status};

use super::responses::quoted;
use super::Connection;
use crate::error::Result;
use crate::store::FlagChange;

/// The first target UID of a COPYUID response code (RFC 4315), untagged (MOVE) or tagged (COPY).
pub fn copied_uid(r: &Response<'_>) -> Option<u32> {
    let code = match r {
        Response::Data {
            status: Status::Ok,
            outcome,
        }
        | Response::Done {
            status: Status::Ok,
            outcome,
            ..
        } => outcome.code.as_ref()?,
        _ => return None,
    };
    match code {
        ResponseCode::CopyUid(_, _, target) => target.first().map(|m| match m {
            UidSetMember::Uid(u) => *u,
            UidSetMember::UidRange(r) => *r.start(),
        }),
        _ => None,
    }
}

/// The UID of an APPENDUID response code (RFC 4315) in a tagged OK.
pub fn appended_uid(r: &Response<'_>) -> Option<u32> {
    match r {
        Response::Done {
            status: Status::Ok,
            outcome,
            ..
        } => match outcome.code.as_ref()? {
            ResponseCode::AppendUid(_, uids) => uids.first().map(|m| match m {
                UidSetMember::Uid(u) => *u,
                UidSetMember::UidRange(r) => *r.start(),
            }),
            _ => None,
        },
        _ => None,
    }
}

/// The flag lists to add and to remove for a change.
pub fn flag_lists(change: FlagChange) -> (Vec<&'static str>, Vec<&'static str>) {
    let mut add = Vec::new();
    let mut remove = Vec::new();
    for (value, name) in [
        (change.seen, "\\Seen"),
        (change.flagged, "\\Flagged"),
        (change.answered, "\\Answered"),
        (change.forwarded, "$Forwarded"),
    ] {
        match value {
            Some(true) => add.push(name),
            Some(false) => remove.push(name),
            None => {}
        }
    }
    (add, remove)
}

impl Connection {
    /// Selects a folder read-write; returns how many messages it has and its UIDVALIDITY.
    pub async fn select_for_changes(&mut self, folder: &str) -> Result<(u32, Option<u32>)> {
        let data = self.select_plain(folder).await?;
        Ok((data.exists, data.uidvalidity))
    }

    /// Acts as if the server did not offer `capability` (tests use it to exercise fallbacks,
    /// e.g. COPY + EXPUNGE without MOVE, against a server that has everything).
    pub fn forget_capability(&mut self, capability: &str) {
        self.capabilities
            .retain(|c| !c.eq_ignore_ascii_case(capability));
    }

    /// True when the server reports where copied and moved messages land (RFC 4315).
    pub fn uidplus(&self) -> bool {
        self.has_capability("UIDPLUS")
    }

    /// Sets and clears flags of one message of the selected folder. A UID the server no longer
    /// has changes nothing (and is no error).
    pub async fn store_flags(&mut self, uid: u32, change: FlagChange) -> Result<()> {
        let (add, remove) = flag_lists(change);
        if !add.is_empty() {
            self.run_checked(&format!(
                "UID STORE {uid} +FLAGS.SILENT ({})",
                add.join(" ")
            ))
            .await?;
        }
        if !remove.is_empty() {
            self.run_checked(&format!(
                "UID STORE {uid} -FLAGS.SILENT ({})",
                remove.join(" ")
            ))
            .await?;
        }
        Ok(())
    }

    /// Copies one message of the selected folder to `target`; its UID there if the server said.
    pub async fn copy_message(&mut self, uid: u32, target: &str) -> Result<Option<u32>> {
        let mut landed = None;
        self.run_collect(&format!("UID COPY {uid} {}", quoted(target)?), |r| {
            landed = landed.or(copied_uid(r))
        })
        .await?;
        Ok(landed)
    }

    /// Moves one message of the selected folder to `target`: MOVE when offered, else COPY, then
    /// \Deleted and EXPUNGE. Its UID there if the server said.
    pub async fn move_message(&mut self, uid: u32, target: &str) -> Result<Option<u32>> {
        if self.has_capability("MOVE") {
            let mut landed = None;
            self.run_collect(&format!("UID MOVE {uid} {}", quoted(target)?), |r| {
                landed = landed.or(copied_uid(r))
            })
            .await?;
            return Ok(landed);
        }
        let landed = self.copy_message(uid, target).await?;
        self.expunge_messages(&uid.to_string()).await?;
        Ok(landed)
    }

    /// Appends a message to `folder` with the given flags (e.g. `\\Draft \\Seen`); its UID
    /// there when the server says (APPENDUID). The message must be 7-bit text (as lettre builds
    /// it).
    pub async fn append_message(
        &mut self,
        folder: &str,
        flags: &str,
        raw: &[u8],
    ) -> Result<Option<u32>> {
        let text = std::str::from_utf8(raw)
            .ok()
            .filter(|t| t.is_ascii())
            .ok_or_else(|| {
                crate::error::Error::Internal(
                    "a message to upload is not plain 7-bit text".to_string(),
                )
            })?;
        let tag = self
            .send(&format!(
                "APPEND {} ({flags}) {{{}}}",
                quoted(folder)?,
                raw.len()
            ))
            .await?;
        // The server asks for the message ("+ Ready") or refuses at once; other untagged news
        // may come first.
        loop {
            let step = self
                .read_with(super::RESPONSE_TIMEOUT, "APPEND", |r| match r {
                    Response::Continue { .. } => Some(Ok(())),
                    Response::Done {
                        tag: t, outcome, ..
                    } if *t == tag => Some(Err(outcome
                        .information
                        .as_deref()
                        .unwrap_or_default()
                        .to_string())),
                    _ => None,
                })
                .await?;
            match step {
                Some(Ok(())) => break,
                Some(Err(detail)) => {
                    return Err(crate::error::Error::Protocol {
                        server: format!("The incoming server {}", self.host),
                        detail: format!("APPEND was refused: {detail}"),
                    })
                }
                None => {}
            }
        }
        let host = self.host.clone();
        super::within(&host, self.session.run_command_untagged(text))
            .await?
            .map_err(|e| super::imap_error(&host, e))?;
        let mut landed = None;
        self.finish(&tag, "APPEND", super::RESPONSE_TIMEOUT, |r| {
            landed = landed.or(appended_uid(r))
        })
        .await?;
        Ok(landed)
    }

    /// The UIDs of the selected folder's messages whose Message-ID header is `message_id`.
    pub async fn uids_with_message_id(&mut self, message_id: &str) -> Result<Vec<u32>> {
        let mut uids = Vec::new();
        self.run_collect(
            &format!("UID SEARCH HEADER Message-ID {}", quoted(message_id)?),
            |r| {
                if let Response::MailboxData(MailboxDatum::Search(found)) = r {
                    uids.extend(found.iter().copied());
                }
            },
        )
        .await?;
        Ok(uids)
    }

    /// Deletes messages of the selected folder for good: \Deleted, then `UID EXPUNGE` of just
    /// those (UIDPLUS) or, without it, a plain EXPUNGE.
    pub async fn expunge_messages(&mut self, uid_set: &str) -> Result<()> {
        self.run_checked(&format!("UID STORE {uid_set} +FLAGS.SILENT (\\Deleted)"))
            .await?;
        if self.uidplus() {
            self.run_checked(&format!("UID EXPUNGE {uid_set}")).await
        } else {
            self.run_checked("EXPUNGE").await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Response<'_> {
        Response::parse(line.as_bytes()).expect("parses").1
    }

    #[test]
    fn copyuid_is_read_from_tagged_and_untagged_answers() {
        assert_eq!(
            copied_uid(&parse("* OK [COPYUID 17 5 42] Moved UIDs.\r\n")),
            Some(42)
        );
        assert_eq!(
            copied_uid(&parse("A3 OK [COPYUID 17 5:6 42:43] Copy completed.\r\n")),
            Some(42)
        );
        assert_eq!(copied_uid(&parse("A3 OK No messages found.\r\n")), None);
        assert_eq!(copied_uid(&parse("* 3 EXPUNGE\r\n")), None);
    }

    #[test]
    fn appenduid_is_read_from_the_tagged_ok() {
        assert_eq!(
            appended_uid(&parse("A4 OK [APPENDUID 38505 3955] APPEND completed\r\n")),
            Some(3955)
        );
        assert_eq!(appended_uid(&parse("A4 OK APPEND completed\r\n")), None);
        assert_eq!(
            appended_uid(&parse("A4 NO [TRYCREATE] No such mailbox\r\n")),
            None
        );
    }

    #[test]
    fn flag_changes_become_add_and_remove_lists() {
        let (add, remove) = flag_lists(FlagChange {
            seen: Some(true),
            flagged: Some(false),
            answered: None,
            forwarded: Some(true),
        });
        assert_eq!(add, vec!["\\Seen", "$Forwarded"]);
        assert_eq!(remove, vec!["\\Flagged"]);
        assert_eq!(flag_lists(FlagChange::default()), (vec![], vec![]));
    }
}
