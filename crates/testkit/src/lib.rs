//! Real Dovecot and Postfix on loopback for Petrel's tests and benchmarks, and a maker of
//! realistic test mail.
//!
//! ```no_run
//! # fn main() -> anyhow::Result<()> {
//! let servers = petrel_testkit::Servers::shared()?; // starts them once, shared by all tests
//! let user = servers.new_user("sync")?; // a fresh mailbox for this test alone
//! let mail = petrel_testkit::corpus::generate(200, 1, &servers.domain);
//! servers.fill_mailbox(&user.email, "INBOX", &mail)?;
//! // Connect to servers.host:servers.imaps_port, trusting servers.ca_file, as user.email with
//! // user.password.
//! # Ok(()) }
//! ```
//!
//! The servers are started by `tests/servers/mailservers.sh` (which needs root and the Debian
//! packages that `tests/servers/install.sh` installs); see `tests/servers/README.md`.

pub mod corpus;
mod date;
pub mod dns;
pub mod https;
mod maildir;
mod smtp;

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context, Result};

pub use date::parse_rfc5322;

/// The running test servers, as described by the `env` file that `mailservers.sh start` writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Servers {
    /// The servers' private folder (config, certificates, mail, logs).
    pub dir: PathBuf,
    /// Host name to connect to: `localhost` (the certificate also names 127.0.0.1 and ::1).
    pub host: String,
    /// The one mail domain, `petrel.test`.
    pub domain: String,
    /// IMAP, plain with STARTTLS.
    pub imap_port: u16,
    /// IMAP over implicit TLS.
    pub imaps_port: u16,
    /// POP3, plain with STLS.
    pub pop3_port: u16,
    /// POP3 over implicit TLS.
    pub pop3s_port: u16,
    /// SMTP submission: STARTTLS required, AUTH required.
    pub submission_port: u16,
    /// SMTP submission over implicit TLS, AUTH required.
    pub submissions_port: u16,
    /// Plain inbound SMTP (like port 25): accepts mail for existing users of the domain
    /// without AUTH, refuses every other domain.
    pub smtp_port: u16,
    /// PEM file of the CA that signed the servers' certificate: trust it, and only it.
    pub ca_file: PathBuf,
    /// Dovecot's config file, for `doveadm -c`.
    pub dovecot_conf: PathBuf,
    pub dovecot_log: PathBuf,
    pub postfix_log: PathBuf,
    /// Owner of the Maildirs (the system `mail` user).
    pub mail_uid: u32,
    pub mail_gid: u32,
}

/// A mail account on the test servers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestUser {
    /// Full address, which is also the login name.
    pub email: String,
    pub password: String,
}

static SHARED: OnceLock<Servers> = OnceLock::new();
static SHARED_INIT: Mutex<()> = Mutex::new(());
static USER_COUNTER: AtomicU32 = AtomicU32::new(0);

impl Servers {
    /// Starts the servers if needed (once per process; `mailservers.sh start` is idempotent
    /// and locked, so any number of test processes may call this at once) and returns them.
    /// The folder is `$PETREL_TESTKIT_DIR` or `/tmp/petrel-mail`.
    pub fn shared() -> Result<&'static Servers> {
        if let Some(s) = SHARED.get() {
            return Ok(s);
        }
        let _guard = SHARED_INIT.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = SHARED.get() {
            return Ok(s);
        }
        let servers = Servers::start_in(&Servers::default_dir())?;
        Ok(SHARED.get_or_init(|| servers))
    }

    /// `$PETREL_TESTKIT_DIR`, or `/tmp/petrel-mail`.
    pub fn default_dir() -> PathBuf {
        std::env::var_os("PETREL_TESTKIT_DIR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/tmp/petrel-mail"))
    }

    /// The path of `mailservers.sh`: `$PETREL_TESTKIT_SCRIPT`, or the one in this repository.
    pub fn script() -> PathBuf {
        const RELATIVE: &str = "tests/servers/mailservers.sh";
        if let Some(path) = std::env::var_os("PETREL_TESTKIT_SCRIPT").filter(|v| !v.is_empty()) {
            return PathBuf::from(path);
        }
        let built_from = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(RELATIVE);
        if built_from.exists() {
            return built_from;
        }
        // A binary built from another checkout (a shared build folder): look upwards from here.
        std::env::current_dir()
            .ok()
            .and_then(|cwd| {
                cwd.ancestors()
                    .map(|dir| dir.join(RELATIVE))
                    .find(|candidate| candidate.exists())
            })
            .unwrap_or(built_from)
    }

    /// Starts (or finds running) the servers in `dir` and reads their `env` file.
    pub fn start_in(dir: &Path) -> Result<Servers> {
        run_script(&["start".as_ref(), dir.as_os_str()])?;
        Servers::from_env_file(&dir.join("env"))
    }

    /// Stops the servers in `dir` (mail, users and logs stay).
    pub fn stop_in(dir: &Path) -> Result<()> {
        run_script(&["stop".as_ref(), dir.as_os_str()]).map(|_| ())
    }

    /// Reads an `env` file written by `mailservers.sh start`.
    pub fn from_env_file(path: &Path) -> Result<Servers> {
        let text =
            fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let vars = parse_env(&text);
        let get = |key: &str| -> Result<&str> {
            vars.get(key)
                .map(String::as_str)
                .ok_or_else(|| anyhow!("{} has no {key}", path.display()))
        };
        let port = |key: &str| -> Result<u16> {
            get(key)?
                .parse()
                .with_context(|| format!("{key} in {} is not a port", path.display()))
        };
        let dir = PathBuf::from(get("PETREL_TEST_DIR")?);
        Ok(Servers {
            host: get("PETREL_TEST_HOST")?.to_string(),
            domain: get("PETREL_TEST_DOMAIN")?.to_string(),
            imap_port: port("PETREL_TEST_IMAP_PORT")?,
            imaps_port: port("PETREL_TEST_IMAPS_PORT")?,
            pop3_port: port("PETREL_TEST_POP3_PORT")?,
            pop3s_port: port("PETREL_TEST_POP3S_PORT")?,
            submission_port: port("PETREL_TEST_SUBMISSION_PORT")?,
            submissions_port: port("PETREL_TEST_SUBMISSIONS_PORT")?,
            smtp_port: port("PETREL_TEST_SMTP_PORT")?,
            ca_file: PathBuf::from(get("PETREL_TEST_CA_FILE")?),
            dovecot_conf: vars
                .get("PETREL_TEST_DOVECOT_CONF")
                .map(PathBuf::from)
                .unwrap_or_else(|| dir.join("dovecot.conf")),
            dovecot_log: vars
                .get("PETREL_TEST_DOVECOT_LOG")
                .map(PathBuf::from)
                .unwrap_or_else(|| dir.join("log/dovecot.log")),
            postfix_log: vars
                .get("PETREL_TEST_POSTFIX_LOG")
                .map(PathBuf::from)
                .unwrap_or_else(|| dir.join("log/postfix.log")),
            mail_uid: vars
                .get("PETREL_TEST_MAIL_UID")
                .and_then(|v| v.parse().ok())
                .unwrap_or(8),
            mail_gid: vars
                .get("PETREL_TEST_MAIL_GID")
                .and_then(|v| v.parse().ok())
                .unwrap_or(8),
            dir,
        })
    }

    /// The `env` file (shell `KEY=VALUE` lines).
    pub fn env_file(&self) -> PathBuf {
        self.dir.join("env")
    }

    /// The CA certificate (PEM) to trust.
    pub fn ca_pem(&self) -> Result<Vec<u8>> {
        fs::read(&self.ca_file).with_context(|| format!("reading {}", self.ca_file.display()))
    }

    /// `local@domain`.
    pub fn email(&self, local: &str) -> String {
        format!("{local}@{}", self.domain)
    }

    /// Adds a user no other test (in this or any other process) will get: its address is
    /// `<prefix>-<pid>-<counter>-<random>@petrel.test`, with a random password.
    pub fn new_user(&self, prefix: &str) -> Result<TestUser> {
        let mut clean: String = prefix
            .chars()
            .map(|c| c.to_ascii_lowercase())
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_' || *c == '.')
            .take(24)
            .collect();
        clean = clean.trim_matches(|c| c == '.' || c == '-').to_string();
        if clean.is_empty() {
            clean = "user".into();
        }
        let n = USER_COUNTER.fetch_add(1, Ordering::Relaxed);
        let noise = entropy(n);
        let local = format!(
            "{clean}-{}-{n}-{}",
            std::process::id(),
            base36(noise & 0xFF_FFFF)
        );
        let password = format!("pw-{:016x}", entropy(noise as u32 ^ 0x5bd1));
        self.add_user(&local, &password)
    }

    /// Adds (or updates the password of) `name` (`name@petrel.test` unless it contains `@`);
    /// usable at once by IMAP, POP3, submission and inbound SMTP.
    pub fn add_user(&self, name: &str, password: &str) -> Result<TestUser> {
        let out = run_script(&[
            "add-user".as_ref(),
            self.dir.as_os_str(),
            name.as_ref(),
            password.as_ref(),
        ])?;
        let email = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if email.is_empty() {
            bail!("add-user printed no address");
        }
        Ok(TestUser {
            email,
            password: password.to_string(),
        })
    }

    /// Runs `doveadm -c <dovecot.conf> ARGS…` and returns its standard output.
    pub fn doveadm(&self, args: &[&str]) -> Result<String> {
        let out = Command::new("doveadm")
            .arg("-c")
            .arg(&self.dovecot_conf)
            .args(args)
            .output()
            .context("running doveadm")?;
        if !out.status.success() {
            bail!(
                "doveadm {} failed ({}): {}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Puts one message into a folder of a user's mailbox (see [`Servers::fill_mailbox`]).
    pub fn deliver_raw(&self, user_email: &str, folder: &str, raw: &[u8]) -> Result<()> {
        self.store(user_email, folder, std::iter::once(raw))
    }

    /// Puts messages into a folder (created if missing) of a user's mailbox, fast: written
    /// straight into the Maildir, then one Dovecot sync. UIDs follow the order given; the
    /// INTERNALDATE of each is its Date header; all are unseen. 10,000 messages take seconds.
    pub fn fill_mailbox(&self, user_email: &str, folder: &str, messages: &[Vec<u8>]) -> Result<()> {
        self.store(user_email, folder, messages.iter().map(Vec::as_slice))
    }

    fn store<'a>(
        &self,
        user: &str,
        folder: &str,
        messages: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<()> {
        self.ensure_mailbox(user, folder)?;
        let path = self.doveadm(&["mailbox", "path", "-u", user, folder])?;
        let path = PathBuf::from(path.trim());
        if !path.is_absolute() {
            bail!("doveadm gave no path for {folder} of {user}: {path:?}");
        }
        maildir::write_messages(&path, messages, self.mail_uid, self.mail_gid)?;
        self.doveadm(&["force-resync", "-u", user, folder])?;
        Ok(())
    }

    fn ensure_mailbox(&self, user: &str, folder: &str) -> Result<()> {
        match self.message_count(user, folder) {
            Ok(_) => Ok(()),
            Err(e) if format!("{e:#}").contains("Mailbox doesn't exist") => {
                // Another process may create it at the same moment.
                match self.doveadm(&["mailbox", "create", "-u", user, "-s", folder]) {
                    Ok(_) => Ok(()),
                    Err(e) if format!("{e:#}").contains("already exists") => Ok(()),
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Number of messages in a folder.
    pub fn message_count(&self, user_email: &str, folder: &str) -> Result<u32> {
        let out = self.doveadm(&[
            "-f", "flow", "mailbox", "status", "-u", user_email, "messages", folder,
        ])?;
        // "mailbox=INBOX messages=12"
        out.split_whitespace()
            .find_map(|kv| kv.strip_prefix("messages="))
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| anyhow!("unexpected doveadm mailbox status output: {out:?}"))
    }

    /// Waits until a folder holds at least `at_least` messages (mail sent by SMTP is delivered
    /// a moment later); returns the count, or an error after `timeout`.
    pub fn wait_for_messages(
        &self,
        user_email: &str,
        folder: &str,
        at_least: u32,
        timeout: Duration,
    ) -> Result<u32> {
        let start = Instant::now();
        loop {
            let n = self.message_count(user_email, folder)?;
            if n >= at_least {
                return Ok(n);
            }
            if start.elapsed() > timeout {
                bail!(
                    "{user_email}/{folder} has {n} messages, expected {at_least}, after {timeout:?} \
                     (see {})",
                    self.postfix_log.display()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends a message through the plain inbound SMTP port, as mail from outside would arrive
    /// (no TLS, no AUTH). Delivery is asynchronous: see [`Servers::wait_for_messages`].
    pub fn send_smtp_plain(&self, from: &str, to: &str, raw: &[u8]) -> Result<()> {
        smtp::send(&self.host, self.smtp_port, from, &[to], raw)
    }
}

/// Parses shell `KEY=VALUE` lines (comments, blank lines, `export` and simple quotes allowed).
fn parse_env(text: &str) -> HashMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let l = l.strip_prefix("export ").unwrap_or(l);
            let (k, v) = l.split_once('=')?;
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(v);
            Some((k.trim().to_string(), v.to_string()))
        })
        .collect()
}

fn run_script(args: &[&std::ffi::OsStr]) -> Result<Output> {
    let script = Servers::script();
    if !script.is_file() {
        bail!(
            "{} not found (set PETREL_TESTKIT_SCRIPT to the mailservers.sh to use)",
            script.display()
        );
    }
    let out = Command::new("bash")
        .arg(&script)
        .args(args)
        .output()
        .with_context(|| format!("running {}", script.display()))?;
    if !out.status.success() {
        bail!(
            "{} {} failed ({}):\n{}{}",
            script.display(),
            args.iter()
                .map(|a| a.to_string_lossy())
                .collect::<Vec<_>>()
                .join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(out)
}

/// Mixes the time, the pid and a counter into 64 unpredictable-enough bits.
fn entropy(n: u32) -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut rng = corpus::Rng::new(nanos ^ (u64::from(std::process::id()) << 32) ^ u64::from(n));
    rng.next_u64()
}

fn base36(mut v: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut s = Vec::new();
    loop {
        s.push(DIGITS[(v % 36) as usize]);
        v /= 36;
        if v == 0 {
            break;
        }
    }
    s.reverse();
    String::from_utf8_lossy(&s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_parsing() {
        let vars = parse_env("# c\nA=1\nexport B=\"two words\"\n\nC='x'\n");
        assert_eq!(vars["A"], "1");
        assert_eq!(vars["B"], "two words");
        assert_eq!(vars["C"], "x");
    }

    #[test]
    fn base36_digits() {
        assert_eq!(base36(0), "0");
        assert_eq!(base36(35), "z");
        assert_eq!(base36(36), "10");
    }
}
