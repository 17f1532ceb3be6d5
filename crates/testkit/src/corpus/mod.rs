//! Realistic RFC 5322 test messages, deterministic per seed.
//!
//! [`generate`] makes a mailbox's worth of mail addressed to one owner (`Alex Morgan
//! <alex.morgan@DOMAIN>`, see [`owner`]): plain text, multipart/alternative (text and HTML),
//! newsletters with remote images and List-Unsubscribe, HTML with inline `cid:` images,
//! attachments (base64; a few KB to a few hundred KB, a few of several MB; RFC 2231 and RFC 2047
//! file names), RFC 2047 subjects and display names in German, French and Japanese, threads
//! (Message-ID, In-Reply-To, References, "Re:"), notification and mailing-list traffic. Dates
//! spread over the two years before the end time, in ascending order. Line endings are CRLF.
//!
//! [`simple`] makes one known message.

mod encode;
mod text;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::date;
use text::{Lang, Person, PEOPLE};

/// A small deterministic PRNG (SplitMix64), good enough for test data.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when n is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
        }
    }

    /// Uniform in `0.0..1.0`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Appends `n` random bytes.
    pub fn fill(&mut self, out: &mut Vec<u8>, n: usize) {
        out.reserve(n);
        let mut left = n;
        while left >= 8 {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
            left -= 8;
        }
        let last = self.next_u64().to_le_bytes();
        out.extend_from_slice(&last[..left]);
    }

    /// Log-uniform size in `lo..hi`.
    fn log_size(&mut self, lo: usize, hi: usize) -> usize {
        let (l, h) = ((lo.max(1)) as f64, (hi.max(lo + 1)) as f64);
        (l * (h / l).powf(self.unit())) as usize
    }
}

/// The owner every generated message is addressed to.
pub fn owner(domain: &str) -> String {
    format!("{} <{}@{domain}>", text::OWNER_NAME, text::OWNER_LOCAL)
}

/// `n` messages for `domain`, deterministic for a given seed and day: the newest message is
/// from before 00:00 UTC today, the oldest about two years older. Ascending by date.
pub fn generate(n: usize, seed: u64, domain: &str) -> Vec<Vec<u8>> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(1_700_000_000);
    generate_until(n, seed, domain, now - now.rem_euclid(86_400))
}

/// Like [`generate`], with an explicit end (Unix time): fully deterministic.
pub fn generate_until(n: usize, seed: u64, domain: &str, end_unix: i64) -> Vec<Vec<u8>> {
    let mut g = Generator::new(seed, domain);
    let span = 730 * 86_400i64;
    let start = end_unix - span;
    let mut prev = start - 1;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let slot = (i as f64 + g.rng.unit()) * span as f64 / n.max(1) as f64;
        let t = (start + slot as i64).max(prev + 1);
        prev = t;
        out.push(g.message(i, t));
    }
    out
}

/// One plain-text message with the given header values (`from`/`to` may be `Name <addr>` or a
/// bare address; non-ASCII subjects and names are RFC 2047-encoded), dated now.
pub fn simple(subject: &str, from: &str, to: &str, body: &str) -> Vec<u8> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let (from_h, from_addr) = encode::parse_and_encode_mailbox(from);
    let (to_h, _) = encode::parse_and_encode_mailbox(to);
    let host = from_addr.rsplit('@').next().unwrap_or("petrel.test");
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let body = normalize_crlf(body);
    let mut m = String::new();
    m.push_str(&format!(
        "Date: {}\r\n",
        date::format_rfc5322(now.as_secs() as i64, 0)
    ));
    m.push_str(&format!("From: {from_h}\r\n"));
    m.push_str(&format!("To: {to_h}\r\n"));
    m.push_str(&format!(
        "Subject: {}\r\n",
        encode::encode_unstructured(subject, false)
    ));
    m.push_str(&format!(
        "Message-ID: <{:x}.{}.{n}@{host}>\r\n",
        now.as_nanos(),
        std::process::id()
    ));
    m.push_str("MIME-Version: 1.0\r\n");
    m.push_str("Content-Type: text/plain; charset=utf-8\r\n");
    if body.is_ascii() {
        m.push_str("Content-Transfer-Encoding: 7bit\r\n\r\n");
        m.push_str(&body);
        if !body.ends_with("\r\n") {
            m.push_str("\r\n");
        }
    } else {
        m.push_str("Content-Transfer-Encoding: quoted-printable\r\n\r\n");
        let mut b = body;
        if !b.ends_with("\r\n") {
            b.push_str("\r\n");
        }
        m.push_str(&encode::quoted_printable(&b));
    }
    m.into_bytes()
}

fn normalize_crlf(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\n', "\r\n")
}

// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum ThreadKind {
    Personal,
    List,
    Notification(u64),
}

struct Thread {
    kind: ThreadKind,
    subject: String,
    lang: Lang,
    ids: Vec<String>,
    participants: Vec<usize>,
    last_from: usize,
    last_text: String,
    last_date: i64,
}

enum Part {
    Leaf {
        headers: Vec<String>,
        body: Vec<u8>,
    },
    Multi {
        subtype: &'static str,
        boundary: String,
        parts: Vec<Part>,
    },
}

struct Generator<'a> {
    rng: Rng,
    domain: &'a str,
    threads: Vec<Thread>,
}

impl<'a> Generator<'a> {
    fn new(seed: u64, domain: &'a str) -> Self {
        Generator {
            rng: Rng::new(seed),
            domain,
            threads: Vec::new(),
        }
    }

    /// A sender for a new conversation: English-speaking two times out of three.
    fn sender(&mut self) -> usize {
        let english = self.rng.chance(0.65);
        let pool: Vec<usize> = (0..PEOPLE.len())
            .filter(|&i| (PEOPLE[i].lang == Lang::En) == english)
            .collect();
        *self.rng.pick(&pool)
    }

    fn addr(&self, p: &Person) -> String {
        format!("{}@{}", p.local, p.domain.unwrap_or(self.domain))
    }

    fn owner_addr(&self) -> String {
        format!("{}@{}", text::OWNER_LOCAL, self.domain)
    }

    fn message_id(&mut self, seq: usize, host: &str) -> String {
        format!("<{:016x}.{seq}@{host}>", self.rng.next_u64())
    }

    fn fill_template(&mut self, s: &str, t: i64) -> String {
        let (year, _, _) = date::civil_from_days(t.div_euclid(86_400));
        s.replace("{n}", &(100 + self.rng.below(9900)).to_string())
            .replace("{year}", &year.to_string())
    }

    fn paragraphs(&mut self, lang: Lang, count: usize) -> Vec<String> {
        let pool = text::sentences(lang);
        (0..count)
            .map(|_| {
                let k = 1 + self.rng.below(3) as usize;
                let sep = if lang == Lang::Ja { "" } else { " " };
                (0..k)
                    .map(|_| *self.rng.pick(pool))
                    .collect::<Vec<_>>()
                    .join(sep)
            })
            .collect()
    }

    fn message(&mut self, seq: usize, t: i64) -> Vec<u8> {
        let r = self.rng.unit();
        if r < 0.08 {
            self.newsletter(seq, t)
        } else if r < 0.15 {
            self.notification(t)
        } else if r < 0.21 {
            self.list_post(seq, t)
        } else {
            self.personal(seq, t)
        }
    }

    /// Picks a recent thread of the kind, or `None`.
    fn recent_thread(&mut self, kind: impl Fn(ThreadKind) -> bool) -> Option<usize> {
        let candidates: Vec<usize> = self
            .threads
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, th)| kind(th.kind))
            .take(25)
            .map(|(i, _)| i)
            .collect();
        if candidates.is_empty() {
            None
        } else {
            Some(*self.rng.pick(&candidates))
        }
    }

    fn remember(&mut self, th: Thread) {
        self.threads.push(th);
        if self.threads.len() > 400 {
            self.threads.drain(..100);
        }
    }

    fn body_text(&mut self, lang: Lang, greet: &str, signer: &str) -> String {
        let n = 1 + self.rng.below(4) as usize;
        let width = 72;
        let mut s = text::greeting(lang, greet);
        for para in self.paragraphs(lang, n) {
            s.push_str("\r\n\r\n");
            s.push_str(&encode::wrap(&para, width));
        }
        s.push_str("\r\n\r\n");
        s.push_str(text::closing(lang));
        s.push_str("\r\n");
        s.push_str(signer);
        s
    }

    fn personal(&mut self, seq: usize, t: i64) -> Vec<u8> {
        let reply_to = if self.rng.chance(0.4) {
            self.recent_thread(|k| k == ThreadKind::Personal)
        } else {
            None
        };
        let forward = reply_to.is_none() && self.rng.chance(0.05);
        let (from_idx, lang, subject, in_reply_to, references, quoted, cc) = match reply_to {
            Some(ti) => {
                let th = &self.threads[ti];
                let others: Vec<usize> = th
                    .participants
                    .iter()
                    .copied()
                    .filter(|&p| p != th.last_from)
                    .collect();
                let from_idx = if others.is_empty() || self.rng.chance(0.3) {
                    th.last_from
                } else {
                    *self.rng.pick(&others)
                };
                let lang = th.lang;
                let prefix = text::reply_prefix(lang, self.rng.next_u64());
                let subject = format!("{prefix}{}", th.subject);
                let last = th.ids.last().cloned();
                let mut refs = th.ids.clone();
                if refs.len() > 10 {
                    let first = refs[0].clone();
                    refs.drain(..refs.len() - 9);
                    refs.insert(0, first);
                }
                let last_person = &PEOPLE[th.last_from];
                let intro = text::quote_intro(
                    lang,
                    &date::format_short(th.last_date, last_person.tz),
                    last_person.name,
                );
                let mut quoted = format!("\r\n\r\n{intro}\r\n");
                for line in th.last_text.split("\r\n").take(30) {
                    quoted.push('>');
                    if !line.is_empty() && !line.starts_with('>') {
                        quoted.push(' ');
                    }
                    quoted.push_str(line);
                    quoted.push_str("\r\n");
                }
                let cc: Vec<usize> = th
                    .participants
                    .iter()
                    .copied()
                    .filter(|&p| p != from_idx)
                    .collect();
                (from_idx, lang, subject, last, refs, quoted, cc)
            }
            None => {
                let from_idx = self.sender();
                let lang = PEOPLE[from_idx].lang;
                let tmpl = *self.rng.pick(text::subjects(lang));
                let mut subject = self.fill_template(tmpl, t);
                if forward {
                    subject = format!("Fwd: {subject}");
                }
                let mut cc = Vec::new();
                if self.rng.chance(0.2) {
                    let c = self.rng.below(PEOPLE.len() as u64) as usize;
                    if c != from_idx {
                        cc.push(c);
                    }
                }
                (from_idx, lang, subject, None, Vec::new(), String::new(), cc)
            }
        };
        let from = &PEOPLE[from_idx];
        let from_addr = self.addr(from);
        let host = from_addr
            .rsplit('@')
            .next()
            .unwrap_or("example.com")
            .to_string();
        let id = self.message_id(seq, &host);
        let mut body = self.body_text(lang, text::OWNER_FIRST, from.name);
        let own_text = body.clone();
        if forward {
            body.push_str("\r\n\r\n---------- Forwarded message ----------\r\n");
            let orig = self.rng.below(PEOPLE.len() as u64) as usize;
            body.push_str(&format!(
                "From: {}\r\nSubject: {}\r\n\r\n",
                self.addr(&PEOPLE[orig]),
                subject.trim_start_matches("Fwd: ")
            ));
            let extra = self.body_text(lang, "all", "—");
            body.push_str(&extra);
        }
        body.push_str(&quoted);

        // Body structure.
        let style = self.rng.unit();
        let text_part = self.text_part(&body);
        let mut root = if style < 0.55 {
            text_part
        } else if style < 0.92 {
            let html = self.html_part(&html_from_text(&body, lang, &[]));
            self.multi("alternative", vec![text_part, html])
        } else {
            // HTML with an inline image referenced by cid:.
            let cid = format!("img{:08x}.{seq}@{host}", self.rng.next_u64() as u32);
            let html = self.html_part(&html_from_text(&body, lang, &[&cid]));
            let img = self.inline_png(&cid);
            let related = self.multi("related", vec![html, img]);
            self.multi("alternative", vec![text_part, related])
        };
        if self.rng.chance(0.12) {
            let count = 1 + self.rng.below(3) as usize;
            let mut parts = vec![root];
            for _ in 0..count {
                parts.push(self.attachment(t));
            }
            root = self.multi("mixed", parts);
        }

        let mut headers = self.common_headers(from_idx, &from_addr, t, &subject, &id);
        let mut participants = vec![from_idx];
        if !cc.is_empty() {
            let list: Vec<String> = cc
                .iter()
                .map(|&c| encode::mailbox(PEOPLE[c].name, &self.addr(&PEOPLE[c])))
                .collect();
            headers.push(format!("Cc: {}", list.join(",\r\n ")));
            participants.extend(cc.iter().copied());
        }
        if let Some(irt) = &in_reply_to {
            headers.push(format!("In-Reply-To: {irt}"));
            headers.push(format!("References: {}", references.join("\r\n ")));
        }
        if self.rng.chance(0.3) {
            headers.push(
                (*self.rng.pick(&[
                    "User-Agent: Mozilla Thunderbird",
                    "X-Mailer: Microsoft Outlook 16.0",
                    "X-Mailer: iPhone Mail (21A329)",
                    "User-Agent: Roundcube Webmail/1.6",
                ]))
                .to_string(),
            );
        }

        // Remember the thread.
        match reply_to {
            Some(ti) => {
                let th = &mut self.threads[ti];
                th.ids.push(id.clone());
                th.last_from = from_idx;
                th.last_text = own_text;
                th.last_date = t;
                for p in participants {
                    if !th.participants.contains(&p) {
                        th.participants.push(p);
                    }
                }
            }
            None => {
                let base = subject.trim_start_matches("Fwd: ").to_string();
                self.remember(Thread {
                    kind: ThreadKind::Personal,
                    subject: base,
                    lang,
                    ids: vec![id.clone()],
                    participants,
                    last_from: from_idx,
                    last_text: own_text,
                    last_date: t,
                });
            }
        }
        render(&headers, &root)
    }

    fn common_headers(
        &mut self,
        from_idx: usize,
        from_addr: &str,
        t: i64,
        subject: &str,
        id: &str,
    ) -> Vec<String> {
        let from = &PEOPLE[from_idx];
        let mut h = self.trace_headers(from_addr, t);
        h.push(format!("Date: {}", date::format_rfc5322(t, from.tz)));
        h.push(format!("From: {}", encode::mailbox(from.name, from_addr)));
        h.push(format!(
            "To: {}",
            encode::mailbox(text::OWNER_NAME, &self.owner_addr())
        ));
        let q = self.rng.chance(0.3);
        h.push(format!(
            "Subject: {}",
            encode::encode_unstructured(subject, q)
        ));
        h.push(format!("Message-ID: {id}"));
        h
    }

    fn trace_headers(&mut self, from_addr: &str, t: i64) -> Vec<String> {
        let host = from_addr.rsplit('@').next().unwrap_or("example.com");
        let qid = format!("{:011X}", self.rng.next_u64() & 0xFFF_FFFF_FFFF);
        vec![
            format!("Return-Path: <{from_addr}>"),
            format!(
                "Received: from mail.{host} (mail.{host} [192.0.2.{}])\r\n\tby mail.{} (Postfix) with ESMTPS id {qid}\r\n\tfor <{}>; {}",
                1 + self.rng.below(254),
                self.domain,
                self.owner_addr(),
                date::format_rfc5322(t + 2 + self.rng.below(30) as i64, 0)
            ),
        ]
    }

    fn multi(&mut self, subtype: &'static str, parts: Vec<Part>) -> Part {
        Part::Multi {
            subtype,
            boundary: format!("----=_Part_{:016x}", self.rng.next_u64()),
            parts,
        }
    }

    fn text_part(&mut self, body: &str) -> Part {
        let (cte, encoded) = self.encode_text(body);
        Part::Leaf {
            headers: vec![
                "Content-Type: text/plain; charset=utf-8".into(),
                format!("Content-Transfer-Encoding: {cte}"),
            ],
            body: encoded,
        }
    }

    fn html_part(&mut self, html: &str) -> Part {
        let encoded = encode::quoted_printable(&format!("{html}\r\n"));
        Part::Leaf {
            headers: vec![
                "Content-Type: text/html; charset=utf-8".into(),
                "Content-Transfer-Encoding: quoted-printable".into(),
            ],
            body: encoded.into_bytes(),
        }
    }

    /// Chooses a transfer encoding for a UTF-8 text with CRLF line breaks.
    fn encode_text(&mut self, body: &str) -> (&'static str, Vec<u8>) {
        let mut text = body.to_string();
        if !text.ends_with("\r\n") {
            text.push_str("\r\n");
        }
        if text.is_ascii() {
            return ("7bit", text.into_bytes());
        }
        let r = self.rng.unit();
        if r < 0.6 {
            (
                "quoted-printable",
                encode::quoted_printable(&text).into_bytes(),
            )
        } else if r < 0.85 {
            ("8bit", text.into_bytes())
        } else {
            let mut out = Vec::new();
            encode::base64_lines(text.as_bytes(), &mut out);
            ("base64", out)
        }
    }

    fn inline_png(&mut self, cid: &str) -> Part {
        let mut data = b"\x89PNG\r\n\x1a\n".to_vec();
        let n = self.rng.log_size(2_000, 40_000);
        self.rng.fill(&mut data, n);
        let mut body = Vec::new();
        encode::base64_lines(&data, &mut body);
        Part::Leaf {
            headers: vec![
                "Content-Type: image/png; name=\"logo.png\"".into(),
                "Content-Transfer-Encoding: base64".into(),
                format!("Content-ID: <{cid}>"),
                "Content-Disposition: inline; filename=\"logo.png\"".into(),
            ],
            body,
        }
    }

    fn attachment(&mut self, t: i64) -> Part {
        let &(name_tmpl, mime) = self.rng.pick(text::ATTACHMENT_NAMES);
        let name = self.fill_template(name_tmpl, t);
        let large = self.rng.chance(0.015);
        let size = if large {
            self.rng.log_size(1_000_000, 5_000_000)
        } else if mime.starts_with("text/") {
            self.rng.log_size(500, 30_000)
        } else {
            self.rng.log_size(2_000, 300_000)
        };
        let mut data = Vec::with_capacity(size + 32);
        match mime {
            "application/pdf" => {
                data.extend_from_slice(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n");
                self.rng.fill(&mut data, size);
                data.extend_from_slice(b"\n%%EOF\n");
            }
            "image/jpeg" => {
                data.extend_from_slice(
                    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00",
                );
                self.rng.fill(&mut data, size);
                data.extend_from_slice(b"\xff\xd9");
            }
            "image/png" => {
                data.extend_from_slice(b"\x89PNG\r\n\x1a\n");
                self.rng.fill(&mut data, size);
            }
            "text/csv" => {
                data.extend_from_slice(b"date,item,amount,currency\r\n");
                while data.len() < size {
                    let line = format!(
                        "2024-{:02}-{:02},item-{},{}.{:02},EUR\r\n",
                        1 + self.rng.below(12),
                        1 + self.rng.below(28),
                        self.rng.below(10_000),
                        self.rng.below(10_000),
                        self.rng.below(100)
                    );
                    data.extend_from_slice(line.as_bytes());
                }
            }
            "text/plain" => {
                while data.len() < size {
                    let para = self.paragraphs(Lang::En, 1).join(" ");
                    data.extend_from_slice(encode::wrap(&para, 72).as_bytes());
                    data.extend_from_slice(b"\r\n\r\n");
                }
            }
            "text/calendar" => {
                data.extend_from_slice(
                    format!(
                        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Petrel testkit//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:{:016x}@petrel.test\r\nDTSTART:20240312T090000Z\r\nDTEND:20240312T100000Z\r\nSUMMARY:Planning meeting\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
                        self.rng.next_u64()
                    )
                    .as_bytes(),
                );
            }
            _ => {
                data.extend_from_slice(b"PK\x03\x04\x14\x00\x00\x00\x08\x00");
                self.rng.fill(&mut data, size);
            }
        }
        let mut body = Vec::new();
        let cte = if mime == "text/plain" && self.rng.chance(0.5) {
            body = data;
            "7bit"
        } else {
            encode::base64_lines(&data, &mut body);
            "base64"
        };
        let ct_name = if name.is_ascii() {
            encode::mime_param("name", &name)
        } else {
            // Outlook-style RFC 2047 inside the parameter, beside the RFC 2231 filename.
            format!("name=\"{}\"", encode::encode_unstructured(&name, false))
        };
        let charset = if mime.starts_with("text/") {
            "; charset=utf-8"
        } else {
            ""
        };
        Part::Leaf {
            headers: vec![
                format!("Content-Type: {mime}{charset};\r\n {ct_name}"),
                format!("Content-Transfer-Encoding: {cte}"),
                format!(
                    "Content-Disposition: attachment;\r\n {}",
                    encode::mime_param("filename", &name)
                ),
            ],
            body,
        }
    }

    fn newsletter(&mut self, seq: usize, t: i64) -> Vec<u8> {
        let nl = self.rng.pick(text::NEWSLETTERS);
        let subject = self.fill_template(nl.subject, t);
        let host = nl.addr.rsplit('@').next().unwrap_or("news.example");
        let id = self.message_id(seq, host);
        let token = format!("{:016x}", self.rng.next_u64());
        let count = 3 + self.rng.below(4) as usize;
        let paras = self.paragraphs(nl.lang, count);
        let mut txt = format!("{}\r\n\r\n", nl.headline);
        let mut html = format!(
            "<!DOCTYPE html>\r\n<html><head><meta charset=\"utf-8\"><title>{}</title>\r\n<style>body{{font-family:Helvetica,Arial,sans-serif;background:#f4f4f4}} .box{{max-width:600px;margin:auto;background:#fff;padding:16px}}</style></head>\r\n<body><div class=\"box\">\r\n<img src=\"https://{host}/img/banner-{seq}.jpg\" width=\"600\" height=\"200\" alt=\"\">\r\n<h1>{}</h1>\r\n",
            encode::html_escape(&subject),
            encode::html_escape(nl.headline)
        );
        for (i, p) in paras.iter().enumerate() {
            txt.push_str(&encode::wrap(p, 72));
            txt.push_str(&format!(
                "\r\nRead more: https://{host}/a/{seq}-{i}?u={token}\r\n\r\n"
            ));
            html.push_str(&format!(
                "<p>{}</p>\r\n<p><a href=\"https://{host}/a/{seq}-{i}?u={token}\">Read more</a></p>\r\n",
                encode::html_escape(p)
            ));
            if i == 1 {
                html.push_str(&format!(
                    "<img src=\"https://{host}/img/story-{seq}-{i}.png\" width=\"560\" alt=\"\">\r\n"
                ));
            }
        }
        txt.push_str(&format!(
            "Unsubscribe: https://{host}/unsubscribe?u={token}\r\n"
        ));
        html.push_str(&format!(
            "<p style=\"font-size:11px;color:#888\"><a href=\"https://{host}/unsubscribe?u={token}\">Unsubscribe</a></p>\r\n<img src=\"https://{host}/t/open.gif?u={token}\" width=\"1\" height=\"1\" alt=\"\">\r\n</div></body></html>"
        ));
        let text_part = self.text_part(&txt);
        let html_part = self.html_part(&html);
        let root = self.multi("alternative", vec![text_part, html_part]);
        let mut h = self.trace_headers(nl.addr, t);
        h.push(format!("Date: {}", date::format_rfc5322(t, 0)));
        h.push(format!("From: {}", encode::mailbox(nl.name, nl.addr)));
        h.push(format!(
            "To: {}",
            encode::mailbox(text::OWNER_NAME, &self.owner_addr())
        ));
        h.push(format!(
            "Subject: {}",
            encode::encode_unstructured(&subject, false)
        ));
        h.push(format!("Message-ID: {id}"));
        h.push(format!("List-Id: {}", nl.list_id));
        h.push(format!(
            "List-Unsubscribe: <https://{host}/unsubscribe?u={token}>,\r\n <mailto:unsubscribe@{host}?subject={token}>"
        ));
        h.push("List-Unsubscribe-Post: List-Unsubscribe=One-Click".into());
        h.push("Precedence: bulk".into());
        render(&h, &root)
    }

    fn notification(&mut self, t: i64) -> Vec<u8> {
        let existing = if self.rng.chance(0.6) {
            self.recent_thread(|k| matches!(k, ThreadKind::Notification(_)))
        } else {
            None
        };
        let (pr, title, root_id) = match existing {
            Some(ti) => {
                let th = &self.threads[ti];
                let pr = match th.kind {
                    ThreadKind::Notification(pr) => pr,
                    _ => 0,
                };
                (pr, th.subject.clone(), Some(th.ids[0].clone()))
            }
            None => {
                let pr = 100 + self.rng.below(900);
                let title = (*self.rng.pick(text::NOTIFICATION_TITLES)).to_string();
                (pr, title, None)
            }
        };
        let id = match root_id {
            None => format!("<petrel/engine/pull/{pr}@git.example>"),
            Some(_) => format!(
                "<petrel/engine/pull/{pr}/c{}@git.example>",
                self.rng.next_u64() % 1_000_000_000
            ),
        };
        let actor = &PEOPLE[self.rng.below(PEOPLE.len() as u64) as usize];
        let what = if root_id.is_none() {
            format!("{} opened this pull request.", actor.first)
        } else {
            let c = *self.rng.pick(&[
                "left a comment",
                "approved these changes",
                "requested changes",
                "pushed 2 commits",
            ]);
            format!("{} {c}.", actor.first)
        };
        let para = self.paragraphs(Lang::En, 1).join(" ");
        let body = format!(
            "{what}\r\n\r\n{}\r\n\r\n--\r\nReply to this email directly or view it on the web:\r\nhttps://git.example/petrel/engine/pull/{pr}\r\nYou are receiving this because you were mentioned.\r\n",
            encode::wrap(&para, 72)
        );
        let root = self.text_part(&body);
        let mut h = self.trace_headers("notifications@git.example", t);
        h.push(format!("Date: {}", date::format_rfc5322(t, 0)));
        h.push(format!(
            "From: {}",
            encode::mailbox(
                &format!("{} (git)", actor.name),
                "notifications@git.example"
            )
        ));
        h.push("To: petrel/engine <engine@noreply.git.example>".into());
        h.push(format!(
            "Cc: {}, Mention <mention@noreply.git.example>",
            encode::mailbox(text::OWNER_NAME, &self.owner_addr())
        ));
        let subject = format!("Re: [petrel/engine] {title} (PR #{pr})");
        let subject = if root_id.is_none() {
            subject.trim_start_matches("Re: ").to_string()
        } else {
            subject
        };
        h.push(format!("Subject: {subject}"));
        h.push(format!("Message-ID: {id}"));
        if let Some(r) = &root_id {
            h.push(format!("In-Reply-To: {r}"));
            h.push(format!("References: {r}"));
        }
        h.push("List-Id: petrel/engine <engine.petrel.git.example>".into());
        h.push("X-Auto-Response-Suppress: All".into());
        match existing {
            Some(ti) => {
                let th = &mut self.threads[ti];
                th.ids.push(id);
                th.last_date = t;
            }
            None => self.remember(Thread {
                kind: ThreadKind::Notification(pr),
                subject: title,
                lang: Lang::En,
                ids: vec![id],
                participants: Vec::new(),
                last_from: 0,
                last_text: String::new(),
                last_date: t,
            }),
        }
        render(&h, &root)
    }

    fn list_post(&mut self, seq: usize, t: i64) -> Vec<u8> {
        let existing = if self.rng.chance(0.55) {
            self.recent_thread(|k| k == ThreadKind::List)
        } else {
            None
        };
        let from_idx = self.rng.below(PEOPLE.len() as u64) as usize;
        let from = &PEOPLE[from_idx];
        let from_addr = self.addr(from);
        let host = from_addr
            .rsplit('@')
            .next()
            .unwrap_or("example.com")
            .to_string();
        let id = self.message_id(seq, &host);
        let (subject, refs, quoted) = match existing {
            Some(ti) => {
                let th = &self.threads[ti];
                let mut q = String::new();
                if !th.last_text.is_empty() {
                    let lp = &PEOPLE[th.last_from];
                    q.push_str(&format!(
                        "\r\n\r\n{}\r\n",
                        text::quote_intro(
                            Lang::En,
                            &date::format_short(th.last_date, lp.tz),
                            lp.name
                        )
                    ));
                    for line in th.last_text.split("\r\n").take(12) {
                        q.push_str("> ");
                        q.push_str(line);
                        q.push_str("\r\n");
                    }
                }
                (
                    format!("Re: [rust-users] {}", th.subject),
                    th.ids.clone(),
                    q,
                )
            }
            None => {
                let topic = (*self.rng.pick(text::LIST_TOPICS)).to_string();
                (format!("[rust-users] {topic}"), Vec::new(), String::new())
            }
        };
        let count = 1 + self.rng.below(3) as usize;
        let paras = self.paragraphs(Lang::En, count);
        let mut own = String::new();
        for p in &paras {
            if !own.is_empty() {
                own.push_str("\r\n\r\n");
            }
            own.push_str(&encode::wrap(p, 72));
        }
        let mut body = format!("{own}\r\n\r\n-- \r\n{}{quoted}", from.name);
        body.push_str(
            "\r\n_______________________________________________\r\nrust-users mailing list\r\nhttps://lists.example/listinfo/rust-users\r\n",
        );
        let root = self.text_part(&body);
        let mut h = self.trace_headers(&from_addr, t);
        h.push(format!("Date: {}", date::format_rfc5322(t, from.tz)));
        h.push(format!("From: {}", encode::mailbox(from.name, &from_addr)));
        h.push("To: rust-users@lists.example".into());
        h.push(format!(
            "Subject: {}",
            encode::encode_unstructured(&subject, false)
        ));
        h.push(format!("Message-ID: {id}"));
        if let Some(last) = refs.last() {
            h.push(format!("In-Reply-To: {last}"));
            let tail: Vec<&String> = refs.iter().rev().take(8).rev().collect();
            h.push(format!(
                "References: {}",
                tail.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("\r\n ")
            ));
        }
        h.push("List-Id: Rust users <rust-users.lists.example>".into());
        h.push("List-Post: <mailto:rust-users@lists.example>".into());
        h.push("Precedence: list".into());
        match existing {
            Some(ti) => {
                let th = &mut self.threads[ti];
                th.ids.push(id);
                th.last_from = from_idx;
                th.last_text = own;
                th.last_date = t;
            }
            None => {
                let subject = subject.trim_start_matches("[rust-users] ").to_string();
                self.remember(Thread {
                    kind: ThreadKind::List,
                    subject,
                    lang: Lang::En,
                    ids: vec![id],
                    participants: vec![from_idx],
                    last_from: from_idx,
                    last_text: own,
                    last_date: t,
                });
            }
        }
        render(&h, &root)
    }
}

/// Simple HTML version of a text body; quoted lines become a blockquote; `cids` are shown as
/// inline images.
fn html_from_text(body: &str, lang: Lang, cids: &[&str]) -> String {
    let lang_attr = match lang {
        Lang::En => "en",
        Lang::De => "de",
        Lang::Fr => "fr",
        Lang::Ja => "ja",
    };
    let mut html = format!(
        "<html lang=\"{lang_attr}\"><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"></head>\r\n<body style=\"font-family:Calibri,sans-serif;font-size:11pt\">\r\n"
    );
    for cid in cids {
        html.push_str(&format!(
            "<p><img src=\"cid:{cid}\" alt=\"logo\" width=\"120\" height=\"40\"></p>\r\n"
        ));
    }
    // Line by line: blank lines end paragraphs, "> " lines go into a blockquote.
    let mut in_quote = false;
    let mut para: Vec<String> = Vec::new();
    let flush = |para: &mut Vec<String>, html: &mut String| {
        if !para.is_empty() {
            html.push_str(&format!("<p>{}</p>\r\n", para.join("<br>\r\n")));
            para.clear();
        }
    };
    for line in body.split("\r\n") {
        let quoted = line.starts_with('>');
        if quoted != in_quote {
            flush(&mut para, &mut html);
            html.push_str(if quoted {
                "<blockquote type=\"cite\" style=\"margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex\">\r\n"
            } else {
                "</blockquote>\r\n"
            });
            in_quote = quoted;
        }
        let content = if quoted {
            line.trim_start_matches('>').trim_start()
        } else {
            line
        };
        if content.trim().is_empty() {
            flush(&mut para, &mut html);
        } else {
            para.push(encode::html_escape(content));
        }
    }
    flush(&mut para, &mut html);
    if in_quote {
        html.push_str("</blockquote>\r\n");
    }
    html.push_str("</body></html>");
    html
}

fn write_part(part: &Part, out: &mut Vec<u8>) {
    match part {
        Part::Leaf { headers, body } => {
            for h in headers {
                out.extend_from_slice(h.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(body);
        }
        Part::Multi {
            subtype,
            boundary,
            parts,
        } => {
            out.extend_from_slice(
                format!("Content-Type: multipart/{subtype};\r\n boundary=\"{boundary}\"\r\n\r\n")
                    .as_bytes(),
            );
            if *subtype == "mixed" {
                out.extend_from_slice(b"This is a multi-part message in MIME format.\r\n");
            }
            for (i, p) in parts.iter().enumerate() {
                let lead = if i == 0 { "" } else { "\r\n" };
                out.extend_from_slice(format!("{lead}--{boundary}\r\n").as_bytes());
                write_part(p, out);
            }
            out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        }
    }
}

fn render(headers: &[String], root: &Part) -> Vec<u8> {
    let mut out = Vec::with_capacity(4096);
    for h in headers {
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"MIME-Version: 1.0\r\n");
    write_part(root, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header<'a>(msg: &'a str, name: &str) -> Option<&'a str> {
        let head = msg.split("\r\n\r\n").next()?;
        head.split("\r\n")
            .find(|l| {
                l.len() > name.len()
                    && l[..name.len()].eq_ignore_ascii_case(name)
                    && l.as_bytes()[name.len()] == b':'
            })
            .map(|l| l[name.len() + 1..].trim())
    }

    #[test]
    fn deterministic_and_ordered() {
        let a = generate_until(300, 7, "petrel.test", 1_750_000_000);
        let b = generate_until(300, 7, "petrel.test", 1_750_000_000);
        let c = generate_until(300, 8, "petrel.test", 1_750_000_000);
        assert_eq!(a, b);
        assert_ne!(a, c);
        let mut prev = i64::MIN;
        for m in &a {
            let s = String::from_utf8_lossy(m);
            let d = header(&s, "Date").and_then(date::parse_rfc5322).unwrap();
            assert!(d > prev, "dates must ascend");
            assert!((1_750_000_000 - 731 * 86_400..=1_750_000_000).contains(&d));
            prev = d;
        }
    }

    #[test]
    fn well_formed() {
        let msgs = generate_until(1000, 42, "petrel.test", 1_750_000_000);
        let mut replies = 0;
        let mut attachments = 0;
        let mut encoded = 0;
        let mut html = 0;
        let mut ids = std::collections::HashSet::new();
        for m in &msgs {
            // CRLF only, no bare LF or CR.
            for (i, &b) in m.iter().enumerate() {
                if b == b'\n' {
                    assert!(i > 0 && m[i - 1] == b'\r', "bare LF");
                }
                if b == b'\r' {
                    assert_eq!(m.get(i + 1), Some(&b'\n'), "bare CR");
                }
            }
            let s = String::from_utf8_lossy(m);
            let head = s.split("\r\n\r\n").next().unwrap();
            assert!(head.is_ascii(), "headers must be ASCII: {head}");
            for line in s.split("\r\n") {
                assert!(line.len() <= 998, "line too long");
            }
            for h in [
                "Date",
                "From",
                "To",
                "Subject",
                "Message-ID",
                "MIME-Version",
            ] {
                assert!(header(&s, h).is_some(), "missing {h}");
            }
            assert!(ids.insert(header(&s, "Message-ID").unwrap().to_string()));
            if header(&s, "In-Reply-To").is_some() {
                replies += 1;
                assert!(header(&s, "References").is_some());
            }
            if s.contains("Content-Disposition: attachment") {
                attachments += 1;
            }
            if head.contains("=?UTF-8?") {
                encoded += 1;
            }
            if s.contains("text/html") {
                html += 1;
            }
        }
        assert!(replies > 150, "replies: {replies}");
        assert!(attachments > 40, "attachments: {attachments}");
        assert!(encoded > 150, "encoded: {encoded}");
        assert!(html > 200, "html: {html}");
    }

    #[test]
    fn simple_message() {
        let m = simple(
            "Grüße",
            "Jörg <j@petrel.test>",
            "bob@petrel.test",
            "Hallo\nWelt ä\n",
        );
        let s = String::from_utf8(m).unwrap();
        assert!(s.contains("Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n"));
        assert!(s.contains("To: bob@petrel.test\r\n"));
        assert!(s.contains(
            "Content-Transfer-Encoding: quoted-printable\r\n\r\nHallo\r\nWelt =C3=A4\r\n"
        ));
        assert!(!s.contains("\r\n\r\n\r\n"));
    }
}
