//! `petrel-bench-pop3`: one run of the POP3 benchmark (bench/pop3.sh runs it several times).
//!
//! Opens a fresh engine data folder, adds a POP3 account over POP3S (passwords in a file, TLS
//! verified against `SSL_CERT_FILE`, mail left on the server), then times the first check — every
//! message downloaded, parsed and committed to the local Inbox — with `Instant`. Prints one
//! `name value` line per figure on stdout.

use std::time::Instant;

use anyhow::{Context, Result};
use petrel_bench::{peak_rss_mb, Flags};
use petrel_engine::engine::server;
use petrel_engine::model::{FolderRole, IncomingProtocol, NewAccount, Pop3Settings, Security};
use petrel_engine::secrets::Secrets;
use petrel_engine::Engine;

const USAGE: &str = "usage: petrel-bench-pop3 --data-dir DIR --host HOST --pop3s-port P \
--smtps-port P --user EMAIL --password PW";

#[tokio::main]
async fn main() -> Result<()> {
    let mut f = Flags::parse(USAGE)?;
    let data_dir: std::path::PathBuf = f.take("data-dir")?.into();
    let host = f.take("host")?;
    let pop3s_port: u16 = f.parse_value("pop3s-port")?;
    let smtps_port: u16 = f.parse_value("smtps-port")?;
    let user = f.take("user")?;
    let password = f.take("password")?;

    let engine = Engine::open(&data_dir, Secrets::file(data_dir.join("secrets.json")))?;
    let account = engine
        .add_account(NewAccount {
            display_name: "Bench".into(),
            email: user.clone(),
            password,
            protocol: IncomingProtocol::Pop3,
            incoming: server(&host, Some(pop3s_port), Security::Tls, &user, true),
            smtp: server(&host, Some(smtps_port), Security::Tls, &user, false),
            pop3: Some(Pop3Settings::default()),
        })
        .await
        .context("adding the POP3 account")?;
    let start = Instant::now();
    let report = engine
        .sync_account(account.id)
        .await
        .context("the first check")?;
    let elapsed = start.elapsed();
    let inbox = engine
        .store()
        .folder_by_role(account.id, FolderRole::Inbox)?
        .context("no local Inbox")?;
    let stored = engine.store().message_count(inbox.id)?;
    let db = std::fs::metadata(engine.store().path()).map_or(0, |m| m.len());
    println!("download {:.4}", elapsed.as_secs_f64());
    println!("messages {}", report.new_messages);
    println!("stored {stored}");
    println!("db_mb {:.1}", db as f64 / 1e6);
    if let Some(rss) = peak_rss_mb() {
        println!("peak_rss_mb {rss:.1}");
    }
    Ok(())
}
