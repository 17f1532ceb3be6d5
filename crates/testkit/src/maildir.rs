//! Fast bulk loading: messages are written straight into the user's Maildir (as the mail user,
//! with the file time set to the message's Date, which Dovecot reports as INTERNALDATE), and
//! Dovecot then picks them up in one sync, numbering them in the order given.

use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::{chown, PermissionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};

use crate::date;

static SEQ: AtomicU64 = AtomicU64::new(0);

/// Writes the messages into `<mailbox_dir>/cur` (unseen, not recent), in order.
pub(crate) fn write_messages<'a>(
    mailbox_dir: &Path,
    messages: impl IntoIterator<Item = &'a [u8]>,
    uid: u32,
    gid: u32,
) -> Result<usize> {
    let tmp = mailbox_dir.join("tmp");
    let cur = mailbox_dir.join("cur");
    for d in [&tmp, &cur, &mailbox_dir.join("new")] {
        if !d.is_dir() {
            fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
            chown(d, Some(uid), Some(gid)).with_context(|| format!("chown {}", d.display()))?;
            fs::set_permissions(d, fs::Permissions::from_mode(0o700))?;
        }
    }
    let pid = std::process::id();
    let host = "petrel-testkit";
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let mut prev_name_secs = 0i64;
    let mut count = 0usize;
    for raw in messages {
        let when = header_date(raw).unwrap_or(now);
        // Dovecot gives new files UIDs in file-name order, and the name starts with a time:
        // make it strictly increasing so UIDs follow the order of `messages`.
        let name_secs = when.max(prev_name_secs + 1);
        prev_name_secs = name_secs;
        let seq = SEQ.fetch_add(1, Ordering::Relaxed);
        let size = raw.len();
        let vsize = virtual_size(raw);
        let base = format!(
            "{name_secs}.M{:06}P{pid}Q{seq}.{host},S={size},W={vsize}",
            seq % 1_000_000
        );
        let tmp_path = tmp.join(&base);
        let cur_path = cur.join(format!("{base}:2,"));
        {
            let mut f = File::create(&tmp_path)
                .with_context(|| format!("creating {}", tmp_path.display()))?;
            f.write_all(raw)
                .with_context(|| format!("writing {}", tmp_path.display()))?;
            let mtime = if when >= 0 {
                UNIX_EPOCH + Duration::from_secs(when as u64)
            } else {
                UNIX_EPOCH
            };
            f.set_modified(mtime)?;
        }
        chown(&tmp_path, Some(uid), Some(gid))
            .with_context(|| format!("chown {}", tmp_path.display()))?;
        fs::set_permissions(&tmp_path, fs::Permissions::from_mode(0o600))?;
        fs::rename(&tmp_path, &cur_path)
            .with_context(|| format!("moving {} into cur/", tmp_path.display()))?;
        count += 1;
    }
    Ok(count)
}

/// Size with CRLF line endings (what IMAP reports as RFC822.SIZE).
fn virtual_size(raw: &[u8]) -> usize {
    let bare_lf = raw
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' && (i == 0 || raw[i - 1] != b'\r'))
        .count();
    raw.len() + bare_lf
}

/// The Date header of a message's header block, as a Unix time.
pub(crate) fn header_date(raw: &[u8]) -> Option<i64> {
    let end = find(raw, b"\r\n\r\n")
        .or_else(|| find(raw, b"\n\n"))
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut value: Option<String> = None;
    for line in head.lines() {
        if let Some(v) = value.as_mut() {
            if line.starts_with(' ') || line.starts_with('\t') {
                v.push_str(line);
                continue;
            }
            break;
        }
        if line.len() > 5 && line[..5].eq_ignore_ascii_case("date:") {
            value = Some(line[5..].to_string());
        }
    }
    date::parse_rfc5322(value?.trim())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_dates() {
        assert_eq!(virtual_size(b"a\r\nb\n"), 6);
        let m = b"From: a\r\nDate: Tue, 14 Nov 2023\r\n 09:12:33 +0100\r\n\r\nbody";
        assert_eq!(header_date(m), Some(1_699_949_553));
        assert_eq!(
            header_date(b"Subject: x\n\nDate: Tue, 14 Nov 2023 09:12:33 +0100"),
            None
        );
    }
}
