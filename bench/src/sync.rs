//! `petrel-bench-sync`: one run of the sync benchmark (bench/run.sh runs it several times).
//!
//! Opens a fresh engine data folder, adds the account (passwords in a file, TLS verified against
//! `SSL_CERT_FILE`) with "keep all mail offline" on, then times with `Instant`, from the start of
//! the first sync: the newest 500 INBOX headers stored, all INBOX messages listed, the first sync
//! done (every folder listed, every body within the size limit stored: with "keep all mail
//! offline" the first sync lists all but the newest chunk from the whole messages), every INBOX
//! body stored and parsed (`Engine::download_all_bodies` for anything left, e.g. above the size
//! limit); then no-change resyncs; then the peak resident memory of this process.
//! Prints one `name value` line per figure (seconds, or as the name says) on stdout.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use petrel_bench::{peak_rss_mb, Flags};
use petrel_engine::engine::server;
use petrel_engine::imap::{Connection, SyncMode};
use petrel_engine::model::{
    BodyPolicy, EngineEvent, FolderRole, IncomingProtocol, NewAccount, Security,
};
use petrel_engine::net::Tls;
use petrel_engine::secrets::Secrets;
use petrel_engine::Engine;

const USAGE: &str = "usage: petrel-bench-sync --data-dir DIR --host HOST --imaps-port P \
--smtps-port P --user EMAIL --password PW [--resyncs N]";

struct Args {
    data_dir: std::path::PathBuf,
    host: String,
    imaps_port: u16,
    smtps_port: u16,
    user: String,
    password: String,
    resyncs: usize,
}

fn args() -> Result<Args> {
    let mut f = Flags::parse(USAGE)?;
    Ok(Args {
        data_dir: f.take("data-dir")?.into(),
        host: f.take("host")?,
        imaps_port: f.parse_value("imaps-port")?,
        smtps_port: f.parse_value("smtps-port")?,
        user: f.take("user")?,
        password: f.take("password")?,
        resyncs: f.parse_or("resyncs", 5)?,
    })
}

/// When the INBOX's first sync committed its newest 500 headers and all of them.
#[derive(Default, Clone, Copy)]
struct Marks {
    newest_500: Option<Instant>,
    all: Option<Instant>,
    listed: u32,
}

fn secs(d: Duration) -> String {
    format!("{:.4}", d.as_secs_f64())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main]
async fn main() -> Result<()> {
    // On a worker thread, as the app runs engine calls (Tauri commands and the background sync
    // are tasks on the runtime's workers), not in `block_on` on the main thread, where every
    // socket wake-up would cross threads.
    tokio::spawn(run()).await?
}

async fn run() -> Result<()> {
    let a = args()?;
    if a.data_dir.exists() {
        bail!(
            "{} exists: the benchmark needs a fresh data folder",
            a.data_dir.display()
        );
    }
    let engine = Engine::open(&a.data_dir, Secrets::file(a.data_dir.join("secrets.json")))?;
    let account = engine
        .add_account(NewAccount {
            display_name: "Bench".into(),
            email: a.user.clone(),
            password: a.password.clone(),
            protocol: IncomingProtocol::Imap,
            pop3: None,
            incoming: server(&a.host, Some(a.imaps_port), Security::Tls, &a.user, true),
            smtp: server(&a.host, Some(a.smtps_port), Security::Tls, &a.user, false),
        })
        .await?;
    engine.set_body_policy(
        account.id,
        BodyPolicy {
            keep_all_offline: true,
            ..BodyPolicy::default()
        },
    )?;

    // Progress events, stamped as they arrive.
    let marks: Arc<Mutex<Marks>> = Arc::default();
    let mut events = engine.subscribe();
    let m = marks.clone();
    let listener = tokio::spawn(async move {
        while let Ok(e) = events.recv().await {
            if let EngineEvent::SyncProgress {
                folder,
                done,
                total,
                ..
            } = e
            {
                if folder != "INBOX" {
                    continue;
                }
                let now = Instant::now();
                let mut m = m.lock().unwrap();
                if m.newest_500.is_none() && (done >= 500 || done == total) {
                    m.newest_500 = Some(now);
                }
                if m.all.is_none() && done == total {
                    m.all = Some(now);
                    m.listed = total;
                }
            }
        }
    });

    let t0 = Instant::now();
    let report = engine.sync_account(account.id).await?;
    let first_sync = t0.elapsed();
    let inbox = engine
        .folders(account.id)?
        .into_iter()
        .find(|f| f.role == Some(FolderRole::Inbox))
        .context("no INBOX")?;
    let mut batches = 0;
    let downloaded = engine
        .download_all_bodies(inbox.id, |_, _| batches += 1)
        .await?;
    let all_bodies = t0.elapsed();
    let missing = engine
        .store()
        .messages_without_body(inbox.id, u32::MAX)?
        .len();
    let Marks {
        newest_500: h500,
        all: hall,
        listed,
    } = *marks.lock().unwrap();
    listener.abort();

    // No-change resyncs. The background sync keeps its connection open, so the figure that counts
    // is a resync over an open connection; with connect and login, and the whole account, too.
    let tls = Tls::platform()?;
    let imap_settings = engine.store().account(account.id)?.incoming;
    let mut conn = Connection::connect(&tls, &imap_settings, &a.password).await?;
    let mut open_conn = Vec::new();
    let mut fetched = 0;
    let mut mode = SyncMode::Initial;
    for _ in 0..a.resyncs {
        let state = engine.store().folder_state(inbox.id)?;
        let t = Instant::now();
        let out = conn.sync_folder(engine.store(), &state, |_, _| {}).await?;
        open_conn.push(t.elapsed());
        fetched += out.fetched + out.new_ids.len() + out.removed + out.flags_changed;
        mode = out.mode;
    }
    conn.logout().await;
    let mut with_connect = Vec::new();
    let mut account_resync = Vec::new();
    for _ in 0..a.resyncs {
        let t = Instant::now();
        engine.sync_folder(inbox.id).await?;
        with_connect.push(t.elapsed());
        let t = Instant::now();
        engine.sync_account(account.id).await?;
        account_resync.push(t.elapsed());
    }

    let db = engine.store().path().to_path_buf();
    let file_mb = |suffix: &str| {
        std::fs::metadata(format!("{}{suffix}", db.display())).map_or(0.0, |m| m.len() as f64 / 1e6)
    };
    let (db_mb, wal_mb) = (file_mb(""), file_mb("-wal"));

    let since = |t: Option<Instant>| t.map_or("nan".to_string(), |t| secs(t - t0));
    println!("messages {listed}");
    println!("headers_500 {}", since(h500));
    println!("headers_all {}", since(hall));
    println!("first_sync {}", secs(first_sync));
    println!("first_sync_bodies {}", report.bodies);
    println!("bodies_all {}", secs(all_bodies));
    println!("bodies_downloaded {}", downloaded + report.bodies);
    println!("bodies_missing {missing}");
    println!("body_batches {batches}");
    println!("resync_open {}", secs(median(open_conn)));
    println!("resync_open_mode {mode:?}");
    println!("resync_open_changes {fetched}");
    println!("resync_connect {}", secs(median(with_connect)));
    println!("resync_account {}", secs(median(account_resync)));
    println!("db_mb {db_mb:.1}");
    println!("wal_mb {wal_mb:.1}");
    println!(
        "peak_rss_mb {}",
        peak_rss_mb().map_or("nan".to_string(), |v| format!("{v:.1}"))
    );
    Ok(())
}
