//! Syncing one folder's message list into the store: headers first, newest first, in chunks that
//! are each committed (and so visible) at once; then new mail, flag changes and removals on later
//! runs. Bodies are fetched separately (`Connection::fetch_bodies`), except that a first listing
//! for "keep all mail offline" can stop after its newest chunk ([`PendingListing`]) so that the
//! engine lists the rest from the whole messages, in one pass (`Engine::sync_folder_on`).

use futures::StreamExt;

use super::responses::uids_in_ranges;
use super::{imap_error, next_within, within, Connection};
use crate::error::Result;
use crate::mime::{self, Flags};
use crate::store::{FolderState, NewMessage, Store};

/// The header fields the message list needs.
pub const HEADER_FIELDS: &str =
    "FROM TO CC REPLY-TO SUBJECT DATE MESSAGE-ID IN-REPLY-TO REFERENCES CONTENT-TYPE";

/// The first chunk is small so the newest mail shows at once; later chunks are larger.
const FIRST_CHUNK: u32 = 500;
const CHUNK: u32 = 2000;

/// How a folder was brought up to date.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum SyncMode {
    /// Listed from scratch: first sync, or after a UIDVALIDITY change.
    #[default]
    Initial,
    /// QRESYNC: the SELECT itself told what changed (flags, VANISHED); new mail by UID.
    Qresync,
    /// CONDSTORE: flags changed since the stored modification sequence, removals found by
    /// comparing counts; new mail by UID.
    Condstore,
    /// No modification sequences: the flags of every stored message, new mail by UID.
    Full,
}

/// What a folder sync did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FolderSync {
    /// Ids of messages stored for the first time in this run.
    pub new_ids: Vec<i64>,
    /// True when the folder had nothing stored before (first sync, or after a UIDVALIDITY reset).
    pub initial: bool,
    pub flags_changed: usize,
    pub removed: usize,
    pub mode: SyncMode,
    /// FETCH responses received (headers or flags): none when nothing changed and the server
    /// has QRESYNC or CONDSTORE.
    pub fetched: usize,
    /// The folder's UIDVALIDITY changed, so it was listed again from scratch.
    pub uidvalidity_reset: bool,
    /// Downloaded bodies matched back to their message by Message-ID after such a reset.
    pub bodies_kept: usize,
    /// Set when the first listing stopped after its newest chunk, as asked
    /// ([`Connection::sync_folder_with`]): the caller lists the rest and then calls
    /// [`PendingListing::finish`]; until then the folder's sync state is not stored, so a cut
    /// resumes (the next sync lists whatever is missing).
    pub pending: Option<PendingListing>,
    /// Bodies stored with the list (the one-pass listing of "keep all mail offline").
    pub bodies: usize,
}

/// The part of a first listing left to the caller: every message with a UID below `below`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingListing {
    pub below: u32,
    /// Messages listed so far and in the folder (for progress).
    pub done: u32,
    pub exists: u32,
    uidnext: Option<u32>,
    modseq: Option<u64>,
}

impl PendingListing {
    /// Stores the folder's sync state once the rest is listed: from now on the folder is synced
    /// incrementally.
    pub fn finish(&self, store: &Store, folder_id: i64) -> Result<usize> {
        let kept = store.reattach_bodies(folder_id)?;
        store.set_sync_state(folder_id, self.uidnext, self.modseq)?;
        Ok(kept)
    }
}

impl FolderSync {
    pub fn changed(&self) -> bool {
        !self.new_ids.is_empty() || self.flags_changed > 0 || self.removed > 0
    }
}

type FlagRow = (u32, bool, bool, bool, bool);

fn flag_row(uid: u32, f: Flags) -> FlagRow {
    (uid, f.seen, f.flagged, f.answered, f.draft)
}

fn list_query() -> String {
    format!("(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS ({HEADER_FIELDS})])")
}

pub(super) fn flags_of(f: &async_imap::types::Fetch) -> Flags {
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
    /// `progress(done, total)` is called after every committed chunk of a first sync.
    ///
    /// With QRESYNC and a stored HIGHESTMODSEQ a folder where nothing changed costs one SELECT;
    /// with CONDSTORE alone one SELECT and at most a flag fetch and a UID SEARCH; without either
    /// every stored message's flags are fetched. A changed UIDVALIDITY starts the folder over,
    /// keeping downloaded bodies that match by Message-ID.
    pub async fn sync_folder(
        &mut self,
        store: &Store,
        folder: &FolderState,
        progress: impl FnMut(u32, u32),
    ) -> Result<FolderSync> {
        self.sync_folder_with(store, folder, false, progress).await
    }

    /// [`Connection::sync_folder`]; with `stop_after_first_chunk`, a folder listed from scratch
    /// (not after a UIDVALIDITY change) stops after its newest chunk and says what is left in
    /// [`FolderSync::pending`].
    pub async fn sync_folder_with(
        &mut self,
        store: &Store,
        folder: &FolderState,
        stop_after_first_chunk: bool,
        mut progress: impl FnMut(u32, u32),
    ) -> Result<FolderSync> {
        // This sync will see whatever changed so far.
        while self.session.unsolicited_responses.try_recv().is_ok() {}
        self.changed_meanwhile = false;
        let local = store.uids(folder.id)?;
        let resumable = match (folder.uidvalidity, folder.highestmodseq) {
            (Some(v), Some(m)) if self.qresync && !local.is_empty() => Some((v, m)),
            _ => None,
        };
        let sel = match resumable {
            Some((v, m)) => self.select_qresync(&folder.path, v, m, &local).await?,
            None => self.select_plain(&folder.path).await?,
        };
        let mut out = FolderSync {
            fetched: sel.fetched,
            ..FolderSync::default()
        };
        let local = match sel.uidvalidity {
            Some(v) if store.set_uidvalidity(folder.id, v)? => {
                out.uidvalidity_reset = true;
                Vec::new()
            }
            _ => local,
        };
        out.initial = local.is_empty();
        let max_local = local.last().copied().unwrap_or(0);
        // A first listing that was cut short (its end state was never stored): list what is older
        // than the oldest stored message, newest first, then look for changes as usual.
        if let (false, None) = (local.is_empty(), folder.uidnext) {
            out.initial = true;
            self.resume_listing(
                store,
                folder.id,
                &local,
                sel.exists,
                &mut out,
                &mut progress,
            )
            .await?;
        }
        if local.is_empty() {
            out.mode = SyncMode::Initial;
            // Newest first, by sequence number, in growing chunks.
            let exists = sel.exists;
            let mut top = exists;
            let mut done = 0;
            let mut chunk = FIRST_CHUNK;
            while top > 0 {
                let bottom = top.saturating_sub(chunk - 1).max(1);
                let (batch, fetched) = self.fetch_list(&format!("{bottom}:{top}"), false).await?;
                out.fetched += fetched;
                done += batch.len() as u32;
                out.new_ids
                    .extend(store.insert_messages(folder.id, &batch)?);
                progress(done, exists);
                top = bottom - 1;
                chunk = CHUNK;
                let oldest = batch.iter().map(|m| m.uid).min();
                if let (true, false, true, Some(below)) = (
                    stop_after_first_chunk,
                    out.uidvalidity_reset,
                    top > 0,
                    oldest,
                ) {
                    out.pending = Some(PendingListing {
                        below,
                        done,
                        exists,
                        uidnext: sel.uidnext,
                        modseq: sel.modseq(),
                    });
                    return Ok(out);
                }
            }
        } else if sel.exists == 0 {
            out.mode = if resumable.is_some() {
                SyncMode::Qresync
            } else {
                SyncMode::Full
            };
            out.removed = store.remove_uids(folder.id, &local)?;
        } else if resumable.is_some() && sel.modseq().is_some() {
            out.mode = SyncMode::Qresync;
            let rows: Vec<FlagRow> = sel.changed.iter().map(|(u, f)| flag_row(*u, *f)).collect();
            out.flags_changed = store.update_flags(folder.id, &rows)?;
            out.removed = store.remove_uids(folder.id, &uids_in_ranges(&local, &sel.vanished))?;
            self.fetch_new(store, folder.id, max_local, sel.uidnext, &mut out)
                .await?;
        } else if let (true, Some(since), Some(now)) =
            (self.condstore, folder.highestmodseq, sel.modseq())
        {
            out.mode = SyncMode::Condstore;
            if now != since {
                let rows = self
                    .fetch_flags(
                        &format!("1:{max_local}"),
                        &format!("(UID FLAGS) (CHANGEDSINCE {since})"),
                        &mut out,
                    )
                    .await?;
                out.flags_changed = store.update_flags(folder.id, &rows)?;
            }
            self.fetch_new(store, folder.id, max_local, sel.uidnext, &mut out)
                .await?;
            // Expunges do not always raise the modification sequence: compare counts.
            if store.message_count(folder.id)? != sel.exists {
                let host = self.host.clone();
                let on_server =
                    within(&host, self.session.uid_search(format!("UID 1:{max_local}")))
                        .await?
                        .map_err(|e| imap_error(&host, e))?;
                self.confirm_complete().await?;
                let gone: Vec<u32> = local
                    .iter()
                    .copied()
                    .filter(|u| !on_server.contains(u))
                    .collect();
                out.removed = store.remove_uids(folder.id, &gone)?;
            }
        } else {
            out.mode = SyncMode::Full;
            self.fetch_new(store, folder.id, max_local, sel.uidnext, &mut out)
                .await?;
            // Flags and removals of what we have.
            let rows = self
                .fetch_flags(&format!("1:{max_local}"), "(UID FLAGS)", &mut out)
                .await?;
            out.flags_changed = store.update_flags(folder.id, &rows)?;
            let on_server: std::collections::HashSet<u32> = rows.iter().map(|f| f.0).collect();
            let gone: Vec<u32> = local
                .iter()
                .copied()
                .filter(|u| !on_server.contains(u))
                .collect();
            out.removed = store.remove_uids(folder.id, &gone)?;
            progress(sel.exists, sel.exists);
        }
        out.bodies_kept = store.reattach_bodies(folder.id)?;
        store.set_sync_state(folder.id, sel.uidnext, sel.modseq())?;
        Ok(out)
    }

    /// Lists the messages below the newest stored one (`local`, ascending) that are not stored:
    /// a first listing cut short left out the older ones (it goes newest first), and, when it
    /// listed from whole messages (whose FETCH answers come oldest first within a command), part
    /// of a command's range too. Newest first in chunks, each committed at once.
    async fn resume_listing(
        &mut self,
        store: &Store,
        folder_id: i64,
        local: &[u32],
        exists: u32,
        out: &mut FolderSync,
        progress: &mut impl FnMut(u32, u32),
    ) -> Result<()> {
        let Some(&newest) = local.last() else {
            return Ok(());
        };
        let host = self.host.clone();
        let found = within(&host, self.session.uid_search(format!("UID 1:{newest}")))
            .await?
            .map_err(|e| imap_error(&host, e))?;
        self.confirm_complete().await?;
        let mut missing: Vec<u32> = found
            .into_iter()
            .filter(|u| *u < newest && local.binary_search(u).is_err())
            .collect();
        missing.sort_unstable_by(|a, b| b.cmp(a));
        let mut done = store.message_count(folder_id)?;
        for chunk in missing.chunks(CHUNK as usize) {
            let (batch, fetched) = self.fetch_list(&super::uid_set(chunk), true).await?;
            out.fetched += fetched;
            out.new_ids
                .extend(store.insert_messages(folder_id, &batch)?);
            done += batch.len() as u32;
            progress(done.min(exists), exists);
        }
        Ok(())
    }

    /// (UID, RFC822.SIZE) of every message with a UID below `below`, ascending: what a
    /// [`PendingListing`] leaves to list, and how large each message is.
    pub async fn sizes_below(&mut self, below: u32) -> Result<Vec<(u32, u32)>> {
        if below <= 1 {
            return Ok(Vec::new());
        }
        let host = self.host.clone();
        let err = |e| imap_error(&host, e);
        let mut out = Vec::new();
        {
            let mut stream = within(
                &host,
                self.session
                    .uid_fetch(format!("1:{}", below - 1), "(UID RFC822.SIZE)"),
            )
            .await?
            .map_err(err)?;
            while let Some(f) = next_within(&host, &mut stream).await? {
                let f = f.map_err(err)?;
                if let (Some(uid), Some(size)) = (f.uid, f.size) {
                    // `N:M` matches the highest message even when its UID is outside.
                    if uid < below {
                        out.push((uid, size));
                    }
                }
            }
        }
        self.confirm_complete().await?;
        out.sort_unstable();
        Ok(out)
    }

    /// Lists (headers only) the messages with these UIDs into the store, in chunks committed one
    /// by one, newest first. Returns the ids of the new rows and how many FETCH responses came.
    pub async fn list_uids(
        &mut self,
        store: &Store,
        folder_id: i64,
        uids: &[u32],
    ) -> Result<(Vec<i64>, usize)> {
        let mut uids = uids.to_vec();
        uids.sort_unstable_by(|a, b| b.cmp(a));
        let (mut ids, mut fetched) = (Vec::new(), 0);
        for chunk in uids.chunks(CHUNK as usize) {
            let (batch, n) = self.fetch_list(&super::uid_set(chunk), true).await?;
            fetched += n;
            ids.extend(store.insert_messages(folder_id, &batch)?);
        }
        Ok((ids, fetched))
    }

    /// New mail: everything above the highest UID we know (skipped when UIDNEXT says there is
    /// none).
    async fn fetch_new(
        &mut self,
        store: &Store,
        folder_id: i64,
        max_local: u32,
        uidnext: Option<u32>,
        out: &mut FolderSync,
    ) -> Result<()> {
        let first = max_local.saturating_add(1);
        if uidnext.is_some_and(|next| next <= first) {
            return Ok(());
        }
        let (batch, fetched) = self.fetch_list(&format!("{first}:*"), true).await?;
        out.fetched += fetched;
        // `N:*` always matches the highest message, even when its UID is below N.
        let fresh: Vec<NewMessage> = batch.into_iter().filter(|m| m.uid > max_local).collect();
        out.new_ids
            .extend(store.insert_messages(folder_id, &fresh)?);
        Ok(())
    }

    async fn fetch_flags(
        &mut self,
        set: &str,
        query: &str,
        out: &mut FolderSync,
    ) -> Result<Vec<FlagRow>> {
        let host = self.host.clone();
        let err = |e| imap_error(&host, e);
        let mut rows = Vec::new();
        {
            let mut stream = within(&host, self.session.uid_fetch(set, query))
                .await?
                .map_err(err)?;
            while let Some(f) = next_within(&host, &mut stream).await? {
                let f = f.map_err(err)?;
                out.fetched += 1;
                if let Some(uid) = f.uid {
                    rows.push(flag_row(uid, flags_of(&f)));
                }
            }
        }
        // A missing row means "expunged" to the caller: the list must be complete.
        self.confirm_complete().await?;
        Ok(rows)
    }

    /// List data of the messages in `set`, and how many FETCH responses came.
    async fn fetch_list(&mut self, set: &str, by_uid: bool) -> Result<(Vec<NewMessage>, usize)> {
        let host = self.host.clone();
        let err = |e| imap_error(&host, e);
        let query = list_query();
        let mut out = Vec::new();
        let mut fetched = 0;
        {
            let mut stream = if by_uid {
                within(&host, self.session.uid_fetch(set, &query))
                    .await?
                    .map_err(err)?
                    .boxed()
            } else {
                within(&host, self.session.fetch(set, &query))
                    .await?
                    .map_err(err)?
                    .boxed()
            };
            while let Some(f) = next_within(&host, &mut stream).await? {
                let f = f.map_err(err)?;
                fetched += 1;
                if let Some(m) = to_new_message(&f) {
                    out.push(m);
                }
            }
        }
        // Committing a cut-short chunk would leave a gap that nothing fills later.
        self.confirm_complete().await?;
        Ok((out, fetched))
    }
}
