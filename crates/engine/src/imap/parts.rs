//! Large messages by part: BODYSTRUCTURE, chosen sections, and one part in bounded chunks
//! (`BODY.PEEK[section]<offset.length>`, RFC 3501 6.4.5). What to fetch is worked out without
//! sockets in `mime::parts`.

use async_imap::imap_proto::{
    BodyContentCommon, BodyContentSinglePart, BodyStructure, ContentEncoding, MessageSection,
    SectionPath,
};

use super::{imap_error, next_within, within, Connection};
use crate::error::{Error, Result};
use crate::mime::parts::{Leaf, Node, MAX_DEPTH};

impl Connection {
    /// The message's header and MIME structure (`UID FETCH uid (BODYSTRUCTURE BODY.PEEK[HEADER])`)
    /// in the folder selected.
    pub async fn fetch_structure(&mut self, uid: u32) -> Result<(Vec<u8>, Node)> {
        let host = self.host.clone();
        let mut found = None;
        let mut stream = within(
            &host,
            self.session
                .uid_fetch(uid.to_string(), "(UID BODYSTRUCTURE BODY.PEEK[HEADER])"),
        )
        .await?
        .map_err(|e| imap_error(&host, e))?;
        while let Some(f) = next_within(&host, &mut stream).await? {
            let f = f.map_err(|e| imap_error(&host, e))?;
            if f.uid != Some(uid) {
                continue;
            }
            let node = f
                .bodystructure()
                .map(|b| node_of(b, 0))
                .ok_or_else(|| Error::Protocol {
                    server: host.clone(),
                    detail: format!("no BODYSTRUCTURE for message {uid}"),
                })?;
            found = Some((f.header().unwrap_or_default().to_vec(), node));
        }
        found.ok_or_else(|| Error::NotFound("The message on the server".to_string()))
    }

    /// The data of FETCH `items` (`BODY.PEEK[1.2.MIME]`, `BODY.PEEK[TEXT]`, …) of one message,
    /// in the same order; `None` where the server sent nothing for an item.
    pub async fn fetch_items(
        &mut self,
        uid: u32,
        items: &[String],
    ) -> Result<Vec<Option<Vec<u8>>>> {
        let mut out = vec![None; items.len()];
        if items.is_empty() {
            return Ok(out);
        }
        let paths: Vec<Option<SectionPath>> = items.iter().map(|i| section_path(i)).collect();
        let host = self.host.clone();
        let query = format!("(UID {})", items.join(" "));
        let mut stream = within(&host, self.session.uid_fetch(uid.to_string(), &query))
            .await?
            .map_err(|e| imap_error(&host, e))?;
        while let Some(f) = next_within(&host, &mut stream).await? {
            let f = f.map_err(|e| imap_error(&host, e))?;
            if f.uid != Some(uid) {
                continue;
            }
            for (slot, path) in out.iter_mut().zip(&paths) {
                if let Some(data) = path.as_ref().and_then(|p| f.section(p)) {
                    *slot = Some(data.to_vec());
                }
            }
        }
        Ok(out)
    }

    /// `len` bytes of a part's body as sent (still encoded) from `offset` on; fewer at its end.
    pub async fn fetch_part_range(
        &mut self,
        uid: u32,
        section: &str,
        offset: u64,
        len: u32,
    ) -> Result<Vec<u8>> {
        let item = format!("BODY.PEEK[{section}]<{offset}.{len}>");
        let Some(path) = section_path(&item) else {
            return Err(Error::Internal(format!("not a part number: {section}")));
        };
        let host = self.host.clone();
        let mut data = Vec::new();
        let mut stream = within(
            &host,
            self.session
                .uid_fetch(uid.to_string(), format!("(UID {item})")),
        )
        .await?
        .map_err(|e| imap_error(&host, e))?;
        while let Some(f) = next_within(&host, &mut stream).await? {
            let f = f.map_err(|e| imap_error(&host, e))?;
            if f.uid == Some(uid) {
                if let Some(d) = f.section(&path) {
                    data = d.to_vec();
                }
            }
        }
        Ok(data)
    }
}

/// The section a FETCH item names (`BODY.PEEK[1.2.MIME]<0.10>` → part 1.2, MIME), as the
/// answer's `BODY[…]` is matched by async-imap.
fn section_path(item: &str) -> Option<SectionPath> {
    let inner = item.split_once('[')?.1.split_once(']')?.0;
    let mut numbers = Vec::new();
    let mut tail = None;
    for seg in inner.split('.') {
        match seg.parse::<u32>() {
            Ok(n) if tail.is_none() => numbers.push(n),
            _ if tail.is_none() => {
                tail = Some(match seg.to_ascii_uppercase().as_str() {
                    "MIME" => MessageSection::Mime,
                    "TEXT" => MessageSection::Text,
                    "HEADER" => MessageSection::Header,
                    _ => return None,
                })
            }
            _ => return None,
        }
    }
    match (numbers.is_empty(), tail) {
        (true, Some(t)) => Some(SectionPath::Full(t)),
        (false, t) => Some(SectionPath::Part(numbers, t)),
        (true, None) => None,
    }
}

/// Our owned copy of a BODYSTRUCTURE; nesting deeper than we follow is cut off.
fn node_of(b: &BodyStructure<'_>, depth: usize) -> Node {
    match b {
        BodyStructure::Multipart { common, bodies, .. } => Node::Multipart {
            subtype: common.ty.subtype.to_ascii_lowercase(),
            children: if depth >= MAX_DEPTH {
                Vec::new()
            } else {
                bodies.iter().map(|c| node_of(c, depth + 1)).collect()
            },
        },
        BodyStructure::Basic { common, other, .. }
        | BodyStructure::Text { common, other, .. }
        | BodyStructure::Message { common, other, .. } => Node::Leaf(leaf_of(common, other)),
    }
}

fn leaf_of(common: &BodyContentCommon<'_>, other: &BodyContentSinglePart<'_>) -> Leaf {
    let param = |params: &Option<Vec<(std::borrow::Cow<'_, str>, std::borrow::Cow<'_, str>)>>,
                 key: &str| {
        params.as_ref().and_then(|ps| {
            ps.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v.to_string())
        })
    };
    let disposition = common.disposition.as_ref();
    let name = disposition
        .and_then(|d| param(&d.params, "filename"))
        .or_else(|| param(&common.ty.params, "name"));
    Leaf {
        mime_type: format!("{}/{}", common.ty.ty, common.ty.subtype).to_ascii_lowercase(),
        encoding: match &other.transfer_encoding {
            ContentEncoding::SevenBit => "7bit".to_string(),
            ContentEncoding::EightBit => "8bit".to_string(),
            ContentEncoding::Binary => "binary".to_string(),
            ContentEncoding::Base64 => "base64".to_string(),
            ContentEncoding::QuotedPrintable => "quoted-printable".to_string(),
            ContentEncoding::Other(e) => e.to_ascii_lowercase(),
        },
        octets: other.octets,
        attachment: disposition.is_some_and(|d| d.ty.eq_ignore_ascii_case("attachment")),
        name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mime::parts::plan;
    use async_imap::imap_proto::{AttributeValue, Response};

    /// The structure from a server's FETCH line, as async-imap would parse it.
    fn structure(line: &str) -> Option<Node> {
        let (_, response) = Response::parse(line.as_bytes()).ok()?;
        match response {
            Response::Fetch(_, attrs) => attrs.iter().find_map(|a| match a {
                AttributeValue::BodyStructure(b) => Some(node_of(b, 0)),
                _ => None,
            }),
            _ => None,
        }
    }

    #[test]
    fn dovecot_bodystructure_becomes_a_plan() {
        // What Dovecot 2.3 answers for text + html alternative and a PDF attachment.
        let line = "* 1 FETCH (UID 7 BODYSTRUCTURE (((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 120 4 NIL NIL NIL NIL)(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 300 10 NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"b2\") NIL NIL NIL)(\"application\" \"pdf\" (\"name\" \"a.pdf\") NIL NIL \"base64\" 27000000 NIL (\"attachment\" (\"filename\" \"report.pdf\")) NIL NIL) \"mixed\" (\"boundary\" \"b1\") NIL NIL NIL))\r\n";
        let node = structure(line).expect("parsed");
        let p = plan(&node);
        let (text_section, text) = p.text.expect("a text part");
        assert_eq!(
            (text_section.as_str(), text.mime_type.as_str()),
            ("1.1", "text/plain")
        );
        assert_eq!(text.encoding, "quoted-printable");
        let (section, pdf) = &p.attachments[0];
        assert_eq!(section, "2");
        assert_eq!(
            (pdf.mime_type.as_str(), pdf.encoding.as_str(), pdf.octets),
            ("application/pdf", "base64", 27_000_000)
        );
        assert!(pdf.attachment);
        assert_eq!(pdf.name.as_deref(), Some("report.pdf"));
    }

    #[test]
    fn bogus_bodystructure_is_refused_not_a_panic() {
        for line in [
            "* 1 FETCH (BODYSTRUCTURE (\"text\"))\r\n",
            "* 1 FETCH (BODYSTRUCTURE ((((((\r\n",
            "* 1 FETCH (BODYSTRUCTURE (\"text\" \"plain\" NIL NIL NIL \"7bit\" -5 1))\r\n",
            "* 1 FETCH (BODYSTRUCTURE () )\r\n",
        ] {
            assert_eq!(structure(line), None, "{line}");
        }
    }

    #[test]
    fn fetch_items_name_their_sections() {
        assert_eq!(
            section_path("BODY.PEEK[1.2.MIME]"),
            Some(SectionPath::Part(vec![1, 2], Some(MessageSection::Mime)))
        );
        assert_eq!(
            section_path("BODY.PEEK[3]<0.1048576>"),
            Some(SectionPath::Part(vec![3], None))
        );
        assert_eq!(
            section_path("BODY.PEEK[TEXT]"),
            Some(SectionPath::Full(MessageSection::Text))
        );
        assert_eq!(section_path("BODY.PEEK[]"), None);
        assert_eq!(section_path("BODY.PEEK[1.X]"), None);
        assert_eq!(section_path("BODY.PEEK[1.MIME.2]"), None);
    }
}
