//! One sender per data folder. Two processes may open the same data folder (the app twice, or
//! the app and the `petrel` command line); had both a sender, both could send the same outbox
//! message, and both would send again at start what the other is sending right now. So only
//! the process holding an exclusive lock on `sender.lock` in the data folder sends the outbox
//! (and recovers messages left `sending`); the others queue their messages and leave them to it.
//!
//! The lock is the operating system's advisory file lock (`flock` on Unix, `LockFileEx` on
//! Windows) through the standard library's `File::try_lock` (stable since Rust 1.89, which
//! needs no crate: fs4 and fd-lock wrap the same calls). It is released when the process ends,
//! however it ends, so a crash never leaves a stale lock. Where the file system cannot lock
//! (some network shares), every process sends, as before.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub(crate) struct SenderLock {
    path: PathBuf,
    held: Mutex<Option<File>>,
}

impl SenderLock {
    pub(crate) fn new(data_dir: &Path) -> SenderLock {
        SenderLock {
            path: data_dir.join("sender.lock"),
            held: Mutex::new(None),
        }
    }

    /// Whether this process sends the outbox: it holds the lock, or took it now.
    pub(crate) fn try_hold(&self) -> bool {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        if held.is_some() {
            return true;
        }
        let file = match OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&self.path)
        {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(
                    "{} could not be opened ({e}); sending without the one-sender lock",
                    self.path.display()
                );
                return true;
            }
        };
        match file.try_lock() {
            Ok(()) => {
                *held = Some(file);
                true
            }
            Err(TryLockError::WouldBlock) => false,
            Err(TryLockError::Error(e)) => {
                tracing::warn!(
                    "{} could not be locked ({e}); sending without the one-sender lock",
                    self.path.display()
                );
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_until_it_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let first = SenderLock::new(dir.path());
        let second = SenderLock::new(dir.path());
        assert!(first.try_hold());
        assert!(first.try_hold(), "held stays held");
        assert!(!second.try_hold());
        drop(first);
        assert!(second.try_hold(), "free once the holder is gone");
    }
}
