//! Runs tauri-build on the one tauri.conf.json at the repository root (this package's manifest
//! folder). The app's commands are declared here so capabilities can grant them one by one.

const COMMANDS: &[&str] = &[
    "list_accounts",
    "discover_settings",
    "add_account",
    "list_folders",
    "list_messages",
    "get_message",
    "save_attachment",
    "open_attachment",
    "sync_account",
    "compose_from",
    "suggest_addresses",
    "send_message",
    "unsend_message",
    "list_outbox",
    "retry_outbox",
    "delete_outbox",
    "set_flags",
    "move_messages",
    "copy_messages",
    "delete_messages",
    "archive_messages",
    "empty_trash",
    "create_folder",
    "rename_folder",
    "delete_folder",
    "set_folder_subscribed",
    "save_draft",
    "discard_draft",
    "get_body_policy",
    "set_body_policy",
    "set_pop3_settings",
    "list_identities",
    "add_identity",
    "update_identity",
    "delete_identity",
    "stage_attachment",
    "staged_image_url",
    "outgoing_size_limit",
    "open_draft",
    "get_notification_settings",
    "set_notification_settings",
    "get_app_settings",
    "set_app_settings",
    "get_autostart",
    "set_autostart",
];

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        // A build script can only report by failing; say what broke.
        panic!("tauri-build failed: {e:#}");
    }
}
