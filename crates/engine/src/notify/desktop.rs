//! Notices to the desktop through notify-rust.
//!
//! - Linux and the BSDs: the XDG notification service on the session D-Bus
//!   (`org.freedesktop.Notifications`). Petrel's app name and icon, category `email.arrived`,
//!   the sound theme's `message-new-email` when sound is on, and a `default` action when the
//!   service offers actions: clicking the notice calls [`OnOpen`]. "Do not disturb" is the
//!   service's business (GNOME, KDE and dunst hold popups back while it is on).
//! - macOS: Notification Center (notify-rust's `NSUserNotification` path) under the app's bundle
//!   identifier; Focus and notification settings are applied by the system. A click brings the
//!   app forward; it is not reported to us, so no message is selected.
//! - Windows: a toast under the installed app's AppUserModelID (the bundle identifier, which
//!   Petrel's installers register); Focus Assist is applied by the system. A click is not
//!   reported to us either.

use std::sync::Arc;

use super::{Notice, NotificationSender, OnOpen};
use crate::error::{Error, Result};

/// Shows notices on this computer's desktop.
pub struct DesktopSender {
    app_name: String,
    /// An icon name from the theme or a path (Linux); the bundle identifier elsewhere.
    icon: String,
    /// The name of the app's `.desktop` file, without the extension (Linux).
    desktop_entry: Option<String>,
    on_open: Option<OnOpen>,
}

impl DesktopSender {
    /// `app_name` as the desktop lists it ("Petrel"); `icon` an XDG icon name or an absolute path
    /// to the app's icon; on Windows, `icon` is not used and `app_id` below is.
    pub fn new(app_name: impl Into<String>, icon: impl Into<String>) -> DesktopSender {
        DesktopSender {
            app_name: app_name.into(),
            icon: icon.into(),
            desktop_entry: None,
            on_open: None,
        }
    }

    /// The app's `.desktop` file name without `.desktop`: desktops use it to find the app's
    /// notification settings and icon (Linux).
    pub fn desktop_entry(mut self, name: impl Into<String>) -> Self {
        self.desktop_entry = Some(name.into());
        self
    }

    /// What to do when the user clicks a notice (on desktops that report clicks).
    pub fn on_open(mut self, f: impl Fn(crate::model::OpenTarget) + Send + Sync + 'static) -> Self {
        self.on_open = Some(Arc::new(f));
        self
    }
}

/// The body as XDG servers read it: a subset of HTML where `&`, `<` and `>` must be escaped
/// (servers without markup support show the text as it is, and the spec asks them to unescape).
pub fn xdg_body(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

impl NotificationSender for DesktopSender {
    #[cfg(all(unix, not(target_os = "macos")))]
    fn show(&self, notice: &Notice) -> Result<()> {
        use notify_rust::{Hint, Notification};
        let mut n = Notification::new();
        n.appname(&self.app_name)
            .summary(&notice.summary)
            .body(&xdg_body(&notice.body))
            .icon(&self.icon)
            .hint(Hint::Category("email.arrived".into()));
        if let Some(entry) = &self.desktop_entry {
            n.hint(Hint::DesktopEntry(entry.clone()));
        }
        if notice.sound {
            n.hint(Hint::SoundName("message-new-email".into()));
        }
        if self.on_open.is_some() {
            n.action("default", "Open");
        }
        let handle = n.show().map_err(|e| Error::Notification(e.to_string()))?;
        if let Some(on_open) = self.on_open.clone() {
            let target = notice.target;
            // The handle waits (blocking) until the notice is clicked or closed; the service
            // closes it when it expires or the user dismisses it.
            let spawned = std::thread::Builder::new()
                .name("petrel-notice".into())
                .spawn(move || {
                    handle.wait_for_action(|action| {
                        if action == "default" {
                            on_open(target);
                        }
                    })
                });
            if let Err(e) = spawned {
                tracing::warn!("clicks on a notification will not be followed: {e}");
            }
        }
        Ok(())
    }

    #[cfg(target_os = "macos")]
    fn show(&self, notice: &Notice) -> Result<()> {
        let mut n = notify_rust::Notification::new();
        n.appname(&self.app_name)
            .summary(&notice.summary)
            .body(&notice.body);
        if notice.sound {
            n.sound_name("default");
        }
        n.show().map_err(|e| Error::Notification(e.to_string()))?;
        Ok(())
    }

    #[cfg(windows)]
    fn show(&self, notice: &Notice) -> Result<()> {
        let mut n = notify_rust::Notification::new();
        n.appname(&self.app_name)
            .summary(&notice.summary)
            .body(&notice.body)
            .app_id(&self.icon);
        if notice.sound {
            n.sound_name("Mail");
        }
        n.show().map_err(|e| Error::Notification(e.to_string()))?;
        Ok(())
    }
}
