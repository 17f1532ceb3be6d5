//! `petrel-bench-phases`: where the time of "all bodies" goes, one phase at a time (run by hand,
//! see bench/README.md, "Phases"). Same arguments as `petrel-bench-sync`, against the same
//! mailbox.
//!
//! After a headers-only sync into a fresh data folder, it times, each alone and one after the
//! other, on the INBOX's messages in the engine's FETCH batches:
//! - `fetch_discard`: every body fetched over Petrel's IMAP connection and dropped (network, TLS,
//!   IMAP parsing and copies: what Petrel pays where the raw fetch pays only the network and TLS);
//! - `fetch_keep`: the same, the bodies kept in memory for the next phases;
//! - `parse`: `mime::parse_body` on every body, on one thread;
//! - `store`: the parsed bodies stored batch by batch (`Store::store_bodies`, one transaction per
//!   batch), on one thread;
//! - `download_all`: `Engine::download_all_bodies` into a second fresh data folder after its own
//!   headers sync (everything overlapped);
//! - `one_pass`: the first sync (`Engine::sync_account`) of a third fresh data folder with "keep
//!   all mail offline": the newest chunk's headers, then the rest listed from the whole messages
//!   in one pass, as the sync benchmark measures it (compare with `headers` + `download_all`).
//!
//! Prints `phase wall_s cpu_s` lines (CPU: user + system time of the whole process).

use std::time::Instant;

use anyhow::{bail, Context, Result};
use petrel_engine::engine::server;
use petrel_engine::imap::Connection;
use petrel_engine::mime;
use petrel_engine::model::{
    Account, BodyPolicy, FolderRole, IncomingProtocol, NewAccount, Security,
};
use petrel_engine::net::Tls;
use petrel_engine::secrets::Secrets;
use petrel_engine::Engine;

const USAGE: &str = "usage: petrel-bench-phases --data-dir DIR --host HOST --imaps-port P \
--smtps-port P --user EMAIL --password PW";

/// As the engine batches its body FETCHes (`engine::BODY_BATCH_BYTES`, `BODY_BATCH_MAX`).
const BATCH_BYTES: u64 = 4 << 20;
const BATCH_MAX: usize = 1000;

/// User + system CPU seconds of this process so far (Linux: /proc/self/stat).
fn cpu_s() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return f64::NAN;
    };
    // The fields after the command name (which is in parentheses and may hold spaces).
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return f64::NAN;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        f.get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name; 100 ticks/s.
    (ticks(11) + ticks(12)) / 100.0
}

struct Span {
    wall: Instant,
    cpu: f64,
}

fn start() -> Span {
    Span {
        wall: Instant::now(),
        cpu: cpu_s(),
    }
}

fn report(name: &str, s: Span) {
    println!(
        "{name} {:.3} {:.2}",
        s.wall.elapsed().as_secs_f64(),
        cpu_s() - s.cpu
    );
}

fn batches(rows: &[(i64, u32, u32)]) -> Vec<&[(i64, u32, u32)]> {
    let mut out = Vec::new();
    let mut begin = 0;
    let mut bytes = 0u64;
    for (i, (_, _, size)) in rows.iter().enumerate() {
        if i > begin && (bytes + u64::from(*size) > BATCH_BYTES || i - begin >= BATCH_MAX) {
            out.push(&rows[begin..i]);
            begin = i;
            bytes = 0;
        }
        bytes += u64::from(*size);
    }
    if begin < rows.len() {
        out.push(&rows[begin..]);
    }
    out
}

#[tokio::main]
async fn main() -> Result<()> {
    // On a worker thread, as in the app (see sync.rs).
    tokio::spawn(run()).await?
}

async fn run() -> Result<()> {
    let mut f = petrel_bench::Flags::parse(USAGE)?;
    let data_dir: std::path::PathBuf = f.take("data-dir")?.into();
    let host = f.take("host")?;
    let imaps: u16 = f.parse_value("imaps-port")?;
    let smtps: u16 = f.parse_value("smtps-port")?;
    let user = f.take("user")?;
    let password = f.take("password")?;
    if data_dir.exists() {
        bail!(
            "{} exists: a fresh data folder is needed",
            data_dir.display()
        );
    }

    // An engine on a fresh data folder `dir`, with the bench user's account added.
    let fresh_account = async |dir: &std::path::Path| -> Result<(Engine, Account)> {
        let engine = Engine::open(dir, Secrets::file(dir.join("secrets.json")))?;
        let account = engine
            .add_account(NewAccount {
                display_name: "Bench".into(),
                email: user.clone(),
                password: password.clone(),
                protocol: IncomingProtocol::Imap,
                pop3: None,
                incoming: server(&host, Some(imaps), Security::Tls, &user, true),
                smtp: server(&host, Some(smtps), Security::Tls, &user, false),
            })
            .await?;
        Ok((engine, account))
    };
    let (engine, account) = fresh_account(&data_dir).await?;
    let no_prefetch = BodyPolicy {
        keep_all_offline: false,
        prefetch_days: 0,
        max_prefetch_bytes: 0,
    };
    engine.set_body_policy(account.id, no_prefetch)?;
    let s = start();
    engine.sync_account(account.id).await?;
    report("headers", s);
    let inbox = engine
        .folders(account.id)?
        .into_iter()
        .find(|f| f.role == Some(FolderRole::Inbox))
        .context("no INBOX")?;
    let rows = engine.store().messages_without_body(inbox.id, u32::MAX)?;
    let batches = batches(&rows);

    let tls = Tls::platform()?;
    let settings = engine.store().account(account.id)?.incoming;
    let mut conn = Connection::connect(&tls, &settings, &password).await?;
    conn.examine("INBOX").await?;

    let uids = |b: &[(i64, u32, u32)]| b.iter().map(|r| r.1).collect::<Vec<u32>>();
    let s = start();
    let mut bytes = 0usize;
    for b in &batches {
        for (_, raw) in conn.fetch_selected_bodies(&uids(b)).await? {
            bytes += raw.len();
        }
    }
    report("fetch_discard", s);

    let s = start();
    let mut fetched = Vec::with_capacity(batches.len());
    for b in &batches {
        let by_uid: std::collections::HashMap<u32, i64> = b.iter().map(|r| (r.1, r.0)).collect();
        let got = conn.fetch_selected_bodies(&uids(b)).await?;
        fetched.push(
            got.into_iter()
                .filter_map(|(uid, raw)| Some((*by_uid.get(&uid)?, raw)))
                .collect::<Vec<_>>(),
        );
    }
    report("fetch_keep", s);
    conn.logout().await;

    let s = start();
    let parsed: Vec<Vec<(i64, mime::ParsedBody)>> = fetched
        .into_iter()
        .map(|b| {
            b.into_iter()
                .map(|(id, raw)| (id, mime::parse_body(raw)))
                .collect()
        })
        .collect();
    report("parse", s);

    let s = start();
    let mut stored = 0;
    for b in &parsed {
        stored += engine.store().store_bodies(
            b.iter()
                .map(|(id, p)| (*id, &p.body, p.snippet.as_str(), p.has_attachments)),
        )?;
    }
    report("store", s);
    drop(parsed);

    drop(engine);

    // The whole pipeline, into a second fresh data folder (headers first, not timed).
    let dir = data_dir.join("second");
    let (engine, account) = fresh_account(&dir).await?;
    engine.set_body_policy(account.id, no_prefetch)?;
    engine.sync_account(account.id).await?;
    let inbox = engine
        .folders(account.id)?
        .into_iter()
        .find(|f| f.role == Some(FolderRole::Inbox))
        .context("no INBOX")?;
    let s = start();
    let downloaded = engine.download_all_bodies(inbox.id, |_, _| {}).await?;
    report("download_all", s);
    drop(engine);

    // The first sync with "keep all mail offline", into a third fresh data folder.
    let dir = data_dir.join("third");
    let (engine, account) = fresh_account(&dir).await?;
    engine.set_body_policy(
        account.id,
        BodyPolicy {
            keep_all_offline: true,
            ..BodyPolicy::default()
        },
    )?;
    let s = start();
    let one_pass = engine.sync_account(account.id).await?;
    report("one_pass", s);
    let limit = BodyPolicy::default().max_prefetch_bytes;
    let within = rows.iter().filter(|r| r.2 <= limit).count();
    if one_pass.bodies != within {
        bail!(
            "the one-pass first sync stored {} bodies, not the {within} within the size limit",
            one_pass.bodies
        );
    }
    println!(
        "messages {} bytes {bytes} stored {stored} downloaded {downloaded}",
        rows.len()
    );
    Ok(())
}
