//! A composed message read back into the composer's fields: a draft reopened from the Drafts
//! folder, and the attachments of a message taken back from the outbox. The inverse of
//! [`super::build`]: flowed text unflowed, the HTML part's body without the document around it,
//! every attached file (inline images with their content ids) with its bytes.

use mail_parser::{MessageParser, MimeHeaders, PartType};

use super::{addr_list, attachment_name, format_address, mime_type_of};
use crate::error::{Error, Result};
use crate::model::Address;

/// A file found in a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundFile {
    pub name: String,
    pub mime_type: String,
    /// Without `<>`.
    pub content_id: Option<String>,
    pub data: Vec<u8>,
}

/// A message's fields as the composer has them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadBack {
    pub from: Option<Address>,
    pub to: String,
    pub cc: String,
    pub bcc: String,
    pub subject: String,
    pub body: String,
    pub html: Option<String>,
    pub files: Vec<FoundFile>,
    /// The Message-ID it answers (without `<>`).
    pub in_reply_to: Option<String>,
    pub message_id: Option<String>,
}

fn joined(list: Vec<Address>) -> String {
    list.iter()
        .map(format_address)
        .collect::<Vec<_>>()
        .join(", ")
}

fn bare_id(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string()
}

/// Reads a whole message back into the composer's fields.
pub fn read_back(raw: &[u8]) -> Result<ReadBack> {
    let msg = MessageParser::default()
        .parse(raw)
        .ok_or_else(|| Error::InvalidInput("The draft could not be read as a message.".into()))?;
    let mut files = Vec::new();
    for part in msg.attachments() {
        let data = match &part.body {
            PartType::Message(inner) => inner.raw_message().to_vec(),
            _ => part.contents().to_vec(),
        };
        files.push(FoundFile {
            name: attachment_name(part),
            mime_type: mime_type_of(part),
            content_id: part.content_id().map(bare_id).filter(|c| !c.is_empty()),
            data,
        });
    }
    let html = msg
        .html_part(0)
        .filter(|p| {
            p.content_type().is_some_and(|ct| {
                ct.ctype().eq_ignore_ascii_case("text")
                    && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("html"))
            })
        })
        .and_then(|p| p.text_contents())
        .map(body_of_document);
    let body = match msg.text_part(0).filter(|p| {
        p.content_type()
            .is_none_or(|ct| !ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("html")))
    }) {
        Some(part) => {
            let text = part.text_contents().unwrap_or_default();
            let flowed = part.content_type().is_some_and(|ct| {
                ct.attribute("format")
                    .is_some_and(|f| f.eq_ignore_ascii_case("flowed"))
            });
            let mut text = if flowed {
                super::flowed::decode(text)
            } else {
                text.replace("\r\n", "\n")
            };
            // The line end the builder puts after the text is not the user's.
            if text.ends_with('\n') {
                text.pop();
            }
            text
        }
        None => String::new(),
    };
    Ok(ReadBack {
        from: addr_list(msg.from()).into_iter().next(),
        to: joined(addr_list(msg.to())),
        cc: joined(addr_list(msg.cc())),
        bcc: joined(addr_list(msg.bcc())),
        subject: msg.subject().unwrap_or_default().trim().to_string(),
        body,
        html,
        files,
        in_reply_to: msg
            .in_reply_to()
            .as_text_list()
            .and_then(|l| l.last().map(|s| bare_id(s)))
            .or_else(|| msg.in_reply_to().as_text().map(bare_id)),
        message_id: msg.message_id().map(bare_id),
    })
}

/// The inside of a document's `<body>` (the editor's HTML, as it was before the builder wrapped
/// it), or the whole text when it has none.
fn body_of_document(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let start = lower
        .find("<body")
        .and_then(|b| lower[b..].find('>').map(|e| b + e + 1));
    let end = lower.rfind("</body>");
    match (start, end) {
        (Some(s), Some(e)) if s <= e => html[s..e].trim_matches(['\r', '\n']).to_string(),
        _ => html.to_string(),
    }
}
