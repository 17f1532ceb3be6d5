//! `petrel`: Petrel from the command line, over the same engine and the same data folder as the
//! app (`PETREL_DATA_DIR` moves both). Handy for scripting, for tests, and for a quick look.

use std::io::{BufRead, Read};

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use petrel_engine::engine::{default_pop3_port, server};
use petrel_engine::model::{
    Account, IncomingProtocol, NewAccount, OutboxState, OutgoingMessage, Pop3Settings, Security,
};
use petrel_engine::Engine;

mod discover;

#[derive(Parser)]
#[command(name = "petrel", version, about = "Petrel mail from the command line")]
struct Cli {
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Add, list or remove accounts.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Fetch new mail (all accounts, or one).
    Sync {
        /// The account's address or id.
        #[arg(long)]
        account: Option<String>,
    },
    /// List an account's folders.
    Folders {
        #[arg(long)]
        account: Option<String>,
    },
    /// List the newest messages of a folder.
    List {
        #[arg(long)]
        account: Option<String>,
        /// Folder path (default INBOX).
        #[arg(long, default_value = "INBOX")]
        folder: String,
        #[arg(long, default_value_t = 30)]
        limit: u32,
    },
    /// Show one message (by the id `list` prints).
    Show { id: i64 },
    /// Send a plain-text message. The body is read from --body, else from standard input.
    Send {
        #[arg(long)]
        account: Option<String>,
        /// Recipients, comma separated.
        #[arg(long)]
        to: String,
        #[arg(long, default_value = "")]
        cc: String,
        #[arg(long)]
        subject: String,
        #[arg(long)]
        body: Option<String>,
    },
    /// List the messages not sent yet (queued, or refused with the server's reason); --retry ID
    /// sends one again now, --delete ID deletes it unsent.
    Outbox {
        #[arg(long)]
        account: Option<String>,
        #[arg(long, conflicts_with = "delete")]
        retry: Option<i64>,
        #[arg(long)]
        delete: Option<i64>,
    },
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Add an IMAP + SMTP account. The settings are tested before anything is saved.
    Add(AddAccount),
    /// List accounts.
    List,
    /// Remove an account, its local mail and its stored password.
    Remove { account: String },
    /// Find the settings for an address (provider list, autoconfig, DNS, guessing) and print
    /// what was found and where; nothing is saved.
    Discover(DiscoverArgs),
}

#[derive(Args)]
struct DiscoverArgs {
    /// The e-mail address.
    email: String,
    /// Ask only this DNS server (ADDR:PORT) instead of the system's (tests, demos).
    #[arg(long, hide = true)]
    dns_server: Option<std::net::SocketAddr>,
    /// Probe other ports than the usual ones: 993=31993,143=31143,… (tests, demos).
    #[arg(long, hide = true)]
    probe_ports: Option<String>,
    /// Fetch HTTPS autoconfig files from this port instead of 443 (tests, demos).
    #[arg(long, hide = true)]
    https_port: Option<u16>,
    /// Fetch plain-HTTP autoconfig files from this port instead of 80 (tests, demos).
    #[arg(long, hide = true)]
    http_port: Option<u16>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Sec {
    Tls,
    Starttls,
    Plain,
}

impl From<Sec> for Security {
    fn from(s: Sec) -> Security {
        match s {
            Sec::Tls => Security::Tls,
            Sec::Starttls => Security::Starttls,
            Sec::Plain => Security::Plain,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Proto {
    Imap,
    Pop3,
}

#[derive(Args)]
struct AddAccount {
    #[arg(long)]
    email: String,
    /// Your name as recipients see it.
    #[arg(long, default_value = "")]
    name: String,
    /// How mail is received: IMAP (mail stays on the server) or POP3 (downloaded here).
    #[arg(long, value_enum, default_value = "imap")]
    protocol: Proto,
    /// The incoming (IMAP or POP3) server.
    #[arg(long, alias = "imap-host")]
    incoming_host: String,
    #[arg(long, alias = "imap-port")]
    incoming_port: Option<u16>,
    #[arg(long, alias = "imap-security", value_enum, default_value = "tls")]
    incoming_security: Sec,
    /// Default: the e-mail address.
    #[arg(long, alias = "imap-username")]
    incoming_username: Option<String>,
    /// POP3: delete each message from the server once it is downloaded (default: leave it).
    #[arg(long)]
    delete_from_server: bool,
    /// POP3: delete from the server this many days after the download.
    #[arg(long)]
    delete_after_days: Option<u32>,
    #[arg(long)]
    smtp_host: String,
    #[arg(long)]
    smtp_port: Option<u16>,
    #[arg(long, value_enum, default_value = "tls")]
    smtp_security: Sec,
    #[arg(long)]
    smtp_username: Option<String>,
    /// Read the password from the first line of standard input instead of asking.
    #[arg(long)]
    password_stdin: bool,
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PETREL_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("petrel: could not start: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("petrel: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Engine errors become their plain-words summary, with the technical detail after it.
fn plain(e: petrel_engine::Error) -> anyhow::Error {
    let u = e.to_user();
    anyhow!("{}\n  details: {}", u.summary, u.detail)
}

fn find_account(engine: &Engine, which: Option<&str>) -> Result<Account> {
    let accounts = engine.accounts().map_err(plain)?;
    match which {
        None => match accounts.as_slice() {
            [one] => Ok(one.clone()),
            [] => bail!("no account yet: add one with `petrel account add`"),
            _ => bail!("there are several accounts: choose one with --account ADDRESS"),
        },
        Some(w) => accounts
            .into_iter()
            .find(|a| a.email.eq_ignore_ascii_case(w) || a.id.to_string() == w)
            .ok_or_else(|| anyhow!("no account {w}")),
    }
}

fn read_password(from_stdin: bool) -> Result<String> {
    if !from_stdin {
        eprint!("Password (input is shown; use --password-stdin to pipe it): ");
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        bail!("no password given");
    }
    Ok(password)
}

async fn run(cli: Cli) -> Result<()> {
    // Discovery needs no data folder.
    if let Command::Account(AccountCommand::Discover(d)) = &cli.command {
        return discover::run(d, cli.json).await;
    }
    let engine = Engine::open_default().map_err(plain)?;
    match cli.command {
        Command::Account(AccountCommand::Add(a)) => {
            let password = read_password(a.password_stdin)?;
            let incoming_user = a
                .incoming_username
                .clone()
                .unwrap_or_else(|| a.email.clone());
            let (protocol, pop3, port) = match a.protocol {
                Proto::Imap => (IncomingProtocol::Imap, None, a.incoming_port),
                Proto::Pop3 => (
                    IncomingProtocol::Pop3,
                    Some(Pop3Settings {
                        leave_on_server: !a.delete_from_server,
                        delete_after_days: a.delete_after_days,
                        ..Pop3Settings::default()
                    }),
                    Some(
                        a.incoming_port
                            .unwrap_or_else(|| default_pop3_port(a.incoming_security.into())),
                    ),
                ),
            };
            let smtp_user = a.smtp_username.clone().unwrap_or_else(|| a.email.clone());
            let new = NewAccount {
                display_name: a.name.clone(),
                email: a.email.clone(),
                password,
                protocol,
                pop3,
                incoming: server(
                    &a.incoming_host,
                    port,
                    a.incoming_security.into(),
                    &incoming_user,
                    true,
                ),
                smtp: server(
                    &a.smtp_host,
                    a.smtp_port,
                    a.smtp_security.into(),
                    &smtp_user,
                    false,
                ),
            };
            let account = engine.add_account(new).await.map_err(plain)?;
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&account)?);
            } else {
                println!("Added {} (account {}).", account.email, account.id);
            }
        }
        Command::Account(AccountCommand::List) => {
            let accounts = engine.accounts().map_err(plain)?;
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&accounts)?);
            } else {
                for a in accounts {
                    println!(
                        "{}\t{}\t{} {}:{} ({})\t{}:{} ({})",
                        a.id,
                        a.email,
                        a.protocol.as_str(),
                        a.incoming.host,
                        a.incoming.port,
                        a.incoming.security.as_str(),
                        a.smtp.host,
                        a.smtp.port,
                        a.smtp.security.as_str()
                    );
                }
            }
        }
        Command::Account(AccountCommand::Discover(_)) => {}
        Command::Account(AccountCommand::Remove { account }) => {
            let a = find_account(&engine, Some(&account))?;
            engine.remove_account(a.id).await.map_err(plain)?;
            println!("Removed {}.", a.email);
        }
        Command::Sync { account } => {
            let accounts = match account {
                Some(w) => vec![find_account(&engine, Some(&w))?],
                None => engine.accounts().map_err(plain)?,
            };
            for a in accounts {
                let r = engine.sync_account(a.id).await.map_err(plain)?;
                if cli.json {
                    println!(
                        "{}",
                        serde_json::json!({"account": a.email, "folders": r.folders,
                            "new_messages": r.new_messages, "bodies": r.bodies})
                    );
                } else {
                    println!(
                        "{}: {} folders, {} new messages, {} bodies downloaded",
                        a.email, r.folders, r.new_messages, r.bodies
                    );
                }
            }
        }
        Command::Folders { account } => {
            let a = find_account(&engine, account.as_deref())?;
            let folders = engine.folders(a.id).map_err(plain)?;
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&folders)?);
            } else {
                for f in folders {
                    let role = f.role.map(|r| r.as_str()).unwrap_or("");
                    // Decoded for people (`Entwürfe`, not `Entw&APw-rfe`).
                    let shown = petrel_engine::imap::utf7::display(&f.path);
                    println!("{shown}\t{}\t{} unread / {}", role, f.unread, f.total);
                }
            }
        }
        Command::List {
            account,
            folder,
            limit,
        } => {
            let a = find_account(&engine, account.as_deref())?;
            let f = engine
                .folders(a.id)
                .map_err(plain)?
                .into_iter()
                .find(|f| {
                    f.path.eq_ignore_ascii_case(&folder)
                        || petrel_engine::imap::utf7::display(&f.path) == folder
                })
                .ok_or_else(|| anyhow!("no folder {folder} (run `petrel sync` first?)"))?;
            let page = engine.messages(f.id, 0, limit).map_err(plain)?;
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&page)?);
            } else {
                for m in page.items {
                    let from = m
                        .from
                        .map(|a| a.name.unwrap_or(a.email))
                        .unwrap_or_default();
                    let mark = if m.seen { ' ' } else { '*' };
                    println!("{}\t{mark} {}\t{}", m.id, from, m.subject);
                }
                let shown = petrel_engine::imap::utf7::display(&f.path);
                println!("({} messages in {shown})", page.total);
            }
        }
        Command::Show { id } => {
            let v = engine.message(id).await.map_err(plain)?;
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                let from = v
                    .summary
                    .from
                    .as_ref()
                    .map(|a| a.email.clone())
                    .unwrap_or_default();
                println!("From: {from}\nSubject: {}\n\n{}", v.summary.subject, v.text);
            }
        }
        Command::Send {
            account,
            to,
            cc,
            subject,
            body,
        } => {
            let a = find_account(&engine, account.as_deref())?;
            let body = match body {
                Some(b) => b,
                None => {
                    let mut s = String::new();
                    std::io::stdin()
                        .read_to_string(&mut s)
                        .context("reading the message body from standard input")?;
                    s
                }
            };
            // No undo delay here: the command waits for the server's answer. A message the
            // server could not take stays in the outbox; the app sends it later.
            let sent = engine
                .send_now(OutgoingMessage {
                    account_id: a.id,
                    to,
                    cc,
                    subject,
                    body,
                    in_reply_to: None,
                    ..OutgoingMessage::default()
                })
                .await;
            match sent {
                Ok(_) => println!("Sent."),
                // The app (or another `petrel`) sends this data folder's outbox.
                Err(e @ petrel_engine::Error::SentElsewhere) => println!("{}", e.summary()),
                Err(e) => {
                    return Err(plain(e).context(
                        "not sent; the message is kept in the outbox (the app retries it, or \
                         shows why the server refused it)",
                    ))
                }
            }
        }
        Command::Outbox {
            account,
            retry,
            delete,
        } => {
            let a = find_account(&engine, account.as_deref())?;
            if let Some(id) = retry {
                engine.retry_outbox(id).map_err(plain)?;
                match engine.deliver_now(id).await {
                    Ok(()) => println!("Sent."),
                    Err(e @ petrel_engine::Error::SentElsewhere) => println!("{}", e.summary()),
                    Err(e) => return Err(plain(e)),
                }
            } else if let Some(id) = delete {
                engine.delete_outbox(id).map_err(plain)?;
                println!("Deleted from the outbox.");
            } else {
                let list = engine.outbox(a.id).map_err(plain)?;
                if cli.json {
                    println!("{}", serde_json::to_string_pretty(&list)?);
                } else if list.is_empty() {
                    println!("The outbox is empty.");
                } else {
                    for m in list {
                        let state = match m.state {
                            OutboxState::Failed => "refused",
                            OutboxState::Sending => "sending",
                            _ if m.attempts > 0 => "waiting",
                            _ => "queued",
                        };
                        println!(
                            "{:>6}  {:<8} {}  → {}",
                            m.id,
                            state,
                            m.subject,
                            m.recipients.join(", ")
                        );
                        if let Some(reason) = m.reason {
                            println!("        {reason}");
                        }
                    }
                }
            }
        }
    }
    Ok(())
}
