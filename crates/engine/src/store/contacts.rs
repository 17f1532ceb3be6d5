//! Contacts seen in mail, for address completion (Thunderbird's "collected addresses", Apple
//! Mail's "previous recipients"). One row per address (case-insensitive) with its best display
//! name, how often the user wrote to it (`written_to`), how often it wrote (`wrote`) and when it
//! was last seen.
//!
//! Collected off the sync's hot path: [`Store::collect_contacts`] reads the messages stored since
//! its watermark (a message row id) in batches, each batch one transaction of two
//! `INSERT … SELECT … ON CONFLICT DO UPDATE` (the From of received mail; the To and Cc of mail in
//! Sent folders), and [`Store::count_sent`] counts the recipients (Bcc too) of a message the
//! server accepted, remembering its Message-ID so that its Sent copy is not counted again.
//! The user's own addresses (every identity) are never collected; automated senders (no-reply,
//! mailer-daemon, …) are skipped when they write, and ranked last when the user wrote to them.

use rusqlite::{params, OptionalExtension};

use super::Store;
use crate::error::{Error, Result};
use crate::model::Address;

const CTX: &str = "collecting the addresses seen in mail";

/// An SQL test that an address (lower case, the expression `{e}`) is an automated sender's
/// (the same as the generated column `contacts.automated` of migration 15).
fn automated(e: &str) -> String {
    [
        "*noreply*",
        "*no-reply*",
        "*no_reply*",
        "*donotreply*",
        "*do-not-reply*",
        "mailer-daemon@*",
        "postmaster@*",
        "bounce*@*",
    ]
    .iter()
    .map(|p| format!("{e} GLOB '{p}'"))
    .collect::<Vec<_>>()
    .join(" OR ")
}

/// A display name worth keeping: trimmed (quotes too), `NULL` when empty or just the address.
fn clean_name(n: &str, e: &str) -> String {
    format!(
        "CASE WHEN trim({n}, ' \"''') = '' OR lower(trim({n}, ' \"''')) = lower({e}) THEN NULL \
         ELSE trim({n}, ' \"''') END"
    )
}

/// What an upsert does to an address seen again: counts added, the newest name kept.
const ON_CONFLICT: &str = "ON CONFLICT (email) DO UPDATE SET
    written_to = written_to + excluded.written_to,
    wrote = wrote + excluded.wrote,
    name = coalesce(CASE WHEN excluded.last_seen >= last_seen THEN excluded.name END, name,
                    excluded.name),
    last_seen = max(last_seen, excluded.last_seen)";

/// Addresses that look like one (something@something).
const LOOKS_LIKE_ADDRESS: &str = "LIKE '%_@_%'";

impl Store {
    /// Collects the contacts of up to `batch` messages stored since the last call, in one
    /// transaction. Returns how many messages were read (0: caught up).
    pub fn collect_contacts(&self, batch: u32) -> Result<usize> {
        let mut conn = self.writer();
        let tx = conn.transaction().map_err(Error::storage(CTX))?;
        let from: i64 = tx
            .query_row(
                "SELECT last_message FROM contacts_progress WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .map_err(Error::storage(CTX))?;
        let (to, count): (Option<i64>, i64) = tx
            .query_row(
                "SELECT max(id), count(*) FROM
                     (SELECT id FROM messages WHERE id > ?1 ORDER BY id LIMIT ?2)",
                params![from, batch],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(Error::storage(CTX))?;
        let Some(to) = to else { return Ok(0) };
        let own = "SELECT lower(email) FROM identities";
        // Received: who wrote (not in Sent, Drafts or Junk; not the copies waiting for the
        // server's UID, counted when they get it... never: they are copies).
        tx.prepare_cached(&format!(
            "INSERT INTO contacts (email, name, wrote, last_seen)
             SELECT m.from_email, {name}, 1, m.date
             FROM messages m JOIN folders f ON f.id = m.folder_id
             WHERE m.id > ?1 AND m.id <= ?2 AND m.uid >= 0
               AND coalesce(f.role, '') NOT IN ('sent', 'drafts', 'junk')
               AND m.from_email {LOOKS_LIKE_ADDRESS}
               AND lower(m.from_email) NOT IN ({own})
               AND NOT ({auto})
             ORDER BY m.id
             {ON_CONFLICT}",
            name = clean_name("m.from_name", "m.from_email"),
            auto = automated("lower(m.from_email)"),
        ))
        .and_then(|mut s| s.execute(params![from, to]))
        .map_err(Error::storage(CTX))?;
        // Sent: whom the user wrote to (To and Cc; Bcc is not in the Sent copy), except
        // messages sent from here, counted when the server accepted them.
        tx.prepare_cached(&format!(
            "INSERT INTO contacts (email, name, written_to, last_seen)
             SELECT e, {name}, 1, d FROM (
                 SELECT m.id AS mid, json_extract(a.value, '$.email') AS e,
                        json_extract(a.value, '$.name') AS n, m.date AS d, m.message_id AS msgid
                 FROM messages m JOIN folders f ON f.id = m.folder_id,
                      json_each(m.to_json) a
                 WHERE m.id > ?1 AND m.id <= ?2 AND m.uid >= 0 AND f.role = 'sent'
                 UNION ALL
                 SELECT m.id, json_extract(a.value, '$.email'), json_extract(a.value, '$.name'),
                        m.date, m.message_id
                 FROM messages m JOIN folders f ON f.id = m.folder_id,
                      json_each(m.cc_json) a
                 WHERE m.id > ?1 AND m.id <= ?2 AND m.uid >= 0 AND f.role = 'sent'
             )
             WHERE e {LOOKS_LIKE_ADDRESS}
               AND lower(e) NOT IN ({own})
               AND (msgid IS NULL
                    OR msgid NOT IN (SELECT message_id FROM contacts_sent_ids))
             ORDER BY mid
             {ON_CONFLICT}",
            name = clean_name("n", "e"),
        ))
        .and_then(|mut s| s.execute(params![from, to]))
        .map_err(Error::storage(CTX))?;
        tx.execute(
            "UPDATE contacts_progress SET last_message = ?1 WHERE id = 1",
            [to],
        )
        .map_err(Error::storage(CTX))?;
        tx.commit().map_err(Error::storage(CTX))?;
        Ok(usize::try_from(count).unwrap_or(0))
    }

    /// Counts the recipients of a message the server accepted as written to (now), and
    /// remembers its Message-ID (with or without `<>`) so that its Sent copy is not counted again.
    pub fn count_sent(&self, message_id: &str, recipients: &[Address], date: i64) -> Result<()> {
        let mut conn = self.writer();
        let tx = conn.transaction().map_err(Error::storage(CTX))?;
        {
            let mut upsert = tx
                .prepare_cached(&format!(
                    "INSERT INTO contacts (email, name, written_to, last_seen)
                     SELECT ?1, {name}, 1, ?3
                     WHERE ?1 {LOOKS_LIKE_ADDRESS}
                       AND lower(?1) NOT IN (SELECT lower(email) FROM identities)
                     {ON_CONFLICT}",
                    name = clean_name("?2", "?1"),
                ))
                .map_err(Error::storage(CTX))?;
            let mut seen = std::collections::HashSet::new();
            for a in recipients {
                if seen.insert(a.email.to_lowercase()) {
                    upsert
                        .execute(params![a.email, a.name.as_deref().unwrap_or(""), date])
                        .map_err(Error::storage(CTX))?;
                }
            }
        }
        let id = message_id
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>');
        tx.execute(
            "INSERT INTO contacts_sent_ids (message_id) VALUES (?1) ON CONFLICT DO NOTHING",
            [id],
        )
        .map_err(Error::storage(CTX))?;
        tx.commit().map_err(Error::storage(CTX))
    }

    /// Contacts whose address, or any word of whose name or address, starts with `query`
    /// (case and accents ignored; several words must follow each other), best first: people
    /// the user wrote to, then the most frequent, then the most recent; automated senders last.
    pub fn suggest_addresses(&self, query: &str, limit: u32) -> Result<Vec<Address>> {
        let Some(fts) = fts_prefix_query(query) else {
            return Ok(Vec::new());
        };
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(
                "SELECT c.email, c.name FROM contacts_fts
                 JOIN contacts c ON c.id = contacts_fts.rowid
                 WHERE contacts_fts MATCH ?1
                   AND lower(c.email) NOT IN (SELECT lower(email) FROM identities)
                 ORDER BY c.automated, c.written_to > 0 DESC, c.written_to + c.wrote DESC,
                          c.last_seen DESC, c.email
                 LIMIT ?2",
            )
            .map_err(Error::storage("finding addresses"))?;
        let rows = stmt
            .query_map(params![fts, limit], |r| {
                Ok(Address {
                    email: r.get(0)?,
                    name: r.get(1)?,
                })
            })
            .map_err(Error::storage("finding addresses"))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(Error::storage("finding addresses"))
    }

    /// How far contact collection got (a message row id), for tests and benchmarks.
    pub fn contacts_watermark(&self) -> Result<i64> {
        self.reader()
            .query_row(
                "SELECT last_message FROM contacts_progress WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .map_err(Error::storage(CTX))
    }

    /// One contact's counts: (written_to, wrote), for tests.
    pub fn contact_counts(&self, email: &str) -> Result<Option<(u32, u32)>> {
        self.reader()
            .query_row(
                "SELECT written_to, wrote FROM contacts WHERE email = ?1",
                [email],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(Error::storage(CTX))
    }

    /// Every address of the user: all accounts' identities and accounts, lower case.
    pub fn own_addresses(&self) -> Result<std::collections::HashSet<String>> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(
                "SELECT lower(email) FROM identities UNION SELECT lower(email) FROM accounts",
            )
            .map_err(Error::storage("reading your addresses"))?;
        let rows = stmt
            .query_map([], |r| r.get(0))
            .map_err(Error::storage("reading your addresses"))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(Error::storage("reading your addresses"))
    }

    /// The start of a stored message (its header at least; the whole message when small),
    /// whether stored whole or text-only.
    pub fn stored_header(&self, message_id: i64) -> Result<Option<Vec<u8>>> {
        self.reader()
            .query_row(
                "SELECT substr(raw, 1, 65536) FROM bodies WHERE message_id = ?1",
                [message_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(Error::storage("reading a message"))
    }

    /// The composer's fields of an outbox message (JSON of `OutgoingMessage`).
    pub(crate) fn outbox_draft(&self, outbox_id: i64) -> Result<Option<String>> {
        self.reader()
            .query_row("SELECT draft FROM outbox WHERE id = ?1", [outbox_id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(Error::storage("reading the outbox"))
    }
}

/// The FTS5 query for what the user typed: one phrase (the typed words, in order, the last one
/// a prefix). `None` when nothing searchable was typed.
fn fts_prefix_query(query: &str) -> Option<String> {
    let q = query.trim();
    if !q.chars().any(char::is_alphanumeric) {
        return None;
    }
    Some(format!("\"{}\"*", q.replace('"', "\"\"")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewMessage;

    fn store_with_account() -> (tempfile::TempDir, Store, i64) {
        crate::store::identities::tests::store_with_account("Me", "me@example.org")
    }

    fn addr(name: Option<&str>, email: &str) -> Address {
        Address {
            name: name.map(str::to_string),
            email: email.into(),
        }
    }

    fn folder(store: &Store, account: i64, path: &str, role: Option<&str>) -> i64 {
        let conn = store.writer();
        conn.execute(
            "INSERT INTO folders (account_id, path, name, role) VALUES (?1, ?2, ?2, ?3)",
            params![account, path, role],
        )
        .unwrap();
        conn.last_insert_rowid()
    }

    fn received(uid: u32, from: Address, date: i64) -> NewMessage {
        NewMessage {
            uid,
            from: Some(from),
            to: vec![addr(None, "me@example.org")],
            date,
            ..NewMessage::default()
        }
    }

    #[test]
    fn collected_from_received_and_sent_mail_ranked() {
        let (_dir, store, account) = store_with_account();
        let inbox = folder(&store, account, "INBOX", Some("inbox"));
        let sent = folder(&store, account, "Sent", Some("sent"));
        store
            .insert_messages(
                inbox,
                &[
                    received(1, addr(Some("Anna Ärger"), "anna@example.org"), 100),
                    received(2, addr(Some("Anders"), "Anders@Example.org"), 200),
                    received(3, addr(None, "anders@example.org"), 300),
                    received(4, addr(Some("News"), "noreply@shop.example"), 400),
                    received(5, addr(Some("Me"), "ME@example.org"), 500),
                    received(6, addr(Some("Alba"), "alba@example.org"), 50),
                ],
            )
            .unwrap();
        store
            .insert_messages(
                sent,
                &[NewMessage {
                    uid: 1,
                    message_id: Some("s1@example.org".into()),
                    from: Some(addr(Some("Me"), "me@example.org")),
                    to: vec![addr(Some("Anna Ärger"), "anna@example.org")],
                    cc: vec![addr(Some("Bert"), "bert@example.org")],
                    date: 600,
                    ..NewMessage::default()
                }],
            )
            .unwrap();
        // In batches: 3 then the rest.
        assert_eq!(store.collect_contacts(3).unwrap(), 3);
        assert_eq!(store.collect_contacts(3).unwrap(), 3);
        assert_eq!(store.collect_contacts(3).unwrap(), 1);
        assert_eq!(store.collect_contacts(3).unwrap(), 0);
        assert_eq!(
            store.contact_counts("anna@example.org").unwrap(),
            Some((1, 1))
        );
        assert_eq!(
            store.contact_counts("ANDERS@example.org").unwrap(),
            Some((0, 2)),
            "one contact per address, whatever its case"
        );
        assert_eq!(store.contact_counts("me@example.org").unwrap(), None);
        assert_eq!(store.contact_counts("noreply@shop.example").unwrap(), None);
        let names = |q: &str| -> Vec<String> {
            store
                .suggest_addresses(q, 10)
                .unwrap()
                .into_iter()
                .map(|a| a.email.to_lowercase())
                .collect()
        };
        // Written to first (anna), then frequency (anders: 2), then recency (alba is oldest).
        assert_eq!(
            names("a"),
            ["anna@example.org", "anders@example.org", "alba@example.org"]
        );
        // A word of the name, accents folded; the address's prefix; nothing for punctuation.
        assert_eq!(names("arger"), ["anna@example.org"]);
        assert_eq!(names("ÄRG"), ["anna@example.org"]);
        assert_eq!(names("bert@ex"), ["bert@example.org"]);
        assert_eq!(names("anna ä"), ["anna@example.org"]);
        assert!(names(" ,; ").is_empty());
        assert!(names("\"").is_empty());
        assert!(names("zzz").is_empty());
        assert!(
            names("me").is_empty(),
            "the user's own address is never offered"
        );
        // The newest name wins; a name that is just the address is no name.
        let anders = store.suggest_addresses("anders", 1).unwrap();
        assert_eq!(anders[0].name.as_deref(), Some("Anders"));
    }

    #[test]
    fn sent_from_here_counted_once_with_bcc() {
        let (_dir, store, account) = store_with_account();
        let sent = folder(&store, account, "Sent", Some("sent"));
        store
            .count_sent(
                "<x1@example.org>",
                &[
                    addr(Some("Carl"), "carl@example.org"),
                    addr(None, "dora@example.org"),
                    addr(None, "CARL@example.org"),
                    addr(None, "me@example.org"),
                    addr(None, "noreply@example.org"),
                ],
                1000,
            )
            .unwrap();
        // Its Sent copy, synced later: not counted again.
        store
            .insert_messages(
                sent,
                &[NewMessage {
                    uid: 1,
                    message_id: Some("x1@example.org".into()),
                    to: vec![addr(Some("Carl"), "carl@example.org")],
                    date: 1000,
                    ..NewMessage::default()
                }],
            )
            .unwrap();
        while store.collect_contacts(100).unwrap() > 0 {}
        assert_eq!(
            store.contact_counts("carl@example.org").unwrap(),
            Some((1, 0))
        );
        assert_eq!(
            store.contact_counts("dora@example.org").unwrap(),
            Some((1, 0))
        );
        assert_eq!(store.contact_counts("me@example.org").unwrap(), None);
        // An automated address the user wrote to is kept, but ranked last.
        store
            .count_sent("<x2@example.org>", &[addr(None, "dora@example.org")], 2000)
            .unwrap();
        let all: Vec<String> = store
            .suggest_addresses("example", 10)
            .unwrap()
            .into_iter()
            .map(|a| a.email)
            .collect();
        assert_eq!(
            all,
            [
                "dora@example.org",
                "carl@example.org",
                "noreply@example.org"
            ]
        );
    }

    /// 10,000 contacts: a one-letter query (the worst case: many matches to rank) and a longer
    /// one. Prints the figures (`cargo test -p petrel-engine --release --lib contacts::
    /// -- --nocapture`).
    #[test]
    fn suggestions_are_fast_for_ten_thousand_contacts() {
        let (_dir, store, _) = store_with_account();
        {
            let mut conn = store.writer();
            let tx = conn.transaction().unwrap();
            let first = [
                "anna", "bert", "carl", "dora", "emil", "frida", "gustav", "hanna",
            ];
            let last = [
                "meier", "müller", "schmidt", "schulz", "weber", "wagner", "becker",
            ];
            for i in 0..10_000i64 {
                let f = first[i as usize % first.len()];
                let l = last[(i as usize / 8) % last.len()];
                tx.execute(
                    "INSERT INTO contacts (email, name, written_to, wrote, last_seen)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![
                        format!("{f}.{l}{i}@example{}.org", i % 50),
                        format!("{f} {l}"),
                        i % 7,
                        i % 13,
                        i
                    ],
                )
                .unwrap();
            }
            tx.commit().unwrap();
        }
        for q in ["a", "mü", "frida.sch", "hanna w"] {
            let started = std::time::Instant::now();
            let runs = 20;
            for _ in 0..runs {
                let found = store.suggest_addresses(q, 10).unwrap();
                assert_eq!(found.len(), 10, "{q}");
            }
            let each = started.elapsed() / runs;
            println!("suggest_addresses({q:?}) over 10,000 contacts: {each:?}");
            assert!(each < std::time::Duration::from_millis(50), "{q}: {each:?}");
        }
    }

    /// Collecting from 100,000 stored messages, as after the first sync of a large mailbox.
    /// Prints the figure (`-- --nocapture`).
    #[test]
    fn collecting_a_large_mailbox() {
        let (_dir, store, account) = store_with_account();
        let inbox = folder(&store, account, "INBOX", Some("inbox"));
        let n = 100_000u32;
        let messages: Vec<NewMessage> = (1..=n)
            .map(|uid| {
                received(
                    uid,
                    addr(
                        Some(&format!("Person {}", uid % 3000)),
                        &format!("p{}@example{}.org", uid % 3000, uid % 7),
                    ),
                    i64::from(uid),
                )
            })
            .collect();
        for chunk in messages.chunks(5000) {
            store.insert_messages(inbox, chunk).unwrap();
        }
        let started = std::time::Instant::now();
        let mut batches = 0;
        let mut longest = std::time::Duration::ZERO;
        loop {
            let t = std::time::Instant::now();
            if store.collect_contacts(super::super::CONTACT_BATCH).unwrap() == 0 {
                break;
            }
            longest = longest.max(t.elapsed());
            batches += 1;
        }
        println!(
            "collected contacts of {n} messages in {:?} ({batches} batches, longest {longest:?})",
            started.elapsed()
        );
        assert_eq!(
            store
                .contact_counts("p1@example1.org")
                .unwrap()
                .map(|c| c.1),
            Some(5)
        );
    }
}
