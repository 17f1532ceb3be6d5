//! IDLE (RFC 2177) on the selected folder, with our own clock: async-imap's IDLE cannot tell a
//! closed connection from an interrupt, so the command is run raw (see `responses`).

use std::time::Duration;

use tokio::time::Instant;

use super::responses::is_folder_change;
use super::Connection;
use crate::error::{Error, Result};

/// Why an IDLE ended (it is always ended with DONE and its tagged OK before returning).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdleOutcome {
    /// The folder changed (new mail, flags, expunges): sync it.
    Changed,
    /// The server said nothing for the quiet limit: probe the connection (NOOP) before idling on.
    Quiet,
    /// The IDLE ran its full length: issue it again (servers drop IDLEs older than 29 minutes).
    Expired,
}

impl Connection {
    /// Idles on the selected folder until it changes, until nothing at all was heard for
    /// `quiet` (the caller should then check the connection is alive), or for `restart` at most.
    /// The server must answer IDLE's end (DONE) within `answer`. A dead or closed connection is
    /// an error.
    pub async fn idle(
        &mut self,
        restart: Duration,
        quiet: Duration,
        answer: Duration,
    ) -> Result<IdleOutcome> {
        if !self.has_capability("IDLE") {
            return Err(Error::Protocol {
                server: format!("The incoming server {}", self.host),
                detail: "it does not offer IDLE".into(),
            });
        }
        let tag = self.send("IDLE").await?;
        let mut changed = false;
        // Until the continuation: changes may be reported at once.
        enum Step {
            Go,
            Continue,
            Refused(String),
            Bye,
        }
        loop {
            use async_imap::imap_proto::{Response, Status};
            let step = self
                .read_with(answer, "IDLE", |r| match r {
                    Response::Continue { .. } => Step::Continue,
                    Response::Done {
                        tag: t, outcome, ..
                    } if *t == tag => Step::Refused(
                        outcome
                            .information
                            .as_deref()
                            .unwrap_or_default()
                            .to_string(),
                    ),
                    Response::Data {
                        status: Status::Bye,
                        ..
                    } => Step::Bye,
                    other => {
                        changed |= is_folder_change(other);
                        Step::Go
                    }
                })
                .await?;
            match step {
                Step::Go => {}
                Step::Continue => break,
                Step::Bye => return Err(self.closed()),
                Step::Refused(detail) => {
                    return Err(Error::Protocol {
                        server: format!("The incoming server {}", self.host),
                        detail: format!("IDLE was refused: {detail}"),
                    })
                }
            }
        }
        let end = Instant::now() + restart;
        let outcome = if changed {
            IdleOutcome::Changed
        } else {
            loop {
                let now = Instant::now();
                if now >= end {
                    break IdleOutcome::Expired;
                }
                let wait = quiet.min(end - now);
                let response = match tokio::time::timeout(wait, self.session.read_response()).await
                {
                    Err(_) if wait < quiet => break IdleOutcome::Expired,
                    Err(_) => break IdleOutcome::Quiet,
                    Ok(Err(source)) => {
                        return Err(Error::Network {
                            host: self.host.clone(),
                            port: 0,
                            source,
                        })
                    }
                    Ok(Ok(None)) => return Err(self.closed()),
                    Ok(Ok(Some(r))) => r,
                };
                use async_imap::imap_proto::{Response, Status};
                match response.parsed() {
                    Response::Data {
                        status: Status::Bye,
                        ..
                    } => return Err(self.closed()),
                    other if is_folder_change(other) => break IdleOutcome::Changed,
                    // "* OK Still here" and the like: the connection is alive.
                    _ => {}
                }
            }
        };
        let host = self.host.clone();
        tokio::time::timeout(answer, self.session.run_command_untagged("DONE"))
            .await
            .map_err(|_| Error::Timeout {
                what: format!("Ending IDLE on {host}"),
            })?
            .map_err(|e| super::imap_error(&host, e))?;
        // A change reported between our DONE and its OK is not reported again: keep it.
        let mut late_change = false;
        self.finish(&tag, "IDLE", answer, |r| late_change |= is_folder_change(r))
            .await?;
        Ok(if late_change {
            IdleOutcome::Changed
        } else {
            outcome
        })
    }

    /// True if the selected folder changed while other commands ran: async-imap queues what it
    /// did not ask for (EXISTS, EXPUNGE, VANISHED, FETCH), and the server never repeats it.
    pub fn take_pending_changes(&mut self) -> bool {
        use async_imap::types::UnsolicitedResponse as U;
        let mut changed = std::mem::take(&mut self.changed_meanwhile);
        while let Ok(r) = self.session.unsolicited_responses.try_recv() {
            changed |= match r {
                U::Exists(_) | U::Expunge(_) | U::Recent(_) => true,
                U::Other(data) => is_folder_change(data.parsed()),
                _ => false,
            };
        }
        changed
    }

    /// Proves that a response stream which just ended was ended by its command's completion and
    /// not by the server closing the connection: async-imap ends a FETCH or SEARCH quietly at a
    /// clean end of stream, which would otherwise pass for a complete (truncated) answer.
    pub(crate) async fn confirm_complete(&mut self) -> Result<()> {
        let changed = self.noop(super::RESPONSE_TIMEOUT).await?;
        self.changed_meanwhile |= changed;
        Ok(())
    }

    /// NOOP with a time limit `wait`: proves the connection is alive (and lets the server report
    /// pending changes). True if the selected folder changed.
    pub async fn noop(&mut self, wait: Duration) -> Result<bool> {
        let tag = self.send("NOOP").await?;
        let mut changed = false;
        self.finish(&tag, "NOOP", wait, |r| changed |= is_folder_change(r))
            .await?;
        Ok(changed)
    }
}
