//! Syncing one folder's message list into the store: headers first, newest first, in chunks that
//! are each committed (and so visible) at once; then new mail, flag changes and removals on later
//! runs. Bodies are fetched separately (`Connection::fetch_bodies`).

use futures::StreamExt;

use super::{imap_error, Connection};
use crate::error::Result;
use crate::mime::{self, Flags};
use crate::store::{FolderState, NewMessage, Store};

/// The header fields the message list needs.
pub const HEADER_FIELDS: &str =
    "FROM TO CC REPLY-TO SUBJECT DATE MESSAGE-ID IN-REPLY-TO REFERENCES CONTENT-TYPE";

/// The first chunk is small so the newest mail shows at once; later chunks are larger.
const FIRST_CHUNK: u32 = 500;
const CHUNK: u32 = 2000;

/// What a folder sync did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FolderSync {
    /// Ids of messages stored for the first time in this run.
    pub new_ids: Vec<i64>,
    /// True when the folder had nothing stored before (first sync, or after a UIDVALIDITY reset).
    pub initial: bool,
    pub flags_changed: usize,
    pub removed: usize,
}

impl FolderSync {
    pub fn changed(&self) -> bool {
        !self.new_ids.is_empty() || self.flags_changed > 0 || self.removed > 0
    }
}

fn list_query() -> String {
    format!("(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS ({HEADER_FIELDS})])")
}

fn flags_of(f: &async_imap::types::Fetch) -> Flags {
    use async_imap::types::Flag;
    let mut flags = Flags::default();
    for flag in f.flags() {
        match flag {
            Flag::Seen => flags.seen = true,
            Flag::Flagged => flags.flagged = true,
            Flag::Answered => flags.answered = true,
            Flag::Draft => flags.draft = true,
            _ => {}
        }
    }
    flags
}

fn to_new_message(f: &async_imap::types::Fetch) -> Option<NewMessage> {
    let uid = f.uid?;
    let internal = f.internal_date().map(|d| d.timestamp()).unwrap_or(0);
    Some(mime::parse_headers(
        uid,
        f.header().unwrap_or_default(),
        flags_of(f),
        internal,
        f.size.unwrap_or(0),
    ))
}

impl Connection {
    /// Brings the store's copy of one folder's list up to date with the server.
    /// `progress(done, total)` is called after every committed chunk.
    pub async fn sync_folder(
        &mut self,
        store: &Store,
        folder: &FolderState,
        mut progress: impl FnMut(u32, u32),
    ) -> Result<FolderSync> {
        let host = self.host.clone();
        let err = |e| imap_error(&host, e);
        while self.session.unsolicited_responses.try_recv().is_ok() {}
        let mailbox = self.session.select(&folder.path).await.map_err(err)?;
        if let Some(v) = mailbox.uid_validity {
            store.set_uidvalidity(folder.id, v)?;
        }
        let local = store.uids(folder.id)?;
        let mut out = FolderSync {
            initial: local.is_empty(),
            ..FolderSync::default()
        };
        let exists = mailbox.exists;
        if exists == 0 {
            out.removed = store.remove_uids(folder.id, &local)?;
        } else if local.is_empty() {
            // Newest first, by sequence number, in growing chunks.
            let mut top = exists;
            let mut done = 0;
            let mut chunk = FIRST_CHUNK;
            while top > 0 {
                let bottom = top.saturating_sub(chunk - 1).max(1);
                let batch = self.fetch_list(&format!("{bottom}:{top}"), false).await?;
                done += batch.len() as u32;
                out.new_ids
                    .extend(store.insert_messages(folder.id, &batch)?);
                progress(done, exists);
                top = bottom - 1;
                chunk = CHUNK;
            }
        } else {
            let max_local = local.last().copied().unwrap_or(0);
            // New mail: everything above the highest UID we know.
            let fresh: Vec<NewMessage> = self
                .fetch_list(&format!("{}:*", max_local + 1), true)
                .await?
                .into_iter()
                .filter(|m| m.uid > max_local)
                .collect();
            out.new_ids = store.insert_messages(folder.id, &fresh)?;
            // Flags and removals of what we have.
            let mut server_flags = Vec::with_capacity(local.len());
            {
                let mut stream = self
                    .session
                    .uid_fetch(format!("1:{max_local}"), "(UID FLAGS)")
                    .await
                    .map_err(err)?;
                while let Some(f) = stream.next().await {
                    let f = f.map_err(err)?;
                    if let Some(uid) = f.uid {
                        let fl = flags_of(&f);
                        server_flags.push((uid, fl.seen, fl.flagged, fl.answered, fl.draft));
                    }
                }
            }
            out.flags_changed = store.update_flags(folder.id, &server_flags)?;
            let on_server: std::collections::HashSet<u32> =
                server_flags.iter().map(|f| f.0).collect();
            let gone: Vec<u32> = local
                .iter()
                .copied()
                .filter(|u| !on_server.contains(u))
                .collect();
            out.removed = store.remove_uids(folder.id, &gone)?;
            progress(exists, exists);
        }
        if let Some(next) = mailbox.uid_next {
            store.set_uidnext(folder.id, next)?;
        }
        Ok(out)
    }

    async fn fetch_list(&mut self, set: &str, by_uid: bool) -> Result<Vec<NewMessage>> {
        let host = self.host.clone();
        let err = |e| imap_error(&host, e);
        let query = list_query();
        let mut out = Vec::new();
        let mut stream = if by_uid {
            self.session
                .uid_fetch(set, &query)
                .await
                .map_err(err)?
                .boxed()
        } else {
            self.session.fetch(set, &query).await.map_err(err)?.boxed()
        };
        while let Some(f) = stream.next().await {
            let f = f.map_err(err)?;
            if let Some(m) = to_new_message(&f) {
                out.push(m);
            }
        }
        Ok(out)
    }
}
