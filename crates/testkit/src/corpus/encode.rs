//! The MIME encodings the corpus needs: base64, quoted-printable, RFC 2047 encoded words,
//! RFC 2231 parameters and address headers.

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Plain base64 without line breaks.
pub(crate) fn base64(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(B64[(n >> 18) as usize & 63] as char);
        out.push(B64[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            B64[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            B64[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

/// Base64 body: lines of 76 characters ended by CRLF, appended to `out`.
pub(crate) fn base64_lines(data: &[u8], out: &mut Vec<u8>) {
    out.reserve(data.len() / 57 * 78 + 80);
    for line in data.chunks(57) {
        out.extend_from_slice(base64(line).as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

/// Quoted-printable (RFC 2045) of a text whose line breaks are CRLF; lines stay within 76
/// characters with soft breaks. The result ends with CRLF.
pub(crate) fn quoted_printable(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len() * 11 / 10 + 16);
    for line in text.split("\r\n") {
        let bytes = line.as_bytes();
        let mut col = 0usize;
        for (i, &b) in bytes.iter().enumerate() {
            let last = i + 1 == bytes.len();
            let literal =
                ((b == b' ' || b == b'\t') && !last) || ((33..=126).contains(&b) && b != b'=');
            let width = if literal { 1 } else { 3 };
            // Leave room for the soft break's "=" on this line.
            if col + width > 75 {
                out.push_str("=\r\n");
                col = 0;
            }
            if literal {
                out.push(b as char);
            } else {
                out.push('=');
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 15) as usize] as char);
            }
            col += width;
        }
        out.push_str("\r\n");
    }
    // `split` yields a last empty piece for text ending in CRLF: drop its extra CRLF.
    if text.ends_with("\r\n") {
        out.truncate(out.len() - 2);
    }
    out
}

fn is_ascii_printable(s: &str) -> bool {
    s.bytes().all(|b| (32..127).contains(&b))
}

/// An unstructured header value (such as Subject): kept as is when it is printable ASCII,
/// otherwise as RFC 2047 encoded words (UTF-8, `B` or `Q`), folded so that each encoded word
/// fits in 75 characters.
pub(crate) fn encode_unstructured(value: &str, q_encoding: bool) -> String {
    if is_ascii_printable(value) {
        return value.to_string();
    }
    let words = if q_encoding {
        encoded_words_q(value)
    } else {
        encoded_words_b(value)
    };
    words.join("\r\n ")
}

/// Splits into B encoded words of at most 75 characters, never inside a UTF-8 sequence.
fn encoded_words_b(value: &str) -> Vec<String> {
    // 75 - len("=?UTF-8?B?" + "?=") = 63 base64 characters, so at most 45 bytes per word.
    const MAX_BYTES: usize = 45;
    let mut words = Vec::new();
    let mut start = 0;
    let mut end = 0;
    for (i, c) in value.char_indices() {
        if i + c.len_utf8() - start > MAX_BYTES {
            words.push(format!(
                "=?UTF-8?B?{}?=",
                base64(&value.as_bytes()[start..end])
            ));
            start = i;
        }
        end = i + c.len_utf8();
    }
    if end > start {
        words.push(format!(
            "=?UTF-8?B?{}?=",
            base64(&value.as_bytes()[start..end])
        ));
    }
    words
}

fn encoded_words_q(value: &str) -> Vec<String> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    const MAX_TEXT: usize = 75 - 12;
    let mut words = Vec::new();
    let mut cur = String::new();
    for c in value.chars() {
        let mut enc = String::new();
        if c == ' ' {
            enc.push('_');
        } else if c.is_ascii_alphanumeric() || "!*+-/".contains(c) {
            enc.push(c);
        } else {
            let mut buf = [0u8; 4];
            for &b in c.encode_utf8(&mut buf).as_bytes() {
                enc.push('=');
                enc.push(HEX[(b >> 4) as usize] as char);
                enc.push(HEX[(b & 15) as usize] as char);
            }
        }
        if cur.len() + enc.len() > MAX_TEXT {
            words.push(format!("=?UTF-8?Q?{cur}?="));
            cur.clear();
        }
        cur.push_str(&enc);
    }
    if !cur.is_empty() {
        words.push(format!("=?UTF-8?Q?{cur}?="));
    }
    words
}

/// A display name as a phrase: an atom sequence, a quoted string, or encoded words.
pub(crate) fn encode_phrase(name: &str) -> String {
    if !is_ascii_printable(name) {
        return encoded_words_b(name).join(" ");
    }
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~ ".contains(c);
    if name.chars().all(atext) && !name.starts_with(' ') && !name.ends_with(' ') {
        name.to_string()
    } else {
        let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
        format!("\"{escaped}\"")
    }
}

/// `Name <addr>` with the name encoded as needed, or the bare address without a name.
pub(crate) fn mailbox(name: &str, addr: &str) -> String {
    if name.is_empty() {
        addr.to_string()
    } else {
        format!("{} <{addr}>", encode_phrase(name))
    }
}

/// Parses "Name <addr>", "<addr>" or "addr" and returns the encoded mailbox and the address.
pub(crate) fn parse_and_encode_mailbox(s: &str) -> (String, String) {
    let s = s.trim();
    if let (Some(lt), true) = (s.rfind('<'), s.ends_with('>')) {
        let addr = s[lt + 1..s.len() - 1].trim().to_string();
        let name = s[..lt].trim().trim_matches('"').trim();
        (mailbox(name, &addr), addr)
    } else {
        (s.to_string(), s.to_string())
    }
}

/// A MIME parameter `name=value`: quoted when ASCII, RFC 2231 `name*=UTF-8''…` otherwise.
pub(crate) fn mime_param(name: &str, value: &str) -> String {
    if is_ascii_printable(value) {
        let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
        return format!("{name}=\"{escaped}\"");
    }
    let mut enc = String::new();
    for &b in value.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            enc.push(b as char);
        } else {
            enc.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{name}*=UTF-8''{enc}")
}

/// Wraps text at `width` columns on spaces (or anywhere in words too long for a line, such as
/// Japanese text, where wide characters count as two columns). Lines are joined with CRLF; no trailing CRLF.
pub(crate) fn wrap(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / width * 2);
    let mut line_len = 0usize;
    let char_width = |c: char| if (c as u32) < 0x1100 { 1 } else { 2 };
    for word in text.split(' ') {
        let wlen: usize = word.chars().map(char_width).sum();
        if wlen > width {
            // No spaces to break on: cut by characters (wide characters count double).
            if line_len > 0 {
                out.push(' ');
                line_len += 1;
            }
            for c in word.chars() {
                let w = char_width(c);
                if line_len + w > width {
                    out.push_str("\r\n");
                    line_len = 0;
                }
                out.push(c);
                line_len += w;
            }
            continue;
        }
        if line_len > 0 && line_len + 1 + wlen > width {
            out.push_str("\r\n");
            line_len = 0;
        } else if line_len > 0 {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(word);
        line_len += wlen;
    }
    out
}

/// Escapes text for HTML.
pub(crate) fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_known() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        let mut out = Vec::new();
        base64_lines(&[0u8; 100], &mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(text.split("\r\n").all(|l| l.len() <= 76));
    }

    #[test]
    fn qp_lines() {
        let text = format!("{}\r\nCafé = 1 \r\n", "é".repeat(60));
        let qp = quoted_printable(&text);
        assert!(qp.split("\r\n").all(|l| l.len() <= 76), "{qp}");
        assert!(qp.contains("Caf=C3=A9 =3D 1=20\r\n"), "{qp}");
        assert!(qp.ends_with("\r\n"));
        assert!(!qp.ends_with("\r\n\r\n"));
    }

    #[test]
    fn encoded_words() {
        assert_eq!(encode_unstructured("Hello", false), "Hello");
        let s = encode_unstructured("Grüße aus München", false);
        assert_eq!(s, "=?UTF-8?B?R3LDvMOfZSBhdXMgTcO8bmNoZW4=?=");
        let q = encode_unstructured("Grüße aus München", true);
        assert_eq!(q, "=?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_M=C3=BCnchen?=");
        let long = encode_unstructured(&"会議の議事録について".repeat(4), false);
        for w in long.split("\r\n ") {
            assert!(w.len() <= 75, "{w}");
        }
    }

    #[test]
    fn phrases_and_params() {
        assert_eq!(encode_phrase("John Smith"), "John Smith");
        assert_eq!(encode_phrase("Smith, John"), "\"Smith, John\"");
        assert!(encode_phrase("山田 太郎").starts_with("=?UTF-8?B?"));
        assert_eq!(mime_param("filename", "a b.pdf"), "filename=\"a b.pdf\"");
        assert_eq!(
            mime_param("filename", "Prüfung.pdf"),
            "filename*=UTF-8''Pr%C3%BCfung.pdf"
        );
        let (m, a) = parse_and_encode_mailbox("Jürgen <j@example.org>");
        assert_eq!(a, "j@example.org");
        assert!(m.starts_with("=?UTF-8?B?") && m.ends_with(" <j@example.org>"));
    }

    #[test]
    fn wrapping() {
        let w = wrap("aaa bbb ccc ddd", 7);
        assert_eq!(w, "aaa bbb\r\nccc ddd");
        let j = wrap(&"あ".repeat(50), 72);
        assert!(j.split("\r\n").all(|l| l.chars().count() <= 36));
    }
}
