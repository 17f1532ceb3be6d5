//! Building the RFC 5322 message the composer describes (to send, or to save as a draft):
//! - plain text only: `text/plain; charset=utf-8; format=flowed` ([`super::flowed`]);
//! - rich text: `multipart/alternative` of a flowed plain part derived from the HTML (html2text,
//!   with links as `text <URL>` and quotes as `> `) and the HTML sanitised by ammonia (scripts,
//!   event handlers, styles and remote images dropped; `cid:` images, links, basic formatting and
//!   `<blockquote type="cite">` kept);
//! - inline images (attachments with a `content_id`): `multipart/related` around that, each
//!   with `Content-ID: <cid>` and `Content-Disposition: inline`;
//! - other attachments: `multipart/mixed`, base64, the file name as RFC 2231 `filename*=` (what
//!   lettre writes) and as an RFC 2047 `name=` on the Content-Type (what older readers look at).
//!
//! Bcc is never in the headers of a message sent (lettre drops it after taking the envelope);
//! a draft keeps it as a header so that a reopened draft has it. Every line ends in CRLF: text is
//! normalised first, and lettre writes the rest.

use std::cell::RefCell;
use std::rc::Rc;

use lettre::message::header::{self, ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};

use super::flowed;
use crate::error::{Error, Result};
use crate::model::{ComposeAttachment, OutgoingMessage};

/// Parses recipients as typed in the composer: `a@x.org, "Bo, B." <bo@x.org>; c@y.org`.
pub fn parse_recipients(field: &str) -> Result<Vec<Mailbox>> {
    let field = field.trim();
    if field.is_empty() {
        return Ok(Vec::new());
    }
    let normalised = field.replace(';', ",");
    let list: lettre::message::Mailboxes = normalised.parse().map_err(|e| {
        Error::InvalidInput(format!("“{field}” is not a valid list of addresses ({e})."))
    })?;
    Ok(list.into_iter().collect())
}

/// Threading headers for a reply: In-Reply-To and References (parent's References + its id).
pub struct Threading {
    pub in_reply_to: String,
    pub references: String,
}

pub fn threading_for(parent_message_id: Option<&str>, parent_refs: &str) -> Option<Threading> {
    let id = parent_message_id?
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>');
    if id.is_empty() {
        return None;
    }
    let mut refs: Vec<String> = parent_refs
        .split_whitespace()
        .map(|r| format!("<{}>", r.trim_start_matches('<').trim_end_matches('>')))
        .collect();
    refs.push(format!("<{id}>"));
    Some(Threading {
        in_reply_to: format!("<{id}>"),
        references: refs.join(" "),
    })
}

/// A unique token: time, process and a random hasher seed.
fn unique_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(nanos);
    h.write_u32(std::process::id());
    format!("{:x}.{:016x}", nanos, h.finish())
}

/// A Message-ID on the sender's own domain.
pub fn new_message_id(from_email: &str) -> String {
    let domain = from_email
        .rsplit_once('@')
        .map(|(_, d)| d)
        .unwrap_or("petrel.invalid");
    format!("<{}@{}>", unique_token(), domain)
}

/// A Content-ID for an inline image (without `<>`): unique, and naming no account.
pub fn new_content_id() -> String {
    format!("{}@petrel", unique_token())
}

/// What the message is for.
pub enum Purpose<'a> {
    /// To send: a new Message-ID, no Bcc header, at least one recipient.
    Send,
    /// A draft: its own Message-ID (the same across saves), Bcc kept, recipients optional.
    Draft { message_id: &'a str },
}

/// Builds the message. `load` gives an attachment's bytes (the staged copy).
pub fn build_message(
    from_name: &str,
    from_email: &str,
    out: &OutgoingMessage,
    threading: Option<Threading>,
    purpose: Purpose<'_>,
    load: &dyn Fn(&ComposeAttachment) -> Result<Vec<u8>>,
) -> Result<lettre::Message> {
    let from: Mailbox = format!(
        "{} <{}>",
        from_name.replace(['<', '>', '"'], ""),
        from_email
    )
    .parse()
    .or_else(|_| from_email.parse())
    .map_err(|e| {
        Error::InvalidInput(format!(
            "The sender address {from_email} is not valid ({e})."
        ))
    })?;
    let to = parse_recipients(&out.to)?;
    let cc = parse_recipients(&out.cc)?;
    let bcc = parse_recipients(&out.bcc)?;
    let (message_id, draft) = match purpose {
        Purpose::Send => {
            if to.is_empty() && cc.is_empty() && bcc.is_empty() {
                return Err(Error::InvalidInput("Add at least one recipient.".into()));
            }
            (new_message_id(from_email), false)
        }
        Purpose::Draft { message_id } => (message_id.to_string(), true),
    };
    let mut builder = lettre::Message::builder()
        .from(from.clone())
        .subject(out.subject.trim())
        .message_id(Some(message_id))
        .user_agent(format!("Petrel/{}", env!("CARGO_PKG_VERSION")));
    if draft {
        // A draft has no envelope to send; the sender stands in so that lettre builds it.
        let envelope =
            lettre::address::Envelope::new(Some(from.email.clone()), vec![from.email.clone()])
                .map_err(|e| Error::InvalidInput(format!("The draft could not be built: {e}")))?;
        builder = builder.envelope(envelope).keep_bcc();
    }
    for m in to {
        builder = builder.to(m);
    }
    for m in cc {
        builder = builder.cc(m);
    }
    for m in bcc {
        builder = builder.bcc(m);
    }
    if let Some(t) = threading {
        builder = builder.in_reply_to(t.in_reply_to).references(t.references);
    }
    let body = body_part(out, load)?;
    let built = match body {
        Part::Single(p) => builder.singlepart(p),
        Part::Multi(p) => builder.multipart(p),
    };
    built.map_err(|e| Error::InvalidInput(format!("The message could not be built: {e}")))
}

enum Part {
    Single(SinglePart),
    Multi(MultiPart),
}

fn internal(what: &str) -> impl Fn(Vec<u8>) -> Error + '_ {
    move |_| Error::Internal(format!("{what} could not be encoded"))
}

/// The text (flowed plain, or alternative), wrapped in related for inline images and in mixed for
/// attachments.
fn body_part(
    out: &OutgoingMessage,
    load: &dyn Fn(&ComposeAttachment) -> Result<Vec<u8>>,
) -> Result<Part> {
    let flowed_type = ContentType::parse("text/plain; charset=utf-8; format=flowed")
        .map_err(|e| Error::Internal(format!("the plain-text type: {e}")))?;
    let (inline, files): (Vec<&ComposeAttachment>, Vec<&ComposeAttachment>) = out
        .attachments
        .iter()
        .partition(|a| out.html.is_some() && a.content_id.is_some());
    let mut text = match &out.html {
        None => Part::Single(plain_part(&out.body, flowed_type)?),
        Some(html) => {
            let plain = plain_part(&html_to_text(html)?, flowed_type)?;
            let html = SinglePart::builder()
                .header(ContentType::TEXT_HTML)
                .body(html_document(&sanitize_html(html)));
            Part::Multi(MultiPart::alternative().singlepart(plain).singlepart(html))
        }
    };
    if !inline.is_empty() {
        let mut related = MultiPart::related().build();
        related = match text {
            Part::Single(p) => related.singlepart(p),
            Part::Multi(p) => related.multipart(p),
        };
        for a in inline {
            related = related.singlepart(attachment_part(a, load(a)?)?);
        }
        text = Part::Multi(related);
    }
    if files.is_empty() {
        return Ok(text);
    }
    let mut mixed = MultiPart::mixed().build();
    mixed = match text {
        Part::Single(p) => mixed.singlepart(p),
        Part::Multi(p) => mixed.multipart(p),
    };
    for a in files {
        mixed = mixed.singlepart(attachment_part(a, load(a)?)?);
    }
    Ok(Part::Multi(mixed))
}

fn plain_part(text: &str, content_type: ContentType) -> Result<SinglePart> {
    let body = Body::new(flowed::encode(text));
    Ok(SinglePart::builder().header(content_type).body(body))
}

/// One attached file (an inline image when it has a content id), base64.
fn attachment_part(a: &ComposeAttachment, data: Vec<u8>) -> Result<SinglePart> {
    let name = file_name(&a.name);
    let content_type = ContentType::parse(&format!(
        "{}; name=\"{}\"",
        a.mime_type.trim(),
        encoded_name(name)
    ))
    .or_else(|_| {
        ContentType::parse(&format!(
            "application/octet-stream; name=\"{}\"",
            encoded_name(name)
        ))
    })
    .map_err(|e| Error::Internal(format!("the type of {name}: {e}")))?;
    let body = if a.mime_type.trim().eq_ignore_ascii_case("message/rfc822") {
        message_body(data)?
    } else {
        Body::new_with_encoding(data, ContentTransferEncoding::Base64)
            .map_err(internal("An attachment"))?
    };
    let mut part = SinglePart::builder();
    part = match &a.content_id {
        Some(cid) => part
            .header(header::ContentId::from(format!(
                "<{}>",
                cid.trim_start_matches('<').trim_end_matches('>')
            )))
            .header(header::ContentDisposition::inline_with_name(name)),
        None => part.header(header::ContentDisposition::attachment(name)),
    };
    Ok(part.header(content_type).body(body))
}

/// A forwarded message's body. RFC 2046 §5.2.1 allows only 7bit, 8bit or binary for
/// `message/rfc822` (readers must be able to see the message as it is): 7bit when it is plain
/// ASCII, else 8bit, with its line ends made CRLF; base64 only for a message no SMTP server could
/// carry as it is (a line over 998 bytes, NUL), which readers decode all the same. lettre's own
/// choice wants lines under 76 characters for 7bit, which most messages have not.
fn message_body(data: Vec<u8>) -> Result<Body> {
    let mut crlf = Vec::with_capacity(data.len() + data.len() / 32);
    let mut longest = 0;
    let mut line = 0;
    for (i, &b) in data.iter().enumerate() {
        match b {
            b'\n' => {
                if crlf.last() != Some(&b'\r') {
                    crlf.push(b'\r');
                }
                crlf.push(b'\n');
                line = 0;
                continue;
            }
            b'\r' if data.get(i + 1) != Some(&b'\n') => {
                crlf.extend_from_slice(b"\r\n");
                line = 0;
                continue;
            }
            b'\r' => {}
            _ => line += 1,
        }
        longest = longest.max(line);
        crlf.push(b);
    }
    let encoding = if longest > 998 || crlf.contains(&0) {
        None
    } else if crlf.is_ascii() {
        Some(ContentTransferEncoding::SevenBit)
    } else {
        Some(ContentTransferEncoding::EightBit)
    };
    match encoding {
        Some(encoding) => {
            if !crlf.ends_with(b"\r\n") {
                crlf.extend_from_slice(b"\r\n");
            }
            Ok(Body::dangerous_pre_encoded(crlf, encoding))
        }
        None => Body::new_with_encoding(data, ContentTransferEncoding::Base64)
            .map_err(internal("A forwarded message")),
    }
}

/// The name a file is attached under: no folders, no control characters.
fn file_name(name: &str) -> &str {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name).trim();
    if base.is_empty() || base.chars().any(char::is_control) {
        "attachment"
    } else {
        base
    }
}

/// A file name for the Content-Type's `name=` parameter: as it is when plain ASCII, else RFC 2047
/// encoded words (in a quoted string, as Outlook and Thunderbird write it; RFC 2231 is in the
/// Content-Disposition).
fn encoded_name(name: &str) -> String {
    use base64::Engine as _;
    if name
        .chars()
        .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ')
    {
        return name.to_string();
    }
    // Encoded words of at most 75 characters: 45 bytes of UTF-8 each, cut between characters.
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in name.chars() {
        if chunk.len() + c.len_utf8() > 45 {
            words.push(std::mem::take(&mut chunk));
        }
        chunk.push(c);
    }
    words.push(chunk);
    words
        .iter()
        .map(|w| {
            format!(
                "=?UTF-8?B?{}?=",
                base64::engine::general_purpose::STANDARD.encode(w)
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The editor's HTML as sent: only what displays a letter safely. Scripts, event handlers,
/// styles, forms and frames go; images only from `cid:` (the message's own parts), so nothing is
/// loaded from a server when it is read; links stay.
pub fn sanitize_html(html: &str) -> String {
    let mut b = ammonia::Builder::default();
    b.add_url_schemes(["cid"])
        .add_tag_attributes("blockquote", ["type"])
        .add_tag_attributes("div", ["class"])
        .add_tag_attributes("img", ["data-cid"])
        .attribute_filter(|element, attribute, value| {
            if element == "img"
                && attribute == "src"
                && !value.trim_start().to_ascii_lowercase().starts_with("cid:")
            {
                None
            } else {
                Some(value.into())
            }
        });
    b.clean(html).to_string()
}

fn html_document(fragment: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>\n{fragment}\n</body></html>\n"
    )
}

/// The plain-text twin of the editor's HTML: paragraphs as lines (cut by the flowed encoding
/// later), lists with `* ` and `1. `, links as `text <URL>`, quotes as `> `, emphasis as plain
/// words.
pub fn html_to_text(html: &str) -> Result<String> {
    let links = Rc::new(RefCell::new(Vec::new()));
    let decorator = MailDecorator {
        open: Vec::new(),
        seen: links.clone(),
    };
    let text = html2text::config::with_decorator(decorator)
        .link_footnotes(false)
        .string_from_read(html.as_bytes(), 10_000)
        .map_err(|e| Error::InvalidInput(format!("The rich text could not be read ({e}).")))?;
    // A link whose text is its address reads once.
    let mut text = text;
    for url in links.borrow().iter() {
        let shown = url.strip_prefix("mailto:").unwrap_or(url);
        text = text.replace(&format!("{shown} <{shown}>"), shown);
    }
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end()).collect();
    let mut text = lines.join("\n").trim_end().to_string();
    text.push('\n');
    Ok(text)
}

/// html2text's decorations as mail readers expect them.
#[derive(Clone)]
struct MailDecorator {
    open: Vec<String>,
    seen: Rc<RefCell<Vec<String>>>,
}

impl html2text::render::TextDecorator for MailDecorator {
    type Annotation = ();

    fn decorate_link_start(&mut self, url: &str) -> (String, ()) {
        self.open.push(url.to_string());
        self.seen.borrow_mut().push(url.to_string());
        (String::new(), ())
    }
    fn decorate_link_end(&mut self) -> String {
        match self.open.pop() {
            Some(url) if !url.starts_with('#') => {
                format!(" <{}>", url.strip_prefix("mailto:").unwrap_or(&url))
            }
            _ => String::new(),
        }
    }
    fn decorate_em_start(&self) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_em_end(&self) -> String {
        String::new()
    }
    fn decorate_strong_start(&self) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_strong_end(&self) -> String {
        String::new()
    }
    fn decorate_strikeout_start(&self) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_strikeout_end(&self) -> String {
        String::new()
    }
    fn decorate_code_start(&self) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_code_end(&self) -> String {
        String::new()
    }
    fn decorate_preformat_first(&self) {}
    fn decorate_preformat_cont(&self) {}
    fn decorate_image(&mut self, _src: &str, title: &str) -> (String, ()) {
        let title = title.trim();
        if title.is_empty() {
            (String::new(), ())
        } else {
            (format!("[{title}]"), ())
        }
    }
    fn header_prefix(&self, _level: usize) -> String {
        String::new()
    }
    fn quote_prefix(&self) -> String {
        "> ".to_string()
    }
    fn unordered_item_prefix(&self) -> String {
        "* ".to_string()
    }
    fn ordered_item_prefix(&self, i: i64) -> String {
        format!("{i}. ")
    }
    fn make_subblock_decorator(&self) -> Self {
        MailDecorator {
            open: Vec::new(),
            seen: self.seen.clone(),
        }
    }
    fn finalise(&mut self, _urls: Vec<String>) -> Vec<html2text::render::TaggedLine<()>> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::{MessageParser, MimeHeaders};
    use std::collections::HashMap;

    #[test]
    fn threading_appends_parent() {
        let t = threading_for(Some("p@x"), "r@x").unwrap();
        assert_eq!(t.in_reply_to, "<p@x>");
        assert_eq!(t.references, "<r@x> <p@x>");
        assert!(threading_for(None, "").is_none());
    }

    #[test]
    fn recipients_parse_and_reject() {
        let r = parse_recipients("a@example.org; \"Bo, B.\" <bo@example.org>").unwrap();
        assert_eq!(r.len(), 2);
        assert!(parse_recipients("not an address").is_err());
        assert!(parse_recipients("  ").unwrap().is_empty());
    }

    fn no_bare_line_ends(bytes: &[u8]) {
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\n' {
                assert!(i > 0 && bytes[i - 1] == b'\r', "bare LF at {i}");
            }
            if b == b'\r' {
                assert_eq!(bytes.get(i + 1), Some(&b'\n'), "bare CR at {i}");
            }
        }
    }

    fn files() -> HashMap<i64, Vec<u8>> {
        let mut m = HashMap::new();
        m.insert(1, (0..=255u8).cycle().take(5000).collect());
        m.insert(2, b"\x89PNG\r\n\x1a\n\nlone\rcr".to_vec());
        m.insert(3, b"line\nwith lone LF\rand CR\n".to_vec());
        m.insert(
            4,
            b"From: a@example.org\r\nSubject: plain\r\n\r\nHello\r\n".to_vec(),
        );
        m.insert(
            5,
            "From: a@example.org\r\nSubject: x\r\n\r\nGrüße\r\n".into(),
        );
        m.insert(
            6,
            format!("Subject: x\r\n\r\n{}\r\n", "y".repeat(1200)).into(),
        );
        m
    }

    fn build(out: &OutgoingMessage, purpose: Purpose<'_>) -> Vec<u8> {
        let data = files();
        let m = build_message(
            "Jürgen Müller",
            "jm@example.de",
            out,
            threading_for(Some("p@x"), "r@x"),
            purpose,
            &|a| Ok(data[&a.id].clone()),
        )
        .unwrap();
        m.formatted()
    }

    fn att(id: i64, name: &str, mime: &str, cid: Option<&str>) -> ComposeAttachment {
        ComposeAttachment {
            id,
            name: name.into(),
            mime_type: mime.into(),
            size: 0,
            content_id: cid.map(str::to_string),
        }
    }

    #[test]
    fn plain_text_is_flowed_with_threading_and_encoded_headers() {
        let out = OutgoingMessage {
            account_id: 1,
            to: "Bo <bo@example.org>".into(),
            bcc: "hidden@example.org".into(),
            subject: "Re: Grüße aus Köln".into(),
            body: format!(
                "{}\r\nFrom me\n> quoted\rlast\n-- \nJürgen",
                "long ".repeat(30)
            ),
            in_reply_to: Some(1),
            ..OutgoingMessage::default()
        };
        let bytes = build(&out, Purpose::Send);
        no_bare_line_ends(&bytes);
        let s = String::from_utf8(bytes.clone()).unwrap();
        assert!(s.is_ascii(), "7-bit: {s}");
        assert!(s.contains("In-Reply-To: <p@x>"), "{s}");
        assert!(s.contains("References: <r@x> <p@x>"), "{s}");
        assert!(
            s.contains("@example.de>"),
            "Message-ID on the sender's domain: {s}"
        );
        assert!(s.contains("\r\nDate: "), "{s}");
        assert!(
            !s.contains("hidden@example.org"),
            "no Bcc in a message sent: {s}"
        );
        assert!(s.contains("format=flowed"), "{s}");
        let msg = MessageParser::default().parse(&bytes).unwrap();
        assert_eq!(msg.subject(), Some("Re: Grüße aus Köln"));
        assert_eq!(
            msg.from().unwrap().first().unwrap().name(),
            Some("Jürgen Müller")
        );
        let back = super::super::read::read_back(&bytes).unwrap();
        assert_eq!(
            back.body,
            format!(
                "{}\nFrom me\n> quoted\nlast\n-- \nJürgen",
                "long ".repeat(30).trim_end()
            )
        );
        assert!(back.html.is_none());
        // The envelope has the Bcc recipient.
        let data = files();
        let m = build_message("Ann", "ann@example.org", &out, None, Purpose::Send, &|a| {
            Ok(data[&a.id].clone())
        })
        .unwrap();
        let to: Vec<String> = m.envelope().to().iter().map(|a| a.to_string()).collect();
        assert_eq!(to, ["bo@example.org", "hidden@example.org"]);
    }

    #[test]
    fn forwarded_messages_are_attached_readable_not_base64() {
        // RFC 2046 §5.2.1: message/rfc822 is 7bit, 8bit or binary, never base64 — except a
        // message no SMTP server could carry as it is (a 1,200-byte line).
        for (id, cte) in [(4, "7bit"), (5, "8bit"), (6, "base64")] {
            let out = OutgoingMessage {
                account_id: 1,
                to: "bo@example.org".into(),
                body: "see the attached message".into(),
                attachments: vec![att(id, "Fwd.eml", "message/rfc822", None)],
                ..OutgoingMessage::default()
            };
            let bytes = build(&out, Purpose::Send);
            no_bare_line_ends(&bytes);
            let s = String::from_utf8_lossy(&bytes);
            let part = &s[s.find("Content-Type: message/rfc822").unwrap()..];
            let header = &part[..part.find("\r\n\r\n").unwrap()];
            assert!(
                header.contains(&format!("Content-Transfer-Encoding: {cte}")),
                "{header}"
            );
            let msg = MessageParser::default().parse(&bytes).unwrap();
            let attached = msg.attachment(0).unwrap();
            let original = files()[&id].clone();
            match attached.message() {
                Some(inner) => assert_eq!(inner.raw_message(), original, "{id}"),
                None => assert_eq!(attached.contents(), original, "{id}"),
            }
        }
    }

    #[test]
    fn rich_text_with_inline_image_and_attachments_reads_back_whole() {
        let html = "<p>Hello <b>bold</b> <a href=\"https://example.org/x\">site</a> \
            <a href=\"https://example.org\">https://example.org</a></p>\
            <ul><li>one</li><li>two</li></ul><ol><li>first</li></ol>\
            <blockquote type=\"cite\"><p>quoted words</p></blockquote>\
            <img src=\"cid:img1@petrel\" data-cid=\"img1@petrel\" alt=\"pic\">\
            <img src=\"https://tracker.example/p.gif\">\
            <script>alert(1)</script><p onclick=\"evil()\">click</p>\
            <div class=\"petrel-signature\">-- <br>Jürgen</div>";
        let out = OutgoingMessage {
            account_id: 1,
            to: "bo@example.org".into(),
            cc: "Çé <ce@example.org>".into(),
            bcc: "hidden@example.org".into(),
            subject: "Pläne".into(),
            body: "ignored".into(),
            html: Some(html.into()),
            attachments: vec![
                att(
                    1,
                    "Überblick – März 2026 sehr langer Dateiname.pdf",
                    "application/pdf",
                    None,
                ),
                att(2, "bild.png", "image/png", Some("img1@petrel")),
                att(3, "notes.txt", "", None),
            ],
            ..OutgoingMessage::default()
        };
        for draft in [false, true] {
            let purpose = if draft {
                Purpose::Draft {
                    message_id: "<d1@example.de>",
                }
            } else {
                Purpose::Send
            };
            let bytes = build(&out, purpose);
            no_bare_line_ends(&bytes);
            let s = String::from_utf8(bytes.clone()).unwrap();
            assert!(s.is_ascii());
            assert!(s.contains("multipart/mixed"), "{s}");
            assert!(s.contains("multipart/related"), "{s}");
            assert!(s.contains("multipart/alternative"), "{s}");
            assert!(s.contains("Content-ID: <img1@petrel>"), "{s}");
            assert!(s.contains("Content-Disposition: inline"), "{s}");
            assert!(
                s.contains("filename*0*=utf-8''%C3%9Cberblick"),
                "RFC 2231: {s}"
            );
            assert!(s.contains("name=\"=?UTF-8?B?"), "RFC 2047 name: {s}");
            assert_eq!(s.contains("Bcc: hidden@example.org"), draft, "{s}");
            assert_eq!(s.contains("Message-ID: <d1@example.de>"), draft);
            let msg = MessageParser::default().parse(&bytes).unwrap();
            let names: Vec<_> = msg
                .attachments()
                .map(|a| a.attachment_name().unwrap())
                .collect();
            assert_eq!(
                names,
                [
                    "bild.png",
                    "Überblick – März 2026 sehr langer Dateiname.pdf",
                    "notes.txt"
                ]
            );
            let back = super::super::read::read_back(&bytes).unwrap();
            let data = files();
            assert_eq!(back.files.len(), 3);
            assert_eq!(back.files[0].data, data[&2]);
            assert_eq!(back.files[0].content_id.as_deref(), Some("img1@petrel"));
            assert_eq!(back.files[0].mime_type, "image/png");
            assert_eq!(back.files[1].data, data[&1]);
            assert_eq!(back.files[1].mime_type, "application/pdf");
            assert_eq!(back.files[2].data, data[&3], "bytes kept, line ends too");
            assert_eq!(back.files[2].mime_type, "application/octet-stream");
            assert_eq!(back.cc, "Çé <ce@example.org>");
            assert_eq!(back.bcc, if draft { "hidden@example.org" } else { "" });
            let sent_html = back.html.unwrap();
            assert!(sent_html.contains("src=\"cid:img1@petrel\""), "{sent_html}");
            assert!(
                sent_html.contains("<blockquote type=\"cite\">"),
                "{sent_html}"
            );
            assert!(sent_html.contains("href=\"https://example.org/x\""));
            assert!(sent_html.contains("class=\"petrel-signature\""));
            assert!(!sent_html.contains("script") && !sent_html.contains("onclick"));
            assert!(!sent_html.contains("tracker"), "{sent_html}");
            let plain = &back.body;
            assert!(
                plain.contains("Hello bold site <https://example.org/x> https://example.org\n"),
                "{plain}"
            );
            assert!(plain.contains("* one\n* two\n"), "{plain}");
            assert!(plain.contains("1. first"), "{plain}");
            assert!(plain.contains("> quoted words"), "{plain}");
            assert!(plain.contains("-- \nJürgen"), "{plain:?}");
        }
    }

    #[test]
    fn sending_needs_a_recipient_and_drafts_do_not() {
        let out = OutgoingMessage {
            subject: "x".into(),
            body: "y".into(),
            ..OutgoingMessage::default()
        };
        let load = |_: &ComposeAttachment| Ok(Vec::new());
        assert!(build_message("A", "a@example.org", &out, None, Purpose::Send, &load).is_err());
        let m = build_message(
            "A",
            "a@example.org",
            &out,
            None,
            Purpose::Draft {
                message_id: "<d@x>",
            },
            &load,
        )
        .unwrap();
        let s = String::from_utf8(m.formatted()).unwrap();
        assert!(!s.contains("\nTo:"), "{s}");
    }
}
