//! Large messages by part, without sockets: from a message's structure (IMAP BODYSTRUCTURE,
//! converted in `imap::parts`) to the parts to download for the reader, the reader's text from
//! the parts downloaded, and the decoders that turn an attachment's transfer encoding back into
//! its bytes a chunk at a time.
//!
//! What is downloaded when a large message is opened: its header, the MIME header and body of
//! the one text part shown (text/plain, else text/html), and the MIME headers of the other leaf
//! parts (for their names). Attachments stay on the server until the user saves one.

use base64::Engine as _;
use mail_parser::{MessageParser, MimeHeaders};
use serde::{Deserialize, Serialize};

use crate::model::AttachmentInfo;
use crate::store::StoredBody;

/// How deep multiparts are followed; deeper parts are left out (a hostile structure).
pub const MAX_DEPTH: usize = 16;
/// At most this many leaf parts are listed (a hostile structure).
pub const MAX_LEAVES: usize = 500;

/// One node of a message's MIME structure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Multipart {
        /// Lower case: `mixed`, `alternative`, `related`, …
        subtype: String,
        children: Vec<Node>,
    },
    Leaf(Leaf),
}

/// A part that is not a multipart (a message/rfc822 part counts as one: it is saved whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaf {
    /// Lower case `type/subtype`.
    pub mime_type: String,
    /// Lower case Content-Transfer-Encoding (`base64`, `quoted-printable`, `7bit`, …).
    pub encoding: String,
    /// Size of the part's body as stored on the server (still encoded).
    pub octets: u32,
    /// Content-Disposition is `attachment`.
    pub attachment: bool,
    /// The name from the structure's parameters (`filename`, else `name`), if any, undecoded.
    pub name: Option<String>,
}

/// Where an attachment of a message stored text-only is on the server. Stored beside the
/// attachment list (same order) in `bodies.parts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemotePart {
    /// IMAP section number, `1.2`; `1` for a message that is not multipart.
    pub section: String,
    pub encoding: String,
    pub octets: u32,
}

/// What to download for the reader, worked out from the structure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The text part shown, if any: (section, its leaf).
    pub text: Option<(String, Leaf)>,
    /// The parts listed as attachments: (section, leaf).
    pub attachments: Vec<(String, Leaf)>,
    /// The whole message is one leaf: its MIME header is the message header, its body the
    /// message's `TEXT`.
    pub single: bool,
}

fn is_text(leaf: &Leaf) -> bool {
    !leaf.attachment && (leaf.mime_type == "text/plain" || leaf.mime_type == "text/html")
}

/// Which part is shown and which are attachments. In a `multipart/alternative` only one
/// rendering is kept (text/plain first, else the last, richest); the others are neither shown
/// nor listed. The first text/plain part shown inline wins, else the first text/html.
pub fn plan(root: &Node) -> Plan {
    let mut leaves = Vec::new();
    match root {
        Node::Leaf(leaf) => leaves.push(("1".to_string(), leaf.clone())),
        Node::Multipart { .. } => collect(root, "", 0, &mut leaves),
    }
    let pick = leaves
        .iter()
        .position(|(_, l)| is_text(l) && l.mime_type == "text/plain")
        .or_else(|| leaves.iter().position(|(_, l)| is_text(l)));
    let text = pick.map(|i| leaves.remove(i));
    Plan {
        text,
        attachments: leaves,
        single: matches!(root, Node::Leaf(_)),
    }
}

fn collect(node: &Node, prefix: &str, depth: usize, out: &mut Vec<(String, Leaf)>) {
    let section = |i: usize| {
        if prefix.is_empty() {
            (i + 1).to_string()
        } else {
            format!("{prefix}.{}", i + 1)
        }
    };
    match node {
        Node::Leaf(_) => {}
        Node::Multipart { subtype, children } => {
            if depth >= MAX_DEPTH {
                return;
            }
            if subtype == "alternative" && !children.is_empty() {
                let plain = children.iter().position(
                    |c| matches!(c, Node::Leaf(l) if l.mime_type == "text/plain" && !l.attachment),
                );
                let i = plain.unwrap_or(children.len() - 1);
                visit(&children[i], section(i), depth, out);
                return;
            }
            for (i, child) in children.iter().enumerate() {
                visit(child, section(i), depth, out);
            }
        }
    }
}

fn visit(child: &Node, section: String, depth: usize, out: &mut Vec<(String, Leaf)>) {
    if out.len() >= MAX_LEAVES {
        return;
    }
    match child {
        Node::Leaf(leaf) => out.push((section, leaf.clone())),
        Node::Multipart { .. } => collect(child, &section, depth + 1, out),
    }
}

/// The FETCH items to ask for after the structure: the shown part's MIME header and body, and
/// the MIME headers of the attachments. For a single-part message the header is already there
/// and the body is `TEXT`.
pub fn fetch_items(plan: &Plan) -> Vec<String> {
    let mut items = Vec::new();
    if plan.single {
        if plan.text.is_some() {
            items.push("BODY.PEEK[TEXT]".to_string());
        }
        return items;
    }
    if let Some((s, _)) = &plan.text {
        items.push(format!("BODY.PEEK[{s}.MIME]"));
        items.push(format!("BODY.PEEK[{s}]"));
    }
    for (s, _) in &plan.attachments {
        items.push(format!("BODY.PEEK[{s}.MIME]"));
    }
    items
}

/// The decoded size of a part body of `octets` in `encoding`: exact unless it is base64, where
/// it is estimated for the usual 76-character lines (within a few bytes).
pub fn estimated_size(encoding: &str, octets: u32) -> u32 {
    if encoding != "base64" {
        return octets;
    }
    let lines = u64::from(octets).div_ceil(78);
    let data = u64::from(octets).saturating_sub(2 * lines);
    u32::try_from(data * 3 / 4).unwrap_or(u32::MAX)
}

/// The stored body of a message kept text-only: `header` (the message's), the reader's text
/// decoded from the shown part (its MIME header and its body as sent), and the attachments,
/// named from their MIME headers (`attachment_headers`, same order as `plan.attachments`).
pub fn text_only_body(
    header: &[u8],
    plan: &Plan,
    text_part: Option<(&[u8], &[u8])>,
    attachment_headers: &[Option<&[u8]>],
) -> StoredBody {
    let text = match text_part {
        Some((mime, body)) => {
            let mut part = Vec::with_capacity(mime.len() + body.len() + 2);
            part.extend_from_slice(mime);
            if !mime.ends_with(b"\n\n") && !mime.ends_with(b"\r\n\r\n") {
                part.extend_from_slice(b"\r\n");
            }
            part.extend_from_slice(body);
            MessageParser::default()
                .parse(&part)
                .and_then(|m| m.body_text(0).map(|t| t.into_owned()))
                .unwrap_or_default()
        }
        None => String::new(),
    };
    let mut attachments = Vec::with_capacity(plan.attachments.len());
    let mut parts = Vec::with_capacity(plan.attachments.len());
    for (i, (section, leaf)) in plan.attachments.iter().enumerate() {
        let mime = if plan.single {
            Some(header)
        } else {
            attachment_headers.get(i).copied().flatten()
        };
        let from_header = mime.and_then(|h| {
            MessageParser::default()
                .parse_headers(h)
                .and_then(|m| m.root_part().attachment_name().map(str::to_string))
        });
        let filename = from_header
            .or_else(|| leaf.name.clone())
            .unwrap_or_else(|| default_name(&leaf.mime_type));
        attachments.push(AttachmentInfo {
            filename,
            mime_type: leaf.mime_type.clone(),
            size: estimated_size(&leaf.encoding, leaf.octets),
        });
        parts.push(RemotePart {
            section: section.clone(),
            encoding: leaf.encoding.clone(),
            octets: leaf.octets,
        });
    }
    StoredBody {
        raw: header.to_vec(),
        text,
        attachments,
        remote_parts: Some(parts),
    }
}

fn default_name(mime_type: &str) -> String {
    match mime_type {
        "message/rfc822" => "message.eml".to_string(),
        _ => "attachment".to_string(),
    }
}

/// Turns a part's transfer encoding back into its bytes, fed a chunk at a time (memory stays
/// bounded by the chunk size, whatever the part's size).
#[derive(Debug)]
pub enum Decoder {
    /// 7bit, 8bit, binary and unknown encodings: the bytes as they are.
    Identity,
    /// Base64: characters outside the alphabet (line breaks) are skipped (RFC 2045 6.8).
    Base64 { carry: Vec<u8> },
    /// Quoted-printable, decoded a line at a time.
    QuotedPrintable { carry: Vec<u8> },
}

/// Longest quoted-printable line kept waiting for its end (longer ones are decoded in pieces).
const QP_MAX_LINE: usize = 64 * 1024;

const BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

impl Decoder {
    pub fn for_encoding(encoding: &str) -> Decoder {
        match encoding.trim().to_ascii_lowercase().as_str() {
            "base64" => Decoder::Base64 { carry: Vec::new() },
            "quoted-printable" => Decoder::QuotedPrintable { carry: Vec::new() },
            _ => Decoder::Identity,
        }
    }

    /// Decodes `chunk` (continuing from the previous ones) into `out`.
    pub fn feed(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        match self {
            Decoder::Identity => {
                out.extend_from_slice(chunk);
                Ok(())
            }
            Decoder::Base64 { carry } => {
                carry.extend(
                    chunk
                        .iter()
                        .copied()
                        .filter(|c| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/'),
                );
                let whole = carry.len() / 4 * 4;
                BASE64
                    .decode_vec(&carry[..whole], out)
                    .map_err(|e| format!("broken base64: {e}"))?;
                carry.drain(..whole);
                Ok(())
            }
            Decoder::QuotedPrintable { carry } => {
                carry.extend_from_slice(chunk);
                let cut = match carry.iter().rposition(|&b| b == b'\n') {
                    Some(nl) => nl + 1,
                    // No line end in sight: decode all but a possibly unfinished `=XX`.
                    None if carry.len() > QP_MAX_LINE => {
                        let tail = carry.len() - 2;
                        carry[tail..]
                            .iter()
                            .position(|&b| b == b'=')
                            .map_or(carry.len(), |k| tail + k)
                    }
                    None => return Ok(()),
                };
                decode_qp(&carry[..cut], out);
                carry.drain(..cut);
                Ok(())
            }
        }
    }

    /// Decodes what is left once the part has ended.
    pub fn finish(self, out: &mut Vec<u8>) -> Result<(), String> {
        match self {
            Decoder::Identity => Ok(()),
            Decoder::Base64 { carry } => match carry.len() {
                0 => Ok(()),
                1 => Err("broken base64: the part ends in the middle of a byte".to_string()),
                _ => BASE64
                    .decode_vec(&carry, out)
                    .map(|_| ())
                    .map_err(|e| format!("broken base64: {e}")),
            },
            Decoder::QuotedPrintable { carry } => {
                decode_qp(&carry, out);
                Ok(())
            }
        }
    }
}

/// Quoted-printable as RFC 2045 6.7 reads it, leniently: `=XX` is a byte, `=` at the end of a
/// line joins it to the next, trailing spaces of a line are dropped, anything malformed is kept
/// as it is.
fn decode_qp(input: &[u8], out: &mut Vec<u8>) {
    for line in input.split_inclusive(|&b| b == b'\n') {
        let (content, eol): (&[u8], &[u8]) = if let Some(c) = line.strip_suffix(b"\r\n") {
            (c, b"\r\n")
        } else if let Some(c) = line.strip_suffix(b"\n") {
            (c, b"\n")
        } else {
            (line, b"")
        };
        let had_eol = !eol.is_empty();
        let mut content = content;
        if had_eol {
            while let [rest @ .., b' ' | b'\t'] = content {
                content = rest;
            }
        }
        let (content, soft) = match content.strip_suffix(b"=") {
            Some(c) if had_eol => (c, true),
            _ => (content, false),
        };
        let mut i = 0;
        while i < content.len() {
            let b = content[i];
            if b == b'=' {
                let hex = content.get(i + 1..i + 3).and_then(|h| {
                    let s = std::str::from_utf8(h).ok()?;
                    u8::from_str_radix(s, 16).ok()
                });
                if let Some(v) = hex {
                    out.push(v);
                    i += 3;
                    continue;
                }
            }
            out.push(b);
            i += 1;
        }
        if !soft {
            out.extend_from_slice(eol);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(mime_type: &str, encoding: &str, octets: u32, attachment: bool) -> Node {
        Node::Leaf(Leaf {
            mime_type: mime_type.into(),
            encoding: encoding.into(),
            octets,
            attachment,
            name: None,
        })
    }

    fn multi(subtype: &str, children: Vec<Node>) -> Node {
        Node::Multipart {
            subtype: subtype.into(),
            children,
        }
    }

    fn sections(v: &[(String, Leaf)]) -> Vec<&str> {
        v.iter().map(|(s, _)| s.as_str()).collect()
    }

    #[test]
    fn plans_pick_the_text_and_list_the_rest() {
        // mixed(alternative(plain, html), pdf, image)
        let root = multi(
            "mixed",
            vec![
                multi(
                    "alternative",
                    vec![
                        leaf("text/plain", "quoted-printable", 100, false),
                        leaf("text/html", "quoted-printable", 300, false),
                    ],
                ),
                leaf("application/pdf", "base64", 20_000_000, true),
                leaf("image/png", "base64", 3000, false),
            ],
        );
        let p = plan(&root);
        assert_eq!(p.text.as_ref().map(|(s, _)| s.as_str()), Some("1.1"));
        assert_eq!(sections(&p.attachments), ["2", "3"]);
        assert!(!p.single);
        assert_eq!(
            fetch_items(&p),
            [
                "BODY.PEEK[1.1.MIME]",
                "BODY.PEEK[1.1]",
                "BODY.PEEK[2.MIME]",
                "BODY.PEEK[3.MIME]"
            ]
        );

        // HTML only, inside related; a text/plain attachment is not the text.
        let root = multi(
            "mixed",
            vec![
                leaf("text/plain", "7bit", 10, true),
                multi(
                    "related",
                    vec![
                        leaf("text/html", "7bit", 10, false),
                        leaf("image/gif", "base64", 10, false),
                    ],
                ),
            ],
        );
        let p = plan(&root);
        assert_eq!(p.text.as_ref().map(|(s, _)| s.as_str()), Some("2.1"));
        assert_eq!(sections(&p.attachments), ["1", "2.2"]);

        // A message that is one big attachment.
        let p = plan(&leaf("application/zip", "base64", 10, true));
        assert!(p.single && p.text.is_none());
        assert_eq!(sections(&p.attachments), ["1"]);
        assert!(fetch_items(&p).is_empty());
        // One big text.
        let p = plan(&leaf("text/plain", "8bit", 10, false));
        assert_eq!(fetch_items(&p), ["BODY.PEEK[TEXT]"]);

        // Hostile shapes: an empty multipart, nesting deeper than we follow.
        assert_eq!(plan(&multi("mixed", vec![])).text, None);
        let mut deep = leaf("text/plain", "7bit", 1, false);
        for _ in 0..100 {
            deep = multi("mixed", vec![deep]);
        }
        let p = plan(&deep);
        assert!(p.text.is_none() && p.attachments.is_empty());
    }

    #[test]
    fn text_only_bodies_decode_the_shown_part_and_name_attachments() {
        let root = multi(
            "mixed",
            vec![
                leaf("text/plain", "quoted-printable", 10, false),
                Node::Leaf(Leaf {
                    name: Some("fallback.bin".into()),
                    ..Leaf {
                        mime_type: "application/octet-stream".into(),
                        encoding: "base64".into(),
                        octets: 7800,
                        attachment: true,
                        name: None,
                    }
                }),
                leaf("application/pdf", "base64", 78, true),
            ],
        );
        let p = plan(&root);
        let mime = b"Content-Type: text/plain; charset=iso-8859-1\r\n\
                     Content-Transfer-Encoding: quoted-printable\r\n\r\n";
        let body = b"Gr=FC=DFe aus K=F6ln=\r\n, bis bald.\r\n";
        let named = b"Content-Type: application/pdf\r\nContent-Disposition: attachment;\r\n filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf\r\n\r\n";
        let stored = text_only_body(
            b"Subject: hi\r\n\r\n",
            &p,
            Some((mime, body)),
            &[None, Some(named)],
        );
        assert_eq!(stored.text.trim_end(), "Grüße aus Köln, bis bald.");
        assert_eq!(stored.raw, b"Subject: hi\r\n\r\n");
        let names: Vec<_> = stored
            .attachments
            .iter()
            .map(|a| a.filename.as_str())
            .collect();
        assert_eq!(names, ["fallback.bin", "Rechnung März.pdf"]);
        assert_eq!(
            stored.attachments[0].size, 5700,
            "7800 octets of base64 lines"
        );
        assert_eq!(
            stored.remote_parts.as_ref().and_then(|p| p.get(1)),
            Some(&RemotePart {
                section: "3".into(),
                encoding: "base64".into(),
                octets: 78
            })
        );
    }

    fn decode_in_chunks(encoding: &str, input: &[u8], chunk: usize) -> Result<Vec<u8>, String> {
        let mut d = Decoder::for_encoding(encoding);
        let mut out = Vec::new();
        for c in input.chunks(chunk.max(1)) {
            d.feed(c, &mut out)?;
        }
        d.finish(&mut out)?;
        Ok(out)
    }

    #[test]
    fn base64_decodes_the_same_whatever_the_chunks() {
        let data: Vec<u8> = (0..5000u32).map(|i| (i * 7919 % 251) as u8).collect();
        let encoded = base64::engine::general_purpose::STANDARD.encode(&data);
        let mut lines = String::new();
        for l in encoded.as_bytes().chunks(76) {
            lines.push_str(std::str::from_utf8(l).unwrap_or_default());
            lines.push_str("\r\n");
        }
        for chunk in [1, 3, 4, 5, 77, 78, 1000, 100_000] {
            assert_eq!(
                decode_in_chunks("base64", lines.as_bytes(), chunk).as_deref(),
                Ok(&data[..]),
                "chunks of {chunk}"
            );
        }
        // Unpadded and padded endings, junk characters skipped.
        assert_eq!(
            decode_in_chunks("BASE64", b"aGk", 1).as_deref(),
            Ok(&b"hi"[..])
        );
        assert_eq!(
            decode_in_chunks("base64", b"aG*k=\r\n", 2).as_deref(),
            Ok(&b"hi"[..])
        );
        assert!(
            decode_in_chunks("base64", b"aGkhA", 2).is_err(),
            "one char left"
        );
    }

    #[test]
    fn quoted_printable_decodes_the_same_whatever_the_chunks() {
        let input = b"caf=C3=A9 =\r\nau lait  \r\nlong=3Dline=\nend=\r\n=ZZ bad= x=4";
        let want = b"caf\xC3\xA9 au lait\r\nlong=lineend=ZZ bad= x=4".to_vec();
        for chunk in [1, 2, 3, 7, 1000] {
            assert_eq!(
                decode_in_chunks("quoted-printable", input, chunk).as_deref(),
                Ok(&want[..]),
                "chunks of {chunk}"
            );
        }
        // A line that never ends is decoded in pieces without splitting an escape.
        let long = "=41".repeat(QP_MAX_LINE);
        let out = decode_in_chunks("quoted-printable", long.as_bytes(), 4096).unwrap_or_default();
        assert_eq!(out, vec![b'A'; QP_MAX_LINE]);
        assert_eq!(
            decode_in_chunks("7bit", b"as is=41", 3).as_deref(),
            Ok(&b"as is=41"[..])
        );
    }
}
