//! Message bodies on demand: downloading the body of a message opened before it was prefetched
//! (whole, or text-only for a large one), and saving an attachment to a file the user chose.
//!
//! A large message (above the account's prefetch size limit, and at least
//! [`MIN_PARTS_THRESHOLD`]) is never downloaded whole when opened, as Thunderbird does with its
//! "MIME parts on demand": its header and BODYSTRUCTURE, then only the one text part shown and
//! the MIME headers of the attachments (for their names). Such a body is stored "text-only"
//! (`bodies.parts`): the reader, replies and the snippet have the text, the attachment list has
//! names, types and sizes, and every attachment stays on the server until it is saved, which
//! downloads that part alone, in bounded chunks decoded as they come. Nothing treats a
//! text-only body as the whole message (`Store::raw_body` says `None`), and the prefetcher
//! replaces it with the whole message if the limits later allow.
//!
//! Why the prefetch limit: below it the background sync downloads whole bodies anyway (one round
//! trip, the whole message kept offline), and it is the user's own setting for "too large to
//! download unasked" (5 MB by default). The 1 MiB floor keeps a tiny limit from making every
//! opened message text-only.

use std::path::{Path, PathBuf};

use mail_parser::MessageParser;
use tokio::io::AsyncWriteExt;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::imap;
use crate::mime::{self, parts};
use crate::model::BodyPolicy;
use crate::store::{BodySource, StoredBody};

/// Messages at most this large are always downloaded whole when opened.
pub const MIN_PARTS_THRESHOLD: u32 = 1 << 20;

/// One `BODY.PEEK[section]<offset.length>` asks for this much of an attachment: the memory a
/// save uses, whatever the attachment's size.
pub const PART_CHUNK: u32 = 2 << 20;

/// Messages larger than this are opened text-only.
pub fn parts_threshold(policy: &BodyPolicy) -> u32 {
    policy.max_prefetch_bytes.max(MIN_PARTS_THRESHOLD)
}

impl Engine {
    /// Downloads the body of a message if nothing of it is stored yet: whole, or text-only for a
    /// large message (see the module's documentation).
    pub(crate) async fn ensure_body(&self, message_id: i64) -> Result<()> {
        if self.store().has_body(message_id)? {
            return Ok(());
        }
        let loc = self.store().message_location(message_id)?;
        let policy = self.store().body_policy(loc.account_id)?;
        let mut conn = self.connect_imap(loc.account_id).await?;
        let outcome = if loc.size > parts_threshold(&policy) {
            text_only(&mut conn, &loc.folder_path, loc.uid).await
        } else {
            whole(&mut conn, &loc.folder_path, loc.uid).await
        };
        conn.logout().await;
        let body = outcome?;
        let snippet = mime::snippet_of(&body.text);
        self.store()
            .store_body(message_id, &body, &snippet, !body.attachments.is_empty())
    }

    /// The whole stored message, downloaded whole first when only its text is stored (a large
    /// message opened text-only) or nothing yet: what reopening a draft reads.
    pub(crate) async fn whole_message(&self, message_id: i64) -> Result<Vec<u8>> {
        if let Some(raw) = self.store().raw_body(message_id)? {
            return Ok(raw);
        }
        let loc = self.store().message_location(message_id)?;
        let mut conn = self.connect_imap(loc.account_id).await?;
        let outcome = whole(&mut conn, &loc.folder_path, loc.uid).await;
        conn.logout().await;
        let body = outcome?;
        let snippet = mime::snippet_of(&body.text);
        self.store()
            .store_body(message_id, &body, &snippet, !body.attachments.is_empty())?;
        Ok(body.raw)
    }

    /// Saves attachment `index` (its place in the reader's list) of a message to `dest`, and
    /// returns how many bytes were written. From the stored message when it is stored whole;
    /// otherwise that part alone is downloaded, a chunk at a time. The file appears only once
    /// complete (written beside it under a temporary name, then renamed).
    pub async fn save_attachment(&self, message_id: i64, index: usize, dest: &Path) -> Result<u64> {
        self.ensure_body(message_id).await?;
        let source = self
            .store()
            .body_source(message_id)?
            .ok_or_else(|| Error::NotFound("The message".to_string()))?;
        let temp = temp_path(dest)?;
        let written = match source {
            BodySource::Full(raw) => {
                let data = tokio::task::spawn_blocking(move || attachment_of(&raw, index))
                    .await
                    .map_err(|e| Error::Internal(format!("decoding an attachment: {e}")))??;
                write_file(&temp, &data).await?;
                data.len() as u64
            }
            BodySource::TextOnly(remote) => {
                let part = remote
                    .get(index)
                    .cloned()
                    .ok_or_else(|| Error::NotFound(format!("Attachment {}", index + 1)))?;
                let loc = self.store().message_location(message_id)?;
                let mut conn = self.connect_imap(loc.account_id).await?;
                let outcome =
                    download_part(&mut conn, &loc.folder_path, loc.uid, &part, &temp).await;
                conn.logout().await;
                match outcome {
                    Ok(n) => n,
                    Err(e) => {
                        let _ = tokio::fs::remove_file(&temp).await;
                        return Err(e);
                    }
                }
            }
        };
        tokio::fs::rename(&temp, dest).await.map_err(|source| {
            let _ = std::fs::remove_file(&temp);
            Error::SaveFailed {
                path: dest.display().to_string(),
                source,
            }
        })?;
        Ok(written)
    }
}

impl Engine {
    /// Saves attachment `index` under `dir` (a folder of the app's cache), in a folder of its
    /// own, under the sender's file name made safe, for opening with the system's app; returns
    /// the file's path. Programs and scripts are refused (see [`may_open`]): they are only saved.
    pub async fn attachment_for_opening(
        &self,
        message_id: i64,
        index: usize,
        dir: &Path,
    ) -> Result<PathBuf> {
        self.ensure_body(message_id).await?;
        let view = self
            .store()
            .message_view(message_id)?
            .ok_or_else(|| Error::NotFound("The message".to_string()))?;
        let info = view
            .attachments
            .get(index)
            .ok_or_else(|| Error::NotFound(format!("Attachment {}", index + 1)))?;
        if !may_open(&info.filename, &info.mime_type) {
            return Err(Error::InvalidInput(format!(
                "“{}” may be a program, so Petrel does not open it. Save it instead if you trust \
                 its sender.",
                info.filename
            )));
        }
        let folder = dir.join(format!("{message_id}-{index}"));
        tokio::fs::create_dir_all(&folder)
            .await
            .map_err(|source| save_failed(&folder, source))?;
        let path = folder.join(safe_file_name(&info.filename));
        self.save_attachment(message_id, index, &path).await?;
        Ok(path)
    }
}

/// File name extensions of programs, scripts, installers and shortcuts (lower case): such
/// attachments are never opened from the reader, only saved.
const RUNNABLE: &str =
    "exe msi msp bat cmd com scr pif cpl vbs vbe js jse mjs wsf wsh hta ps1 psm1 psd1 reg \
     lnk url inf sh bash zsh csh ksh fish command tool app dmg pkg mpkg deb rpm appimage \
     flatpak snap run bin elf so dll jar jnlp apk desktop py pyw pl rb php iso img vhd \
     vhdx docm xlsm pptm library-ms scf xll appref-ms application gadget msc ws";

/// MIME types of programs and scripts.
const RUNNABLE_TYPES: &[&str] = &[
    "application/x-msdownload",
    "application/x-msdos-program",
    "application/x-msi",
    "application/x-ms-installer",
    "application/vnd.microsoft.portable-executable",
    "application/x-executable",
    "application/x-elf",
    "application/x-sharedlib",
    "application/x-sh",
    "application/x-shellscript",
    "application/x-csh",
    "application/x-perl",
    "application/x-python",
    "application/java-archive",
    "application/x-java-archive",
    "application/x-java-jnlp-file",
    "application/javascript",
    "text/javascript",
    "application/x-bat",
    "application/hta",
    "application/x-apple-diskimage",
    "application/vnd.debian.binary-package",
    "application/x-rpm",
    "application/vnd.android.package-archive",
    "application/x-desktop",
];

/// Whether an attachment may be opened with the system's app: not when its name or its type
/// says it is a program, script, installer or shortcut (whatever the other one says).
pub fn may_open(filename: &str, mime_type: &str) -> bool {
    let name = filename.trim().trim_end_matches(['.', ' ']).to_lowercase();
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    let mime = mime_type.trim().to_ascii_lowercase();
    !name.is_empty()
        && !RUNNABLE.split_whitespace().any(|r| r == ext)
        && !RUNNABLE_TYPES.contains(&mime.as_str())
}

/// A sender's file name safe to create: no folders, no control characters or characters that
/// file systems refuse, not hidden, not empty, not too long.
pub fn safe_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    let cleaned: String = cleaned.chars().take(200).collect();
    if cleaned.is_empty() {
        "attachment".to_string()
    } else {
        cleaned
    }
}

/// The whole message, parsed for the reader.
async fn whole(conn: &mut imap::Connection, folder: &str, uid: u32) -> Result<StoredBody> {
    let (_, raw) = conn
        .fetch_bodies(folder, &[uid])
        .await?
        .into_iter()
        .find(|(u, _)| *u == uid)
        .ok_or_else(|| Error::NotFound("The message on the server".to_string()))?;
    tokio::task::spawn_blocking(move || mime::parse_body(raw).body)
        .await
        .map_err(|e| Error::Internal(format!("parsing a message: {e}")))
}

/// The header, the shown text part and the attachments' MIME headers only.
async fn text_only(conn: &mut imap::Connection, folder: &str, uid: u32) -> Result<StoredBody> {
    conn.examine(folder).await?;
    let (header, root) = conn.fetch_structure(uid).await?;
    let plan = parts::plan(&root);
    let items = parts::fetch_items(&plan);
    let got = conn.fetch_items(uid, &items).await?;
    let item = |i: usize| got.get(i).and_then(|g| g.as_deref());
    let (text_part, first_header) = match (&plan.text, plan.single) {
        (None, _) => (None, 0),
        (Some(_), true) => (Some((header.as_slice(), item(0).unwrap_or_default())), 1),
        (Some(_), false) => (
            Some((item(0).unwrap_or_default(), item(1).unwrap_or_default())),
            2,
        ),
    };
    let headers: Vec<Option<&[u8]>> = (first_header..got.len()).map(item).collect();
    Ok(parts::text_only_body(&header, &plan, text_part, &headers))
}

/// Downloads one part into `path`, decoding its transfer encoding chunk by chunk.
async fn download_part(
    conn: &mut imap::Connection,
    folder: &str,
    uid: u32,
    part: &parts::RemotePart,
    path: &Path,
) -> Result<u64> {
    let what = format!("Part {}", part.section);
    conn.examine(folder).await?;
    let mut file = tokio::fs::File::create(path)
        .await
        .map_err(|source| save_failed(path, source))?;
    let mut decoder = parts::Decoder::for_encoding(&part.encoding);
    let mut out = Vec::with_capacity(PART_CHUNK as usize);
    let mut offset: u64 = 0;
    let mut written: u64 = 0;
    loop {
        let chunk = conn
            .fetch_part_range(uid, &part.section, offset, PART_CHUNK)
            .await?;
        if chunk.is_empty() {
            if offset == 0 && part.octets > 0 {
                return Err(Error::BrokenPart {
                    what,
                    detail: "the server sent nothing for it".to_string(),
                });
            }
            break;
        }
        offset += chunk.len() as u64;
        // A server that keeps sending is not sending this part.
        if offset > 2 * u64::from(part.octets) + u64::from(PART_CHUNK) {
            return Err(Error::BrokenPart {
                what,
                detail: format!(
                    "the server sent more than twice the {} bytes its structure gave",
                    part.octets
                ),
            });
        }
        out.clear();
        decoder
            .feed(&chunk, &mut out)
            .map_err(|detail| Error::BrokenPart {
                what: what.clone(),
                detail,
            })?;
        file.write_all(&out)
            .await
            .map_err(|source| save_failed(path, source))?;
        written += out.len() as u64;
        if chunk.len() < PART_CHUNK as usize {
            break;
        }
    }
    out.clear();
    decoder
        .finish(&mut out)
        .map_err(|detail| Error::BrokenPart { what, detail })?;
    file.write_all(&out)
        .await
        .map_err(|source| save_failed(path, source))?;
    file.flush()
        .await
        .map_err(|source| save_failed(path, source))?;
    Ok(written + out.len() as u64)
}

/// Attachment `index` of a whole message, decoded, in the order the reader lists them.
fn attachment_of(raw: &[u8], index: usize) -> Result<Vec<u8>> {
    let message = MessageParser::default()
        .parse(raw)
        .ok_or_else(|| Error::BrokenPart {
            what: "The message".to_string(),
            detail: "it could not be parsed".to_string(),
        })?;
    let data = message
        .attachments()
        .nth(index)
        .map(|p| p.contents().to_vec());
    data.ok_or_else(|| Error::NotFound(format!("Attachment {}", index + 1)))
}

/// Where a file is written before it is complete: beside `dest`, hidden.
fn temp_path(dest: &Path) -> Result<PathBuf> {
    let name = dest
        .file_name()
        .ok_or_else(|| Error::InvalidInput("Choose a file name to save to.".to_string()))?;
    let mut temp = std::ffi::OsString::from(".");
    temp.push(name);
    temp.push(".petrel-part");
    Ok(dest.with_file_name(temp))
}

async fn write_file(path: &Path, data: &[u8]) -> Result<()> {
    tokio::fs::write(path, data)
        .await
        .map_err(|source| save_failed(path, source))
}

fn save_failed(path: &Path, source: std::io::Error) -> Error {
    Error::SaveFailed {
        path: path.display().to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_are_never_opened() {
        assert!(may_open("Rechnung März.pdf", "application/pdf"));
        assert!(may_open("Foto.jpg", "application/octet-stream"));
        assert!(may_open("table.csv", "text/csv"));
        for (name, mime) in [
            ("setup.exe", "application/octet-stream"),
            ("invoice.pdf.exe", "application/pdf"),
            ("INVOICE.PDF.EXE. ", "application/pdf"),
            ("run.sh", "text/plain"),
            ("x.desktop", "text/plain"),
            ("Messdaten.bin", "application/octet-stream"),
            ("innocent.pdf", "application/x-msdownload"),
            ("script.js", "text/plain"),
            ("", "text/plain"),
        ] {
            assert!(!may_open(name, mime), "{name} {mime}");
        }
    }

    #[test]
    fn file_names_from_senders_are_made_safe() {
        assert_eq!(safe_file_name("Rechnung März.pdf"), "Rechnung März.pdf");
        assert_eq!(safe_file_name("../../.bashrc"), "bashrc");
        assert_eq!(safe_file_name("C:\\Windows\\evil.pdf"), "evil.pdf");
        assert_eq!(safe_file_name("a:b*c?\u{0}d\n.txt"), "a_b_c__d_.txt");
        assert_eq!(safe_file_name(" .. "), "attachment");
        assert_eq!(safe_file_name(&"x".repeat(300)).chars().count(), 200);
    }

    #[test]
    fn threshold_follows_the_prefetch_limit_with_a_floor() {
        let policy = BodyPolicy::default();
        assert_eq!(parts_threshold(&policy), 5 << 20);
        let tiny = BodyPolicy {
            max_prefetch_bytes: 0,
            ..policy
        };
        assert_eq!(parts_threshold(&tiny), MIN_PARTS_THRESHOLD);
    }

    #[test]
    fn attachments_of_whole_messages_are_found_by_place() {
        let raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
            Content-Type: text/plain\r\n\r\nhello\r\n--b\r\n\
            Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\
            Content-Disposition: attachment; filename=a.bin\r\n\r\nAAEC/w==\r\n--b--\r\n";
        assert_eq!(attachment_of(raw, 0).ok(), Some(vec![0, 1, 2, 255]));
        assert!(matches!(attachment_of(raw, 1), Err(Error::NotFound(_))));
        assert!(temp_path(Path::new("/")).is_err());
        assert_eq!(
            temp_path(Path::new("/tmp/x.pdf")).ok(),
            Some(PathBuf::from("/tmp/.x.pdf.petrel-part"))
        );
    }
}
