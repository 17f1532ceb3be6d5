//! Composing from a stored message: reply, reply all, forward inline and as an attachment
//! (`Engine::compose_from`, in `src/replies.rs`, stages the attachments; everything here is pure).
//!
//! What users expect, as Thunderbird does it: a reply goes to the Reply-To (else the From), and
//! to the original's recipients when the user answers their own sent message; reply all adds
//! the original's To (kept in To) and Cc (kept in Cc), without any of the user's addresses (every
//! identity of every account) and without duplicates (case-insensitive). "Re:"/"Fwd:" are not
//! stacked, localized prefixes included (AW, SV, VS, WG, TR, RV, …; RE[2], Re(2), Re^2). The
//! quote has an attribution line ("On <date>, <name> wrote:"), `> ` before every line (`>>` for
//! lines already quoted), and in HTML a `<blockquote type="cite">` of the original's HTML made
//! safe ([`quotable_html`]), or of its escaped text. A forward inline has Thunderbird's
//! "-------- Forwarded Message --------" block.

use std::collections::HashSet;

use super::format_address;
use crate::model::{Address, ComposeMode, Identity, MessageView, OutgoingMessage};

/// Reply prefixes, lower case, without the colon: English, German (AW, Antw), Nordic (SV, VS),
/// Dutch (Antw), Italian (Rif), Spanish (Ref), Portuguese (Res), Polish (Odp), Turkish (Ynt),
/// Welsh (Atb), Greek (Απ, Σχετ), Chinese (回复, 答复, 回覆).
const REPLY_PREFIXES: &[&str] = &[
    "re", "aw", "sv", "vs", "antw", "antwort", "ref", "rif", "res", "odp", "ynt", "atb", "απ",
    "σχετ", "回复", "答复", "回覆",
];

/// Forward prefixes: English (Fwd, Fw), German (WG), French (TR), Spanish (RV), Portuguese (Enc),
/// Dutch (Doorst), Swedish (VB), Finnish (VL), Polish (PD), Chinese (转发, 轉寄).
const FORWARD_PREFIXES: &[&str] = &[
    "fwd", "fw", "fwrd", "wg", "tr", "rv", "enc", "doorst", "vb", "vl", "pd", "转发", "轉寄",
];

/// `subject` without any leading prefix of `prefixes` (each possibly numbered, `RE[2]:`,
/// `Re(2):`, `Re^2:`, and followed by `:` or `：`), however many there are.
fn strip_prefixes<'a>(subject: &'a str, prefixes: &[&str]) -> &'a str {
    let mut s = subject.trim();
    'outer: loop {
        for p in prefixes {
            let Some(head) = s.get(..p.len()) else {
                continue;
            };
            if head.to_lowercase() != *p {
                continue;
            }
            let mut rest = &s[p.len()..];
            // A counter: [2], (2), ^2.
            if let Some(inner) = rest.strip_prefix('[').and_then(|r| r.split_once(']')) {
                if inner.0.chars().all(|c| c.is_ascii_digit()) {
                    rest = inner.1;
                }
            } else if let Some(inner) = rest.strip_prefix('(').and_then(|r| r.split_once(')')) {
                if inner.0.chars().all(|c| c.is_ascii_digit()) {
                    rest = inner.1;
                }
            } else if let Some(r) = rest.strip_prefix('^') {
                rest = r.trim_start_matches(|c: char| c.is_ascii_digit());
            }
            let rest = rest.trim_start();
            if let Some(after) = rest.strip_prefix(':').or_else(|| rest.strip_prefix('：')) {
                s = after.trim_start();
                continue 'outer;
            }
        }
        return s;
    }
}

/// "Re: subject", without stacking "Re: Re:" (nor the prefixes other languages' clients send).
pub fn reply_subject(subject: &str) -> String {
    format!("Re: {}", strip_prefixes(subject, REPLY_PREFIXES))
}

/// "Fwd: subject", without stacking "Fwd: Fwd:" (nor FW:, WG:, TR:, …).
pub fn forward_subject(subject: &str) -> String {
    format!("Fwd: {}", strip_prefixes(subject, FORWARD_PREFIXES))
}

fn join(list: &[Address]) -> String {
    list.iter()
        .map(format_address)
        .collect::<Vec<_>>()
        .join(", ")
}

/// To and Cc of a reply (`all`: reply all). `own`: the user's addresses, lower case.
pub fn reply_recipients(
    original: &MessageView,
    all: bool,
    own: &HashSet<String>,
) -> (Vec<Address>, Vec<Address>) {
    let is_own = |a: &Address| own.contains(&a.email.to_lowercase());
    let from_self = original.summary.from.as_ref().is_some_and(is_own);
    let primary: Vec<Address> = if from_self {
        // Answering one's own sent message: to whom it went.
        original.to.clone()
    } else if !original.reply_to.is_empty() {
        original.reply_to.clone()
    } else {
        original.summary.from.iter().cloned().collect()
    };
    let mut seen = HashSet::new();
    let mut keep = |a: &Address, drop_own: bool| {
        !(drop_own && is_own(a)) && seen.insert(a.email.to_lowercase())
    };
    if !all {
        let to: Vec<Address> = primary
            .iter()
            .filter(|a| keep(a, from_self))
            .cloned()
            .collect();
        // A note to oneself: answered to oneself.
        return (if to.is_empty() { primary } else { to }, Vec::new());
    }
    let mut to: Vec<Address> = primary.into_iter().filter(|a| keep(a, true)).collect();
    if !from_self {
        to.extend(original.to.iter().filter(|a| keep(a, true)).cloned());
    }
    let cc: Vec<Address> = original
        .cc
        .iter()
        .filter(|a| keep(a, true))
        .cloned()
        .collect();
    if to.is_empty() {
        // Everyone else was in Cc (or only the user was in To): they become the To.
        return (cc, Vec::new());
    }
    (to, cc)
}

/// The identity the original was addressed to: the one it was sent as (the user's own
/// message), else the first of its To, Cc and Delivered-To that is an identity of the account.
pub fn addressed_identity<'a>(
    original: &MessageView,
    delivered_to: &[String],
    identities: &'a [Identity],
) -> Option<&'a Identity> {
    let find = |email: &str| {
        identities
            .iter()
            .find(|i| i.email.eq_ignore_ascii_case(email.trim()))
    };
    original
        .summary
        .from
        .iter()
        .chain(&original.to)
        .chain(&original.cc)
        .find_map(|a| find(&a.email))
        .or_else(|| delivered_to.iter().find_map(|e| find(e)))
}

/// The original's text quoted for a plain-text reply: `> ` before every line, `>` before lines
/// already quoted (so they become `>>`) and alone on empty lines.
pub fn quote_plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for line in text.trim_end().lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            out.push('>');
        } else if line.starts_with('>') {
            out.push('>');
            out.push_str(line);
        } else {
            out.push_str("> ");
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// Text made safe inside HTML.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Plain text as HTML: escaped, line breaks kept.
fn text_to_html(text: &str) -> String {
    text.trim_end()
        .lines()
        .map(|l| escape_html(l.trim_end_matches('\r')))
        .collect::<Vec<_>>()
        .join("<br>\n")
}

/// Who wrote the original, as the attribution line names them.
fn author(original: &MessageView) -> String {
    original
        .summary
        .from
        .as_ref()
        .map(|a| a.name.clone().unwrap_or_else(|| a.email.clone()))
        .unwrap_or_else(|| "Someone".to_string())
}

/// A date for people, in the local time zone: "Tue, 1 Jul 2025 at 10:00".
pub fn readable_date(timestamp: i64) -> String {
    use chrono::TimeZone;
    match chrono::Local.timestamp_opt(timestamp, 0).single() {
        Some(t) => t.format("%a, %-d %b %Y at %H:%M").to_string(),
        None => mail_parser::DateTime::from_timestamp(timestamp).to_rfc822(),
    }
}

/// What `compose_from` knows about the original and the user.
pub struct Original<'a> {
    pub account_id: i64,
    pub view: &'a MessageView,
    /// Delivered-To and X-Original-To of the stored header, if any.
    pub delivered_to: Vec<String>,
    /// The identities of the original's account.
    pub identities: &'a [Identity],
    /// Every address of the user (all accounts' identities), lower case.
    pub own: &'a HashSet<String>,
    /// The original's date as people read it ([`readable_date`]).
    pub when: String,
    /// The original's own HTML, made safe to quote ([`quotable_html`]); else its text is quoted.
    pub html: Option<String>,
}

/// The composer's fields for answering or forwarding `o` (attachments are the caller's: they
/// need the stored message).
pub fn compose_from(o: &Original<'_>, mode: ComposeMode) -> OutgoingMessage {
    let view = o.view;
    let identity = addressed_identity(view, &o.delivered_to, o.identities);
    let rich = identity
        .or_else(|| o.identities.iter().find(|i| i.is_default))
        .is_some_and(|i| i.rich_text);
    let mut out = OutgoingMessage {
        account_id: o.account_id,
        identity_id: identity.map(|i| i.id),
        ..OutgoingMessage::default()
    };
    match mode {
        ComposeMode::Reply | ComposeMode::ReplyAll => {
            let (to, cc) = reply_recipients(view, mode == ComposeMode::ReplyAll, o.own);
            out.to = join(&to);
            out.cc = join(&cc);
            out.subject = reply_subject(&view.summary.subject);
            out.in_reply_to = Some(view.summary.id);
            let said = format!("On {}, {} wrote:", o.when, author(view));
            out.body = format!("\n\n{said}\n{}", quote_plain(&view.text));
            if rich {
                out.html = Some(format!(
                    "<p><br></p>\n<div class=\"moz-cite-prefix\">{}</div>\n\
                     <blockquote type=\"cite\">{}</blockquote>\n",
                    escape_html(&said),
                    o.html.clone().unwrap_or_else(|| text_to_html(&view.text))
                ));
            }
        }
        ComposeMode::Forward | ComposeMode::ForwardAsAttachment => {
            out.subject = forward_subject(&view.summary.subject);
            out.forwarded = Some(view.summary.id);
            if mode == ComposeMode::Forward {
                let mut fields = vec![
                    ("Subject", view.summary.subject.clone()),
                    ("Date", o.when.clone()),
                    (
                        "From",
                        view.summary
                            .from
                            .as_ref()
                            .map(format_address)
                            .unwrap_or_default(),
                    ),
                    ("To", join(&view.to)),
                ];
                if !view.cc.is_empty() {
                    fields.push(("Cc", join(&view.cc)));
                }
                let banner = "-------- Forwarded Message --------";
                let head: String = fields.iter().map(|(k, v)| format!("{k}: {v}\n")).collect();
                out.body = format!("\n\n{banner}\n{head}\n{}\n", view.text.trim_end());
                if rich {
                    let rows: String = fields
                        .iter()
                        .map(|(k, v)| {
                            format!(
                                "<tr><th align=\"right\" valign=\"top\">{k}:</th><td>{}</td></tr>\n",
                                escape_html(v)
                            )
                        })
                        .collect();
                    out.html = Some(format!(
                        "<p><br></p>\n<div class=\"moz-forward-container\">{banner}\n\
                         <table border=\"0\" cellspacing=\"0\" cellpadding=\"0\">\n{rows}</table>\n\
                         <br>\n<div>{}</div>\n</div>\n",
                        o.html.clone().unwrap_or_else(|| text_to_html(&view.text))
                    ));
                }
            } else if rich {
                // Nothing quoted, but the composer opens in the identity's format.
                out.html = Some("<p><br></p>\n".into());
            }
        }
    }
    out
}

/// The HTML part of a whole message (when it has one, not HTML made from its text), made safe
/// to quote: what ammonia keeps by default (no scripts, styles, event handlers or forms; links
/// kept), without images (remote ones would be loaded when the reply is read, and the message's
/// own `cid:` parts are not sent along).
pub fn quotable_html(raw: &[u8]) -> Option<String> {
    let msg = mail_parser::MessageParser::default().parse(raw)?;
    let part = msg.html_part(0).filter(|p| p.is_text_html())?;
    let html = part.text_contents()?;
    let mut b = ammonia::Builder::default();
    b.rm_tags(["img"])
        .add_tag_attributes("blockquote", ["type"]);
    let clean = b.clean(html).to_string();
    let clean = clean.trim();
    (!clean.is_empty()).then(|| clean.to_string())
}

/// The file name of a forwarded message: `<subject>.eml`, made safe for file systems.
pub fn eml_name(subject: &str) -> String {
    let subject = subject.trim();
    let base = if subject.is_empty() {
        "Forwarded message"
    } else {
        subject
    };
    let name = crate::bodies::safe_file_name(&base.replace(['/', '\\'], "-"));
    format!("{name}.eml")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MessageSummary;

    fn a(name: Option<&str>, email: &str) -> Address {
        Address {
            name: name.map(str::to_string),
            email: email.into(),
        }
    }

    fn view(
        from: Address,
        to: Vec<Address>,
        cc: Vec<Address>,
        reply_to: Vec<Address>,
    ) -> MessageView {
        MessageView {
            summary: MessageSummary {
                id: 42,
                folder_id: 1,
                subject: "AW: Plans".into(),
                from: Some(from),
                date: 1_751_356_800,
                snippet: String::new(),
                seen: true,
                flagged: false,
                answered: false,
                has_attachments: false,
            },
            to,
            cc,
            reply_to,
            message_id: Some("m@x".into()),
            text: "Hello <you> & all,\n> earlier\n\nbye\n".into(),
            attachments: Vec::new(),
        }
    }

    fn identity(id: i64, email: &str, default: bool, rich: bool) -> Identity {
        Identity {
            id,
            account_id: 1,
            name: "Me".into(),
            email: email.into(),
            signature: String::new(),
            rich_text: rich,
            is_default: default,
        }
    }

    fn own() -> HashSet<String> {
        ["me@example.org", "alias@example.org", "other@elsewhere.net"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    #[test]
    fn subjects_do_not_stack_in_any_language() {
        assert_eq!(reply_subject("Hello"), "Re: Hello");
        assert_eq!(reply_subject("Re: Hello"), "Re: Hello");
        assert_eq!(reply_subject("RE: re: AW: Hello"), "Re: Hello");
        assert_eq!(
            reply_subject("RE[2]: Re(3): Re^4: SV:VS : Hello"),
            "Re: Hello"
        );
        assert_eq!(reply_subject("Antw: Odp: 回复：Hello"), "Re: Hello");
        assert_eq!(reply_subject("Fwd: Hello"), "Re: Fwd: Hello");
        assert_eq!(reply_subject("Reunion: Hello"), "Re: Reunion: Hello");
        assert_eq!(reply_subject("Report"), "Re: Report");
        assert_eq!(reply_subject(""), "Re: ");
        assert_eq!(forward_subject("Hello"), "Fwd: Hello");
        assert_eq!(
            forward_subject("Fw: FWD: WG: TR: RV: Enc: Hello"),
            "Fwd: Hello"
        );
        assert_eq!(forward_subject("Re: Hello"), "Fwd: Re: Hello");
        assert_eq!(forward_subject("Travel: Hello"), "Fwd: Travel: Hello");
    }

    #[test]
    fn reply_goes_to_reply_to_else_from() {
        let own = own();
        let v = view(
            a(Some("Bo"), "bo@x.org"),
            vec![a(None, "me@example.org")],
            vec![],
            vec![],
        );
        assert_eq!(
            reply_recipients(&v, false, &own).0,
            vec![a(Some("Bo"), "bo@x.org")]
        );
        let v = view(
            a(Some("Bo"), "bo@x.org"),
            vec![a(None, "me@example.org")],
            vec![],
            vec![a(None, "list@x.org")],
        );
        assert_eq!(
            reply_recipients(&v, false, &own).0,
            vec![a(None, "list@x.org")]
        );
    }

    #[test]
    fn reply_all_keeps_to_and_cc_without_the_user_or_duplicates() {
        let v = view(
            a(Some("Bo"), "bo@x.org"),
            vec![
                a(None, "ME@example.org"),
                a(Some("Cy"), "cy@x.org"),
                a(None, "BO@x.org"),
                a(None, "other@elsewhere.net"),
            ],
            vec![
                a(None, "alias@example.org"),
                a(None, "dee@x.org"),
                a(None, "Cy@x.org"),
            ],
            vec![],
        );
        let (to, cc) = reply_recipients(&v, true, &own());
        assert_eq!(
            to,
            vec![a(Some("Bo"), "bo@x.org"), a(Some("Cy"), "cy@x.org")]
        );
        assert_eq!(cc, vec![a(None, "dee@x.org")]);
    }

    #[test]
    fn replying_to_ones_own_message_goes_to_its_recipients() {
        let v = view(
            a(Some("Me"), "me@example.org"),
            vec![a(None, "bo@x.org"), a(None, "cy@x.org")],
            vec![a(None, "dee@x.org")],
            vec![],
        );
        let (to, cc) = reply_recipients(&v, false, &own());
        assert_eq!(to, vec![a(None, "bo@x.org"), a(None, "cy@x.org")]);
        assert!(cc.is_empty());
        let (to, cc) = reply_recipients(&v, true, &own());
        assert_eq!(to.len(), 2);
        assert_eq!(cc, vec![a(None, "dee@x.org")]);
        // Only the user in To, others in Cc: they become the To.
        let v = view(
            a(None, "bo@x.org"),
            vec![a(None, "me@example.org")],
            vec![a(None, "dee@x.org")],
            vec![a(None, "me@example.org")],
        );
        let (to, cc) = reply_recipients(&v, true, &own());
        assert_eq!((to, cc), (vec![a(None, "dee@x.org")], vec![]));
        // A note to oneself is answered to oneself.
        let v = view(
            a(None, "me@example.org"),
            vec![a(None, "me@example.org")],
            vec![],
            vec![],
        );
        assert_eq!(
            reply_recipients(&v, false, &own()).0,
            vec![a(None, "me@example.org")]
        );
    }

    /// `view` as account 1's original, with `identities`, dated Tue, 1 Jul 2025 at 10:00, text
    /// only.
    fn original<'a>(
        view: &'a MessageView,
        identities: &'a [Identity],
        own: &'a HashSet<String>,
    ) -> Original<'a> {
        Original {
            account_id: 1,
            view,
            delivered_to: vec![],
            identities,
            own,
            when: "Tue, 1 Jul 2025 at 10:00".into(),
            html: None,
        }
    }

    #[test]
    fn identity_is_the_one_addressed() {
        let ids = [
            identity(1, "me@example.org", true, false),
            identity(2, "alias@example.org", false, true),
        ];
        let v = view(
            a(None, "bo@x.org"),
            vec![a(None, "x@y.org")],
            vec![a(None, "Alias@example.org")],
            vec![],
        );
        assert_eq!(addressed_identity(&v, &[], &ids).map(|i| i.id), Some(2));
        let v = view(
            a(None, "bo@x.org"),
            vec![a(None, "list@y.org")],
            vec![],
            vec![],
        );
        assert_eq!(addressed_identity(&v, &[], &ids).map(|i| i.id), None);
        assert_eq!(
            addressed_identity(&v, &["alias@example.org".into()], &ids).map(|i| i.id),
            Some(2)
        );
    }

    #[test]
    fn quoting_plain_and_html() {
        assert_eq!(
            quote_plain("one\r\n> two\n\nthree\n\n"),
            "> one\n>> two\n>\n> three\n"
        );
        let ids = [
            identity(1, "me@example.org", true, false),
            identity(2, "alias@example.org", false, true),
        ];
        let own = own();
        let v = view(
            a(Some("Bo B"), "bo@x.org"),
            vec![a(None, "me@example.org")],
            vec![],
            vec![],
        );
        let o = original(&v, &ids, &own);
        let r = compose_from(&o, ComposeMode::Reply);
        assert_eq!(r.subject, "Re: Plans");
        assert_eq!(r.to, "Bo B <bo@x.org>");
        assert_eq!(r.identity_id, Some(1));
        assert_eq!(r.in_reply_to, Some(42));
        assert_eq!(
            r.body,
            "\n\nOn Tue, 1 Jul 2025 at 10:00, Bo B wrote:\n> Hello <you> & all,\n>> earlier\n>\n> bye\n"
        );
        assert!(r.html.is_none(), "identity 1 writes plain text");
        // Addressed to the rich-text alias: HTML quote, escaped.
        let v = view(
            a(Some("Bo B"), "bo@x.org"),
            vec![a(None, "alias@example.org")],
            vec![],
            vec![],
        );
        let o = Original { view: &v, ..o };
        let r = compose_from(&o, ComposeMode::ReplyAll);
        assert_eq!(r.identity_id, Some(2));
        let html = r.html.expect("html");
        assert!(
            html.contains(
                "<blockquote type=\"cite\">Hello &lt;you&gt; &amp; all,<br>\n&gt; earlier"
            ),
            "{html}"
        );
        assert!(html.contains("On Tue, 1 Jul 2025 at 10:00, Bo B wrote:"));
        // The original's own HTML, when there is one, is what is quoted.
        let o = Original {
            html: Some("<p><b>Hello</b></p>".into()),
            ..o
        };
        let html = compose_from(&o, ComposeMode::Reply).html.expect("html");
        assert!(
            html.contains("<blockquote type=\"cite\"><p><b>Hello</b></p></blockquote>"),
            "{html}"
        );
    }

    #[test]
    fn the_originals_html_is_made_safe_to_quote() {
        let raw = b"From: a@example.org\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nHi\r\n\
--b\r\nContent-Type: text/html\r\n\r\n<html><head><style>p{}</style><script>x()</script></head>\
<body onload=\"x()\"><p onclick=\"y()\">Hi <a href=\"https://example.org/\">there</a></p>\
<img src=\"https://tracker.example/p.gif\"><img src=\"cid:logo\"></body></html>\r\n--b--\r\n";
        let html = quotable_html(raw).expect("html");
        assert!(
            html.contains("<p>Hi <a href=\"https://example.org/\""),
            "{html}"
        );
        for gone in ["script", "style", "onclick", "onload", "img", "tracker"] {
            assert!(!html.contains(gone), "{gone} in {html}");
        }
        // A text-only message has no HTML of its own.
        assert_eq!(
            quotable_html(b"From: a@example.org\r\n\r\nJust text\r\n"),
            None
        );
    }

    #[test]
    fn forward_inline_has_the_forwarded_block() {
        let ids = [identity(1, "me@example.org", true, false)];
        let own = own();
        let v = view(
            a(Some("Bo"), "bo@x.org"),
            vec![a(None, "me@example.org")],
            vec![a(Some("Cy, C."), "cy@x.org")],
            vec![],
        );
        let o = original(&v, &ids, &own);
        let f = compose_from(&o, ComposeMode::Forward);
        assert_eq!(f.subject, "Fwd: AW: Plans");
        assert_eq!(f.forwarded, Some(42));
        assert!(f.to.is_empty() && f.in_reply_to.is_none());
        assert_eq!(
            f.body,
            "\n\n-------- Forwarded Message --------\nSubject: AW: Plans\n\
             Date: Tue, 1 Jul 2025 at 10:00\nFrom: Bo <bo@x.org>\nTo: me@example.org\n\
             Cc: \"Cy, C.\" <cy@x.org>\n\nHello <you> & all,\n> earlier\n\nbye\n"
        );
        let f = compose_from(&o, ComposeMode::ForwardAsAttachment);
        assert_eq!(f.body, "");
        assert_eq!(f.html, None, "a plain-text identity");
        assert_eq!(f.forwarded, Some(42));
        assert_eq!(eml_name("AW: Plans / 2025"), "AW_ Plans - 2025.eml");
        assert_eq!(eml_name(" "), "Forwarded message.eml");
    }
}
