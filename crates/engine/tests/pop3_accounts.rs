//! POP3 accounts against the real Dovecot (POP3S and STLS, TLS verified against the test CA):
//! downloads into local folders, nothing downloaded twice, the server copies kept or deleted as
//! the settings say, local folders behaving like IMAP ones, and a download killed at any moment
//! losing and duplicating nothing.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use common::{open_engine, pop3_account, servers};
use petrel_engine::model::{
    Account, EngineEvent, ErrorKind, FolderRole, IncomingProtocol, Pop3Settings, Security,
};
use petrel_engine::store::{FlagChange, Store};
use petrel_engine::sync::SyncConfig;
use petrel_engine::Engine;
use petrel_testkit::{corpus, Servers, TestUser};

fn folder_id(engine: &Engine, account: &Account, role: FolderRole) -> i64 {
    engine
        .folders(account.id)
        .unwrap()
        .into_iter()
        .find(|f| f.role == Some(role))
        .unwrap_or_else(|| panic!("no {role:?} folder"))
        .id
}

fn ids_in(engine: &Engine, folder: i64) -> Vec<i64> {
    engine
        .messages(folder, 0, 1000)
        .unwrap()
        .items
        .into_iter()
        .map(|m| m.id)
        .collect()
}

fn on_server(s: &Servers, user: &TestUser) -> u32 {
    s.message_count(&user.email, "INBOX").unwrap()
}

/// Adds the account on a fresh engine; returns (dir, engine, account).
async fn add(
    s: &Servers,
    user: &TestUser,
    security: Security,
    p: Pop3Settings,
) -> (tempfile::TempDir, Engine, Account) {
    let dir = tempfile::tempdir().unwrap();
    let engine = open_engine(dir.path());
    let account = engine
        .add_account(pop3_account(s, user, security, p))
        .await
        .expect("POP3 account");
    (dir, engine, account)
}

#[tokio::test]
async fn downloads_once_into_local_folders_and_leaves_mail_on_the_server() {
    let s = servers();
    let user = s.new_user("pop3acc").unwrap();
    s.fill_mailbox(&user.email, "INBOX", &corpus::generate(30, 11, &s.domain))
        .unwrap();
    let (_dir, engine, account) = add(s, &user, Security::Tls, Pop3Settings::default()).await;
    assert_eq!(account.protocol, IncomingProtocol::Pop3);
    assert_eq!(account.pop3, Some(Pop3Settings::default()));
    let roles: HashSet<String> = engine
        .folders(account.id)
        .unwrap()
        .into_iter()
        .filter_map(|f| f.role.map(|r| r.as_str().to_string()))
        .collect();
    assert_eq!(
        roles,
        ["inbox", "drafts", "sent", "archive", "trash"]
            .map(String::from)
            .into_iter()
            .collect::<HashSet<_>>()
    );
    let inbox = folder_id(&engine, &account, FolderRole::Inbox);
    let mut events = engine.subscribe();

    let report = engine.sync_account(account.id).await.expect("first check");
    assert_eq!(report.new_messages, 30);
    assert_eq!(ids_in(&engine, inbox).len(), 30);
    assert_eq!(on_server(s, &user), 30, "left on the server");
    // The first download is the initial one: no NewMail for it.
    while let Ok(e) = events.try_recv() {
        assert!(!matches!(e, EngineEvent::NewMail { .. }), "{e:?}");
    }

    // Again: nothing new, nothing twice.
    let report = engine.sync_account(account.id).await.expect("second check");
    assert_eq!(report.new_messages, 0);
    assert_eq!(ids_in(&engine, inbox).len(), 30);

    // New mail: only it is downloaded, and it is announced.
    s.deliver_raw(
        &user.email,
        "INBOX",
        &corpus::simple(
            "Fresh news",
            "Zoe <zoe@petrel.test>",
            &user.email,
            "Hello there\r\n",
        ),
    )
    .unwrap();
    let report = engine.sync_account(account.id).await.expect("third check");
    assert_eq!(report.new_messages, 1);
    assert_eq!(ids_in(&engine, inbox).len(), 31);
    let mut announced = None;
    while let Ok(e) = events.try_recv() {
        if let EngineEvent::NewMail { messages, .. } = e {
            announced = Some(messages);
        }
    }
    let announced = announced.expect("NewMail for the new message");
    assert_eq!(announced.len(), 1);
    assert_eq!(announced[0].subject, "Fresh news");

    // The body is here: reading needs no server (the account's server is now unreachable).
    let view = engine.message(announced[0].id).await.expect("read offline");
    assert!(view.text.contains("Hello there"), "{}", view.text);
    assert!(view.summary.seen);
    // Every message is unique, with a positive local UID.
    let page = engine.messages(inbox, 0, 1000).unwrap();
    assert_eq!(page.total, 31);
}

#[tokio::test]
async fn starttls_without_leaving_mail_deletes_only_what_is_stored() {
    let s = servers();
    let user = s.new_user("pop3del").unwrap();
    s.fill_mailbox(&user.email, "INBOX", &corpus::generate(10, 12, &s.domain))
        .unwrap();
    let settings = Pop3Settings {
        leave_on_server: false,
        ..Pop3Settings::default()
    };
    let (_dir, engine, account) = add(s, &user, Security::Starttls, settings).await;
    let inbox = folder_id(&engine, &account, FolderRole::Inbox);
    engine.sync_account(account.id).await.expect("check");
    assert_eq!(ids_in(&engine, inbox).len(), 10);
    assert_eq!(
        on_server(s, &user),
        0,
        "deleted from the server once stored"
    );
    assert!(engine.store().pop3_known(account.id).unwrap().is_empty());
    engine.sync_account(account.id).await.expect("check again");
    assert_eq!(ids_in(&engine, inbox).len(), 10);
}

#[tokio::test]
async fn mail_older_than_n_days_is_deleted_from_the_server() {
    let s = servers();
    let user = s.new_user("pop3days").unwrap();
    s.fill_mailbox(&user.email, "INBOX", &corpus::generate(5, 13, &s.domain))
        .unwrap();
    let settings = Pop3Settings {
        delete_after_days: Some(7),
        delete_when_deleted_locally: false,
        ..Pop3Settings::default()
    };
    let (_dir, engine, account) = add(s, &user, Security::Tls, settings).await;
    engine.sync_account(account.id).await.expect("check");
    assert_eq!(on_server(s, &user), 5, "nothing is 7 days old yet");
    let known: Vec<String> = engine
        .store()
        .pop3_known(account.id)
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(known.len(), 5);
    let eight_days_ago = now() - 8 * 86_400;
    for uidl in &known[..2] {
        engine
            .store()
            .pop3_set_downloaded_at(account.id, uidl, eight_days_ago)
            .unwrap();
    }
    engine.sync_account(account.id).await.expect("check");
    assert_eq!(on_server(s, &user), 3, "the two 8-day-old ones are deleted");
    let inbox = folder_id(&engine, &account, FolderRole::Inbox);
    assert_eq!(ids_in(&engine, inbox).len(), 5, "all stay here");
    assert_eq!(engine.store().pop3_known(account.id).unwrap().len(), 3);
}

#[tokio::test]
async fn deleting_here_deletes_on_the_server_only_when_asked() {
    let s = servers();
    for (ask, expected) in [(true, 2), (false, 4)] {
        let user = s.new_user("pop3local").unwrap();
        s.fill_mailbox(&user.email, "INBOX", &corpus::generate(4, 14, &s.domain))
            .unwrap();
        let settings = Pop3Settings {
            delete_when_deleted_locally: ask,
            ..Pop3Settings::default()
        };
        let (_dir, engine, account) = add(s, &user, Security::Tls, settings).await;
        engine.sync_account(account.id).await.expect("check");
        let inbox = folder_id(&engine, &account, FolderRole::Inbox);
        let trash = folder_id(&engine, &account, FolderRole::Trash);
        let ids = ids_in(&engine, inbox);
        // One to the Trash, one deleted for ever (from the Trash).
        engine.delete_messages(&ids[..2]).unwrap();
        assert_eq!(ids_in(&engine, trash).len(), 2);
        engine.delete_messages(&ids[..1]).unwrap();
        assert_eq!(ids_in(&engine, trash).len(), 1);
        engine.sync_account(account.id).await.expect("check");
        assert_eq!(on_server(s, &user), expected, "asked: {ask}");
        // Still nothing downloaded twice.
        assert_eq!(ids_in(&engine, inbox).len(), 2);
        assert_eq!(engine.store().pending_count(account.id).unwrap(), 0);
    }
}

#[tokio::test]
async fn local_folders_work_like_imap_folders_without_a_server() {
    let s = servers();
    let user = s.new_user("pop3fold").unwrap();
    s.fill_mailbox(&user.email, "INBOX", &corpus::generate(6, 15, &s.domain))
        .unwrap();
    let (_dir, engine, account) = add(s, &user, Security::Tls, Pop3Settings::default()).await;
    engine.sync_account(account.id).await.expect("check");
    let inbox = folder_id(&engine, &account, FolderRole::Inbox);
    let archive = folder_id(&engine, &account, FolderRole::Archive);
    let trash = folder_id(&engine, &account, FolderRole::Trash);
    let ids = ids_in(&engine, inbox);

    // Flags.
    engine
        .set_flags(
            &ids[..2],
            FlagChange {
                seen: Some(true),
                flagged: Some(true),
                ..FlagChange::default()
            },
        )
        .unwrap();
    let page = engine.messages(inbox, 0, 100).unwrap();
    assert_eq!(page.items.iter().filter(|m| m.flagged && m.seen).count(), 2);

    // A folder of one's own, a subfolder, move, copy, archive.
    let projects = engine
        .create_folder(account.id, None, "Projects")
        .await
        .unwrap();
    let sub = engine
        .create_folder(account.id, Some(projects.id), "2026")
        .await
        .unwrap();
    assert_eq!(sub.path, "Projects/2026");
    engine.move_messages(&ids[..1], projects.id).unwrap();
    engine.copy_messages(&ids[1..2], sub.id).unwrap();
    engine.archive_messages(&ids[2..3]).unwrap();
    assert_eq!(ids_in(&engine, projects.id), vec![ids[0]]);
    assert_eq!(ids_in(&engine, sub.id).len(), 1);
    assert_eq!(ids_in(&engine, archive), vec![ids[2]]);
    assert_eq!(ids_in(&engine, inbox).len(), 4);
    // A copy is a message of its own with the same body.
    let copy = ids_in(&engine, sub.id)[0];
    assert_ne!(copy, ids[1]);
    let original = engine.message(ids[1]).await.unwrap();
    assert_eq!(engine.message(copy).await.unwrap().text, original.text);

    // Rename keeps messages and moves the subfolder along.
    let renamed = engine.rename_folder(projects.id, "Work").await.unwrap();
    assert_eq!(renamed.path, "Work");
    let sub_after = engine
        .folders(account.id)
        .unwrap()
        .into_iter()
        .find(|f| f.id == sub.id)
        .unwrap();
    assert_eq!(sub_after.path, "Work/2026");
    assert_eq!(ids_in(&engine, projects.id), vec![ids[0]]);
    // Special folders keep their names; duplicates and bad names are refused in plain words.
    let e = engine.rename_folder(inbox, "Other").await.unwrap_err();
    assert!(e.to_user().summary.contains("Inbox"), "{e}");
    let e = engine
        .create_folder(account.id, None, "work")
        .await
        .unwrap_err();
    assert!(e.to_user().summary.contains("already exists"), "{e}");

    // Delete, empty trash; nothing is ever queued for a server.
    engine.delete_messages(&ids[3..4]).unwrap();
    assert_eq!(ids_in(&engine, trash), vec![ids[3]]);
    engine.empty_trash(account.id).unwrap();
    assert!(ids_in(&engine, trash).is_empty());
    engine.delete_folder(projects.id).await.unwrap();
    assert!(engine
        .folders(account.id)
        .unwrap()
        .iter()
        .all(|f| f.id != projects.id && f.id != sub.id));
    assert_eq!(engine.store().pending_count(account.id).unwrap(), 0);

    // The next check downloads none of them again.
    let report = engine.sync_account(account.id).await.expect("check");
    assert_eq!(report.new_messages, 0);
    assert_eq!(ids_in(&engine, inbox).len(), 3);
}

#[tokio::test]
async fn drafts_and_sent_copies_go_to_local_folders() {
    let s = servers();
    let user = s.new_user("pop3send").unwrap();
    let (_dir, engine, account) = add(s, &user, Security::Tls, Pop3Settings::default()).await;
    let drafts = folder_id(&engine, &account, FolderRole::Drafts);
    let sent = folder_id(&engine, &account, FolderRole::Sent);
    let mut out = petrel_engine::model::OutgoingMessage {
        account_id: account.id,
        to: user.email.clone(),
        cc: String::new(),
        subject: "Draft one".into(),
        body: "first words".into(),
        in_reply_to: None,
        ..petrel_engine::model::OutgoingMessage::default()
    };
    let draft = engine.save_draft(None, &out).unwrap();
    out.subject = "Draft two".into();
    engine.save_draft(Some(draft), &out).unwrap();
    let page = engine.messages(drafts, 0, 10).unwrap();
    assert_eq!(page.total, 1, "the newest save replaces the previous");
    assert_eq!(page.items[0].subject, "Draft two");
    engine.discard_draft(draft).unwrap();
    assert_eq!(engine.messages(drafts, 0, 10).unwrap().total, 0);

    engine.send_now(out).await.expect("send");
    let page = engine.messages(sent, 0, 10).unwrap();
    assert_eq!(page.total, 1, "the Sent copy is in the local Sent folder");
    assert!(
        engine.outbox(account.id).unwrap().is_empty(),
        "nothing left in the outbox"
    );
    assert_eq!(page.items[0].subject, "Draft two");
    // And it arrived, through Postfix, in the POP3 mailbox.
    s.wait_for_messages(&user.email, "INBOX", 1, Duration::from_secs(20))
        .unwrap();
    engine.sync_account(account.id).await.expect("check");
    let inbox = folder_id(&engine, &account, FolderRole::Inbox);
    assert_eq!(ids_in(&engine, inbox).len(), 1);
}

#[tokio::test]
async fn a_wrong_password_is_explained_and_nothing_is_saved() {
    let s = servers();
    let user = s.new_user("pop3pw").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let engine = open_engine(dir.path());
    let mut new = pop3_account(s, &user, Security::Tls, Pop3Settings::default());
    new.password = "not the password".into();
    let e = engine.add_account(new).await.unwrap_err();
    assert_eq!(e.to_user().kind, ErrorKind::AuthFailed, "{e}");
    assert!(engine.accounts().unwrap().is_empty());
}

#[tokio::test]
async fn the_background_check_announces_new_mail() {
    let s = servers();
    let user = s.new_user("pop3poll").unwrap();
    s.fill_mailbox(&user.email, "INBOX", &corpus::generate(3, 16, &s.domain))
        .unwrap();
    let (_dir, engine, account) = add(s, &user, Security::Tls, Pop3Settings::default()).await;
    let mut events = engine.subscribe();
    let background = engine
        .start_background_with(SyncConfig {
            pop3_every: Some(Duration::from_millis(500)),
            ..SyncConfig::default()
        })
        .unwrap();
    let inbox = folder_id(&engine, &account, FolderRole::Inbox);
    let deadline = Instant::now() + Duration::from_secs(20);
    while ids_in(&engine, inbox).len() < 3 {
        assert!(Instant::now() < deadline, "the first check did not run");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    s.deliver_raw(
        &user.email,
        "INBOX",
        &corpus::simple("Polled", "Zoe <zoe@petrel.test>", &user.email, "hi\r\n"),
    )
    .unwrap();
    let got = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match events.recv().await {
                Ok(EngineEvent::NewMail {
                    account_id,
                    messages,
                    ..
                }) => break (account_id, messages),
                Ok(_) => {}
                Err(e) => panic!("events: {e}"),
            }
        }
    })
    .await
    .expect("NewMail from the background check");
    assert_eq!(got.0, account.id);
    assert_eq!(got.1.len(), 1);
    assert_eq!(got.1[0].subject, "Polled");
    background.shutdown().await;
}

#[tokio::test]
async fn a_session_cut_between_dele_and_quit_deletes_nothing_and_the_next_check_finishes() {
    let s = servers();
    let user = s.new_user("pop3cut").unwrap();
    s.fill_mailbox(&user.email, "INBOX", &corpus::generate(6, 18, &s.domain))
        .unwrap();
    let (_dir, engine, account) = add(s, &user, Security::Tls, Pop3Settings::default()).await;
    engine.sync_account(account.id).await.expect("check");
    // What a crash after the DELEs and before QUIT leaves: a session that marked every message
    // and went away. The server deletes nothing (RFC 1939, UPDATE state only after QUIT).
    let tls = petrel_engine::net::Tls::platform().unwrap();
    let mut pop = petrel_engine::pop3::Client::connect(&tls, &account.incoming, &user.password)
        .await
        .unwrap();
    for n in 1..=6 {
        pop.dele(n).await.unwrap();
    }
    drop(pop);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(on_server(s, &user), 6, "no QUIT, nothing deleted");
    // The next check (now without leaving mail) downloads nothing again and deletes all.
    engine
        .set_pop3_settings(
            account.id,
            Pop3Settings {
                leave_on_server: false,
                ..Pop3Settings::default()
            },
        )
        .unwrap();
    let report = engine.sync_account(account.id).await.expect("check");
    assert_eq!(report.new_messages, 0);
    assert_eq!(on_server(s, &user), 0);
    let inbox = folder_id(&engine, &account, FolderRole::Inbox);
    assert_eq!(ids_in(&engine, inbox).len(), 6);
}

// ---- a download killed at any moment

const CHILD_DIR: &str = "PETREL_TEST_POP3_CHILD_DIR";

/// Run by `killed_downloads_lose_and_duplicate_nothing` in a child process, which it kills.
/// Without its environment variable (a plain `--ignored` run) it does nothing.
#[tokio::test]
#[ignore = "a helper process of killed_downloads_lose_and_duplicate_nothing"]
async fn child_download() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    servers();
    let engine = open_engine(std::path::Path::new(&dir));
    let account = engine.accounts().unwrap()[0].id;
    engine.sync_account(account).await.expect("child check");
}

/// How many times each Message-ID occurs (the corpus has a few repeated ids on purpose: a
/// message may legitimately arrive twice, and must then be stored twice).
type Multiset = HashMap<String, usize>;

fn corpus_ids(messages: &[Vec<u8>]) -> Multiset {
    let mut ids = Multiset::new();
    for m in messages {
        let text = String::from_utf8_lossy(m);
        let id = text
            .lines()
            .find_map(|l| l.strip_prefix("Message-ID: "))
            .expect("a Message-ID")
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_string();
        *ids.entry(id).or_default() += 1;
    }
    ids
}

/// The Inbox's messages by Message-ID, and how many UIDLs are recorded.
fn stored(dir: &std::path::Path) -> (Multiset, usize) {
    let store = Store::open(&dir.join("petrel.sqlite3")).unwrap();
    let accounts = store.accounts().unwrap();
    let account = &accounts[0];
    let inbox = store
        .folder_by_role(account.id, FolderRole::Inbox)
        .unwrap()
        .unwrap();
    let page = store.messages_page(inbox.id, 0, 100_000).unwrap();
    let mut ids = Multiset::new();
    for m in &page.items {
        let id = store.threading(m.id).unwrap().0.expect("a Message-ID");
        *ids.entry(id).or_default() += 1;
    }
    (ids, store.pop3_known(account.id).unwrap().len())
}

fn total(ids: &Multiset) -> usize {
    ids.values().sum()
}

#[tokio::test]
async fn killed_downloads_lose_and_duplicate_nothing() {
    let s = servers();
    const N: usize = 1500;
    for leave in [true, false] {
        let user = s.new_user("pop3kill").unwrap();
        let messages = corpus::generate(N, 17, &s.domain);
        let expected = corpus_ids(&messages);
        s.fill_mailbox(&user.email, "INBOX", &messages).unwrap();
        let settings = Pop3Settings {
            leave_on_server: leave,
            ..Pop3Settings::default()
        };
        let (dir, engine, _account) = add(s, &user, Security::Tls, settings).await;
        drop(engine);
        let mut kills = 0;
        let mut partial = 0;
        for round in 0..3 {
            let mut child = std::process::Command::new(std::env::current_exe().unwrap())
                .args(["--ignored", "--exact", "child_download", "--nocapture"])
                .env(CHILD_DIR, dir.path())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            // Kill it once some messages are stored (each round further on).
            let target = (round + 1) * N / 5;
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                if child.try_wait().unwrap().is_some() {
                    break;
                }
                if total(&stored(dir.path()).0) >= target {
                    child.kill().unwrap();
                    kills += 1;
                    break;
                }
                assert!(Instant::now() < deadline, "the child download is stuck");
                std::thread::sleep(Duration::from_millis(5));
            }
            child.wait().unwrap();
            let (ids, uidls) = stored(dir.path());
            for (id, n) in &ids {
                assert!(
                    *n <= expected.get(id).copied().unwrap_or(0),
                    "{id} stored {n} times after a kill (round {round})"
                );
            }
            let count = total(&ids);
            if leave {
                assert_eq!(uidls, count, "a UIDL is recorded exactly with its message");
            } else {
                assert!(uidls <= count, "a UIDL is recorded only with its message");
            }
            if count < N {
                partial += 1;
            }
        }
        assert!(
            kills >= 2 && partial >= 2,
            "the kills must land mid-download (kills {kills}, partial {partial})"
        );
        // A complete run after the kills: everything, once.
        let engine = open_engine(dir.path());
        let account = engine.accounts().unwrap()[0].id;
        engine.sync_account(account).await.expect("final check");
        let (ids, _) = stored(dir.path());
        assert!(
            ids == expected,
            "every message once (leave on server: {leave})"
        );
        let expected_on_server = if leave { N as u32 } else { 0 };
        assert_eq!(on_server(s, &user), expected_on_server);
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
