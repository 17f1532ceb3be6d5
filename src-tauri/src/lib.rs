//! The desktop shell: thin Tauri commands over [`petrel_engine::Engine`], engine events
//! forwarded to the window, the engine's background sync and new-mail notifications started,
//! the tray icon. No mail logic lives here.

mod commands;
mod tray;

use std::sync::Arc;

use petrel_engine::model::EngineEvent;
use petrel_engine::notify::{DesktopSender, Notifier};
use petrel_engine::Engine;
use tauri::{Emitter, Manager};

/// The event name the UI listens to; the payload is an `EngineEvent`.
pub const EVENT: &str = "petrel://event";

pub fn run() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PETREL_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,petrel=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let engine = Engine::open_default().map_err(|e| e.summary())?;
    tauri::Builder::default()
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_autostart::Builder::new().build())
        .manage(engine)
        .invoke_handler(tauri::generate_handler![
            commands::list_accounts,
            commands::discover_settings,
            commands::add_account,
            commands::list_folders,
            commands::list_messages,
            commands::get_message,
            commands::save_attachment,
            commands::open_attachment,
            commands::sync_account,
            commands::compose_from,
            commands::suggest_addresses,
            commands::send_message,
            commands::unsend_message,
            commands::list_outbox,
            commands::retry_outbox,
            commands::delete_outbox,
            commands::set_flags,
            commands::move_messages,
            commands::copy_messages,
            commands::delete_messages,
            commands::archive_messages,
            commands::empty_trash,
            commands::create_folder,
            commands::rename_folder,
            commands::delete_folder,
            commands::set_folder_subscribed,
            commands::save_draft,
            commands::discard_draft,
            commands::get_body_policy,
            commands::set_body_policy,
            commands::set_pop3_settings,
            commands::list_identities,
            commands::add_identity,
            commands::update_identity,
            commands::delete_identity,
            commands::stage_attachment,
            commands::staged_image_url,
            commands::outgoing_size_limit,
            commands::open_draft,
            commands::get_notification_settings,
            commands::set_notification_settings,
            commands::get_app_settings,
            commands::set_app_settings,
            commands::get_autostart,
            commands::set_autostart,
        ])
        .on_window_event(|window, event| {
            // Close to tray: the window hides, the engine keeps syncing and notifying.
            if let tauri::WindowEvent::CloseRequested { api, .. } = event {
                let engine = window.state::<Engine>();
                if engine.app_settings().is_ok_and(|s| s.close_to_tray) {
                    api.prevent_close();
                    let _ = window.hide();
                }
            }
        })
        .setup(|app| {
            let engine = app.state::<Engine>().inner().clone();
            let handle = app.handle().clone();
            let mut events = engine.subscribe();
            let unread_changed = Arc::new(tokio::sync::Notify::new());
            let changed = unread_changed.clone();
            tauri::async_runtime::spawn(async move {
                loop {
                    match events.recv().await {
                        Ok(event) => {
                            if matches!(
                                event,
                                EngineEvent::FolderChanged { .. }
                                    | EngineEvent::FoldersChanged { .. }
                                    | EngineEvent::NewMail { .. }
                                    | EngineEvent::SyncDone { .. }
                            ) {
                                changed.notify_one();
                            }
                            let _ = handle.emit(EVENT, event);
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                    }
                }
            });
            // Without a tray Petrel still works (notifications, the window); say why in the log.
            if let Err(e) = tray::create(app.handle()) {
                tracing::warn!("no tray icon: {e}");
            }
            tray::follow_unread(app.handle().clone(), unread_changed);
            // New mail on the desktop; a click brings the window forward on the message.
            let opener = app.handle().clone();
            // The icon and the .desktop file the .deb installs are named after the binary.
            let sender = DesktopSender::new("Petrel", "petrel-app")
                .desktop_entry("petrel-app")
                .on_open(move |target| tray::open_target(&opener, target));
            let notifier = tauri::async_runtime::block_on(async {
                Notifier::start(&engine, Arc::new(sender))
            });
            app.manage(notifier);
            // IDLE push on every INBOX, polling for the rest; stops when the app exits.
            let background = tauri::async_runtime::block_on(async { engine.start_background() })
                .map_err(|e| e.summary())?;
            app.manage(background);
            Ok(())
        })
        .build(tauri::generate_context!())?
        .run(|_app, _event| {
            // The Dock icon clicked while the window is hidden (closed to tray): show it again.
            #[cfg(target_os = "macos")]
            if let tauri::RunEvent::Reopen { .. } = _event {
                tray::show_window(_app);
            }
        });
    Ok(())
}
