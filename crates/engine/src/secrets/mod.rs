//! Passwords. They live in the operating system's keychain (macOS Keychain, Windows Credential
//! Manager, the Secret Service on Linux) and nowhere else: never in the SQLite file, never in logs.
//!
//! Where no keychain service runs (a bare Linux session), using one fails with a clear error,
//! unless the user explicitly opted into the file store with `PETREL_SECRETS=file`: a file only
//! its owner can read, in Petrel's data folder — weaker than a keychain, and said so.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, Result};

/// Set to `file` to keep passwords in a private file instead of the keychain.
pub const SECRETS_ENV: &str = "PETREL_SECRETS";
const SERVICE: &str = "org.petrel.Petrel";

#[derive(Debug)]
pub enum Secrets {
    Keychain,
    File { path: PathBuf, lock: Mutex<()> },
}

impl Secrets {
    /// The store the user chose: the keychain unless `PETREL_SECRETS=file`.
    pub fn from_env(data_dir: &Path) -> Secrets {
        match std::env::var(SECRETS_ENV).as_deref() {
            Ok("file") => Secrets::file(data_dir.join("secrets.json")),
            _ => Secrets::Keychain,
        }
    }

    pub fn file(path: PathBuf) -> Secrets {
        Secrets::File {
            path,
            lock: Mutex::new(()),
        }
    }

    fn key(account_id: i64) -> String {
        format!("account-{account_id}")
    }

    pub fn set(&self, account_id: i64, password: &str) -> Result<()> {
        match self {
            Secrets::Keychain => entry(account_id)?
                .set_password(password)
                .map_err(keychain_error),
            Secrets::File { path, lock } => {
                let _guard = lock.lock().unwrap_or_else(|p| p.into_inner());
                let mut map = read_file(path)?;
                map.insert(Self::key(account_id), password.to_string());
                write_file(path, &map)
            }
        }
    }

    pub fn get(&self, account_id: i64) -> Result<String> {
        match self {
            Secrets::Keychain => entry(account_id)?.get_password().map_err(|e| match e {
                keyring::Error::NoEntry => Error::Keychain(
                    "the password of this account is missing from the keychain; enter it again"
                        .into(),
                ),
                other => keychain_error(other),
            }),
            Secrets::File { path, lock } => {
                let _guard = lock.lock().unwrap_or_else(|p| p.into_inner());
                read_file(path)?
                    .remove(&Self::key(account_id))
                    .ok_or_else(|| {
                        Error::Keychain(
                            "the password of this account is missing from the password file; enter it again".into(),
                        )
                    })
            }
        }
    }

    pub fn delete(&self, account_id: i64) -> Result<()> {
        match self {
            Secrets::Keychain => match entry(account_id)?.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(e) => Err(keychain_error(e)),
            },
            Secrets::File { path, lock } => {
                let _guard = lock.lock().unwrap_or_else(|p| p.into_inner());
                let mut map = read_file(path)?;
                if map.remove(&Self::key(account_id)).is_some() {
                    write_file(path, &map)?;
                }
                Ok(())
            }
        }
    }
}

fn entry(account_id: i64) -> Result<keyring::Entry> {
    keyring::Entry::new(SERVICE, &Secrets::key(account_id)).map_err(keychain_error)
}

fn keychain_error(e: keyring::Error) -> Error {
    match e {
        keyring::Error::NoStorageAccess(inner) | keyring::Error::PlatformFailure(inner) => {
            Error::Keychain(format!(
                "no keychain service is available ({inner}). On Linux, start your desktop's keyring \
                 (GNOME Keyring or KWallet); or, knowing it is less safe, set PETREL_SECRETS=file \
                 to keep passwords in a private file"
            ))
        }
        other => Error::Keychain(other.to_string()),
    }
}

fn read_file(path: &Path) -> Result<BTreeMap<String, String>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            Error::Keychain(format!(
                "the password file {} is damaged: {e}",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(source) => Err(Error::Io {
            path: path.display().to_string(),
            source,
        }),
    }
}

fn write_file(path: &Path, map: &BTreeMap<String, String>) -> Result<()> {
    let io = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let bytes = serde_json::to_vec(map).map_err(|e| Error::Internal(e.to_string()))?;
    let tmp = path.with_extension("json.tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    {
        use std::io::Write;
        let mut file = options.open(&tmp).map_err(io)?;
        file.write_all(&bytes).map_err(io)?;
        file.sync_all().map_err(io)?;
    }
    std::fs::rename(&tmp, path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_store_round_trips_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let s = Secrets::file(dir.path().join("secrets.json"));
        s.set(1, "hunter2").unwrap();
        s.set(2, "other").unwrap();
        assert_eq!(s.get(1).unwrap(), "hunter2");
        s.delete(1).unwrap();
        assert!(s.get(1).is_err());
        assert_eq!(s.get(2).unwrap(), "other");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("secrets.json"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(
                mode & 0o077,
                0,
                "password file readable by others: {mode:o}"
            );
        }
    }
}
