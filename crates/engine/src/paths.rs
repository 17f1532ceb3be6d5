//! Where Petrel keeps its data. The app and the `petrel` command line use the same place, so an
//! account added with one is seen by the other.

use std::path::PathBuf;

use crate::error::{Error, Result};

/// The environment variable that moves the data folder (tests, `make demo`, portable installs).
pub const DATA_DIR_ENV: &str = "PETREL_DATA_DIR";

/// The data folder: `$PETREL_DATA_DIR`, else the platform's per-user data folder
/// (`~/.local/share/petrel`, `~/Library/Application Support/org.petrel.Petrel`, `%APPDATA%\Petrel`).
pub fn data_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("org", "Petrel", "Petrel")
        .map(|d| d.data_dir().to_path_buf())
        .ok_or_else(|| {
            Error::Internal("no home folder is known for this user, so Petrel has nowhere to keep mail; set PETREL_DATA_DIR".into())
        })
}

/// The SQLite file inside a data folder.
pub fn database_path(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("petrel.sqlite3")
}
