//! Identities: who the user sends as (`model::Identity`). Each account's default identity is made
//! with the account and follows its name and address (triggers of migration 14); others are the
//! user's aliases on the same account.

use rusqlite::{params, OptionalExtension, Row};

use super::Store;
use crate::error::{Error, Result};
use crate::model::Identity;

const COLUMNS: &str = "id, account_id, name, email, signature, rich_text, is_default";

fn identity_from_row(row: &Row<'_>) -> rusqlite::Result<Identity> {
    Ok(Identity {
        id: row.get(0)?,
        account_id: row.get(1)?,
        name: row.get(2)?,
        email: row.get(3)?,
        signature: row.get(4)?,
        rich_text: row.get(5)?,
        is_default: row.get(6)?,
    })
}

impl Store {
    /// The identities of an account, its default first.
    pub fn identities(&self, account_id: i64) -> Result<Vec<Identity>> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM identities WHERE account_id = ?1
                 ORDER BY is_default DESC, id"
            ))
            .map_err(Error::storage("listing the account's identities"))?;
        let rows = stmt
            .query_map([account_id], identity_from_row)
            .map_err(Error::storage("listing the account's identities"))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(Error::storage("listing the account's identities"))
    }

    /// The identity a message of `account_id` is sent as: `identity_id`, or the default one.
    pub fn sending_identity(&self, account_id: i64, identity_id: Option<i64>) -> Result<Identity> {
        let conn = self.reader();
        let found = match identity_id {
            Some(id) => conn.query_row(
                &format!("SELECT {COLUMNS} FROM identities WHERE id = ?1 AND account_id = ?2"),
                params![id, account_id],
                identity_from_row,
            ),
            None => conn.query_row(
                &format!(
                    "SELECT {COLUMNS} FROM identities WHERE account_id = ?1 AND is_default = 1"
                ),
                [account_id],
                identity_from_row,
            ),
        };
        found
            .optional()
            .map_err(Error::storage("reading the sender's identity"))?
            .ok_or_else(|| Error::NotFound("The identity to send as".into()))
    }

    /// Adds an identity (never a default one) to its account; returns it with its id.
    pub fn add_identity(&self, identity: &Identity) -> Result<Identity> {
        let conn = self.writer();
        conn.execute(
            "INSERT INTO identities (account_id, name, email, signature, rich_text, is_default)
             VALUES (?1, ?2, ?3, ?4, ?5, 0)",
            params![
                identity.account_id,
                identity.name,
                identity.email,
                identity.signature,
                identity.rich_text
            ],
        )
        .map_err(Error::storage("adding an identity"))?;
        Ok(Identity {
            id: conn.last_insert_rowid(),
            is_default: false,
            ..identity.clone()
        })
    }

    /// Saves an identity's name, address, signature and format. The default identity's address
    /// is the account's own and stays; its name is the account's display name.
    pub fn update_identity(&self, identity: &Identity) -> Result<()> {
        let conn = self.writer();
        let tx = conn
            .unchecked_transaction()
            .map_err(Error::storage("saving an identity"))?;
        let is_default: bool = tx
            .query_row(
                "SELECT is_default FROM identities WHERE id = ?1 AND account_id = ?2",
                params![identity.id, identity.account_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(Error::storage("saving an identity"))?
            .ok_or_else(|| Error::NotFound("The identity".into()))?;
        tx.execute(
            "UPDATE identities SET name = ?2, signature = ?3, rich_text = ?4,
                 email = CASE WHEN is_default = 1 THEN email ELSE ?5 END
             WHERE id = ?1",
            params![
                identity.id,
                identity.name,
                identity.signature,
                identity.rich_text,
                identity.email
            ],
        )
        .map_err(Error::storage("saving an identity"))?;
        if is_default {
            tx.execute(
                "UPDATE accounts SET display_name = ?2 WHERE id = ?1",
                params![identity.account_id, identity.name],
            )
            .map_err(Error::storage("saving an identity"))?;
        }
        tx.commit().map_err(Error::storage("saving an identity"))
    }

    /// Deletes an identity; the default one cannot be (it is the account's own address).
    pub fn delete_identity(&self, identity_id: i64) -> Result<()> {
        let conn = self.writer();
        let is_default: Option<bool> = conn
            .query_row(
                "SELECT is_default FROM identities WHERE id = ?1",
                [identity_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(Error::storage("deleting an identity"))?;
        match is_default {
            None => Err(Error::NotFound("The identity".into())),
            Some(true) => Err(Error::InvalidInput(
                "The account's own address cannot be removed; remove the account instead.".into(),
            )),
            Some(false) => conn
                .execute("DELETE FROM identities WHERE id = ?1", [identity_id])
                .map(|_| ())
                .map_err(Error::storage("deleting an identity")),
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::model::{IncomingProtocol, NewAccount, Security, ServerSettings};

    /// A store in a fresh folder with one IMAP account (`name`, `email`): the folder (keep it),
    /// the store and the account's id. The store's other tests use it too.
    pub(in crate::store) fn store_with_account(
        name: &str,
        email: &str,
    ) -> (tempfile::TempDir, Store, i64) {
        let server = ServerSettings {
            host: "mail.example.org".into(),
            port: 993,
            security: Security::Tls,
            username: email.into(),
            trusted_cert: None,
        };
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("petrel.sqlite3")).unwrap();
        let account = store
            .insert_account(&NewAccount {
                display_name: name.into(),
                email: email.into(),
                password: String::new(),
                protocol: IncomingProtocol::Imap,
                incoming: server.clone(),
                smtp: server,
                pop3: None,
            })
            .unwrap();
        (dir, store, account.id)
    }

    #[test]
    fn each_account_has_a_default_identity_that_follows_it() {
        let (_dir, store, account) = store_with_account("Ann", "ann@example.org");
        let default = store.sending_identity(account, None).unwrap();
        assert_eq!(
            (default.name.as_str(), default.email.as_str()),
            ("Ann", "ann@example.org")
        );
        assert!(default.is_default && default.rich_text && default.signature.is_empty());

        let alias = store
            .add_identity(&Identity {
                id: 0,
                account_id: account,
                name: "Ann (club)".into(),
                email: "secretary@club.example".into(),
                signature: "Ann, for the club".into(),
                rich_text: false,
                is_default: true, // ignored: there is one default
            })
            .unwrap();
        assert!(!alias.is_default);
        assert_eq!(
            store.sending_identity(account, Some(alias.id)).unwrap(),
            alias
        );
        assert_eq!(store.identities(account).unwrap().len(), 2);
        // Another account's identity is not this one's.
        assert!(store.sending_identity(account + 1, Some(alias.id)).is_err());

        // The default identity's name is the account's; its address stays the account's.
        store
            .update_identity(&Identity {
                name: "Ann Example".into(),
                email: "other@example.org".into(),
                signature: "-- nope".into(),
                ..default.clone()
            })
            .unwrap();
        let default = store.sending_identity(account, None).unwrap();
        assert_eq!(default.email, "ann@example.org");
        assert_eq!(default.signature, "-- nope");
        assert_eq!(store.account(account).unwrap().display_name, "Ann Example");

        assert!(matches!(
            store.delete_identity(default.id),
            Err(Error::InvalidInput(_))
        ));
        store.delete_identity(alias.id).unwrap();
        assert_eq!(store.identities(account).unwrap(), vec![default]);
    }
}
