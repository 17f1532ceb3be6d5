//! What the benchmark programs share: their `--name value` arguments and the peak memory figure.

use std::collections::HashMap;
use std::str::FromStr;

use anyhow::{bail, Context, Result};

/// The `--name value` pairs of the command line.
pub struct Flags {
    values: HashMap<String, String>,
    usage: &'static str,
}

impl Flags {
    /// Reads the command line; `usage` is shown with any mistake.
    pub fn parse(usage: &'static str) -> Result<Flags> {
        let mut it = std::env::args().skip(1);
        let mut values = HashMap::new();
        while let Some(k) = it.next() {
            let Some(name) = k.strip_prefix("--") else {
                bail!("unexpected {k:?}\n{usage}");
            };
            let v = it
                .next()
                .with_context(|| format!("--{name} needs a value\n{usage}"))?;
            values.insert(name.to_string(), v);
        }
        Ok(Flags { values, usage })
    }

    /// A required value.
    pub fn take(&mut self, name: &str) -> Result<String> {
        self.values
            .remove(name)
            .with_context(|| format!("--{name} missing\n{}", self.usage))
    }

    /// A required value, parsed.
    pub fn parse_value<T: FromStr>(&mut self, name: &str) -> Result<T>
    where
        T::Err: std::error::Error + Send + Sync + 'static,
    {
        let v = self.take(name)?;
        v.parse()
            .with_context(|| format!("--{name}: {v:?} is not valid"))
    }

    /// An optional value, parsed, or `default`.
    pub fn parse_or<T: FromStr>(&mut self, name: &str, default: T) -> Result<T>
    where
        T::Err: std::error::Error + Send + Sync + 'static,
    {
        match self.values.remove(name) {
            Some(v) => v
                .parse()
                .with_context(|| format!("--{name}: {v:?} is not valid")),
            None => Ok(default),
        }
    }
}

/// Peak resident set size of this process so far, in MB (Linux: VmHWM).
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}
