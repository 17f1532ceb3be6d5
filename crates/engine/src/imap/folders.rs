use async_imap::types::{Name, NameAttribute};

use super::responses::quoted;
use super::Connection;
use crate::error::Result;
use crate::model::FolderRole;
pub use crate::store::FolderEntry;

impl Connection {
    /// `CREATE`: a new folder at `path` (the full path, parent and delimiter included).
    pub async fn create_folder(&mut self, path: &str) -> Result<()> {
        self.run_checked(&format!("CREATE {}", quoted(path)?)).await
    }

    /// `RENAME`: the folder and everything below it get the new path.
    pub async fn rename_folder(&mut self, from: &str, to: &str) -> Result<()> {
        self.run_checked(&format!("RENAME {} {}", quoted(from)?, quoted(to)?))
            .await
    }

    /// `DELETE`: the folder and its messages are gone for good.
    pub async fn delete_folder(&mut self, path: &str) -> Result<()> {
        self.run_checked(&format!("DELETE {}", quoted(path)?)).await
    }

    /// The paths of the subscribed folders (`LSUB "" "*"`).
    pub async fn subscribed_paths(&mut self) -> Result<std::collections::HashSet<String>> {
        let host = self.host.clone();
        let mut out = std::collections::HashSet::new();
        let mut names = super::within(&host, self.session.lsub(Some(""), Some("*")))
            .await?
            .map_err(|e| super::imap_error(&host, e))?;
        while let Some(name) = super::next_within(&host, &mut names).await? {
            let name = name.map_err(|e| super::imap_error(&host, e))?;
            out.insert(name.name().to_string());
        }
        Ok(out)
    }

    /// `SUBSCRIBE` (`true`) or `UNSUBSCRIBE` (`false`).
    pub async fn set_subscribed(&mut self, path: &str, subscribed: bool) -> Result<()> {
        let verb = if subscribed {
            "SUBSCRIBE"
        } else {
            "UNSUBSCRIBE"
        };
        self.run_checked(&format!("{verb} {}", quoted(path)?)).await
    }
}

pub(super) fn entry_from_name(n: &Name) -> FolderEntry {
    let path = n.name().to_string();
    let delimiter = n.delimiter().map(str::to_string);
    let name = super::utf7::display(&last_segment(&path, delimiter.as_deref()));
    let mut role = None;
    let mut selectable = true;
    for a in n.attributes() {
        match a {
            NameAttribute::NoSelect => selectable = false,
            NameAttribute::All => role = Some(FolderRole::All),
            NameAttribute::Archive => role = Some(FolderRole::Archive),
            NameAttribute::Drafts => role = Some(FolderRole::Drafts),
            NameAttribute::Flagged => role = Some(FolderRole::Flagged),
            NameAttribute::Junk => role = Some(FolderRole::Junk),
            NameAttribute::Sent => role = Some(FolderRole::Sent),
            NameAttribute::Trash => role = Some(FolderRole::Trash),
            NameAttribute::Extension(ext) if ext.eq_ignore_ascii_case("\\NonExistent") => {
                selectable = false
            }
            _ => {}
        }
    }
    if path.eq_ignore_ascii_case("INBOX") {
        role = Some(FolderRole::Inbox);
    }
    FolderEntry {
        path,
        name,
        delimiter,
        role,
        selectable,
        // Until LSUB says otherwise (see `Connection::subscribed_paths`).
        subscribed: true,
    }
}

/// The last segment of a folder path (the whole path on a flat server), still encoded.
pub fn last_segment(path: &str, delimiter: Option<&str>) -> String {
    match delimiter {
        Some(d) if !d.is_empty() => path.rsplit(d).next().unwrap_or(path).to_string(),
        _ => path.to_string(),
    }
}

/// The role a folder's (decoded) name suggests, for servers without SPECIAL-USE.
pub fn folder_role(name: &str) -> Option<FolderRole> {
    let lower = name.to_lowercase();
    let role = match lower.as_str() {
        "inbox" => FolderRole::Inbox,
        "sent"
        | "sent items"
        | "sent messages"
        | "sent mail"
        | "gesendet"
        | "gesendete objekte"
        | "gesendete elemente"
        | "envoyés"
        | "éléments envoyés"
        | "messages envoyés"
        | "enviados"
        | "inviata"
        | "posta inviata"
        | "verzonden"
        | "skickat"
        | "wysłane"
        | "отправленные" => FolderRole::Sent,
        "drafts" | "draft" | "entwürfe" | "brouillons" | "borradores" | "bozze" | "concepten"
        | "utkast" | "kopie robocze" | "черновики" => FolderRole::Drafts,
        "trash"
        | "deleted"
        | "deleted items"
        | "deleted messages"
        | "bin"
        | "papierkorb"
        | "gelöschte objekte"
        | "gelöschte elemente"
        | "corbeille"
        | "papelera"
        | "cestino"
        | "prullenbak"
        | "papperskorg"
        | "kosz"
        | "корзина" => FolderRole::Trash,
        "junk"
        | "spam"
        | "junk e-mail"
        | "junk email"
        | "bulk mail"
        | "spamverdacht"
        | "courrier indésirable"
        | "indésirables"
        | "correo no deseado"
        | "posta indesiderata"
        | "ongewenste e-mail"
        | "skräppost"
        | "спам" => FolderRole::Junk,
        "archive" | "archives" | "archiv" | "archivio" | "archivo" | "archief" | "arkiv"
        | "archiwum" | "архив" => FolderRole::Archive,
        _ => return None,
    };
    Some(role)
}

/// Gives roles by name to folders the server did not mark, one folder per role at most.
pub(super) fn assign_fallback_roles(entries: &mut [FolderEntry]) {
    let mut taken: Vec<FolderRole> = entries.iter().filter_map(|e| e.role).collect();
    for e in entries.iter_mut() {
        if e.role.is_some() || !e.selectable {
            continue;
        }
        // Only top-level folders or direct children of INBOX ("INBOX.Sent") count.
        let top = match &e.delimiter {
            Some(d) if !d.is_empty() => {
                let parts: Vec<&str> = e.path.split(d.as_str()).collect();
                parts.len() == 1 || (parts.len() == 2 && parts[0].eq_ignore_ascii_case("INBOX"))
            }
            _ => true,
        };
        if !top {
            continue;
        }
        if let Some(role) = folder_role(&e.name) {
            if !taken.contains(&role) {
                taken.push(role);
                e.role = Some(role);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, role: Option<FolderRole>) -> FolderEntry {
        FolderEntry {
            path: path.into(),
            name: path.rsplit('.').next().unwrap_or(path).into(),
            delimiter: Some(".".into()),
            role,
            selectable: true,
            subscribed: true,
        }
    }

    #[test]
    fn names_give_roles_when_special_use_is_missing() {
        let mut e = vec![
            entry("INBOX", Some(FolderRole::Inbox)),
            entry("INBOX.Gesendet", None),
            entry("Trash", Some(FolderRole::Trash)),
            entry("Papierkorb", None),
            entry("Projects.Drafts", None),
            entry("Spam", None),
        ];
        assign_fallback_roles(&mut e);
        assert_eq!(e[1].role, Some(FolderRole::Sent));
        assert_eq!(e[3].role, None, "Trash is already taken by SPECIAL-USE");
        assert_eq!(e[4].role, None, "nested folders keep no role");
        assert_eq!(e[5].role, Some(FolderRole::Junk));
    }

    #[test]
    fn encoded_names_are_shown_decoded_and_give_roles() {
        let name = |raw: &str, d: &str| super::super::utf7::display(&last_segment(raw, Some(d)));
        assert_eq!(name("INBOX.Entw&APw-rfe", "."), "Entwürfe");
        assert_eq!(name("Archiv/&ZeVnLIqe-", "/"), "日本語");
        assert_eq!(name("INBOX.&bogus", "."), "&bogus", "malformed: shown raw");
        let mut e = vec![
            entry("INBOX", Some(FolderRole::Inbox)),
            FolderEntry {
                name: "Entwürfe".into(),
                ..entry("Entw&APw-rfe", None)
            },
            FolderEntry {
                name: "Gelöschte Elemente".into(),
                ..entry("Gel&APY-schte Elemente", None)
            },
        ];
        assign_fallback_roles(&mut e);
        assert_eq!(e[1].role, Some(FolderRole::Drafts));
        assert_eq!(e[2].role, Some(FolderRole::Trash));
    }
}
