//! Folder changes from the user: create, rename, delete, subscribe and unsubscribe.
//!
//! These run **online only**, on a connection of their own, and the store follows the server's
//! answer — they are not queued like message changes. A queued folder change would have to be
//! merged with everything queued after it (messages moved into a folder that was never created,
//! a rename racing a new mail's delivery), and the server may refuse the name; Thunderbird too
//! only half-supports them offline. Without a connection they fail at once with a plain "you
//! are offline" error and change nothing. The queued message changes are replayed first, so
//! that none of them names a folder that is about to move or go. The folder list is then read
//! again from the server and `FoldersChanged` emitted.

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::imap;
use crate::model::{EngineEvent, Folder, FolderRole};

impl Engine {
    /// Creates a folder named `name` inside `parent_id` (or at the top level). Returns it.
    pub async fn create_folder(
        &self,
        account_id: i64,
        parent_id: Option<i64>,
        name: &str,
    ) -> Result<Folder> {
        if let Some(done) = self.local_create_folder(account_id, parent_id, name)? {
            return Ok(done);
        }
        let parent = match parent_id {
            Some(id) => Some(self.folder_of(account_id, id)?),
            None => None,
        };
        let delimiter = self
            .store()
            .folder_delimiter(account_id, parent.as_ref().map(|p| p.id))?;
        let name = folder_name(name, delimiter.as_deref())?;
        // The server gets the name in modified UTF-7; people see it as typed.
        let encoded = imap::utf7::encode(name);
        let path = match (&parent, &delimiter) {
            (Some(p), Some(d)) => format!("{}{d}{encoded}", p.path),
            (Some(_), None) => {
                return Err(Error::InvalidInput(
                    "This server has no folders inside folders.".into(),
                ))
            }
            (None, _) => encoded,
        };
        if self
            .folders(account_id)?
            .iter()
            .any(|f| f.path.eq_ignore_ascii_case(&path))
        {
            return Err(Error::InvalidInput(format!(
                "There is already a folder called “{name}” there."
            )));
        }
        let what = format!("create the folder “{name}”");
        let mut conn = self.folder_connection(account_id, &what).await?;
        let outcome = async {
            refused_as(&what, conn.create_folder(&path).await)?;
            // Subscribed, like every folder Petrel shows.
            refused_as(&what, conn.set_subscribed(&path, true).await)?;
            self.sync_folder_list_on(&mut conn, account_id).await
        }
        .await;
        conn.logout().await;
        outcome?
            .into_iter()
            .find(|f| f.path == path)
            .ok_or_else(|| Error::NotFound(format!("The new folder “{path}”")))
    }

    /// Renames a folder (it stays where it is; folders inside it move along). INBOX and the
    /// special folders (Drafts, Sent, Trash, …) cannot be renamed.
    pub async fn rename_folder(&self, folder_id: i64, new_name: &str) -> Result<Folder> {
        if let Some(done) = self.local_rename_folder(folder_id, new_name)? {
            return Ok(done);
        }
        let folder = self.store().folder(folder_id)?;
        refuse_special(&folder, "renamed")?;
        let account_id = folder.account_id;
        let delimiter = self.store().folder_delimiter(account_id, Some(folder_id))?;
        let name = folder_name(new_name, delimiter.as_deref())?;
        let encoded = imap::utf7::encode(name);
        let path = match delimiter.as_deref() {
            Some(d) if !d.is_empty() => match folder.path.rsplit_once(d) {
                Some((parent, _)) => format!("{parent}{d}{encoded}"),
                None => encoded,
            },
            _ => encoded,
        };
        if path == folder.path {
            return Ok(folder);
        }
        let what = format!("rename the folder “{}” to “{name}”", folder.name);
        let mut conn = self.folder_connection(account_id, &what).await?;
        let outcome = async {
            self.replay_on(&mut conn, account_id).await?;
            refused_as(&what, conn.rename_folder(&folder.path, &path).await)?;
            // Subscriptions do not follow a rename on every server.
            let _ = conn.set_subscribed(&folder.path, false).await;
            refused_as(&what, conn.set_subscribed(&path, true).await)?;
            self.store().rename_folder(
                account_id,
                &folder.path,
                &path,
                name,
                delimiter.as_deref(),
            )?;
            self.emit(EngineEvent::FoldersChanged { account_id });
            self.sync_folder_list_on(&mut conn, account_id).await
        }
        .await;
        conn.logout().await;
        outcome?;
        self.store().folder(folder_id)
    }

    /// Deletes a folder with all its messages, on the server and here. INBOX and the special
    /// folders (Drafts, Sent, Trash, …) cannot be deleted.
    pub async fn delete_folder(&self, folder_id: i64) -> Result<()> {
        if self.local_delete_folder(folder_id)?.is_some() {
            return Ok(());
        }
        let folder = self.store().folder(folder_id)?;
        refuse_special(&folder, "deleted")?;
        let account_id = folder.account_id;
        let what = format!("delete the folder “{}”", folder.name);
        let mut conn = self.folder_connection(account_id, &what).await?;
        let outcome = async {
            self.replay_on(&mut conn, account_id).await?;
            refused_as(&what, conn.delete_folder(&folder.path).await)?;
            let _ = conn.set_subscribed(&folder.path, false).await;
            self.sync_folder_list_on(&mut conn, account_id).await
        }
        .await;
        conn.logout().await;
        outcome.map(|_| ())
    }

    /// Subscribes to (`true`) or unsubscribes from (`false`) a folder on the server.
    pub async fn set_folder_subscribed(&self, folder_id: i64, subscribed: bool) -> Result<()> {
        if self.local_subscribe(folder_id, subscribed)?.is_some() {
            return Ok(());
        }
        let folder = self.store().folder(folder_id)?;
        let what = format!(
            "{} the folder “{}”",
            if subscribed {
                "subscribe to"
            } else {
                "unsubscribe from"
            },
            folder.name
        );
        let mut conn = self.folder_connection(folder.account_id, &what).await?;
        let outcome = refused_as(&what, conn.set_subscribed(&folder.path, subscribed).await);
        conn.logout().await;
        outcome?;
        self.store().set_folder_subscribed(folder_id, subscribed)?;
        self.emit(EngineEvent::FoldersChanged {
            account_id: folder.account_id,
        });
        Ok(())
    }

    fn folder_of(&self, account_id: i64, folder_id: i64) -> Result<Folder> {
        let folder = self.store().folder(folder_id)?;
        if folder.account_id != account_id {
            return Err(Error::InvalidInput(
                "That folder belongs to another account.".into(),
            ));
        }
        Ok(folder)
    }

    /// A connection for a folder change; unreachable servers become [`Error::Offline`].
    async fn folder_connection(&self, account_id: i64, what: &str) -> Result<imap::Connection> {
        self.connect_imap(account_id).await.map_err(|e| match e {
            Error::HostNotFound { .. }
            | Error::ConnectionRefused { .. }
            | Error::Network { .. }
            | Error::Timeout { .. } => Error::Offline {
                what: what.to_string(),
                detail: e.to_string(),
            },
            other => other,
        })
    }
}

/// A server's refusal (NO/BAD) of a folder command, in the user's words.
fn refused_as<T>(what: &str, r: Result<T>) -> Result<T> {
    r.map_err(|e| match e {
        Error::Protocol { server, detail } => Error::ChangeRefused {
            server,
            what: what.to_string(),
            detail,
        },
        other => other,
    })
}

fn refuse_special(folder: &Folder, done: &str) -> Result<()> {
    match folder.role {
        Some(FolderRole::Inbox) => Err(Error::InvalidInput(format!(
            "The INBOX cannot be {done}: new mail arrives there."
        ))),
        Some(role) => Err(Error::InvalidInput(format!(
            "“{}” is the account's {} folder, so it cannot be {done}.",
            folder.name,
            role.as_str()
        ))),
        None => Ok(()),
    }
}

/// A folder name as typed, checked: not empty, no hierarchy delimiter, no control characters.
/// Any other letters are fine: the server gets them in modified UTF-7 (`imap::utf7`).
fn folder_name<'a>(name: &'a str, delimiter: Option<&str>) -> Result<&'a str> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::InvalidInput("Enter a name for the folder.".into()));
    }
    if let Some(d) = delimiter.filter(|d| !d.is_empty()) {
        if name.contains(d) {
            return Err(Error::InvalidInput(format!(
                "A folder name cannot contain “{d}” on this server."
            )));
        }
    }
    if name.chars().any(char::is_control) {
        return Err(Error::InvalidInput(
            "A folder name cannot contain tabs, line breaks or other control characters.".into(),
        ));
    }
    if name.eq_ignore_ascii_case("INBOX") {
        return Err(Error::InvalidInput("“INBOX” is taken by the INBOX.".into()));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::folder_name;

    #[test]
    fn folder_names_are_checked() {
        assert_eq!(folder_name("  Projects ", Some(".")).ok(), Some("Projects"));
        assert!(folder_name("", Some(".")).is_err());
        assert!(folder_name("a.b", Some(".")).is_err());
        assert_eq!(folder_name("a.b", Some("/")).ok(), Some("a.b"));
        assert_eq!(folder_name("Entwürfe", None).ok(), Some("Entwürfe"));
        assert_eq!(folder_name("R&D", None).ok(), Some("R&D"));
        assert_eq!(folder_name(" 日本語", Some("/")).ok(), Some("日本語"));
        assert!(folder_name("a\tb", None).is_err());
        assert!(folder_name("a\u{85}b", None).is_err());
        assert!(folder_name("inbox", None).is_err());
    }
}
