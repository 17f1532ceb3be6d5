//! Folder changes against the real Dovecot from petrel-testkit: create (top level and inside a
//! folder), rename (messages and sync state kept, subfolders follow), delete with its messages,
//! subscribe/unsubscribe (the subscription state stored, also when changed elsewhere); INBOX and
//! special folders refused; an unreachable server refused with nothing changed; names outside
//! ASCII written and read in IMAP's modified UTF-7, shown decoded.

use petrel_engine::model::{EngineEvent, ErrorKind, Folder};
use petrel_testkit::corpus;

mod common;
use common::Setup;

async fn setup(prefix: &str) -> Setup {
    common::setup(prefix, "Folders Test", 0).await
}

impl Setup {
    fn folder(&self, path: &str) -> Option<Folder> {
        self.engine
            .folders(self.account.id)
            .expect("folders")
            .into_iter()
            .find(|f| f.path == path)
    }

    /// The server's folders (`doveadm mailbox list`), optionally only the subscribed ones.
    fn on_server(&self, subscribed: bool) -> Vec<String> {
        let mut args = vec!["mailbox", "list", "-u", self.user.email.as_str()];
        if subscribed {
            args.push("-s");
        }
        let mut list: Vec<String> = self
            .servers
            .doveadm(&args)
            .expect("doveadm")
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        list.sort();
        list
    }

    /// The server's folder names as IMAP spells them (`doveadm mailbox list -7`: modified UTF-7).
    fn on_server_utf7(&self) -> Vec<String> {
        self.servers
            .doveadm(&["mailbox", "list", "-7", "-u", self.user.email.as_str()])
            .expect("doveadm")
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect()
    }

    fn count(&self, path: &str) -> u32 {
        self.servers
            .message_count(&self.user.email, path)
            .expect("doveadm")
    }
}

fn folders_changed(rx: &mut tokio::sync::broadcast::Receiver<EngineEvent>) -> bool {
    let mut seen = false;
    while let Ok(e) = rx.try_recv() {
        seen |= matches!(e, EngineEvent::FoldersChanged { .. });
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_rename_and_delete_reach_the_server_and_the_store() {
    let t = setup("fldcrud").await;
    let id = t.account.id;
    let mut events = t.engine.subscribe();

    let projects = t
        .engine
        .create_folder(id, None, " Projects ")
        .await
        .expect("create");
    assert_eq!(projects.path, "Projects");
    assert!(folders_changed(&mut events));
    let child = t
        .engine
        .create_folder(id, Some(projects.id), "2026")
        .await
        .expect("create inside");
    assert_eq!(child.path, "Projects/2026");
    assert!(t.on_server(false).contains(&"Projects/2026".to_string()));
    assert!(
        t.on_server(true).contains(&"Projects".to_string()),
        "new folders are subscribed"
    );
    let again = t.engine.create_folder(id, None, "projects").await;
    assert!(again.is_err(), "a second folder of the same name");

    // Mail in the folder, synced, then renamed: messages and their ids stay.
    t.servers
        .fill_mailbox(
            &t.user.email,
            "Projects",
            &corpus::generate(3, 5, &t.servers.domain),
        )
        .expect("fill");
    t.engine.sync_folder(projects.id).await.expect("sync");
    let before = t.engine.messages(projects.id, 0, 10).expect("messages");
    assert_eq!(before.items.len(), 3);

    let renamed = t
        .engine
        .rename_folder(projects.id, "Clients")
        .await
        .expect("rename");
    assert_eq!(
        (renamed.id, renamed.path.as_str()),
        (projects.id, "Clients")
    );
    assert!(folders_changed(&mut events));
    assert!(t.folder("Projects").is_none());
    assert_eq!(
        t.folder("Clients/2026").map(|f| f.id),
        Some(child.id),
        "the subfolder followed"
    );
    let server = t.on_server(false);
    assert!(server.contains(&"Clients/2026".to_string()), "{server:?}");
    assert!(!server.contains(&"Projects".to_string()), "{server:?}");
    assert!(t.on_server(true).contains(&"Clients".to_string()));
    assert_eq!(t.count("Clients"), 3);
    let after = t.engine.messages(projects.id, 0, 10).expect("messages");
    let ids =
        |p: &petrel_engine::model::MessagePage| p.items.iter().map(|m| m.id).collect::<Vec<_>>();
    assert_eq!(ids(&after), ids(&before), "the stored messages were kept");
    // The sync state was kept too: nothing is listed again.
    let resync = t.engine.sync_folder(projects.id).await.expect("sync");
    assert!(resync.new_ids.is_empty() && !resync.uidvalidity_reset);

    // Delete the subfolder, then the folder with its messages.
    t.engine.delete_folder(child.id).await.expect("delete");
    t.engine.delete_folder(projects.id).await.expect("delete");
    assert!(folders_changed(&mut events));
    assert!(t.folder("Clients").is_none() && t.folder("Clients/2026").is_none());
    let server = t.on_server(false);
    assert!(
        !server.iter().any(|f| f.starts_with("Clients")),
        "{server:?}"
    );
    assert!(
        t.engine.store().folder(projects.id).is_err(),
        "gone from the store"
    );
    assert_eq!(
        t.engine
            .store()
            .message_summaries(&ids(&before))
            .expect("store")
            .len(),
        0,
        "its messages went with it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbox_and_special_folders_are_refused_and_subscriptions_reach_the_server() {
    let t = setup("fldspecial").await;
    let before = t.on_server(false);
    for path in ["INBOX", "Trash", "Sent", "Drafts"] {
        let f = t.folder(path).expect("folder");
        let e = t.engine.delete_folder(f.id).await.expect_err("refused");
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.summary().contains("cannot be deleted"), "{}", e.summary());
        let e = t
            .engine
            .rename_folder(f.id, "Other")
            .await
            .expect_err("refused");
        assert!(e.summary().contains("cannot be renamed"), "{}", e.summary());
    }
    assert_eq!(t.on_server(false), before, "nothing changed on the server");

    let f = t
        .engine
        .create_folder(t.account.id, None, "Lists")
        .await
        .expect("create");
    t.engine
        .set_folder_subscribed(f.id, false)
        .await
        .expect("unsubscribe");
    assert!(!t.on_server(true).contains(&"Lists".to_string()));
    assert!(
        !t.folder("Lists").expect("Lists").subscribed,
        "the store follows"
    );
    t.engine
        .set_folder_subscribed(f.id, true)
        .await
        .expect("subscribe");
    assert!(t.on_server(true).contains(&"Lists".to_string()));
    assert!(t.folder("Lists").expect("Lists").subscribed);

    // Unsubscribed elsewhere: the next sync shows it. INBOX always counts as subscribed.
    t.servers
        .doveadm(&["mailbox", "unsubscribe", "-u", &t.user.email, "Lists"])
        .expect("doveadm");
    let mut events = t.engine.subscribe();
    t.engine.sync_account(t.account.id).await.expect("sync");
    assert!(folders_changed(&mut events));
    assert!(!t.folder("Lists").expect("Lists").subscribed);
    assert!(t.folder("INBOX").expect("INBOX").subscribed);
    assert!(t.folder("Trash").expect("Trash").subscribed);

    // A hierarchy delimiter in a new name is refused before anything is sent.
    let e = t
        .engine
        .rename_folder(f.id, "bad/name")
        .await
        .expect_err("delimiter in a name");
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folder_changes_while_offline_say_so_and_change_nothing() {
    let t = setup("fldoffline").await;
    let closed_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let db = rusqlite::Connection::open(t.engine.store().path()).expect("db");
    db.execute(
        "UPDATE accounts SET incoming_port = ?1 WHERE id = ?2",
        rusqlite::params![closed_port, t.account.id],
    )
    .expect("update");
    let before = t.engine.folders(t.account.id).expect("folders");
    let e = t
        .engine
        .create_folder(t.account.id, None, "Later")
        .await
        .expect_err("offline");
    assert!(e.summary().contains("You are offline"), "{}", e.summary());
    assert_eq!(e.kind(), ErrorKind::ConnectionRefused);
    assert_eq!(t.engine.folders(t.account.id).expect("folders"), before);
    assert!(!t.on_server(false).contains(&"Later".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_ascii_names_travel_in_modified_utf7_and_show_decoded() {
    let t = setup("fldutf7").await;
    let id = t.account.id;

    // Created through the engine: the server lists the modified UTF-7 spelling, and agrees with
    // its own encoder (`doveadm mailbox mutf7`).
    let drafts = t
        .engine
        .create_folder(id, None, "Entwürfe 2026")
        .await
        .expect("create");
    assert_eq!(
        (drafts.path.as_str(), drafts.name.as_str()),
        ("Entw&APw-rfe 2026", "Entwürfe 2026")
    );
    let nested = t
        .engine
        .create_folder(id, Some(drafts.id), "日本語")
        .await
        .expect("create inside");
    assert_eq!(nested.path, "Entw&APw-rfe 2026/&ZeVnLIqe-");
    assert_eq!(nested.name, "日本語");
    let amp = t
        .engine
        .create_folder(id, None, "R&D")
        .await
        .expect("create with &");
    assert_eq!(amp.path, "R&-D");
    let listed = t.on_server_utf7();
    for raw in ["Entw&APw-rfe 2026", "Entw&APw-rfe 2026/&ZeVnLIqe-", "R&-D"] {
        assert!(listed.contains(&raw.to_string()), "{raw} in {listed:?}");
    }
    let dovecot = t
        .servers
        .doveadm(&["mailbox", "mutf7", "Entwürfe 2026/日本語"])
        .expect("doveadm");
    assert_eq!(dovecot.trim(), nested.path);
    let again = t.engine.create_folder(id, None, "Entwürfe 2026").await;
    assert!(again.is_err(), "a second folder of the same name");

    // Created on the server side: after a sync it shows decoded, its path stays the server's.
    t.servers
        .doveadm(&["mailbox", "create", "-u", &t.user.email, "-s", "Привет"])
        .expect("doveadm");
    t.engine.sync_account(id).await.expect("sync");
    let hello = t.folder("&BB8EQAQ4BDIENQRC-").expect("the server's folder");
    assert_eq!(hello.name, "Привет");

    // Messages in the non-ASCII folder, then a rename to another non-ASCII name keeps them.
    t.servers
        .fill_mailbox(
            &t.user.email,
            "Entwürfe 2026",
            &corpus::generate(3, 5, &t.servers.domain),
        )
        .expect("fill");
    t.engine.sync_folder(drafts.id).await.expect("sync");
    let before = t.engine.messages(drafts.id, 0, 10).expect("messages");
    assert_eq!(before.items.len(), 3);
    let renamed = t
        .engine
        .rename_folder(drafts.id, "Brouillons été")
        .await
        .expect("rename");
    assert_eq!(
        (renamed.id, renamed.path.as_str(), renamed.name.as_str()),
        (drafts.id, "Brouillons &AOk-t&AOk-", "Brouillons été")
    );
    let moved = t
        .folder("Brouillons &AOk-t&AOk-/&ZeVnLIqe-")
        .expect("the subfolder followed");
    assert_eq!((moved.id, moved.name.as_str()), (nested.id, "日本語"));
    assert_eq!(t.count("Brouillons été"), 3);
    let after = t.engine.messages(drafts.id, 0, 10).expect("messages");
    let ids =
        |p: &petrel_engine::model::MessagePage| p.items.iter().map(|m| m.id).collect::<Vec<_>>();
    assert_eq!(ids(&after), ids(&before), "the stored messages were kept");
    let resync = t.engine.sync_folder(drafts.id).await.expect("sync");
    assert!(resync.new_ids.is_empty() && !resync.uidvalidity_reset);
    assert!(!t.on_server_utf7().iter().any(|f| f.starts_with("Entw")));
}
