//! The commands the UI may call (each granted in `capabilities/main-window.json`). Each parses
//! its arguments, calls the engine and returns serialisable data or a `UserError`.

use petrel_engine::model::{
    Account, Address, AppSettings, BodyPolicy, ComposeAttachment, ComposeMode, DiscoveryOutcome,
    DiscoveryProgress, Folder, Identity, MessagePage, MessageView, NewAccount,
    NotificationSettings, OpenedDraft, OutboxMessage, OutgoingMessage, Pop3Settings, UserError,
};
use petrel_engine::{Engine, FlagChange};
use tauri::ipc::Channel;
use tauri::State;

type Reply<T> = Result<T, UserError>;

#[tauri::command]
pub fn list_accounts(engine: State<'_, Engine>) -> Reply<Vec<Account>> {
    Ok(engine.accounts()?)
}

/// Looks up the settings for an address; every source's progress goes to `on_progress`.
#[tauri::command]
pub async fn discover_settings(
    engine: State<'_, Engine>,
    email: String,
    on_progress: Channel<DiscoveryProgress>,
) -> Reply<DiscoveryOutcome> {
    let report = move |p: &DiscoveryProgress| {
        // The window may be gone; nothing to do then.
        let _ = on_progress.send(p.clone());
    };
    Ok(engine.discover(&email, &report).await?)
}

/// Tests the settings for real, saves the account, and starts its first sync.
#[tauri::command]
pub async fn add_account(engine: State<'_, Engine>, account: NewAccount) -> Reply<Account> {
    let added = engine.add_account(account).await?;
    let engine = engine.inner().clone();
    let id = added.id;
    tauri::async_runtime::spawn(async move {
        let _ = engine.sync_account(id).await;
    });
    Ok(added)
}

#[tauri::command]
pub fn list_folders(engine: State<'_, Engine>, account_id: i64) -> Reply<Vec<Folder>> {
    Ok(engine.folders(account_id)?)
}

#[tauri::command]
pub fn list_messages(
    engine: State<'_, Engine>,
    folder_id: i64,
    offset: u32,
    limit: u32,
) -> Reply<MessagePage> {
    Ok(engine.messages(folder_id, offset, limit)?)
}

#[tauri::command]
pub async fn get_message(engine: State<'_, Engine>, message_id: i64) -> Reply<MessageView> {
    Ok(engine.message(message_id).await?)
}

/// Saves attachment `index` of a message to `path` (picked by the user in the save dialog);
/// resolves to the number of bytes written. A large message's attachment is downloaded then.
#[tauri::command]
pub async fn save_attachment(
    engine: State<'_, Engine>,
    message_id: i64,
    index: usize,
    path: String,
) -> Reply<u64> {
    let path = std::path::PathBuf::from(path);
    if !path.is_absolute() {
        return Err(petrel_engine::Error::InvalidInput(
            "Choose where to save the attachment.".to_string(),
        )
        .into());
    }
    Ok(engine.save_attachment(message_id, index, &path).await?)
}

/// Opens attachment `index` of a message with the system's app for its type: saved first to a
/// folder of the app's cache. Programs and scripts are refused (the engine's `may_open`).
#[tauri::command]
pub async fn open_attachment(
    app: tauri::AppHandle,
    engine: State<'_, Engine>,
    message_id: i64,
    index: usize,
) -> Reply<()> {
    use tauri::Manager;
    use tauri_plugin_opener::OpenerExt;
    let cache = app
        .path()
        .app_cache_dir()
        .map_err(|e| petrel_engine::Error::Internal(format!("no cache folder: {e}")))?
        .join("attachments");
    let path = engine
        .attachment_for_opening(message_id, index, &cache)
        .await?;
    app.opener()
        .open_path(path.to_string_lossy(), None::<&str>)
        .map_err(|e| {
            petrel_engine::Error::Internal(format!(
                "the system could not open {}: {e}",
                path.display()
            ))
        })?;
    Ok(())
}

#[tauri::command]
pub async fn sync_account(engine: State<'_, Engine>, account_id: i64) -> Reply<()> {
    engine.sync_account(account_id).await?;
    Ok(())
}

/// The composer's fields for a reply, reply all, forward or forward as attachment of a stored
/// message (a forward's attachments already staged).
#[tauri::command]
pub async fn compose_from(
    engine: State<'_, Engine>,
    message_id: i64,
    mode: ComposeMode,
) -> Reply<OutgoingMessage> {
    Ok(engine.compose_from(message_id, mode).await?)
}

/// People seen in mail matching what is typed in an address field, best first. Async: run off
/// the main thread, as it is called at every keystroke.
#[tauri::command]
pub async fn suggest_addresses(
    engine: State<'_, Engine>,
    query: String,
    limit: u32,
) -> Reply<Vec<Address>> {
    Ok(engine.suggest_addresses(&query, limit)?)
}

/// Sends a message: stored in the outbox at once and sent after the undo delay. Returns the
/// outbox id, for `unsend_message`.
#[tauri::command]
pub fn send_message(engine: State<'_, Engine>, message: OutgoingMessage) -> Reply<i64> {
    Ok(engine.send(message)?)
}

/// Undo send: takes the message back within the undo delay; returns the composer's fields.
#[tauri::command]
pub fn unsend_message(engine: State<'_, Engine>, outbox_id: i64) -> Reply<OutgoingMessage> {
    Ok(engine.unsend(outbox_id)?)
}

/// The account's messages not yet accepted by the server.
#[tauri::command]
pub fn list_outbox(engine: State<'_, Engine>, account_id: i64) -> Reply<Vec<OutboxMessage>> {
    Ok(engine.outbox(account_id)?)
}

/// Sends a queued or failed message again now.
#[tauri::command]
pub fn retry_outbox(engine: State<'_, Engine>, outbox_id: i64) -> Reply<()> {
    engine.retry_outbox(outbox_id)?;
    Ok(())
}

/// Deletes a queued or failed message from the outbox, unsent.
#[tauri::command]
pub fn delete_outbox(engine: State<'_, Engine>, outbox_id: i64) -> Reply<()> {
    engine.delete_outbox(outbox_id)?;
    Ok(())
}

// The user's changes: applied to the store at once (the call returns without waiting for the
// network), then replayed on the server by the engine's operation queue.

/// Sets (`true`) or clears (`false`) flags; a missing flag is left alone.
#[tauri::command]
pub fn set_flags(
    engine: State<'_, Engine>,
    message_ids: Vec<i64>,
    seen: Option<bool>,
    flagged: Option<bool>,
    answered: Option<bool>,
) -> Reply<()> {
    engine.set_flags(
        &message_ids,
        FlagChange {
            seen,
            flagged,
            answered,
            forwarded: None,
        },
    )?;
    Ok(())
}

#[tauri::command]
pub fn move_messages(
    engine: State<'_, Engine>,
    message_ids: Vec<i64>,
    target_folder_id: i64,
) -> Reply<()> {
    engine.move_messages(&message_ids, target_folder_id)?;
    Ok(())
}

#[tauri::command]
pub fn copy_messages(
    engine: State<'_, Engine>,
    message_ids: Vec<i64>,
    target_folder_id: i64,
) -> Reply<()> {
    engine.copy_messages(&message_ids, target_folder_id)?;
    Ok(())
}

/// To the Trash; in the Trash, for good.
#[tauri::command]
pub fn delete_messages(engine: State<'_, Engine>, message_ids: Vec<i64>) -> Reply<()> {
    engine.delete_messages(&message_ids)?;
    Ok(())
}

#[tauri::command]
pub fn archive_messages(engine: State<'_, Engine>, message_ids: Vec<i64>) -> Reply<()> {
    engine.archive_messages(&message_ids)?;
    Ok(())
}

#[tauri::command]
pub fn empty_trash(engine: State<'_, Engine>, account_id: i64) -> Reply<()> {
    engine.empty_trash(account_id)?;
    Ok(())
}

// Folder changes: online only (they wait for the server and fail with "you are offline" without
// it); `FoldersChanged` follows.

/// Creates a folder inside `parent_id`, or at the top level; returns it.
#[tauri::command]
pub async fn create_folder(
    engine: State<'_, Engine>,
    account_id: i64,
    parent_id: Option<i64>,
    name: String,
) -> Reply<Folder> {
    Ok(engine.create_folder(account_id, parent_id, &name).await?)
}

/// Renames a folder where it is; returns it with its new path.
#[tauri::command]
pub async fn rename_folder(
    engine: State<'_, Engine>,
    folder_id: i64,
    new_name: String,
) -> Reply<Folder> {
    Ok(engine.rename_folder(folder_id, &new_name).await?)
}

/// Deletes a folder and its messages (never INBOX or a special folder).
#[tauri::command]
pub async fn delete_folder(engine: State<'_, Engine>, folder_id: i64) -> Reply<()> {
    engine.delete_folder(folder_id).await?;
    Ok(())
}

#[tauri::command]
pub async fn set_folder_subscribed(
    engine: State<'_, Engine>,
    folder_id: i64,
    subscribed: bool,
) -> Reply<()> {
    engine.set_folder_subscribed(folder_id, subscribed).await?;
    Ok(())
}

/// Saves a draft (new when `draft_id` is null) here at once; it is uploaded to the Drafts folder
/// in the background, replacing its previous copy. Returns the draft's id for the next save.
#[tauri::command]
pub fn save_draft(
    engine: State<'_, Engine>,
    draft_id: Option<i64>,
    message: OutgoingMessage,
) -> Reply<i64> {
    Ok(engine.save_draft(draft_id, &message)?)
}

/// Which bodies the background sync downloads ahead (window in days or all, size limit).
#[tauri::command]
pub fn get_body_policy(engine: State<'_, Engine>, account_id: i64) -> Reply<BodyPolicy> {
    Ok(engine.body_policy(account_id)?)
}

#[tauri::command]
pub fn set_body_policy(
    engine: State<'_, Engine>,
    account_id: i64,
    policy: BodyPolicy,
) -> Reply<()> {
    engine.set_body_policy(account_id, policy)?;
    Ok(())
}

/// A POP3 account's download settings: leave on the server, delete after N days, delete when
/// deleted here, how often to check. The next check follows them.
#[tauri::command]
pub fn set_pop3_settings(
    engine: State<'_, Engine>,
    account_id: i64,
    settings: Pop3Settings,
) -> Reply<()> {
    engine.set_pop3_settings(account_id, settings)?;
    Ok(())
}

/// Discards a draft (sent or thrown away); its copy in the Drafts folder goes in the background.
#[tauri::command]
pub fn discard_draft(engine: State<'_, Engine>, draft_id: i64) -> Reply<()> {
    engine.discard_draft(draft_id)?;
    Ok(())
}

/// Stages a file the user attached: the request's raw body is the file's bytes; headers
/// `petrel-name` (encodeURIComponent of the file name), `petrel-type` (may be empty: guessed from
/// the name), `petrel-inline` (`"1"` for an inline image, which gets a content id).
#[tauri::command]
pub fn stage_attachment(
    engine: State<'_, Engine>,
    request: tauri::ipc::Request<'_>,
) -> Reply<ComposeAttachment> {
    let tauri::ipc::InvokeBody::Raw(data) = request.body() else {
        return Err(petrel_engine::Error::InvalidInput(
            "The file's bytes did not arrive (not sent as a raw body).".into(),
        )
        .into());
    };
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let name = percent_encoding::percent_decode_str(&header("petrel-name"))
        .decode_utf8_lossy()
        .into_owned();
    let inline = header("petrel-inline") == "1";
    Ok(engine.stage_attachment(&name, &header("petrel-type"), inline, data)?)
}

/// A staged image as a `data:` URL (an inline image of a reopened draft, for the editor).
#[tauri::command]
pub fn staged_image_url(engine: State<'_, Engine>, id: i64) -> Reply<String> {
    Ok(engine.staged_image_url(id)?)
}

/// The largest message the account's outgoing server takes (SIZE from its EHLO), or null.
#[tauri::command]
pub async fn outgoing_size_limit(engine: State<'_, Engine>, account_id: i64) -> Reply<Option<u64>> {
    Ok(engine.outgoing_size_limit(account_id).await?)
}

/// A message of a Drafts folder back in the composer's fields, with a draft id whose next save
/// replaces it.
#[tauri::command]
pub async fn open_draft(engine: State<'_, Engine>, message_id: i64) -> Reply<OpenedDraft> {
    Ok(engine.open_draft(message_id).await?)
}

/// The account's identities (who the user sends as), its default first.
#[tauri::command]
pub fn list_identities(engine: State<'_, Engine>, account_id: i64) -> Reply<Vec<Identity>> {
    Ok(engine.identities(account_id)?)
}

#[tauri::command]
pub fn add_identity(engine: State<'_, Engine>, identity: Identity) -> Reply<Identity> {
    Ok(engine.add_identity(identity)?)
}

#[tauri::command]
pub fn update_identity(engine: State<'_, Engine>, identity: Identity) -> Reply<()> {
    engine.update_identity(identity)?;
    Ok(())
}

#[tauri::command]
pub fn delete_identity(engine: State<'_, Engine>, identity_id: i64) -> Reply<()> {
    engine.delete_identity(identity_id)?;
    Ok(())
}

/// An account's desktop notification settings (on/off, preview, sound, muted folders).
#[tauri::command]
pub fn get_notification_settings(
    engine: State<'_, Engine>,
    account_id: i64,
) -> Reply<NotificationSettings> {
    Ok(engine.notification_settings(account_id)?)
}

#[tauri::command]
pub fn set_notification_settings(
    engine: State<'_, Engine>,
    account_id: i64,
    settings: NotificationSettings,
) -> Reply<()> {
    engine.set_notification_settings(account_id, &settings)?;
    Ok(())
}

/// The app's own settings (close to tray).
#[tauri::command]
pub fn get_app_settings(engine: State<'_, Engine>) -> Reply<AppSettings> {
    Ok(engine.app_settings()?)
}

#[tauri::command]
pub fn set_app_settings(engine: State<'_, Engine>, settings: AppSettings) -> Reply<()> {
    engine.set_app_settings(&settings)?;
    Ok(())
}

fn autostart_error(e: impl std::fmt::Display) -> UserError {
    petrel_engine::Error::Internal(format!(
        "starting Petrel at login could not be changed: {e}"
    ))
    .to_user()
}

/// Whether Petrel starts at login (asked of the system: the login items, the registry's Run key
/// or `~/.config/autostart`, through tauri-plugin-autostart).
#[tauri::command]
pub fn get_autostart(app: tauri::AppHandle) -> Reply<bool> {
    use tauri_plugin_autostart::ManagerExt;
    app.autolaunch().is_enabled().map_err(autostart_error)
}

#[tauri::command]
pub fn set_autostart(app: tauri::AppHandle, enabled: bool) -> Reply<()> {
    use tauri_plugin_autostart::ManagerExt;
    let launcher = app.autolaunch();
    if enabled {
        launcher.enable()
    } else {
        launcher.disable()
    }
    .map_err(autostart_error)
}
