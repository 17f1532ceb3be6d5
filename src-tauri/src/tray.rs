//! The tray icon (unread count, menu: Open Petrel, Check mail, Compose, Quit), the app badge,
//! and bringing the window forward (from the tray, a notification, or the Dock).

use std::time::Duration;

use petrel_engine::model::OpenTarget;
use petrel_engine::Engine;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Emitter, Manager};

/// The UI opens this message (or folder) — the payload is an `OpenTarget`.
pub const OPEN_EVENT: &str = "petrel://open";
/// The UI opens the composer on a new message; no payload.
pub const COMPOSE_EVENT: &str = "petrel://compose";

const TRAY_ID: &str = "main";
const WINDOW: &str = "main";

/// Shows, restores and focuses the main window.
pub fn show_window(app: &AppHandle) {
    if let Some(w) = app.get_webview_window(WINDOW) {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

/// A notification was clicked: the window comes forward and the UI selects the message.
pub fn open_target(app: &AppHandle, target: OpenTarget) {
    show_window(app);
    let _ = app.emit(OPEN_EVENT, target);
}

pub fn create(app: &AppHandle) -> tauri::Result<()> {
    let open = MenuItem::with_id(app, "open", "Open Petrel", true, None::<&str>)?;
    let check = MenuItem::with_id(app, "check", "Check mail", true, None::<&str>)?;
    let compose = MenuItem::with_id(app, "compose", "Compose", true, None::<&str>)?;
    let separator = PredefinedMenuItem::separator(app)?;
    let quit = MenuItem::with_id(app, "quit", "Quit Petrel", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&open, &check, &compose, &separator, &quit])?;
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip("Petrel")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id.as_ref() {
            "open" => show_window(app),
            "check" => check_mail(app),
            "compose" => {
                show_window(app);
                let _ = app.emit(COMPOSE_EVENT, ());
            }
            "quit" => app.exit(0),
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                show_window(tray.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    Ok(())
}

/// "Check mail": every account synced now (errors reach the UI as `AccountError` events).
fn check_mail(app: &AppHandle) {
    let engine = app.state::<Engine>().inner().clone();
    tauri::async_runtime::spawn(async move {
        let accounts = match engine.accounts() {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!("check mail: {}", e.summary());
                return;
            }
        };
        for account in accounts {
            if let Err(e) = engine.sync_account(account.id).await {
                tracing::warn!("check mail: {}", e.summary());
            }
        }
    });
}

/// Sets the unread count on the tray (tooltip, and the label beside the icon where the desktop
/// shows one) and on the app's badge (macOS Dock, Unity launchers; Windows has no badge count).
pub fn show_unread(app: &AppHandle, unread: u32) {
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        let (tooltip, title) = match unread {
            0 => ("Petrel — no unread mail".to_string(), None),
            1 => (
                "Petrel — 1 unread message".to_string(),
                Some("1".to_string()),
            ),
            n => (format!("Petrel — {n} unread messages"), Some(n.to_string())),
        };
        let _ = tray.set_tooltip(Some(tooltip));
        let _ = tray.set_title(title);
    }
    if let Some(w) = app.get_webview_window(WINDOW) {
        let _ = w.set_badge_count((unread > 0).then_some(i64::from(unread)));
    }
}

/// Keeps the unread count current: recounted (at most every 300 ms) after each event that can
/// change it.
pub fn follow_unread(app: AppHandle, changed: std::sync::Arc<tokio::sync::Notify>) {
    tauri::async_runtime::spawn(async move {
        let mut last = None;
        loop {
            let engine = app.state::<Engine>().inner().clone();
            match engine.unread_in_inboxes() {
                Ok(n) if last != Some(n) => {
                    show_unread(&app, n);
                    last = Some(n);
                }
                Ok(_) => {}
                Err(e) => tracing::warn!("unread count: {}", e.summary()),
            }
            changed.notified().await;
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    });
}
