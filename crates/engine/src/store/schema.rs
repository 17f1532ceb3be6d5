//! The schema, as an append-only list of migrations. Never edit a released migration: add one.

use rusqlite::Connection;
use rusqlite_migration::{Migrations, M};

use crate::error::{Error, Result};

const MIGRATIONS: &[&str] = &[
    // 1: accounts, folders, messages, bodies.
    "CREATE TABLE accounts (
        id            INTEGER PRIMARY KEY,
        display_name  TEXT NOT NULL,
        email         TEXT NOT NULL UNIQUE,
        imap_host     TEXT NOT NULL,
        imap_port     INTEGER NOT NULL,
        imap_security TEXT NOT NULL CHECK (imap_security IN ('tls', 'starttls', 'plain')),
        imap_username TEXT NOT NULL,
        smtp_host     TEXT NOT NULL,
        smtp_port     INTEGER NOT NULL,
        smtp_security TEXT NOT NULL CHECK (smtp_security IN ('tls', 'starttls', 'plain')),
        smtp_username TEXT NOT NULL,
        created_at    INTEGER NOT NULL DEFAULT (unixepoch())
    ) STRICT;

    CREATE TABLE folders (
        id            INTEGER PRIMARY KEY,
        account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        path          TEXT NOT NULL,
        name          TEXT NOT NULL,
        delimiter     TEXT,
        role          TEXT,
        selectable    INTEGER NOT NULL DEFAULT 1,
        uidvalidity   INTEGER,
        uidnext       INTEGER,
        highestmodseq INTEGER,
        UNIQUE (account_id, path)
    ) STRICT;

    CREATE TABLE messages (
        id              INTEGER PRIMARY KEY,
        folder_id       INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
        uid             INTEGER NOT NULL,
        message_id      TEXT,
        in_reply_to     TEXT,
        refs            TEXT NOT NULL DEFAULT '',
        subject         TEXT NOT NULL DEFAULT '',
        from_name       TEXT,
        from_email      TEXT,
        to_json         TEXT NOT NULL DEFAULT '[]',
        cc_json         TEXT NOT NULL DEFAULT '[]',
        reply_to_json   TEXT NOT NULL DEFAULT '[]',
        date            INTEGER NOT NULL,
        size            INTEGER NOT NULL DEFAULT 0,
        seen            INTEGER NOT NULL DEFAULT 0,
        flagged         INTEGER NOT NULL DEFAULT 0,
        answered        INTEGER NOT NULL DEFAULT 0,
        draft           INTEGER NOT NULL DEFAULT 0,
        has_attachments INTEGER NOT NULL DEFAULT 0,
        snippet         TEXT NOT NULL DEFAULT '',
        UNIQUE (folder_id, uid)
    ) STRICT;
    CREATE INDEX messages_by_folder_date ON messages (folder_id, date DESC, id DESC);
    CREATE INDEX messages_by_message_id ON messages (message_id);

    CREATE TABLE bodies (
        message_id  INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
        raw         BLOB NOT NULL,
        text        TEXT NOT NULL,
        attachments TEXT NOT NULL DEFAULT '[]'
    ) STRICT;",
    // 2: certificates the user chose to trust, per server (SHA-256 fingerprints).
    "ALTER TABLE accounts ADD COLUMN imap_trusted_cert TEXT;
    ALTER TABLE accounts ADD COLUMN smtp_trusted_cert TEXT;",
    // 3: bodies set aside when a folder's UIDVALIDITY changed, matched back by Message-ID once
    // the folder is listed again, so a reset does not throw away downloaded mail.
    "CREATE TABLE stale_bodies (
        folder_id       INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
        message_id      TEXT NOT NULL,
        raw             BLOB NOT NULL,
        text            TEXT NOT NULL,
        attachments     TEXT NOT NULL,
        snippet         TEXT NOT NULL,
        has_attachments INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX stale_bodies_by_message_id ON stale_bodies (folder_id, message_id);",
    // 4: the operation queue: changes the user made, already applied to the store, waiting to be
    // replayed on the server in order (`sync::replay`). Messages moved or copied locally wait in
    // their target folder with a negative UID (a placeholder) until the server's UID is known.
    "CREATE TABLE operations (
        id          INTEGER PRIMARY KEY,
        account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        kind        TEXT NOT NULL CHECK (kind IN ('flags', 'move', 'copy', 'expunge', 'empty')),
        message     INTEGER REFERENCES messages(id) ON DELETE SET NULL,
        folder_id   INTEGER NOT NULL,
        folder      TEXT NOT NULL,
        uid         INTEGER,
        target_id   INTEGER,
        target      TEXT,
        placeholder INTEGER REFERENCES messages(id) ON DELETE SET NULL,
        seen        INTEGER,
        flagged     INTEGER,
        answered    INTEGER,
        attempts    INTEGER NOT NULL DEFAULT 0,
        created_at  INTEGER NOT NULL DEFAULT (unixepoch())
    ) STRICT;
    CREATE INDEX operations_by_account ON operations (account_id, id);
    CREATE INDEX operations_by_message ON operations (message);
    CREATE INDEX operations_by_placeholder ON operations (placeholder);",
    // 5: the UIDVALIDITY an operation's UID belongs to: after a change the UID means another
    // message (or none), so the operation is dropped instead of touching the wrong one.
    "ALTER TABLE operations ADD COLUMN uidvalidity INTEGER;",
    // 6: drafts saved by the composer, stored here first and uploaded to the Drafts folder by the
    // replayer. Every save bumps `revision`; `uploaded` is the revision the server has, as
    // `server_uid` in the folder `folder_id` (UIDVALIDITY `uidvalidity`). The Message-ID stays
    // the same for every save of a draft: old copies on the server are found by it.
    "CREATE TABLE drafts (
        id          INTEGER PRIMARY KEY,
        account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        message_id  TEXT NOT NULL,
        raw         BLOB NOT NULL,
        revision    INTEGER NOT NULL DEFAULT 1,
        uploaded    INTEGER NOT NULL DEFAULT 0,
        folder_id   INTEGER,
        uidvalidity INTEGER,
        server_uid  INTEGER,
        saved_at    INTEGER NOT NULL DEFAULT (unixepoch())
    ) STRICT;
    CREATE INDEX drafts_by_account ON drafts (account_id, id);",
    // 7: which bodies the background sync downloads ahead (`model::BodyPolicy`): those of the
    // last `prefetch_days` days, or all of them, never those above `max_prefetch_bytes`.
    "ALTER TABLE accounts ADD COLUMN keep_all_offline INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE accounts ADD COLUMN prefetch_days INTEGER NOT NULL DEFAULT 30;
    ALTER TABLE accounts ADD COLUMN max_prefetch_bytes INTEGER NOT NULL DEFAULT 5242880;",
    // 8: whether the user subscribed to the folder on the server (LSUB).
    "ALTER TABLE folders ADD COLUMN subscribed INTEGER NOT NULL DEFAULT 1;",
    // 9: a discarded draft waits here until its copies on the server are deleted.
    "ALTER TABLE drafts ADD COLUMN discarded INTEGER NOT NULL DEFAULT 0;",
    // 10: POP3 accounts. The incoming server is IMAP or POP3 (`protocol`); a POP3 account's
    // folders are local (no UIDVALIDITY) and its download settings are here. `pop3_uidls` is
    // what was downloaded, by the server's UIDL, committed in the same transaction as the
    // message: a message is never downloaded twice, and never deleted from the server before it
    // is stored here. `message` is NULL once the message was deleted here for ever.
    "ALTER TABLE accounts RENAME COLUMN imap_host TO incoming_host;
    ALTER TABLE accounts RENAME COLUMN imap_port TO incoming_port;
    ALTER TABLE accounts RENAME COLUMN imap_security TO incoming_security;
    ALTER TABLE accounts RENAME COLUMN imap_username TO incoming_username;
    ALTER TABLE accounts RENAME COLUMN imap_trusted_cert TO incoming_trusted_cert;
    ALTER TABLE accounts ADD COLUMN protocol TEXT NOT NULL DEFAULT 'imap'
        CHECK (protocol IN ('imap', 'pop3'));
    ALTER TABLE accounts ADD COLUMN pop3_leave_on_server INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE accounts ADD COLUMN pop3_delete_after_days INTEGER;
    ALTER TABLE accounts ADD COLUMN pop3_delete_when_deleted_locally INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE accounts ADD COLUMN pop3_check_minutes INTEGER NOT NULL DEFAULT 10;
    ALTER TABLE accounts ADD COLUMN pop3_last_check INTEGER;
    CREATE TABLE pop3_uidls (
        account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        uidl          TEXT NOT NULL,
        message       INTEGER REFERENCES messages(id) ON DELETE SET NULL,
        downloaded_at INTEGER NOT NULL DEFAULT (unixepoch()),
        PRIMARY KEY (account_id, uidl)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX pop3_uidls_by_message ON pop3_uidls (message);",
    // 11: bodies stored text-only (large messages opened: `mime::parts`). NULL: `raw` is the
    // whole message. Otherwise `raw` is only the message's header, `text` the shown part, and
    // `parts` (JSON, `mime::parts::RemotePart`, in the order of `attachments`) says where each
    // attachment is on the server; anything that needs the whole message must fetch it.
    "ALTER TABLE bodies ADD COLUMN parts TEXT;
    ALTER TABLE stale_bodies ADD COLUMN parts TEXT;",
    // 12: the outbox. A message the user sent is stored here, fully built (`raw`, with its
    // Message-ID and Date, and the SMTP envelope), before anything is tried; it leaves only once
    // a server accepted it and its Sent copy is filed. `state`: queued (waiting for `next_attempt`;
    // before `send_after` the user may still take it back), sending (handed to the server right
    // now; found so at start it is sent again: at least once), failed (refused for good, `reason`
    // says why; waits for the user), sent (accepted; the Sent copy is still to be filed). Times
    // in milliseconds since the Unix epoch. `draft` is the composer's fields (JSON), for undo.
    "CREATE TABLE outbox (
        id            INTEGER PRIMARY KEY,
        account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        message_id    TEXT NOT NULL,
        raw           BLOB NOT NULL,
        envelope_from TEXT NOT NULL,
        envelope_to   TEXT NOT NULL,
        draft         TEXT NOT NULL,
        subject       TEXT NOT NULL,
        state         TEXT NOT NULL DEFAULT 'queued'
            CHECK (state IN ('queued', 'sending', 'failed', 'sent')),
        attempts      INTEGER NOT NULL DEFAULT 0,
        send_after    INTEGER NOT NULL,
        next_attempt  INTEGER NOT NULL,
        reason        TEXT,
        detail        TEXT,
        created_at    INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX outbox_by_account ON outbox (account_id, state, next_attempt);",
    // 13: desktop notifications (`model::NotificationSettings`): per account on/off, preview,
    // sound; per folder on/off. `app_settings` holds settings of the app, one row per key (JSON
    // values, `model::AppSettings`).
    "ALTER TABLE accounts ADD COLUMN notify INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE accounts ADD COLUMN notify_preview INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE accounts ADD COLUMN notify_sound INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE folders ADD COLUMN notify INTEGER NOT NULL DEFAULT 1;
    CREATE TABLE app_settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) STRICT;",
    // 14: the composer. `identities`: who the user sends as (`model::Identity`); every account
    // has its default one, made by the trigger with the account and following its name. And
    // `staged_attachments`: the bytes of files attached in the composer, copied in when attached,
    // so that drafts and the outbox never depend on the file; rows no draft or composer needs any
    // more are dropped after a while (`Store::drop_stale_staged`).
    "CREATE TABLE identities (
        id          INTEGER PRIMARY KEY,
        account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        name        TEXT NOT NULL,
        email       TEXT NOT NULL,
        signature   TEXT NOT NULL DEFAULT '',
        rich_text   INTEGER NOT NULL DEFAULT 1,
        is_default  INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE INDEX identities_by_account ON identities (account_id, id);
    CREATE UNIQUE INDEX identities_one_default ON identities (account_id) WHERE is_default = 1;
    INSERT INTO identities (account_id, name, email, is_default)
        SELECT id, display_name, email, 1 FROM accounts;
    CREATE TRIGGER identities_default_for_account AFTER INSERT ON accounts BEGIN
        INSERT INTO identities (account_id, name, email, is_default)
        VALUES (NEW.id, NEW.display_name, NEW.email, 1);
    END;
    CREATE TRIGGER identities_default_follows_account
    AFTER UPDATE OF display_name, email ON accounts BEGIN
        UPDATE identities SET name = NEW.display_name, email = NEW.email
        WHERE account_id = NEW.id AND is_default = 1;
    END;
    CREATE TABLE staged_attachments (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL,
        mime_type   TEXT NOT NULL,
        content_id  TEXT,
        data        BLOB NOT NULL,
        staged_at   INTEGER NOT NULL DEFAULT (unixepoch())
    ) STRICT;",
    // 15: contacts seen in mail, for address completion (`store/contacts.rs`): one row per
    // address (case-insensitive), its best display name, how often the user wrote to it and it
    // wrote to the user, and when it was last seen. Collected off the sync's hot path from
    // messages past the watermark `contacts_progress.last_message` (a message row id), and from
    // the outbox when the server accepted a message (`contacts_sent_ids`: those messages' ids,
    // so their Sent copies are not counted again). `contacts_fts` finds them by the prefix of
    // any word of the address or name, accents folded. `forwarded`: the `$Forwarded` keyword,
    // set on a message once the user's forward of it was sent, and queued for the server.
    "CREATE TABLE contacts (
        id          INTEGER PRIMARY KEY,
        email       TEXT NOT NULL COLLATE NOCASE UNIQUE,
        name        TEXT,
        written_to  INTEGER NOT NULL DEFAULT 0,
        wrote       INTEGER NOT NULL DEFAULT 0,
        last_seen   INTEGER NOT NULL DEFAULT 0,
        -- no-reply, mailer-daemon, …: ranked last (kept in step with `store::contacts::automated`)
        automated   INTEGER NOT NULL GENERATED ALWAYS AS (
            lower(email) GLOB '*noreply*' OR lower(email) GLOB '*no-reply*' OR lower(email) GLOB '*no_reply*' OR lower(email) GLOB '*donotreply*' OR lower(email) GLOB '*do-not-reply*' OR lower(email) GLOB 'mailer-daemon@*' OR lower(email) GLOB 'postmaster@*' OR lower(email) GLOB 'bounce*@*'
        ) STORED
    ) STRICT;
    CREATE VIRTUAL TABLE contacts_fts USING fts5(
        email, name, content = 'contacts', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3'
    );
    CREATE TRIGGER contacts_fts_insert AFTER INSERT ON contacts BEGIN
        INSERT INTO contacts_fts (rowid, email, name) VALUES (NEW.id, NEW.email, NEW.name);
    END;
    CREATE TRIGGER contacts_fts_delete AFTER DELETE ON contacts BEGIN
        INSERT INTO contacts_fts (contacts_fts, rowid, email, name)
        VALUES ('delete', OLD.id, OLD.email, OLD.name);
    END;
    CREATE TRIGGER contacts_fts_update AFTER UPDATE OF email, name ON contacts
    WHEN OLD.name IS NOT NEW.name OR OLD.email IS NOT NEW.email BEGIN
        INSERT INTO contacts_fts (contacts_fts, rowid, email, name)
        VALUES ('delete', OLD.id, OLD.email, OLD.name);
        INSERT INTO contacts_fts (rowid, email, name) VALUES (NEW.id, NEW.email, NEW.name);
    END;
    CREATE TABLE contacts_progress (
        id            INTEGER PRIMARY KEY CHECK (id = 1),
        last_message  INTEGER NOT NULL
    ) STRICT;
    INSERT INTO contacts_progress (id, last_message) VALUES (1, 0);
    CREATE TABLE contacts_sent_ids (
        message_id  TEXT PRIMARY KEY
    ) STRICT, WITHOUT ROWID;
    ALTER TABLE messages ADD COLUMN forwarded INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE operations ADD COLUMN forwarded INTEGER;",
    // 16: which messages have their whole body, answered from a small index alone: looking at
    // `bodies.parts` reads each body's row, whose leaf page is mostly the first ~4 KB of `raw`
    // (≈ 26 MB read for 10,000 bodies, at every prefetch pass with "keep all mail offline").
    "CREATE INDEX bodies_whole ON bodies (message_id) WHERE parts IS NULL;",
];

pub(super) fn migrate(conn: &mut Connection) -> Result<()> {
    let migrations = Migrations::new(MIGRATIONS.iter().map(|sql| M::up(sql)).collect());
    migrations.to_latest(conn).map_err(|e| match e {
        rusqlite_migration::Error::RusqliteError { err, .. } => Error::Storage {
            context: "updating the database schema".into(),
            source: err,
        },
        other => Error::Internal(format!(
            "the mail database could not be updated to this version of Petrel: {other}"
        )),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        let migrations = rusqlite_migration::Migrations::new(
            super::MIGRATIONS
                .iter()
                .map(|sql| rusqlite_migration::M::up(sql))
                .collect(),
        );
        assert!(migrations.validate().is_ok());
    }
}
