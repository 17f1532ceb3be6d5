//! Notification settings (per account, per folder) and the app's own settings.

use rusqlite::{params, OptionalExtension};

use super::Store;
use crate::error::{Error, Result};
use crate::model::{AppSettings, NotificationSettings};

const APP_SETTINGS_KEY: &str = "app";

impl Store {
    pub fn notification_settings(&self, account_id: i64) -> Result<NotificationSettings> {
        let conn = self.reader();
        let ctx = "reading the account's notification settings";
        let (enabled, show_preview, sound) = conn
            .query_row(
                "SELECT notify, notify_preview, notify_sound FROM accounts WHERE id = ?1",
                [account_id],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)? != 0,
                        r.get::<_, i64>(1)? != 0,
                        r.get::<_, i64>(2)? != 0,
                    ))
                },
            )
            .optional()
            .map_err(Error::storage(ctx))?
            .ok_or_else(|| Error::NotFound(format!("Account {account_id}")))?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT id FROM folders WHERE account_id = ?1 AND notify = 0 ORDER BY id",
            )
            .map_err(Error::storage(ctx))?;
        let muted_folders = stmt
            .query_map([account_id], |r| r.get(0))
            .map_err(Error::storage(ctx))?
            .collect::<rusqlite::Result<Vec<i64>>>()
            .map_err(Error::storage(ctx))?;
        Ok(NotificationSettings {
            enabled,
            show_preview,
            sound,
            muted_folders,
        })
    }

    /// Saves the settings; `muted_folders` replaces the account's muted folders (ids of other
    /// accounts' folders are ignored).
    pub fn set_notification_settings(
        &self,
        account_id: i64,
        settings: &NotificationSettings,
    ) -> Result<()> {
        let ctx = "saving the account's notification settings";
        let mut conn = self.writer();
        let tx = conn.transaction().map_err(Error::storage(ctx))?;
        let changed = tx
            .execute(
                "UPDATE accounts SET notify = ?2, notify_preview = ?3, notify_sound = ?4
                 WHERE id = ?1",
                params![
                    account_id,
                    settings.enabled as i64,
                    settings.show_preview as i64,
                    settings.sound as i64
                ],
            )
            .map_err(Error::storage(ctx))?;
        if changed == 0 {
            return Err(Error::NotFound(format!("Account {account_id}")));
        }
        tx.execute(
            "UPDATE folders SET notify = 1 WHERE account_id = ?1",
            [account_id],
        )
        .map_err(Error::storage(ctx))?;
        for folder_id in &settings.muted_folders {
            tx.execute(
                "UPDATE folders SET notify = 0 WHERE account_id = ?1 AND id = ?2",
                [account_id, *folder_id],
            )
            .map_err(Error::storage(ctx))?;
        }
        tx.commit().map_err(Error::storage(ctx))
    }

    pub fn app_settings(&self) -> Result<AppSettings> {
        let value: Option<String> = self
            .reader()
            .query_row(
                "SELECT value FROM app_settings WHERE key = ?1",
                [APP_SETTINGS_KEY],
                |r| r.get(0),
            )
            .optional()
            .map_err(Error::storage("reading the app's settings"))?;
        // Settings saved by another version that no longer read back fall back to the defaults.
        Ok(value
            .and_then(|v| serde_json::from_str(&v).ok())
            .unwrap_or_default())
    }

    pub fn set_app_settings(&self, settings: &AppSettings) -> Result<()> {
        let value = serde_json::to_string(settings)
            .map_err(|e| Error::Internal(format!("writing the app's settings: {e}")))?;
        self.writer()
            .execute(
                "INSERT INTO app_settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![APP_SETTINGS_KEY, value],
            )
            .map_err(Error::storage("saving the app's settings"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{AppSettings, NotificationSettings};
    use crate::store::Store;

    #[test]
    fn app_settings_default_and_round_trip() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(&dir.path().join("petrel.sqlite")).expect("store");
        assert_eq!(store.app_settings().expect("read"), AppSettings::default());
        let s = AppSettings {
            close_to_tray: !AppSettings::default().close_to_tray,
        };
        store.set_app_settings(&s).expect("save");
        assert_eq!(store.app_settings().expect("read"), s);
        assert!(store.notification_settings(99).is_err());
        assert!(store
            .set_notification_settings(99, &NotificationSettings::default())
            .is_err());
    }
}
