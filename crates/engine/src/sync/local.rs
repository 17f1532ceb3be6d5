//! Folder changes for accounts whose folders are local (POP3): done in the store at once,
//! nothing to tell a server. Each returns `None` for an IMAP account, whose changes go to the
//! server (`folders.rs`).

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::{EngineEvent, Folder};

impl Engine {
    fn local_folder(&self, folder_id: i64) -> Result<Option<Folder>> {
        let folder = self.store().folder(folder_id)?;
        Ok(self
            .store()
            .is_local_account(folder.account_id)?
            .then_some(folder))
    }

    pub(super) fn local_create_folder(
        &self,
        account_id: i64,
        parent_id: Option<i64>,
        name: &str,
    ) -> Result<Option<Folder>> {
        if !self.store().is_local_account(account_id)? {
            return Ok(None);
        }
        let parent = match parent_id {
            Some(id) => {
                let p = self.store().folder(id)?;
                if p.account_id != account_id {
                    return Err(Error::InvalidInput(
                        "That folder belongs to another account.".into(),
                    ));
                }
                Some(p.path)
            }
            None => None,
        };
        let id = self
            .store()
            .create_local_folder(account_id, parent.as_deref(), name)?;
        self.emit(EngineEvent::FoldersChanged { account_id });
        self.store().folder(id).map(Some)
    }

    pub(super) fn local_rename_folder(
        &self,
        folder_id: i64,
        new_name: &str,
    ) -> Result<Option<Folder>> {
        let Some(folder) = self.local_folder(folder_id)? else {
            return Ok(None);
        };
        self.store().rename_local_folder(folder_id, new_name)?;
        self.emit(EngineEvent::FoldersChanged {
            account_id: folder.account_id,
        });
        self.store().folder(folder_id).map(Some)
    }

    pub(super) fn local_delete_folder(&self, folder_id: i64) -> Result<Option<()>> {
        let Some(folder) = self.local_folder(folder_id)? else {
            return Ok(None);
        };
        self.store().delete_local_folder(folder_id)?;
        self.emit(EngineEvent::FoldersChanged {
            account_id: folder.account_id,
        });
        Ok(Some(()))
    }

    /// Local folders are always "subscribed": there is no server list to hide them from.
    pub(super) fn local_subscribe(&self, folder_id: i64, subscribed: bool) -> Result<Option<()>> {
        if self.local_folder(folder_id)?.is_none() {
            return Ok(None);
        }
        if !subscribed {
            return Err(Error::InvalidInput(
                "Folders on this computer are always shown; there is nothing to unsubscribe from."
                    .into(),
            ));
        }
        Ok(Some(()))
    }
}
