//! Desktop notifications for new mail.
//!
//! [`policy`] decides, without any desktop, what to show for a `NewMail` event: one notice per
//! message (sender, subject, a preview unless turned off), one grouped notice when many arrive at
//! once, nothing for muted accounts or folders, Junk, Trash, Sent, Drafts, or messages read
//! elsewhere in the meantime. [`Notifier`] runs it on the engine's events and hands each notice
//! to a [`NotificationSender`]: [`desktop::DesktopSender`] (notify-rust: the XDG notification
//! service over D-Bus on Linux and the BSDs, Notification Center on macOS, toasts on Windows), or
//! a test's own. The engine emits `NewMail` only after an account's initial sync, so the first
//! sync announces nothing.

pub mod desktop;
pub mod policy;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;

use crate::error::Result;
use crate::model::{
    AppSettings, EngineEvent, FolderRole, MessageSummary, NotificationSettings, OpenTarget,
};
use crate::Engine;

pub use desktop::DesktopSender;
pub use policy::{Notice, Planner};

impl Engine {
    pub fn notification_settings(&self, account_id: i64) -> Result<NotificationSettings> {
        self.store().notification_settings(account_id)
    }

    pub fn set_notification_settings(
        &self,
        account_id: i64,
        settings: &NotificationSettings,
    ) -> Result<()> {
        self.store().set_notification_settings(account_id, settings)
    }

    pub fn app_settings(&self) -> Result<AppSettings> {
        self.store().app_settings()
    }

    pub fn set_app_settings(&self, settings: &AppSettings) -> Result<()> {
        self.store().set_app_settings(settings)
    }

    /// Unread messages in the INBOXes of all accounts: the number on the tray icon and badge.
    pub fn unread_in_inboxes(&self) -> Result<u32> {
        let mut unread = 0;
        for account in self.accounts()? {
            unread += self
                .folders(account.id)?
                .iter()
                .filter(|f| f.role == Some(FolderRole::Inbox))
                .map(|f| f.unread)
                .sum::<u32>();
        }
        Ok(unread)
    }
}

/// Shows notices. Called on a blocking thread: an implementation may wait on D-Bus.
pub trait NotificationSender: Send + Sync + 'static {
    fn show(&self, notice: &Notice) -> Result<()>;
}

/// Called when the user clicks a notification (where the platform reports clicks).
pub type OnOpen = Arc<dyn Fn(OpenTarget) + Send + Sync>;

/// Announces the engine's `NewMail` events through a sender until dropped.
pub struct Notifier {
    task: JoinHandle<()>,
}

impl Notifier {
    /// Starts following `engine`'s events. Must be called inside a tokio runtime.
    pub fn start(engine: &Engine, sender: Arc<dyn NotificationSender>) -> Notifier {
        let mut events = engine.subscribe();
        let engine = engine.clone();
        let planner = Arc::new(Mutex::new(Planner::default()));
        let task = tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(EngineEvent::NewMail {
                        account_id,
                        folder_id,
                        messages,
                    }) => {
                        fetch_previews(&engine, account_id, &messages).await;
                        let notices =
                            match plan(&engine, &planner, account_id, folder_id, &messages) {
                                Ok(n) => n,
                                Err(e) => {
                                    tracing::warn!("new mail not announced: {e}");
                                    continue;
                                }
                            };
                        for notice in notices {
                            let sender = sender.clone();
                            let shown =
                                tokio::task::spawn_blocking(move || sender.show(&notice)).await;
                            match shown {
                                Ok(Ok(())) => {}
                                Ok(Err(e)) => tracing::warn!("{}", e.summary()),
                                Err(e) => tracing::warn!("showing a notification failed: {e}"),
                            }
                        }
                    }
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => break,
                }
            }
        });
        Notifier { task }
    }
}

impl Drop for Notifier {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// How long a notice may wait for the bodies its preview is made from.
pub const PREVIEW_WAIT: Duration = Duration::from_millis(1500);

/// IMAP sync stores headers first: a message just announced by IDLE has no body, hence no
/// preview, yet. When previews are shown and the notices will be single ones, download the
/// missing bodies first (what the prefetch would do a moment later), for at most
/// [`PREVIEW_WAIT`]; whatever is not there by then is announced without a preview.
async fn fetch_previews(engine: &Engine, account_id: i64, messages: &[MessageSummary]) {
    let wanted = match engine.store().notification_settings(account_id) {
        Ok(s) => s.enabled && s.show_preview && messages.len() <= policy::GROUP_ABOVE,
        Err(_) => false,
    };
    if !wanted {
        return;
    }
    let missing = messages
        .iter()
        .filter(|m| !m.seen && m.snippet.is_empty())
        .map(|m| engine.ensure_body(m.id));
    let fetched = tokio::time::timeout(PREVIEW_WAIT, futures::future::join_all(missing)).await;
    match fetched {
        Ok(results) => {
            for e in results.into_iter().filter_map(|r| r.err()) {
                tracing::debug!("no preview for a new message: {e}");
            }
        }
        Err(_) => tracing::debug!("previews not downloaded in time: announced without"),
    }
}

/// Reads what the policy needs from the store, re-reading the messages so that those read
/// elsewhere since the event (another device, the user in Petrel) are not announced.
fn plan(
    engine: &Engine,
    planner: &Mutex<Planner>,
    account_id: i64,
    folder_id: i64,
    messages: &[MessageSummary],
) -> Result<Vec<Notice>> {
    let store = engine.store();
    let account = store.account(account_id)?;
    let folder = store.folder(folder_id)?;
    let settings = store.notification_settings(account_id)?;
    let ids: Vec<i64> = messages.iter().map(|m| m.id).collect();
    let fresh = store.message_summaries(&ids)?;
    let context = policy::Context {
        account_id,
        account_name: &account.display_name,
        folder: &folder,
        settings: &settings,
    };
    let mut planner = planner
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    Ok(planner.plan(Instant::now(), &context, &fresh))
}
