//! The body prefetch policy of an account, and the messages it picks.

use rusqlite::{params, OptionalExtension};

use super::Store;
use crate::error::{Error, Result};
use crate::model::BodyPolicy;

impl Store {
    pub fn body_policy(&self, account_id: i64) -> Result<BodyPolicy> {
        self.reader()
            .query_row(
                "SELECT keep_all_offline, prefetch_days, max_prefetch_bytes FROM accounts
                 WHERE id = ?1",
                [account_id],
                |r| {
                    Ok(BodyPolicy {
                        keep_all_offline: r.get::<_, i64>(0)? != 0,
                        prefetch_days: r.get(1)?,
                        max_prefetch_bytes: r.get(2)?,
                    })
                },
            )
            .optional()
            .map_err(Error::storage("reading the account's download settings"))?
            .ok_or_else(|| Error::NotFound(format!("Account {account_id}")))
    }

    pub fn set_body_policy(&self, account_id: i64, policy: BodyPolicy) -> Result<()> {
        let changed = self
            .writer()
            .execute(
                "UPDATE accounts SET keep_all_offline = ?2, prefetch_days = ?3,
                        max_prefetch_bytes = ?4
                 WHERE id = ?1",
                params![
                    account_id,
                    policy.keep_all_offline as i64,
                    policy.prefetch_days,
                    policy.max_prefetch_bytes
                ],
            )
            .map_err(Error::storage("saving the account's download settings"))?;
        if changed == 0 {
            return Err(Error::NotFound(format!("Account {account_id}")));
        }
        Ok(())
    }

    /// Messages of the folder whose body is missing (or stored text-only) and whose date is at or after `since` (Unix
    /// time; `None`: any date) and size at most `max_size`, newest first: (id, uid, size).
    pub fn bodies_to_prefetch(
        &self,
        folder_id: i64,
        since: Option<i64>,
        max_size: u32,
    ) -> Result<Vec<(i64, u32, u32)>> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(
                "SELECT m.id, m.uid, m.size FROM messages m
                 WHERE m.folder_id = ?1 AND m.uid > 0
                   AND NOT EXISTS (SELECT 1 FROM bodies b INDEXED BY bodies_whole
                                   WHERE b.message_id = m.id AND b.parts IS NULL)
                   AND (?2 IS NULL OR m.date >= ?2) AND m.size <= ?3
                 ORDER BY m.date DESC, m.uid DESC",
            )
            .map_err(Error::storage("listing messages to download"))?;
        let rows = stmt
            .query_map(params![folder_id, since, max_size], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .map_err(Error::storage("listing messages to download"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(Error::storage("listing messages to download"))
    }
}
