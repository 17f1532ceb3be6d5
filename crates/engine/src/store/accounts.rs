use rusqlite::{params, OptionalExtension, Row};

use super::Store;
use crate::error::{Error, Result};
use crate::model::{Account, IncomingProtocol, NewAccount, Pop3Settings, Security, ServerSettings};

const ACCOUNT_COLUMNS: &str = "id, display_name, email, incoming_host, incoming_port, \
     incoming_security, incoming_username, smtp_host, smtp_port, smtp_security, smtp_username, \
     incoming_trusted_cert, smtp_trusted_cert, protocol, pop3_leave_on_server, \
     pop3_delete_after_days, pop3_delete_when_deleted_locally, pop3_check_minutes";

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
    let protocol: String = row.get(13)?;
    let protocol = IncomingProtocol::parse(&protocol).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            13,
            rusqlite::types::Type::Text,
            format!("unknown protocol {protocol:?}").into(),
        )
    })?;
    let pop3 = match protocol {
        IncomingProtocol::Imap => None,
        IncomingProtocol::Pop3 => Some(Pop3Settings {
            leave_on_server: row.get(14)?,
            delete_after_days: row.get(15)?,
            delete_when_deleted_locally: row.get(16)?,
            check_every_minutes: row.get(17)?,
        }),
    };
    Ok(Account {
        id: row.get(0)?,
        display_name: row.get(1)?,
        email: row.get(2)?,
        protocol,
        pop3,
        incoming: ServerSettings {
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
    /// Stores a new account (without its password) and returns it with its id. A POP3 account
    /// gets its local folders here too (Inbox, Drafts, Sent, Archive, Trash), in the same
    /// transaction.
    pub fn insert_account(&self, new: &NewAccount) -> Result<Account> {
        let NewAccount {
            display_name,
            email,
            protocol,
            incoming,
            smtp,
            ..
        } = new;
        let pop3 = match protocol {
            IncomingProtocol::Imap => None,
            IncomingProtocol::Pop3 => Some(new.pop3.clone().unwrap_or_default()),
        };
        let defaults = Pop3Settings::default();
        let p = pop3.as_ref().unwrap_or(&defaults);
        let mut conn = self.writer();
        let tx = conn
            .transaction()
            .map_err(Error::storage("saving an account"))?;
        let exists: Option<i64> = tx
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
        tx.execute(
            "INSERT INTO accounts (display_name, email, incoming_host, incoming_port,
                 incoming_security, incoming_username, smtp_host, smtp_port, smtp_security,
                 smtp_username, incoming_trusted_cert, smtp_trusted_cert, protocol,
                 pop3_leave_on_server, pop3_delete_after_days, pop3_delete_when_deleted_locally,
                 pop3_check_minutes)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            params![
                display_name,
                email,
                incoming.host,
                incoming.port,
                incoming.security.as_str(),
                incoming.username,
                smtp.host,
                smtp.port,
                smtp.security.as_str(),
                smtp.username,
                incoming.trusted_cert,
                smtp.trusted_cert,
                protocol.as_str(),
                p.leave_on_server,
                p.delete_after_days,
                p.delete_when_deleted_locally,
                p.check_every_minutes,
            ],
        )
        .map_err(Error::storage("saving an account"))?;
        let id = tx.last_insert_rowid();
        if *protocol == IncomingProtocol::Pop3 {
            super::local::create_local_folders(&tx, id)?;
        }
        tx.commit().map_err(Error::storage("saving an account"))?;
        Ok(Account {
            id,
            display_name: display_name.clone(),
            email: email.clone(),
            protocol: *protocol,
            incoming: incoming.clone(),
            smtp: smtp.clone(),
            pop3,
        })
    }

    /// Changes a POP3 account's download settings; the next check follows them.
    pub fn set_pop3_settings(&self, account_id: i64, p: &Pop3Settings) -> Result<()> {
        let changed = self
            .writer()
            .execute(
                "UPDATE accounts SET pop3_leave_on_server = ?2, pop3_delete_after_days = ?3,
                     pop3_delete_when_deleted_locally = ?4, pop3_check_minutes = ?5
                 WHERE id = ?1 AND protocol = 'pop3'",
                params![
                    account_id,
                    p.leave_on_server,
                    p.delete_after_days,
                    p.delete_when_deleted_locally,
                    p.check_every_minutes
                ],
            )
            .map_err(Error::storage("saving the download settings"))?;
        if changed == 0 {
            return Err(Error::InvalidInput(
                "Only POP3 accounts have these download settings.".into(),
            ));
        }
        Ok(())
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
