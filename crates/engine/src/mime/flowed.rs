//! Plain text as `format=flowed` (RFC 3676): paragraphs are cut at spaces into lines of at most
//! 78 columns, each soft break marked by the space left at the end of its line, so that
//! readers that know the format join them again (and reflow to their window) while others show
//! well-wrapped text. Quoted lines (`>`) keep their depth on every line they are cut into; lines
//! that start with a space, `>` (at depth 0) or `From ` are space-stuffed; the signature separator
//! `-- ` is kept as it is. No crate on crates.io does this encoding well-kept, and it is short.

/// Longest line written, quote marks included (RFC 3676 4.2: SHOULD be at most 78).
const WIDTH: usize = 78;

/// A line of the user's text: its quote depth and the text after the quote marks.
fn quote_depth(line: &str) -> (usize, &str) {
    // "> > text" (as non-flowed mailers quote) and ">> text" are both depth 2.
    let mut depth = 0;
    let mut rest = line;
    loop {
        if let Some(r) = rest.strip_prefix('>') {
            depth += 1;
            rest = r;
        } else if depth > 0 && rest.starts_with(" >") {
            rest = &rest[1..];
        } else {
            break;
        }
    }
    if depth > 0 {
        rest = rest.strip_prefix(' ').unwrap_or(rest);
    }
    (depth, rest)
}

/// Encodes `text` (any line ends) as format=flowed lines joined by CRLF, ending with CRLF when
/// the text does.
pub fn encode(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    let mut lines = text.split('\n').peekable();
    while let Some(line) = lines.next() {
        let last = lines.peek().is_none();
        if last && line.is_empty() {
            break;
        }
        let (depth, content) = quote_depth(line);
        let prefix = if depth > 0 {
            format!("{} ", ">".repeat(depth))
        } else {
            String::new()
        };
        if content == "-- " || (depth == 0 && line == "--") {
            // The signature separator stays as it is (with its space: RFC 3676 4.3).
            out.push_str(&prefix);
            out.push_str("-- ");
        } else {
            // A space before a hard break would read as a soft one.
            let content = content.trim_end_matches(' ');
            wrap_into(&mut out, &prefix, content, depth == 0);
        }
        if !last {
            out.push_str("\r\n");
        }
    }
    out
}

/// Writes one paragraph cut into lines of at most [`WIDTH`] columns (a single word longer than
/// that stays whole), each but the last ending with the space it was cut at.
fn wrap_into(out: &mut String, prefix: &str, content: &str, stuff: bool) {
    let room = WIDTH.saturating_sub(prefix.chars().count()).max(20);
    let mut pieces: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut current_len = 0;
    for word in words(content) {
        let len = word.chars().count();
        let visible = word.trim_end_matches(' ').chars().count();
        if current_len > 0 && current_len + visible > room {
            pieces.push(std::mem::take(&mut current));
            current_len = 0;
        }
        current.push_str(word);
        current_len += len;
    }
    pieces.push(current);
    let count = pieces.len();
    for (i, piece) in pieces.into_iter().enumerate() {
        out.push_str(prefix);
        // Quoted lines are stuffed already: their prefix ends with a space.
        if stuff && needs_stuffing(&piece) {
            out.push(' ');
        }
        out.push_str(&piece);
        if i + 1 < count {
            out.push_str("\r\n");
        }
    }
}

/// Depth-0 lines that would be misread: a leading space (stuffing), `>` (a quote) or `From `
/// (mangled by mbox).
fn needs_stuffing(line: &str) -> bool {
    line.starts_with(' ') || line.starts_with('>') || line.starts_with("From ")
}

/// Words each with the spaces that follow them (leading spaces form a word of their own).
fn words(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = s;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let word_end = rest
            .char_indices()
            .find(|&(i, c)| c == ' ' && i > 0)
            .map_or(rest.len(), |(i, _)| i);
        let word_end = if rest.starts_with(' ') { 0 } else { word_end };
        let spaces_end = rest[word_end..]
            .find(|c| c != ' ')
            .map_or(rest.len(), |i| word_end + i);
        let (word, tail) = rest.split_at(spaces_end);
        rest = tail;
        Some(word)
    })
}

/// Decodes format=flowed text (as a reader would): soft breaks joined, stuffing removed, quote
/// marks written as `> ` per depth level. Used to give a reopened draft its text back.
pub fn decode(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let mut out = String::with_capacity(text.len());
    let mut open: Option<usize> = None; // depth of the paragraph being joined
    for line in text.split('\n') {
        let depth = line.chars().take_while(|&c| c == '>').count();
        let mut content = &line[depth..];
        content = content.strip_prefix(' ').unwrap_or(content);
        let soft = content.ends_with(' ') && content != "-- ";
        match open {
            Some(d) if d == depth => {}
            Some(_) => {
                // A paragraph cut short by a change of depth ends there.
                out.push('\n');
                push_prefix(&mut out, depth);
            }
            None => push_prefix(&mut out, depth),
        }
        out.push_str(content);
        if soft {
            open = Some(depth);
        } else {
            out.push('\n');
            open = None;
        }
    }
    // The text's last line break came from the split of the final (empty) line.
    let extra = if text.ends_with('\n') { "\n\n" } else { "\n" };
    if out.ends_with(extra) {
        out.pop();
    }
    out
}

fn push_prefix(out: &mut String, depth: usize) {
    if depth > 0 {
        out.push_str(&">".repeat(depth));
        out.push(' ');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<&str> {
        s.split("\r\n").collect()
    }

    #[test]
    fn long_paragraphs_break_softly_at_78_columns() {
        let para = "word ".repeat(40);
        let text = format!("{}\nshort line  \n", para.trim_end());
        let enc = encode(&text);
        assert!(!enc.replace("\r\n", "").contains('\n'), "CRLF only");
        for l in lines(&enc) {
            assert!(l.chars().count() <= 78, "{l:?}");
        }
        let ls = lines(&enc);
        assert!(ls[0].ends_with(' ') && ls[1].ends_with(' '), "{ls:?}");
        assert!(
            ls.contains(&"short line"),
            "trailing spaces before a hard break go"
        );
        assert_eq!(decode(&enc), format!("{}\nshort line\n", para.trim_end()));
    }

    #[test]
    fn quotes_stuffing_and_signature() {
        let text = "Hi,\n From the start\nFrom here\n>not quoted? it is\n> quoted line that is long enough to be cut somewhere in its middle because it is long\n>> deeper\n> > also deeper\n-- \nAnn";
        let enc = encode(text);
        let ls = lines(&enc);
        assert_eq!(ls[0], "Hi,");
        assert_eq!(ls[1], "  From the start");
        assert_eq!(ls[2], " From here");
        assert_eq!(ls[3], "> not quoted? it is");
        assert!(ls[4].starts_with("> quoted") && ls[4].ends_with(' '));
        assert!(ls[5].starts_with("> ") && !ls[5].ends_with(' '));
        assert_eq!(ls[6], ">> deeper");
        assert_eq!(ls[7], ">> also deeper");
        assert_eq!(ls[8], "-- ");
        assert_eq!(ls[9], "Ann");
        let dec = decode(&enc);
        assert!(dec.contains("\n From the start\nFrom here\n"), "{dec}");
        assert!(dec.contains(
            "> quoted line that is long enough to be cut somewhere in its middle because it is long\n"
        ));
        assert!(dec.ends_with("-- \nAnn"), "{dec:?}");
    }

    #[test]
    fn long_words_stay_whole_and_lone_cr_is_a_break() {
        let url = format!("https://example.org/{}", "x".repeat(100));
        let enc = encode(&format!("see {url} now\rnext"));
        let ls = lines(&enc);
        assert_eq!(ls, vec!["see ", &format!("{url} "), "now", "next"]);
        assert_eq!(decode(&enc), format!("see {url} now\nnext"));
    }
}
