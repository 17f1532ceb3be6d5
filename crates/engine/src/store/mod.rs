//! The local mail store: one SQLite file in WAL mode, STRICT tables, migrations applied on open.
//!
//! One connection writes and one reads, each behind its own lock, so a long sync write never
//! blocks the UI's reads (WAL lets a reader see the last committed state). Statements are cached
//! per connection (`prepare_cached`). Passwords are never stored here (see `secrets`).
//!
//! Checkpoints (copying the WAL back into the database file, with an `fsync` of each) run on a
//! thread of their own ([`Checkpointer`]), never in a writer's commit: SQLite's default runs one
//! in the commit that takes the WAL past 4 MB, and storing the bodies of a large mailbox then
//! waited on the disk for most of its time. `synchronous = NORMAL` keeps what it promises: a
//! commit survives the application crashing at once, and the database stays consistent if the
//! system loses power (the last commits before the next checkpoint may then be lost: they are
//! downloaded again).
//!
//! Bodies are large blobs, stored in long chains of overflow pages, and every byte goes through
//! the WAL: once written there, once copied into the database file. Two settings keep it at that:
//! - A new database uses 64 KB pages ([`PAGE_SIZE`], SQLite's largest): a sixteenth of the WAL
//!   frames (two `pwrite`s each), checkpoint copies and page reads of 4 KB pages, at about the
//!   same file size (the benchmark's 220 MB of mail). Against 16 KB pages it took the benchmark's
//!   time to store every body from 1.66 to 1.56 × the raw fetch (medians of 9 rounds), mostly
//!   system time. Small writes (a flag) now rewrite 64 KB pages in the WAL: nothing a person can
//!   notice. An existing database keeps its page size (changing it would need a VACUUM).
//! - The writer's page cache holds [`WRITER_CACHE_BYTES`] (SQLite's default is 2 MB), so that a
//!   bulk transaction never spills pages into the WAL before its commit: a page spilled and then
//!   changed again in the same transaction is overwritten in the WAL, and the commit then reads
//!   back every frame written since to redo their checksums: with one transaction per ~4 MB of
//!   bodies, that read the whole download back from the WAL (230 MB for 220 MB of mail).

mod accounts;
mod contacts;
mod drafts;
mod folders;
mod identities;
mod local;
mod messages;
mod notify;
mod operations;
mod outbox;
mod prefetch;
mod schema;
mod staged;

use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::Connection;

use crate::error::{Error, Result};

pub use drafts::PendingDraft;
pub use folders::{FolderEntry, FolderState};
pub use local::{Downloaded, LOCAL_DELIMITER, LOCAL_FOLDERS};
pub use messages::{BodySource, NewMessage, StoredBody};
pub use operations::{FlagChange, OpKind, Operation, Touched};
pub use outbox::{now_ms, NewOutgoing, Outgoing, SentCopy, TakeBack};

/// How many messages [`Store::collect_contacts`] reads per transaction.
pub const CONTACT_BATCH: u32 = 1000;

pub struct Store {
    path: PathBuf,
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
    checkpointer: Checkpointer,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| Error::Io {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let mut writer = open_connection(path)?;
        schema::migrate(&mut writer)?;
        // Checkpoints are the checkpointer's job, and a bulk transaction stays in the writer's
        // cache until its commit (see the module's documentation).
        writer
            .execute_batch(&format!(
                "PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -{};",
                WRITER_CACHE_BYTES >> 10
            ))
            .map_err(Error::storage(format!("opening {}", path.display())))?;
        let reader = open_connection(path)?;
        let checkpointer = Checkpointer::start(path)?;
        Ok(Store {
            path: path.to_path_buf(),
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            checkpointer,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The writer connection; when it is given back, the checkpointer is told that the WAL may
    /// have grown.
    fn writer(&self) -> Writer<'_> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions roll back),
        // so a poisoned lock is still safe to use.
        Writer {
            conn: self.writer.lock().unwrap_or_else(|p| p.into_inner()),
            written: &self.checkpointer,
        }
    }

    /// Copies everything committed so far into the database file and empties the WAL, waiting
    /// for readers if it must (tests and tools use it to see the files settle).
    pub fn checkpoint_now(&self) -> Result<()> {
        checkpoint(&self.writer(), "TRUNCATE")
            .map(|_| ())
            .map_err(Error::storage("writing the database file"))
    }

    fn reader(&self) -> MutexGuard<'_, Connection> {
        self.reader.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The writer connection, locked; tells the checkpointer when it is given back.
struct Writer<'a> {
    conn: MutexGuard<'a, Connection>,
    written: &'a Checkpointer,
}

impl Deref for Writer<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl DerefMut for Writer<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

impl Drop for Writer<'_> {
    fn drop(&mut self) {
        if self.written.restart.swap(false, Ordering::AcqRel) {
            // Here, between two transactions of the one writer: any other connection taking the
            // write lock would make a transaction that read first fail to write (SQLITE_BUSY,
            // without waiting).
            if let Err(e) = checkpoint(&self.conn, "RESTART") {
                tracing::warn!("database checkpoint: {e}");
            }
        }
        self.written.written();
    }
}

/// Checkpoints the WAL on a thread of its own, through a third connection, so that no writer
/// waits for the disk: while the WAL file holds [`CHECKPOINT_WAL_BYTES`] or more (at most every
/// [`CHECKPOINT_EVERY`]), and after [`CHECKPOINT_IDLE`] without writes (so that quiet times leave
/// a short WAL and a durable database). Checkpoints are PASSIVE: they never block the writer or
/// the reader (one that finishes the copy runs in the writer once the WAL reaches
/// [`WAL_RESTART_BYTES`]).
struct Checkpointer {
    wake: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Set by the thread when the WAL reached [`WAL_RESTART_BYTES`]: the writer then runs a
    /// RESTART checkpoint when it is next given back.
    restart: Arc<AtomicBool>,
}

/// The page size of a new database (see the module's documentation).
const PAGE_SIZE: u32 = 64 << 10;
/// The writer's page cache (see the module's documentation): a bulk store of bodies (~4 MB of
/// mail, its text and its rows) stays well below; a larger transaction still spills, so memory
/// stays bounded. (A larger spill threshold with the default cache instead, `cache_spill`, had
/// the reader read the same pages over and over after the sync, ≈ 2.5 GB in the benchmark.)
const WRITER_CACHE_BYTES: i64 = 32 << 20;
/// The WAL size at which a checkpoint starts without waiting for a quiet moment.
const CHECKPOINT_WAL_BYTES: u64 = 32 << 20;
/// The WAL size (in frames written since it last started over) at which the writer runs a
/// checkpoint to the end itself, so that the WAL starts over: a long download never lets it do so by
/// itself, and the WAL would grow by everything downloaded.
const WAL_RESTART_BYTES: i64 = 128 << 20;
/// While writes go on, at most one checkpoint per this time.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);
/// How long after the last write a checkpoint runs.
const CHECKPOINT_IDLE: Duration = Duration::from_millis(500);

impl Checkpointer {
    fn start(path: &Path) -> Result<Checkpointer> {
        let conn = open_connection(path)?;
        let wal = PathBuf::from(format!("{}-wal", path.display()));
        let (wake, woken) = mpsc::channel::<()>();
        let restart = Arc::new(AtomicBool::new(false));
        let ask_restart = restart.clone();
        let thread = std::thread::Builder::new()
            .name("petrel-checkpoint".into())
            .spawn(move || checkpoint_loop(&conn, &wal, &woken, &ask_restart))
            .map_err(|e| Error::Internal(format!("starting the database checkpointer: {e}")))?;
        Ok(Checkpointer {
            wake: Some(wake),
            thread: Some(thread),
            restart,
        })
    }

    fn written(&self) {
        if let Some(wake) = &self.wake {
            // The thread only stops when the store is dropped.
            let _ = wake.send(());
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.wake = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Runs a checkpoint in `mode`: (frames in the WAL, frames copied into the database file).
fn checkpoint(conn: &Connection, mode: &str) -> rusqlite::Result<(i64, i64)> {
    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| {
        Ok((r.get(1)?, r.get(2)?))
    })
}

fn checkpoint_loop(
    conn: &Connection,
    wal: &Path,
    woken: &mpsc::Receiver<()>,
    restart: &AtomicBool,
) {
    let page_size: i64 = conn
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .unwrap_or(4096);
    let mut dirty = false;
    let mut last_run = std::time::Instant::now();
    loop {
        let idle = if dirty {
            match woken.recv_timeout(CHECKPOINT_IDLE) {
                Ok(()) => false,
                Err(mpsc::RecvTimeoutError::Timeout) => true,
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        } else {
            match woken.recv() {
                Ok(()) => false,
                Err(mpsc::RecvError) => return,
            }
        };
        dirty = true;
        while woken.try_recv().is_ok() {}
        // (After the WAL started over its file keeps its size: hence the clock too.)
        let big = std::fs::metadata(wal).is_ok_and(|m| m.len() >= CHECKPOINT_WAL_BYTES)
            && last_run.elapsed() >= CHECKPOINT_EVERY;
        if idle || big {
            last_run = std::time::Instant::now();
            match checkpoint(conn, "PASSIVE") {
                Ok((frames, copied)) => {
                    dirty = copied < frames;
                    // While writes go on, the WAL starts over only if a write begins at a
                    // moment it is wholly copied: past the limit, the writer makes that moment
                    // (it waits for the rest of the copy, which the passive runs kept short).
                    if frames.saturating_mul(page_size) >= WAL_RESTART_BYTES {
                        restart.store(true, Ordering::Release);
                    }
                }
                Err(e) => tracing::warn!("database checkpoint: {e}"),
            }
            if idle && dirty {
                // A reader held back part of the WAL: try again after the next quiet spell.
                std::thread::sleep(CHECKPOINT_IDLE);
            }
        }
    }
}

fn open_connection(path: &Path) -> Result<Connection> {
    let ctx = || format!("opening {}", path.display());
    let conn = Connection::open(path).map_err(Error::storage(ctx()))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(Error::storage(ctx()))?;
    // Only takes effect on a new database (see the module's documentation).
    conn.execute_batch(&format!("PRAGMA page_size = {PAGE_SIZE};"))
        .map_err(Error::storage(ctx()))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA journal_size_limit = 67108864;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;",
    )
    .map_err(Error::storage(ctx()))?;
    Ok(conn)
}

fn bool_from(v: i64) -> bool {
    v != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checkpointer_moves_commits_into_the_database_file_once_quiet() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("petrel.sqlite3");
        let store = Store::open(&path).expect("store");
        let size = || std::fs::metadata(&path).map_or(0, |m| m.len());
        let before = size();
        store
            .writer()
            .execute_batch(
                "CREATE TABLE filler (b BLOB NOT NULL);
                 BEGIN;
                 INSERT INTO filler VALUES (zeroblob(1048576));
                 INSERT INTO filler VALUES (zeroblob(1048576));
                 INSERT INTO filler VALUES (zeroblob(1048576));
                 INSERT INTO filler VALUES (zeroblob(1048576));
                 COMMIT;",
            )
            .expect("write");
        // Committed, in the WAL: the commit did not wait for a checkpoint.
        assert!(size() < before + (4 << 20), "checkpointed in the commit");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while size() < before + (4 << 20) {
            assert!(
                std::time::Instant::now() < deadline,
                "no checkpoint after a quiet spell"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let rows: i64 = store
            .reader()
            .query_row("SELECT count(*) FROM filler", [], |r| r.get(0))
            .expect("read");
        assert_eq!(rows, 4);
        drop(store);
        // Reopened: everything is there.
        let store = Store::open(&path).expect("store");
        let rows: i64 = store
            .reader()
            .query_row("SELECT count(*) FROM filler", [], |r| r.get(0))
            .expect("read");
        assert_eq!(rows, 4);
    }

    #[test]
    fn a_new_database_has_large_pages_and_an_existing_one_keeps_its_own() {
        let dir = tempfile::tempdir().expect("temp dir");
        let page_size = |store: &Store| -> i64 {
            store
                .reader()
                .query_row("PRAGMA page_size", [], |r| r.get(0))
                .expect("page size")
        };
        let new = dir.path().join("new.sqlite3");
        let store = Store::open(&new).expect("store");
        assert_eq!(page_size(&store), i64::from(PAGE_SIZE));
        drop(store);
        assert_eq!(
            page_size(&Store::open(&new).expect("reopened")),
            i64::from(PAGE_SIZE)
        );

        // A database made before: 4 KB pages, in WAL mode, with data.
        let old = dir.path().join("old.sqlite3");
        {
            let conn = Connection::open(&old).expect("old database");
            conn.execute_batch(
                "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL;
                 CREATE TABLE kept (v TEXT NOT NULL); INSERT INTO kept VALUES ('here');",
            )
            .expect("old schema");
        }
        let store = Store::open(&old).expect("store");
        assert_eq!(page_size(&store), 4096);
        let kept: String = store
            .reader()
            .query_row("SELECT v FROM kept", [], |r| r.get(0))
            .expect("read");
        assert_eq!(kept, "here");
    }

    #[test]
    fn a_bulk_transaction_stays_in_memory_until_its_commit() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("petrel.sqlite3");
        let store = Store::open(&path).expect("store");
        let wal = || std::fs::metadata(format!("{}-wal", path.display())).map_or(0, |m| m.len());
        let mut writer = store.writer();
        writer
            .execute_batch("CREATE TABLE filler (n INTEGER PRIMARY KEY, b BLOB NOT NULL);")
            .expect("schema");
        let before = wal();
        // 16 MB, eight times the default page cache, with each row's table page changed again
        // after the blobs that followed it.
        let tx = writer.transaction().expect("transaction");
        for n in 0..256 {
            tx.execute(
                "INSERT INTO filler VALUES (?1, zeroblob(65536))",
                rusqlite::params![n],
            )
            .expect("insert");
            tx.execute("UPDATE filler SET n = n WHERE n = 0", [])
                .expect("update");
        }
        assert!(
            wal() < before + (1 << 20),
            "pages spilled into the WAL before the commit"
        );
        tx.commit().expect("commit");
        assert!(wal() >= before + (16 << 20), "the commit wrote the WAL");
    }
}
