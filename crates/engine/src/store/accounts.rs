use rusqlite::{params, OptionalExtension, Row};

use super::Store;
use crate::error::{Error, Result};
use crate::model::{Account, Security, ServerSettings};

const ACCOUNT_COLUMNS: &str = "id, display_name, email, imap_host, imap_port, imap_security, \
     imap_username, smtp_host, smtp_port, smtp_security, smtp_username, imap_trusted_cert, \
     smtp_trusted_cert";

fn security(row: &Row<'_>, idx: usize) -> rusqlite::Result<Security> {
    let s: String = row.get(idx)?;
    Security::parse(&s).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            idx,
            rusqlite::types::Type::Text,
            format!("unknown security {s:?}").into(),
        )
    })
}

fn account_from_row(row: &Row<'_>) -> rusqlite::Result<Account> {
    Ok(Account {
        id: row.get(0)?,
        display_name: row.get(1)?,
        email: row.get(2)?,
        imap: ServerSettings {
            host: row.get(3)?,
            port: row.get(4)?,
            security: security(row, 5)?,
            username: row.get(6)?,
            trusted_cert: row.get(11)?,
        },
        smtp: ServerSettings {
            host: row.get(7)?,
            port: row.get(8)?,
            security: security(row, 9)?,
            username: row.get(10)?,
            trusted_cert: row.get(12)?,
        },
    })
}

impl Store {
    /// Stores a new account (without its password) and returns it with its id.
    pub fn insert_account(
        &self,
        display_name: &str,
        email: &str,
        imap: &ServerSettings,
        smtp: &ServerSettings,
    ) -> Result<Account> {
        let conn = self.writer();
        let exists: Option<i64> = conn
            .query_row(
                "SELECT id FROM accounts WHERE email = ?1 COLLATE NOCASE",
                [email],
                |r| r.get(0),
            )
            .optional()
            .map_err(Error::storage("looking up an account"))?;
        if exists.is_some() {
            return Err(Error::InvalidInput(format!(
                "An account for {email} already exists."
            )));
        }
        conn.execute(
            "INSERT INTO accounts (display_name, email, imap_host, imap_port, imap_security,
                 imap_username, smtp_host, smtp_port, smtp_security, smtp_username,
                 imap_trusted_cert, smtp_trusted_cert)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                display_name,
                email,
                imap.host,
                imap.port,
                imap.security.as_str(),
                imap.username,
                smtp.host,
                smtp.port,
                smtp.security.as_str(),
                smtp.username,
                imap.trusted_cert,
                smtp.trusted_cert
            ],
        )
        .map_err(Error::storage("saving an account"))?;
        let id = conn.last_insert_rowid();
        Ok(Account {
            id,
            display_name: display_name.to_string(),
            email: email.to_string(),
            imap: imap.clone(),
            smtp: smtp.clone(),
        })
    }

    pub fn delete_account(&self, id: i64) -> Result<()> {
        self.writer()
            .execute("DELETE FROM accounts WHERE id = ?1", [id])
            .map_err(Error::storage("deleting an account"))?;
        Ok(())
    }

    pub fn accounts(&self) -> Result<Vec<Account>> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY id"
            ))
            .map_err(Error::storage("listing accounts"))?;
        let rows = stmt
            .query_map([], account_from_row)
            .map_err(Error::storage("listing accounts"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(Error::storage("listing accounts"))
    }

    pub fn account(&self, id: i64) -> Result<Account> {
        let conn = self.reader();
        conn.query_row(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ?1"),
            [id],
            account_from_row,
        )
        .optional()
        .map_err(Error::storage("reading an account"))?
        .ok_or_else(|| Error::NotFound(format!("Account {id}")))
    }
}
