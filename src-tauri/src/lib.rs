//! The desktop shell: thin Tauri commands over [`petrel_engine::Engine`], engine events
//! forwarded to the window, and the engine's background sync started. No mail logic lives here.

mod commands;

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
            commands::reply_draft,
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
        ])
        .setup(|app| {
            let engine = app.state::<Engine>().inner().clone();
            let handle = app.handle().clone();
            let mut events = engine.subscribe();
            tauri::async_runtime::spawn(async move {
                loop {
                    match events.recv().await {
                        Ok(event) => {
                            let _ = handle.emit(EVENT, event);
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                    }
                }
            });
            // IDLE push on every INBOX, polling for the rest; stops when the app exits.
            let background = tauri::async_runtime::block_on(async { engine.start_background() })
                .map_err(|e| e.summary())?;
            app.manage(background);
            Ok(())
        })
        .run(tauri::generate_context!())?;
    Ok(())
}
