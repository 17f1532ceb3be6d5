//! `petrel-testkit`: start and stop the test mail servers, add users, fill mailboxes.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use petrel_testkit::{corpus, Servers};

const USAGE: &str = "\
usage: petrel-testkit <command> [options]

  start                      start Dovecot and Postfix (idempotent) and print the env file
  stop                       stop them
  env                        print the env file (KEY=VALUE lines)
  add-user NAME PASSWORD     add NAME@petrel.test (or NAME if it contains @)
  fill --user EMAIL --count N [--seed S] [--folder INBOX] [--password P]
                             generate N corpus messages and load them into the folder;
                             with --password the user is added first
  corpus --count N --out DIR [--seed S]
                             write N corpus messages as DIR/00001.eml …

The servers' folder is $PETREL_TESTKIT_DIR or /tmp/petrel-mail. Needs root.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("petrel-testkit: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `--name value` options after the command.
struct Opts(Vec<(String, String)>);

impl Opts {
    fn parse(args: &[String], known: &[&str]) -> Result<Opts> {
        let mut out = Vec::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let Some(name) = a.strip_prefix("--") else {
                bail!("unexpected argument {a:?}\n\n{USAGE}");
            };
            let (name, value) = match name.split_once('=') {
                Some((n, v)) => (n.to_string(), v.to_string()),
                None => {
                    let v = it
                        .next()
                        .with_context(|| format!("--{name} needs a value"))?;
                    (name.to_string(), v.clone())
                }
            };
            if !known.contains(&name.as_str()) {
                bail!("unknown option --{name}\n\n{USAGE}");
            }
            out.push((name, value));
        }
        Ok(Opts(out))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn require(&self, name: &str) -> Result<&str> {
        self.get(name)
            .with_context(|| format!("--{name} is required\n\n{USAGE}"))
    }

    fn number<T: std::str::FromStr>(&self, name: &str, default: Option<T>) -> Result<T> {
        match self.get(name) {
            Some(v) => v
                .parse()
                .map_err(|_| anyhow::anyhow!("--{name} must be a number, not {v:?}")),
            None => default.with_context(|| format!("--{name} is required\n\n{USAGE}")),
        }
    }
}

fn run(args: &[String]) -> Result<()> {
    let Some(cmd) = args.first() else {
        bail!("{USAGE}");
    };
    let rest = &args[1..];
    let dir = Servers::default_dir();
    match cmd.as_str() {
        "start" => {
            let s = Servers::start_in(&dir)?;
            print!("{}", std::fs::read_to_string(s.env_file())?);
        }
        "stop" => Servers::stop_in(&dir)?,
        "env" => {
            let path = dir.join("env");
            let text = std::fs::read_to_string(&path).with_context(|| {
                format!(
                    "reading {} (run `petrel-testkit start` first)",
                    path.display()
                )
            })?;
            print!("{text}");
        }
        "add-user" => {
            let [name, password] = rest else {
                bail!("add-user needs NAME and PASSWORD\n\n{USAGE}");
            };
            let s = Servers::start_in(&dir)?;
            let user = s.add_user(name, password)?;
            println!("{}", user.email);
        }
        "fill" => {
            let o = Opts::parse(rest, &["user", "count", "seed", "folder", "password"])?;
            let user = o.require("user")?;
            let count: usize = o.number("count", None)?;
            let seed: u64 = o.number("seed", Some(1))?;
            let folder = o.get("folder").unwrap_or("INBOX");
            let s = Servers::start_in(&dir)?;
            let email = match o.get("password") {
                Some(p) => s.add_user(user, p)?.email,
                None if user.contains('@') => user.to_string(),
                None => s.email(user),
            };
            let t0 = Instant::now();
            let messages = corpus::generate(count, seed, &s.domain);
            let bytes: usize = messages.iter().map(Vec::len).sum();
            let generated = t0.elapsed();
            s.fill_mailbox(&email, folder, &messages)?;
            let total = t0.elapsed();
            eprintln!(
                "filled {email}/{folder} with {count} messages ({:.1} MB): generated in {:.2} s, \
                 loaded in {:.2} s",
                bytes as f64 / 1e6,
                generated.as_secs_f64(),
                (total - generated).as_secs_f64()
            );
            println!("{}", s.message_count(&email, folder)?);
        }
        "corpus" => {
            let o = Opts::parse(rest, &["count", "seed", "out", "domain"])?;
            let count: usize = o.number("count", None)?;
            let seed: u64 = o.number("seed", Some(1))?;
            let out = PathBuf::from(o.require("out")?);
            let domain = o.get("domain").unwrap_or("petrel.test");
            std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
            for (i, m) in corpus::generate(count, seed, domain).iter().enumerate() {
                let path = out.join(format!("{:05}.eml", i + 1));
                std::fs::write(&path, m).with_context(|| format!("writing {}", path.display()))?;
            }
        }
        "-h" | "--help" | "help" => println!("{USAGE}"),
        other => bail!("unknown command {other:?}\n\n{USAGE}"),
    }
    Ok(())
}
