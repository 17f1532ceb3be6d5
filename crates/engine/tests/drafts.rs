//! Drafts against the real Dovecot from petrel-testkit: saved locally at once, uploaded to the
//! Drafts folder by the replayer, the previous copy replaced (exactly one copy after several
//! saves), kept while the server is unreachable, discarded (its copy deleted); APPENDUID read back, and the Message-ID search
//! that stands in without UIDPLUS.

use petrel_engine::model::OutgoingMessage;

mod common;
use common::Setup;

async fn setup(prefix: &str) -> Setup {
    common::setup(prefix, "Drafts Test", 0).await
}

impl Setup {
    fn draft(&self, body: &str) -> OutgoingMessage {
        OutgoingMessage {
            account_id: self.account.id,
            to: String::new(),
            cc: String::new(),
            subject: "Plans for Friday".into(),
            body: body.into(),
            in_reply_to: None,
            ..OutgoingMessage::default()
        }
    }

    /// The bodies of the server's Drafts, from `doveadm fetch`.
    fn server_drafts(&self) -> Vec<String> {
        let out = self
            .servers
            .doveadm(&[
                "fetch",
                "-u",
                &self.user.email,
                "body",
                "mailbox",
                "Drafts",
                "all",
            ])
            .expect("doveadm");
        out.split("body:")
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .map(str::to_string)
            .collect()
    }

    fn server_flags(&self) -> String {
        self.servers
            .doveadm(&[
                "fetch",
                "-u",
                &self.user.email,
                "flags",
                "mailbox",
                "Drafts",
                "all",
            ])
            .expect("doveadm")
    }

    fn set_port(&self, port: u16) {
        let db = rusqlite::Connection::open(self.engine.store().path()).expect("db");
        db.execute(
            "UPDATE accounts SET incoming_port = ?1 WHERE id = ?2",
            rusqlite::params![port, self.account.id],
        )
        .expect("update");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saving_a_draft_twice_leaves_exactly_one_copy_on_the_server() {
    let t = setup("drtwice").await;
    let id = t
        .engine
        .save_draft(None, &t.draft("first version"))
        .expect("save");
    assert_eq!(t.engine.replay(t.account.id).await.expect("replay"), 1);
    assert_eq!(t.server_drafts(), vec!["first version".to_string()]);
    assert!(t.server_flags().contains("\\Draft"), "{}", t.server_flags());

    let again = t
        .engine
        .save_draft(Some(id), &t.draft("second version"))
        .expect("save");
    assert_eq!(again, id, "the same draft");
    assert_eq!(t.engine.replay(t.account.id).await.expect("replay"), 1);
    assert_eq!(t.server_drafts(), vec!["second version".to_string()]);

    // Two saves before the server hears of them: still one copy, the newest.
    t.engine
        .save_draft(Some(id), &t.draft("third version"))
        .expect("save");
    t.engine
        .save_draft(Some(id), &t.draft("fourth version"))
        .expect("save");
    t.engine.replay(t.account.id).await.expect("replay");
    assert_eq!(t.server_drafts(), vec!["fourth version".to_string()]);
    assert_eq!(
        t.engine.replay(t.account.id).await.expect("replay"),
        0,
        "nothing left to upload"
    );

    // The Drafts folder in the store shows it.
    let drafts = t
        .engine
        .folders(t.account.id)
        .expect("folders")
        .into_iter()
        .find(|f| f.path == "Drafts")
        .expect("Drafts");
    assert_eq!(drafts.total, 1);

    // Another draft is another copy.
    t.engine
        .save_draft(None, &t.draft("another draft"))
        .expect("save");
    t.engine.replay(t.account.id).await.expect("replay");
    let mut all = t.server_drafts();
    all.sort();
    assert_eq!(all, vec!["another draft", "fourth version"]);

    // Sent or thrown away: discarded here at once, and its copy leaves the server.
    t.engine.discard_draft(id).expect("discard");
    assert!(
        t.engine.store().draft_raw(id).is_ok(),
        "kept until the server is told"
    );
    assert!(
        t.engine.save_draft(Some(id), &t.draft("too late")).is_err(),
        "a discarded draft cannot be saved again"
    );
    t.engine.replay(t.account.id).await.expect("replay");
    assert_eq!(t.server_drafts(), vec!["another draft".to_string()]);
    assert!(t.engine.store().draft_raw(id).is_err(), "forgotten");
    assert_eq!(
        t.engine
            .store()
            .pending_draft_count(t.account.id)
            .expect("store"),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_saved_offline_is_kept_and_uploaded_later() {
    let t = setup("droffline").await;
    let good = t.account.incoming.port;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    t.set_port(closed);
    let id = t
        .engine
        .save_draft(None, &t.draft("written on a train"))
        .expect("saving needs no server");
    assert!(t.engine.replay(t.account.id).await.is_err());
    assert!(t.server_drafts().is_empty());
    let raw = t.engine.store().draft_raw(id).expect("kept here");
    assert!(String::from_utf8_lossy(&raw).contains("written on a train"));

    t.set_port(good);
    assert_eq!(t.engine.replay(t.account.id).await.expect("replay"), 1);
    assert_eq!(t.server_drafts(), vec!["written on a train".to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn append_reads_appenduid_and_copies_are_found_by_message_id_without_it() {
    let t = setup("drappend").await;
    let raw = b"From: a@example.org\r\nMessage-ID: <append-test@example.org>\r\nSubject: x\r\n\r\nhello\r\n";
    let tls = petrel_engine::net::Tls::platform().expect("tls");
    let mut conn =
        petrel_engine::imap::Connection::connect(&tls, &t.account.incoming, &t.user.password)
            .await
            .expect("connect");
    assert!(conn.uidplus(), "Dovecot offers UIDPLUS");
    let first = conn
        .append_message("Drafts", "\\Draft", raw)
        .await
        .expect("append");
    assert_eq!(first, Some(1));
    conn.forget_capability("UIDPLUS");
    // APPENDUID is still sent by the server; what matters is the search that stands in.
    conn.append_message("Drafts", "\\Draft", raw)
        .await
        .expect("append");
    conn.select_for_changes("Drafts").await.expect("select");
    let mut found = conn
        .uids_with_message_id("<append-test@example.org>")
        .await
        .expect("search");
    found.sort();
    assert_eq!(found, vec![1, 2]);
    assert!(conn
        .uids_with_message_id("<other@example.org>")
        .await
        .expect("search")
        .is_empty());
    let refused = conn.append_message("No such folder", "", raw).await;
    assert!(refused.is_err());
    conn.logout().await;
}
