//! Commands whose answers async-imap does not fold for us (SELECT with QRESYNC, ENABLE, IDLE):
//! sent raw through the session, their untagged responses read one at a time, each wait
//! time-limited, and folded into plain data by small pure functions that are unit-tested.
//!
//! async-imap parses every line with imap-proto, which knows VANISHED, HIGHESTMODSEQ and MODSEQ;
//! what it lacks is a command that returns them together, so this module collects them.

use std::ops::RangeInclusive;
use std::time::Duration;

use async_imap::imap_proto::{AttributeValue, MailboxDatum, RequestId, Response, Status};

use super::{Connection, RESPONSE_TIMEOUT};
use crate::error::{Error, Result};
use crate::mime::Flags;

/// What a SELECT said about a folder; with QRESYNC also what changed since the state we gave.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SelectData {
    pub exists: u32,
    pub uidvalidity: Option<u32>,
    pub uidnext: Option<u32>,
    pub highestmodseq: Option<u64>,
    /// `[NOMODSEQ]`: this folder keeps no modification sequences.
    pub nomodseq: bool,
    /// UIDs the server reported as expunged (`VANISHED (EARLIER)`).
    pub vanished: Vec<RangeInclusive<u32>>,
    /// Flags of messages changed since the given modification sequence: (uid, flags).
    pub changed: Vec<(u32, Flags)>,
    /// How many FETCH responses came with the answer.
    pub fetched: usize,
}

impl SelectData {
    /// Folds one untagged response of a SELECT in; anything else is ignored.
    pub fn apply(&mut self, response: &Response<'_>) {
        use async_imap::imap_proto::ResponseCode;
        match response {
            Response::Data {
                status: Status::Ok,
                outcome,
            } => match &outcome.code {
                Some(ResponseCode::UidValidity(v)) => self.uidvalidity = Some(*v),
                Some(ResponseCode::UidNext(v)) => self.uidnext = Some(*v),
                Some(ResponseCode::HighestModSeq(v)) => self.highestmodseq = Some(*v),
                // imap-proto does not know NOMODSEQ: it stays in the text.
                None if outcome.information.as_deref().is_some_and(|t| {
                    t.get(..10)
                        .is_some_and(|p| p.eq_ignore_ascii_case("[NOMODSEQ]"))
                }) =>
                {
                    self.nomodseq = true;
                }
                _ => {}
            },
            Response::MailboxData(MailboxDatum::Exists(n)) => self.exists = *n,
            Response::Vanished { uids, .. } => self.vanished.extend(uids.iter().cloned()),
            Response::Fetch(_, attributes) => {
                self.fetched += 1;
                if let Some(change) = uid_and_flags(attributes) {
                    self.changed.push(change);
                }
            }
            _ => {}
        }
    }

    /// The folder's modification sequence, if it keeps them.
    pub fn modseq(&self) -> Option<u64> {
        if self.nomodseq {
            None
        } else {
            self.highestmodseq
        }
    }
}

/// UID and flags of a FETCH response that carries both.
pub fn uid_and_flags(attributes: &[AttributeValue<'_>]) -> Option<(u32, Flags)> {
    let mut uid = None;
    let mut flags = None;
    for a in attributes {
        match a {
            AttributeValue::Uid(u) => uid = Some(*u),
            AttributeValue::Flags(list) => {
                let mut f = Flags::default();
                for flag in list {
                    match flag.to_ascii_lowercase().as_str() {
                        "\\seen" => f.seen = true,
                        "\\flagged" => f.flagged = true,
                        "\\answered" => f.answered = true,
                        "\\draft" => f.draft = true,
                        _ => {}
                    }
                }
                flags = Some(f);
            }
            _ => {}
        }
    }
    Some((uid?, flags?))
}

/// True for an untagged response that means the selected folder changed (what wakes IDLE).
pub fn is_folder_change(response: &Response<'_>) -> bool {
    matches!(
        response,
        Response::MailboxData(MailboxDatum::Exists(_) | MailboxDatum::Recent(_))
            | Response::Expunge(_)
            | Response::Vanished { .. }
            | Response::Fetch(..)
    )
}

/// The stored UIDs (ascending) that fall in any of the ranges.
pub fn uids_in_ranges(local: &[u32], ranges: &[RangeInclusive<u32>]) -> Vec<u32> {
    let mut out = Vec::new();
    for r in ranges {
        let start = local.partition_point(|u| u < r.start());
        out.extend(local[start..].iter().take_while(|u| *u <= r.end()));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// A mailbox name as an IMAP quoted string.
pub fn quoted(name: &str) -> Result<String> {
    if name.contains(['\r', '\n']) {
        return Err(Error::InvalidInput(format!(
            "The folder name {name:?} contains a line break."
        )));
    }
    Ok(format!(
        "\"{}\"",
        name.replace('\\', "\\\\").replace('"', "\\\"")
    ))
}

impl Connection {
    /// Reads the next response from the server, waiting at most `wait`, and hands it to `f`.
    pub(crate) async fn read_with<T>(
        &mut self,
        wait: Duration,
        what: &str,
        f: impl FnOnce(&Response<'_>) -> T,
    ) -> Result<T> {
        match tokio::time::timeout(wait, self.session.read_response()).await {
            Err(_) => Err(Error::Timeout {
                what: format!("Waiting for {} to answer {what}", self.host),
            }),
            Ok(Err(source)) => Err(Error::Network {
                host: self.host.clone(),
                port: 0,
                source,
            }),
            Ok(Ok(None)) => Err(self.closed()),
            Ok(Ok(Some(r))) => Ok(f(r.parsed())),
        }
    }

    pub(crate) fn closed(&self) -> Error {
        Error::Network {
            host: self.host.clone(),
            port: 0,
            source: std::io::Error::new(
                std::io::ErrorKind::ConnectionAborted,
                "the server closed the connection",
            ),
        }
    }

    /// Sends a tagged command (time-limited).
    pub(crate) async fn send(&mut self, command: &str) -> Result<RequestId> {
        let host = self.host.clone();
        match tokio::time::timeout(RESPONSE_TIMEOUT, self.session.run_command(command)).await {
            Err(_) => Err(Error::Timeout {
                what: format!("Sending a command to {host}"),
            }),
            Ok(r) => r.map_err(|e| super::imap_error(&host, e)),
        }
    }

    /// Reads until the tagged answer to `tag`, handing every untagged response and the tagged OK
    /// to `f`. A refusal
    /// (NO, BAD) or a goodbye (BYE) is an error.
    pub(crate) async fn finish(
        &mut self,
        tag: &RequestId,
        what: &str,
        wait: Duration,
        mut f: impl FnMut(&Response<'_>),
    ) -> Result<()> {
        enum Step {
            More,
            Done,
            Refused(String),
            Bye,
        }
        loop {
            let step = self
                .read_with(wait, what, |r| match r {
                    Response::Done {
                        tag: t,
                        status,
                        outcome,
                    } if t == tag => match status {
                        Status::Ok => {
                            // Its response code may matter (COPYUID).
                            f(r);
                            Step::Done
                        }
                        _ => Step::Refused(match &outcome.code {
                            // Codes imap-proto knows are parsed out of the text: put them back.
                            Some(code) => format!(
                                "{status:?} [{code:?}] {}",
                                outcome.information.as_deref().unwrap_or_default()
                            ),
                            None => format!(
                                "{status:?} {}",
                                outcome.information.as_deref().unwrap_or_default()
                            ),
                        }),
                    },
                    Response::Data {
                        status: Status::Bye,
                        ..
                    } => Step::Bye,
                    other => {
                        f(other);
                        Step::More
                    }
                })
                .await?;
            match step {
                Step::More => {}
                Step::Done => return Ok(()),
                Step::Bye => return Err(self.closed()),
                Step::Refused(detail) => {
                    return Err(Error::Protocol {
                        server: format!("The incoming server {}", self.host),
                        detail: format!("{what} was refused: {detail}"),
                    })
                }
            }
        }
    }

    /// Runs a command, handing its untagged responses to `f`.
    pub(crate) async fn run_collect(
        &mut self,
        command: &str,
        f: impl FnMut(&Response<'_>),
    ) -> Result<()> {
        let tag = self.send(command).await?;
        let what = command.split(' ').next().unwrap_or(command).to_string();
        self.finish(&tag, &what, RESPONSE_TIMEOUT, f).await
    }

    /// Runs a command whose untagged answers do not matter.
    pub(crate) async fn run_checked(&mut self, command: &str) -> Result<()> {
        self.run_collect(command, |_| {}).await
    }

    /// `SELECT folder (QRESYNC (uidvalidity modseq known-uids))`: one round trip that tells what
    /// changed since `modseq` (flags as FETCH, expunges as VANISHED). A server whose UIDVALIDITY
    /// differs answers as a plain SELECT; the caller sees the new UIDVALIDITY.
    pub(crate) async fn select_qresync(
        &mut self,
        folder: &str,
        uidvalidity: u32,
        modseq: u64,
        known: &[u32],
    ) -> Result<SelectData> {
        let mut known_set = super::uid_set(known);
        // Only a hint to the server: keep the command short for very sparse folders.
        if known_set.len() > 4000 {
            known_set = format!("1:{}", known.last().copied().unwrap_or(1));
        }
        let command = if known_set.is_empty() {
            format!(
                "SELECT {} (QRESYNC ({uidvalidity} {modseq}))",
                quoted(folder)?
            )
        } else {
            format!(
                "SELECT {} (QRESYNC ({uidvalidity} {modseq} {known_set}))",
                quoted(folder)?
            )
        };
        let mut data = SelectData::default();
        self.run_collect(&command, |r| data.apply(r)).await?;
        Ok(data)
    }

    /// `SELECT folder`, with `(CONDSTORE)` when modification sequences are used.
    pub(crate) async fn select_plain(&mut self, folder: &str) -> Result<SelectData> {
        let command = if self.condstore && !self.qresync {
            format!("SELECT {} (CONDSTORE)", quoted(folder)?)
        } else {
            format!("SELECT {}", quoted(folder)?)
        };
        let mut data = SelectData::default();
        self.run_collect(&command, |r| data.apply(r)).await?;
        Ok(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_imap::imap_proto::Response;

    fn fold(lines: &[&str]) -> SelectData {
        let mut data = SelectData::default();
        for line in lines {
            let (rest, r) = Response::parse(line.as_bytes()).expect("parses");
            assert!(rest.is_empty(), "{line}");
            data.apply(&r);
        }
        data
    }

    #[test]
    fn a_qresync_select_is_folded() {
        let d = fold(&[
            "* OK [CLOSED] Previous mailbox closed.\r\n",
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n",
            "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.\r\n",
            "* 12 EXISTS\r\n",
            "* 0 RECENT\r\n",
            "* OK [UIDVALIDITY 1764230000] UIDs valid\r\n",
            "* OK [UIDNEXT 15] Predicted next UID\r\n",
            "* OK [HIGHESTMODSEQ 42] Highest\r\n",
            "* VANISHED (EARLIER) 3:4,9\r\n",
            "* 2 FETCH (UID 5 FLAGS (\\Seen \\Flagged) MODSEQ (40))\r\n",
            "* 7 FETCH (FLAGS () UID 11 MODSEQ (41))\r\n",
        ]);
        assert_eq!(d.exists, 12);
        assert_eq!(d.uidvalidity, Some(1764230000));
        assert_eq!(d.uidnext, Some(15));
        assert_eq!(d.modseq(), Some(42));
        assert_eq!(d.vanished, vec![3..=4, 9..=9]);
        assert_eq!(d.fetched, 2);
        assert_eq!(
            d.changed,
            vec![
                (
                    5,
                    Flags {
                        seen: true,
                        flagged: true,
                        ..Flags::default()
                    }
                ),
                (11, Flags::default())
            ]
        );
    }

    #[test]
    fn nomodseq_folders_have_no_modseq() {
        let d = fold(&[
            "* OK [HIGHESTMODSEQ 7] x\r\n",
            "* OK [NOMODSEQ] Sorry, this mailbox format doesn't support modsequences\r\n",
        ]);
        assert!(d.nomodseq);
        assert_eq!(d.modseq(), None);
    }

    #[test]
    fn a_no_change_select_fetches_nothing() {
        let d = fold(&[
            "* 3 EXISTS\r\n",
            "* OK [UIDVALIDITY 1] x\r\n",
            "* OK [HIGHESTMODSEQ 9] x\r\n",
        ]);
        assert_eq!(d.fetched, 0);
        assert!(d.vanished.is_empty() && d.changed.is_empty());
    }

    #[test]
    fn folder_changes_are_told_apart_from_chatter() {
        let change = |l: &str| is_folder_change(&Response::parse(l.as_bytes()).unwrap().1);
        assert!(change("* 4 EXISTS\r\n"));
        assert!(change("* 2 EXPUNGE\r\n"));
        assert!(change("* VANISHED 7\r\n"));
        assert!(change("* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n"));
        assert!(!change("* OK Still here\r\n"));
        assert!(!change("+ idling\r\n"));
    }

    #[test]
    fn vanished_ranges_match_only_stored_uids() {
        let local = [1, 2, 5, 8, 9, 20];
        assert_eq!(
            uids_in_ranges(&local, &[2..=8, 9..=9, 30..=u32::MAX]),
            vec![2, 5, 8, 9]
        );
        assert_eq!(uids_in_ranges(&local, &[1..=u32::MAX]), local.to_vec());
        assert!(uids_in_ranges(&[], &[1..=5]).is_empty());
    }

    #[test]
    fn folder_names_are_quoted() {
        assert_eq!(quoted("INBOX").unwrap(), "\"INBOX\"");
        assert_eq!(quoted("a\"b\\c").unwrap(), "\"a\\\"b\\\\c\"");
        assert!(quoted("a\r\nb").is_err());
    }
}
