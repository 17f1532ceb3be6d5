//! The local mail store: one SQLite file in WAL mode, STRICT tables, migrations applied on open.
//!
//! One connection writes and one reads, each behind its own lock, so a long sync write never
//! blocks the UI's reads (WAL lets a reader see the last committed state). Statements are cached
//! per connection (`prepare_cached`). Passwords are never stored here (see `secrets`).

mod accounts;
mod drafts;
mod folders;
mod local;
mod messages;
mod operations;
mod prefetch;
mod schema;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::Connection;

use crate::error::{Error, Result};

pub use drafts::PendingDraft;
pub use folders::{FolderEntry, FolderState};
pub use local::{Downloaded, LOCAL_DELIMITER, LOCAL_FOLDERS};
pub use messages::{BodySource, NewMessage, StoredBody};
pub use operations::{FlagChange, OpKind, Operation, Touched};

pub struct Store {
    path: PathBuf,
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
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
        let reader = open_connection(path)?;
        Ok(Store {
            path: path.to_path_buf(),
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn writer(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions roll back),
        // so a poisoned lock is still safe to use.
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn reader(&self) -> MutexGuard<'_, Connection> {
        self.reader.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn open_connection(path: &Path) -> Result<Connection> {
    let ctx = || format!("opening {}", path.display());
    let conn = Connection::open(path).map_err(Error::storage(ctx()))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(Error::storage(ctx()))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;",
    )
    .map_err(Error::storage(ctx()))?;
    Ok(conn)
}

fn bool_from(v: i64) -> bool {
    v != 0
}
