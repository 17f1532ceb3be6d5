//! What to show for new mail: pure decisions, tested without a desktop.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::model::{Folder, FolderRole, MessageSummary, NotificationSettings, OpenTarget};

/// More new messages than this in one event, or shown within [`GROUP_WINDOW`], become one
/// grouped notice ("12 new messages in Work"): a desktop buried under a pile of popups helps
/// nobody.
pub const GROUP_ABOVE: usize = 3;
/// How long shown notices count towards [`GROUP_ABOVE`].
pub const GROUP_WINDOW: Duration = Duration::from_secs(10);
/// Previews are cut to about this many characters.
pub const PREVIEW_CHARS: usize = 140;
/// A grouped notice lists this many messages, then "and N more".
const GROUP_LINES: usize = 3;

/// One desktop notification to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The title: the sender, or "12 new messages in Work".
    pub summary: String,
    /// Plain text (the sender will escape it where the desktop reads markup).
    pub body: String,
    pub sound: bool,
    /// How many messages it stands for.
    pub count: usize,
    /// What clicking it opens.
    pub target: OpenTarget,
}

/// The event's surroundings the policy looks at.
pub struct Context<'a> {
    pub account_id: i64,
    pub account_name: &'a str,
    pub folder: &'a Folder,
    pub settings: &'a NotificationSettings,
}

/// Decides the notices for each `NewMail`, remembering when it last showed some (for grouping).
#[derive(Debug, Default)]
pub struct Planner {
    shown: VecDeque<Instant>,
}

/// Folders whose new mail is never announced.
pub fn is_quiet(role: Option<FolderRole>) -> bool {
    matches!(
        role,
        Some(FolderRole::Junk | FolderRole::Trash | FolderRole::Sent | FolderRole::Drafts)
    )
}

impl Planner {
    /// The notices for `messages` (as the store has them now) arriving at `now`.
    pub fn plan(
        &mut self,
        now: Instant,
        context: &Context<'_>,
        messages: &[MessageSummary],
    ) -> Vec<Notice> {
        let settings = context.settings;
        let folder = context.folder;
        if !settings.enabled || settings.muted_folders.contains(&folder.id) || is_quiet(folder.role)
        {
            return Vec::new();
        }
        let unread: Vec<&MessageSummary> = messages
            .iter()
            .filter(|m| !m.seen && m.folder_id == folder.id)
            .collect();
        if unread.is_empty() {
            return Vec::new();
        }
        while let Some(t) = self.shown.front() {
            if now.saturating_duration_since(*t) > GROUP_WINDOW {
                self.shown.pop_front();
            } else {
                break;
            }
        }
        let target = |message_id| OpenTarget {
            account_id: context.account_id,
            folder_id: folder.id,
            message_id,
        };
        let notices = if unread.len() > GROUP_ABOVE || self.shown.len() + unread.len() > GROUP_ABOVE
        {
            if unread.len() == 1 {
                // A single message after a burst: still its own notice, just not a popup storm.
                vec![single(unread[0], settings, target(Some(unread[0].id)))]
            } else {
                vec![grouped(&unread, context, target(None))]
            }
        } else {
            unread
                .iter()
                .map(|m| single(m, settings, target(Some(m.id))))
                .collect()
        };
        for _ in &notices {
            self.shown.push_back(now);
        }
        notices
    }
}

fn sender_name(m: &MessageSummary) -> String {
    match &m.from {
        Some(a) => match a.name.as_deref().map(str::trim) {
            Some(name) if !name.is_empty() => name.to_string(),
            _ => a.email.clone(),
        },
        None => "Unknown sender".to_string(),
    }
}

fn subject(m: &MessageSummary) -> &str {
    let s = m.subject.trim();
    if s.is_empty() {
        "(no subject)"
    } else {
        s
    }
}

/// The first [`PREVIEW_CHARS`] characters of the snippet, whitespace folded, cut at a word.
pub fn preview(snippet: &str) -> String {
    let folded = snippet.split_whitespace().collect::<Vec<_>>().join(" ");
    if folded.chars().count() <= PREVIEW_CHARS {
        return folded;
    }
    let cut: String = folded.chars().take(PREVIEW_CHARS).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > PREVIEW_CHARS / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end())
}

fn single(m: &MessageSummary, settings: &NotificationSettings, target: OpenTarget) -> Notice {
    let mut body = subject(m).to_string();
    if settings.show_preview {
        let p = preview(&m.snippet);
        if !p.is_empty() {
            body.push('\n');
            body.push_str(&p);
        }
    }
    Notice {
        summary: sender_name(m),
        body,
        sound: settings.sound,
        count: 1,
        target,
    }
}

fn grouped(messages: &[&MessageSummary], context: &Context<'_>, target: OpenTarget) -> Notice {
    let place = match context.folder.role {
        Some(FolderRole::Inbox) => context.account_name.to_string(),
        _ => format!("{} › {}", context.account_name, context.folder.name),
    };
    let mut lines: Vec<String> = messages
        .iter()
        .take(GROUP_LINES)
        .map(|m| format!("{}: {}", sender_name(m), subject(m)))
        .collect();
    if messages.len() > GROUP_LINES {
        lines.push(format!("and {} more", messages.len() - GROUP_LINES));
    }
    Notice {
        summary: format!("{} new messages in {place}", messages.len()),
        body: lines.join("\n"),
        sound: context.settings.sound,
        count: messages.len(),
        target,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Address;

    fn folder(id: i64, name: &str, role: Option<FolderRole>) -> Folder {
        Folder {
            id,
            account_id: 1,
            path: name.into(),
            name: name.into(),
            delimiter: Some("/".into()),
            role,
            unread: 0,
            total: 0,
            subscribed: true,
        }
    }

    fn message(id: i64, folder_id: i64, from: &str, subject: &str) -> MessageSummary {
        MessageSummary {
            id,
            folder_id,
            subject: subject.into(),
            from: Some(Address {
                name: Some(from.into()),
                email: "someone@example.org".into(),
            }),
            date: 0,
            snippet: "Hello  there,\n see you <soon>.".into(),
            seen: false,
            flagged: false,
            answered: false,
            has_attachments: false,
        }
    }

    fn inbox() -> Folder {
        folder(10, "INBOX", Some(FolderRole::Inbox))
    }

    fn plan_with(
        planner: &mut Planner,
        now: Instant,
        folder: &Folder,
        settings: &NotificationSettings,
        messages: &[MessageSummary],
    ) -> Vec<Notice> {
        let context = Context {
            account_id: 1,
            account_name: "Work",
            folder,
            settings,
        };
        planner.plan(now, &context, messages)
    }

    #[test]
    fn one_notice_per_message_with_sender_subject_and_preview() {
        let f = inbox();
        let notices = plan_with(
            &mut Planner::default(),
            Instant::now(),
            &f,
            &NotificationSettings::default(),
            &[message(1, 10, "Ada", "Hi"), message(2, 10, "Bob", "")],
        );
        assert_eq!(notices.len(), 2);
        assert_eq!(notices[0].summary, "Ada");
        assert_eq!(notices[0].body, "Hi\nHello there, see you <soon>.");
        assert!(notices[0].sound);
        assert_eq!(
            notices[0].target,
            OpenTarget {
                account_id: 1,
                folder_id: 10,
                message_id: Some(1)
            }
        );
        assert_eq!(notices[1].summary, "Bob");
        assert!(notices[1].body.starts_with("(no subject)\n"));
    }

    #[test]
    fn the_preview_and_the_sound_can_be_turned_off() {
        let f = inbox();
        let settings = NotificationSettings {
            show_preview: false,
            sound: false,
            ..NotificationSettings::default()
        };
        let notices = plan_with(
            &mut Planner::default(),
            Instant::now(),
            &f,
            &settings,
            &[message(1, 10, "Ada", "Hi")],
        );
        assert_eq!(notices[0].body, "Hi");
        assert!(!notices[0].sound);
    }

    #[test]
    fn many_at_once_are_grouped() {
        let f = inbox();
        let messages: Vec<_> = (1..=12)
            .map(|i| message(i, 10, &format!("Sender {i}"), &format!("Subject {i}")))
            .collect();
        let notices = plan_with(
            &mut Planner::default(),
            Instant::now(),
            &f,
            &NotificationSettings::default(),
            &messages,
        );
        assert_eq!(notices.len(), 1);
        let n = &notices[0];
        assert_eq!(n.summary, "12 new messages in Work");
        assert_eq!(
            n.body,
            "Sender 1: Subject 1\nSender 2: Subject 2\nSender 3: Subject 3\nand 9 more"
        );
        assert_eq!(n.count, 12);
        assert_eq!(n.target.message_id, None);
        // Outside the INBOX the folder is named.
        let lists = folder(11, "Lists", None);
        let messages: Vec<_> = (1..=4).map(|i| message(i, 11, "L", "S")).collect();
        let n = plan_with(
            &mut Planner::default(),
            Instant::now(),
            &lists,
            &NotificationSettings::default(),
            &messages,
        );
        assert_eq!(n[0].summary, "4 new messages in Work › Lists");
    }

    #[test]
    fn three_at_once_are_not_grouped_but_a_burst_within_the_window_is() {
        let f = inbox();
        let s = NotificationSettings::default();
        let mut planner = Planner::default();
        let t0 = Instant::now();
        let three: Vec<_> = (1..=3).map(|i| message(i, 10, "A", "S")).collect();
        assert_eq!(plan_with(&mut planner, t0, &f, &s, &three).len(), 3);
        // Two more a second later: the desktop already shows three, so they come as one.
        let two: Vec<_> = (4..=5).map(|i| message(i, 10, "B", "T")).collect();
        let n = plan_with(&mut planner, t0 + Duration::from_secs(1), &f, &s, &two);
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].summary, "2 new messages in Work");
        // A single message is always its own notice.
        let n = plan_with(&mut planner, t0 + Duration::from_secs(2), &f, &s, &two[..1]);
        assert_eq!(n[0].summary, "B");
        // After the window, messages are shown one by one again.
        let n = plan_with(&mut planner, t0 + Duration::from_secs(20), &f, &s, &two);
        assert_eq!(n.len(), 2);
    }

    #[test]
    fn nothing_for_read_messages_quiet_folders_or_muted_settings() {
        let s = NotificationSettings::default();
        let mut read = message(1, 10, "A", "S");
        read.seen = true;
        let now = Instant::now();
        assert!(plan_with(&mut Planner::default(), now, &inbox(), &s, &[read]).is_empty());
        for role in [
            FolderRole::Junk,
            FolderRole::Trash,
            FolderRole::Sent,
            FolderRole::Drafts,
        ] {
            let f = folder(12, "X", Some(role));
            let m = [message(1, 12, "A", "S")];
            assert!(
                plan_with(&mut Planner::default(), now, &f, &s, &m).is_empty(),
                "{role:?}"
            );
        }
        let m = [message(1, 10, "A", "S")];
        let off = NotificationSettings {
            enabled: false,
            ..NotificationSettings::default()
        };
        assert!(plan_with(&mut Planner::default(), now, &inbox(), &off, &m).is_empty());
        let muted = NotificationSettings {
            muted_folders: vec![10],
            ..NotificationSettings::default()
        };
        assert!(plan_with(&mut Planner::default(), now, &inbox(), &muted, &m).is_empty());
        // Other folders of a muted one's account still notify.
        let lists = folder(11, "Lists", None);
        let m = [message(1, 11, "A", "S")];
        assert_eq!(
            plan_with(&mut Planner::default(), now, &lists, &muted, &m).len(),
            1
        );
    }

    #[test]
    fn previews_are_short_and_cut_at_a_word() {
        let long = "word ".repeat(100);
        let p = preview(&long);
        assert!(p.ends_with('…'));
        assert!(p.chars().count() <= PREVIEW_CHARS + 1);
        assert!(p.trim_end_matches('…').ends_with("word"));
        assert_eq!(preview("  a\n\tb  "), "a b");
        let unbroken = "é".repeat(300);
        assert_eq!(preview(&unbroken).chars().count(), PREVIEW_CHARS + 1);
    }
}
