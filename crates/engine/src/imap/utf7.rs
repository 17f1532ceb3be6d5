//! IMAP's modified UTF-7 for mailbox names (RFC 3501 §5.1.3).
//!
//! Printable ASCII stands for itself, except `&`, written `&-`; every other character is written
//! as UTF-16BE in a base64 variant (`,` for `/`, no padding) between `&` and `-`. The server's raw
//! name stays the folder's protocol path; the decoded name is only shown. Decoding is strict and
//! never panics: a name that is not valid modified UTF-7 (a hostile or broken server, or one that
//! sends UTF-8) is shown as it came.
//!
//! Written here rather than taken from crates.io: the crate made for it (`utf7-imap` 0.3) panics
//! on malformed base64 (`base64::decode(..).unwrap()`), silently replaces invalid UTF-16, and
//! pulls `regex`, `encoding_rs` and an old `base64` for thirty lines of work.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

fn sextet(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// Encodes a folder name as typed into the form IMAP servers expect.
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    let mut pending: Vec<u16> = Vec::new();
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut out, &mut pending);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut out, &mut pending);
    out
}

/// Writes the UTF-16 units waiting in `pending` as one `&…-` run.
fn flush(out: &mut String, pending: &mut Vec<u16>) {
    if pending.is_empty() {
        return;
    }
    out.push('&');
    let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let idx = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(ALPHABET[idx as usize]));
        }
    }
    out.push('-');
    pending.clear();
}

/// Decodes a mailbox name as the server sent it. `None` if it is not valid modified UTF-7:
/// bytes outside printable ASCII, a `&` run that is not closed, characters outside the
/// alphabet, leftover bits, or UTF-16 that does not make characters.
pub fn decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !(0x20..=0x7e).contains(&b) {
            return None;
        }
        if b != b'&' {
            out.push(char::from(b));
            i += 1;
            continue;
        }
        let end = i + 1 + bytes[i + 1..].iter().position(|&c| c == b'-')?;
        let run = &bytes[i + 1..end];
        if run.is_empty() {
            out.push('&');
        } else {
            out.push_str(&decode_run(run)?);
        }
        i = end + 1;
    }
    Some(out)
}

/// The characters of one base64 run (between `&` and `-`).
fn decode_run(run: &[u8]) -> Option<String> {
    let mut units = Vec::with_capacity(run.len() * 6 / 16);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &c in run {
        acc = (acc << 6) | sextet(c)?;
        bits += 6;
        if bits >= 16 {
            bits -= 16;
            units.push((acc >> bits) as u16);
            acc &= (1 << bits) - 1;
        }
    }
    // What is left must be padding: fewer than six bits, all zero.
    if bits >= 6 || acc != 0 || units.is_empty() {
        return None;
    }
    char::decode_utf16(units.iter().copied())
        .collect::<Result<String, _>>()
        .ok()
}

/// The name to show for a raw mailbox name: decoded, or as it came if it cannot be.
pub fn display(raw: &str) -> String {
    decode(raw).unwrap_or_else(|| raw.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_3501_examples() {
        // RFC 3501 §5.1.3: "~peter/mail/台北/日本語".
        let raw = "~peter/mail/&U,BTFw-/&ZeVnLIqe-";
        assert_eq!(decode(raw).as_deref(), Some("~peter/mail/台北/日本語"));
        assert_eq!(encode("~peter/mail/台北/日本語"), raw);
        // RFC 2152's example of a non-canonical spelling stays refused: "&Jjo!" is unterminated.
        assert_eq!(decode("&Jjo!"), None);
        assert_eq!(decode("&U,BTFw-&ZeVnLIqe-").as_deref(), Some("台北日本語"));
    }

    #[test]
    fn common_names_round_trip() {
        for (plain, raw) in [
            ("Entwürfe", "Entw&APw-rfe"),
            ("Entwürfe 2026", "Entw&APw-rfe 2026"),
            ("日本語", "&ZeVnLIqe-"),
            ("Отправленные", "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"),
            ("R&D", "R&-D"),
            ("&", "&-"),
            ("&&ü&", "&-&-&APw-&-"),
            ("Gelöschte Elemente", "Gel&APY-schte Elemente"),
            ("📬 Post", "&2D3c7A- Post"),
            ("", ""),
            ("plain ASCII ~!", "plain ASCII ~!"),
        ] {
            assert_eq!(encode(plain), raw, "{plain}");
            assert_eq!(decode(raw).as_deref(), Some(plain), "{raw}");
        }
    }

    #[test]
    fn malformed_names_are_refused_without_panicking() {
        for raw in [
            "&",               // unterminated
            "abc&AGE",         // unterminated
            "&AG!-",           // outside the alphabet
            "&AGE=-",          // padding is not allowed
            "&A-",             // six bits: no UTF-16 unit
            "&AGF-",           // leftover bits that are not zero
            "&2D0-",           // a lone high surrogate
            "&3Gw-",           // a lone low surrogate
            "tab\there",       // a control character
            "Entwürfe",        // UTF-8 instead of modified UTF-7
            "&AGEAYgBj/A-",    // '/' is not modified base64
            "&&-",             // '&' inside a run
            "\u{7f}",          // DEL
            "&ZeVnLIqe",       // missing '-'
            "&-&",             // a run opened at the very end
            "&,,,,,,,,,,,,,-", // all ones: bits left over
        ] {
            assert_eq!(decode(raw), None, "{raw:?}");
            assert_eq!(display(raw), raw);
        }
    }

    #[test]
    fn decoding_never_panics_on_any_short_input() {
        let alphabet = b"&-A,+z0/ \x7f";
        let mut buf = Vec::new();
        for n in 0..5u32 {
            for mut k in 0..alphabet.len().pow(n) {
                buf.clear();
                for _ in 0..n {
                    buf.push(alphabet[k % alphabet.len()]);
                    k /= alphabet.len();
                }
                let s = String::from_utf8_lossy(&buf);
                if let Some(d) = decode(&s) {
                    // Whatever decodes comes back the same way once encoded and decoded again.
                    assert_eq!(decode(&encode(&d)).as_deref(), Some(d.as_str()), "{s:?}");
                }
            }
        }
    }
}
