//! `petrel-testkit`: start and stop the test mail servers, add users, fill mailboxes.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use petrel_testkit::dns::{DnsServer, Zone};
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
  dns [--record RECORD]... [--file FILE]
                             serve DNS records on a free port of 127.0.0.1 (UDP and TCP),
                             print that address (127.0.0.1:PORT) and run until killed;
                             every other name gets NXDOMAIN. A RECORD (one per line in FILE,
                             # starts a comment) is one of
                               A NAME IPV4 | AAAA NAME IPV6 | MX DOMAIN PREFERENCE EXCHANGE
                               SRV NAME PRIORITY WEIGHT PORT TARGET   (TARGET . = not offered)
                             e.g. --record 'SRV _imaps._tcp.petrel.test 0 1 31993 localhost'

The servers' folder is $PETREL_TESTKIT_DIR or /tmp/petrel-mail. The mail server commands need
root; dns and corpus do not.";

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

    /// Every value given for a repeatable option, in order.
    fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
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
        "dns" => {
            let o = Opts::parse(rest, &["record", "file"])?;
            let mut zone = Zone::new();
            let mut count = 0;
            for spec in o.all("record") {
                zone = add_record(zone, spec)?;
                count += 1;
            }
            if let Some(file) = o.get("file") {
                let text =
                    std::fs::read_to_string(file).with_context(|| format!("reading {file}"))?;
                for (n, line) in text.lines().enumerate() {
                    let line = line.split('#').next().unwrap_or_default().trim();
                    if line.is_empty() {
                        continue;
                    }
                    zone = add_record(zone, line)
                        .with_context(|| format!("{file}, line {}", n + 1))?;
                    count += 1;
                }
            }
            let server = DnsServer::start(zone)?;
            // The address alone on stdout (scripts read it); the rest on stderr.
            println!("{}", server.addr());
            std::io::Write::flush(&mut std::io::stdout())?;
            eprintln!(
                "petrel-testkit dns: {count} records on {} (UDP and TCP)",
                server.addr()
            );
            loop {
                std::thread::park();
            }
        }
        "-h" | "--help" | "help" => println!("{USAGE}"),
        other => bail!("unknown command {other:?}\n\n{USAGE}"),
    }
    Ok(())
}

/// Adds one `TYPE NAME DATA…` record to the zone.
fn add_record(zone: Zone, spec: &str) -> Result<Zone> {
    let words: Vec<&str> = spec.split_whitespace().collect();
    let num = |w: &str, what: &str| -> Result<u16> {
        w.parse().map_err(|_| {
            anyhow::anyhow!("{what} must be a number from 0 to 65535, not {w:?} in {spec:?}")
        })
    };
    Ok(match words.as_slice() {
        [t, name, ip] if t.eq_ignore_ascii_case("A") => zone.a(
            name,
            ip.parse()
                .with_context(|| format!("{ip:?} is not an IPv4 address in {spec:?}"))?,
        ),
        [t, name, ip] if t.eq_ignore_ascii_case("AAAA") => zone.aaaa(
            name,
            ip.parse()
                .with_context(|| format!("{ip:?} is not an IPv6 address in {spec:?}"))?,
        ),
        [t, domain, pref, exchange] if t.eq_ignore_ascii_case("MX") => {
            zone.mx(domain, num(pref, "the preference")?, exchange)
        }
        [t, name, prio, weight, port, target] if t.eq_ignore_ascii_case("SRV") => zone.srv(
            name,
            num(prio, "the priority")?,
            num(weight, "the weight")?,
            num(port, "the port")?,
            target,
        ),
        _ => bail!(
            "not a record: {spec:?} (A NAME IPV4, AAAA NAME IPV6, MX DOMAIN PREFERENCE EXCHANGE, \
             or SRV NAME PRIORITY WEIGHT PORT TARGET)"
        ),
    })
}
