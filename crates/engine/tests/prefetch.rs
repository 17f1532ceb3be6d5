//! The body prefetch policy against the real Dovecot from petrel-testkit: a sync downloads the
//! bodies of recent mail in every folder (the window), leaves older ones and large ones to be
//! downloaded on open, and "keep all mail offline" takes every body within the size limit.

use petrel_engine::model::{Account, BodyPolicy};
use petrel_engine::Engine;
use petrel_testkit::TestUser;

mod common;

struct Setup {
    _dir: tempfile::TempDir,
    engine: Engine,
    account: Account,
}

/// An RFC 5322 date `days_ago` days before now (UTC).
fn date_days_ago(days_ago: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let t = now - days_ago * 86_400;
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{day:02} {} {year} {:02}:{:02}:{:02} +0000",
        months[(month - 1) as usize],
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

fn message(subject: &str, days_ago: i64, body_bytes: usize) -> Vec<u8> {
    let line = "All work and no play makes a long message.\r\n";
    let body: String = line.repeat(body_bytes / line.len() + 1);
    format!(
        "From: Ann <ann@example.org>\r\nTo: Bo <bo@example.org>\r\nSubject: {subject}\r\n\
         Date: {}\r\nMessage-ID: <{}@example.org>\r\n\r\n{body}",
        date_days_ago(days_ago),
        subject.replace(' ', ".")
    )
    .into_bytes()
}

async fn setup(prefix: &str) -> Setup {
    let servers = common::servers();
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = common::open_engine(dir.path());
    let user: TestUser = servers.new_user(prefix).expect("user");
    servers
        .fill_mailbox(
            &user.email,
            "INBOX",
            &[
                message("Old news", 100, 2_000),
                message("Last month", 29, 2_000),
                message("Fresh", 1, 2_000),
                message("Big and fresh", 1, 300_000),
            ],
        )
        .expect("fill");
    servers
        .fill_mailbox(
            &user.email,
            "Archive",
            &[
                message("Archived fresh", 2, 2_000),
                message("Archived old", 400, 2_000),
            ],
        )
        .expect("fill");
    let account = engine
        .add_account(common::tls_account(servers, &user, "Prefetch Test"))
        .await
        .expect("account");
    Setup {
        _dir: dir,
        engine,
        account,
    }
}

impl Setup {
    /// Subjects of the stored messages that have their body, sorted.
    fn with_body(&self) -> Vec<String> {
        let mut out = Vec::new();
        for folder in self.engine.folders(self.account.id).expect("folders") {
            for m in self
                .engine
                .messages(folder.id, 0, 100)
                .expect("messages")
                .items
            {
                if self.engine.store().has_body(m.id).expect("store") {
                    out.push(m.subject);
                }
            }
        }
        out.sort();
        out
    }

    fn message_id(&self, subject: &str) -> i64 {
        self.engine
            .folders(self.account.id)
            .expect("folders")
            .iter()
            .flat_map(|f| self.engine.messages(f.id, 0, 100).expect("messages").items)
            .find(|m| m.subject == subject)
            .unwrap_or_else(|| panic!("a message {subject:?}"))
            .id
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recent_bodies_of_every_folder_are_prefetched_and_large_ones_wait_for_opening() {
    let t = setup("prefwindow").await;
    assert_eq!(
        t.engine.body_policy(t.account.id).expect("policy"),
        BodyPolicy::default(),
        "30 days, 5 MB"
    );
    t.engine
        .set_body_policy(
            t.account.id,
            BodyPolicy {
                max_prefetch_bytes: 100_000,
                ..BodyPolicy::default()
            },
        )
        .expect("policy");
    let report = t.engine.sync_account(t.account.id).await.expect("sync");
    assert_eq!(report.bodies, 3);
    assert_eq!(t.with_body(), ["Archived fresh", "Fresh", "Last month"]);

    // The large one is downloaded when it is opened.
    let big = t.message_id("Big and fresh");
    let view = t.engine.message(big).await.expect("open");
    assert!(view.text.contains("no play"));
    assert!(t.engine.store().has_body(big).expect("store"));

    // Nothing more on the next pass.
    let report = t.engine.sync_account(t.account.id).await.expect("sync");
    assert_eq!(report.bodies, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_all_mail_offline_takes_every_body_within_the_size_limit() {
    let t = setup("prefall").await;
    t.engine
        .set_body_policy(
            t.account.id,
            BodyPolicy {
                keep_all_offline: true,
                prefetch_days: 30,
                max_prefetch_bytes: 100_000,
            },
        )
        .expect("policy");
    let report = t.engine.sync_account(t.account.id).await.expect("sync");
    assert_eq!(report.bodies, 5);
    assert_eq!(
        t.with_body(),
        [
            "Archived fresh",
            "Archived old",
            "Fresh",
            "Last month",
            "Old news"
        ]
    );

    // A window of 0 days with keep-all off prefetches nothing.
    let u = setup("prefnone").await;
    u.engine
        .set_body_policy(
            u.account.id,
            BodyPolicy {
                prefetch_days: 0,
                ..BodyPolicy::default()
            },
        )
        .expect("policy");
    let report = u.engine.sync_account(u.account.id).await.expect("sync");
    assert_eq!(report.bodies, 0);
    assert!(u.with_body().is_empty());
}
