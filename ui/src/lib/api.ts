/**
 * The only place that talks to the Tauri shell. One typed function per command; components and
 * state modules call these, never `invoke` directly. Argument names are camelCase here: Tauri maps
 * them to the Rust commands' snake_case parameters. Every function rejects with a `UserError`.
 */
import { Channel, invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { save } from "@tauri-apps/plugin-dialog";
import { openUrl } from "@tauri-apps/plugin-opener";
import type { Account } from "./bindings/Account";
import type { Address } from "./bindings/Address";
import type { AppSettings } from "./bindings/AppSettings";
import type { BodyPolicy } from "./bindings/BodyPolicy";
import type { ComposeAttachment } from "./bindings/ComposeAttachment";
import type { ComposeMode } from "./bindings/ComposeMode";
import type { DiscoveryOutcome } from "./bindings/DiscoveryOutcome";
import type { DiscoveryProgress } from "./bindings/DiscoveryProgress";
import type { EngineEvent } from "./bindings/EngineEvent";
import type { Folder } from "./bindings/Folder";
import type { Identity } from "./bindings/Identity";
import type { MessagePage } from "./bindings/MessagePage";
import type { MessageView } from "./bindings/MessageView";
import type { NewAccount } from "./bindings/NewAccount";
import type { NotificationSettings } from "./bindings/NotificationSettings";
import type { OpenTarget } from "./bindings/OpenTarget";
import type { OpenedDraft } from "./bindings/OpenedDraft";
import type { OutboxMessage } from "./bindings/OutboxMessage";
import type { Pop3Settings } from "./bindings/Pop3Settings";
import type { OutgoingMessage } from "./bindings/OutgoingMessage";
import { toUserError } from "./errors";

/** The event name the shell forwards engine events under. */
export const ENGINE_EVENT = "petrel://event";

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (err) {
    throw toUserError(err);
  }
}

export function listAccounts(): Promise<Account[]> {
  return call("list_accounts");
}

/**
 * Looks up the settings of an address (provider list, autoconfig, DNS SRV, MX, guessing), calling
 * `onProgress` as each source moves on. Resolves even when nothing was found (`config` is null);
 * rejects only for an address that is not one.
 */
export function discoverSettings(email: string, onProgress: (p: DiscoveryProgress) => void): Promise<DiscoveryOutcome> {
  const channel = new Channel<DiscoveryProgress>(onProgress);
  return call("discover_settings", { email, onProgress: channel });
}

/** Tests the connection for real, stores the account and starts its first sync: may take seconds. */
export function addAccount(account: NewAccount): Promise<Account> {
  return call("add_account", { account });
}

/** Which bodies the background sync downloads ahead: a window in days, or all; never above the size limit. */
export function getBodyPolicy(accountId: number): Promise<BodyPolicy> {
  return call("get_body_policy", { accountId });
}

/** Takes effect at the next sync pass; bodies already downloaded stay. */
export function setBodyPolicy(accountId: number, policy: BodyPolicy): Promise<null> {
  return call("set_body_policy", { accountId, policy });
}

/** A POP3 account's download settings (the account list carries the current ones). */
export function setPop3Settings(accountId: number, settings: Pop3Settings): Promise<null> {
  return call("set_pop3_settings", { accountId, settings });
}

export function listFolders(accountId: number): Promise<Folder[]> {
  return call("list_folders", { accountId });
}

/** A window of a folder's messages, newest first. */
export function listMessages(folderId: number, offset: number, limit: number): Promise<MessagePage> {
  return call("list_messages", { folderId, offset, limit });
}

/** May fetch the body from the server. */
export function getMessage(messageId: number): Promise<MessageView> {
  return call("get_message", { messageId });
}

/**
 * Saves attachment `index` (its place in `MessageView.attachments`) to `path`; resolves to the
 * bytes written. For a large message this downloads that attachment alone, which may take a while.
 */
export function saveAttachment(messageId: number, index: number, path: string): Promise<number> {
  return call("save_attachment", { messageId, index, path });
}

/**
 * Opens attachment `index` with the system's app for its type (saved first to Petrel's cache
 * folder). Programs and scripts are refused: they can only be saved.
 */
export function openAttachment(messageId: number, index: number): Promise<null> {
  return call("open_attachment", { messageId, index });
}

/** Asks where to save a file with the system's "Save as" dialog; null when the user cancels. */
export async function chooseSavePath(suggestedName: string): Promise<string | null> {
  try {
    return await save({ title: "Save attachment", defaultPath: suggestedName });
  } catch (err) {
    throw toUserError(err, "Petrel could not show the save dialog.");
  }
}

export function syncAccount(accountId: number): Promise<null> {
  return call("sync_account", { accountId });
}

/**
 * The composer's fields for answering or forwarding a stored message: recipients, subject, the
 * quote (plain in `body`, HTML in `html` when the identity writes rich text), the identity it
 * was addressed to, and for forwards the attachments already staged. No signature: the composer
 * adds it.
 */
export function composeFrom(messageId: number, mode: ComposeMode): Promise<OutgoingMessage> {
  return call("compose_from", { messageId, mode });
}

/** People seen in mail whose address, name or a word of it starts with `query`, best first. */
export function suggestAddresses(query: string, limit: number): Promise<Address[]> {
  return call("suggest_addresses", { query, limit });
}

/**
 * Sends a message: stored in the outbox at once (nothing is lost if sending fails) and handed to
 * the server after the undo delay. Resolves to the outbox id, for `unsendMessage`.
 */
export function sendMessage(message: OutgoingMessage): Promise<number> {
  return call("send_message", { message });
}

/**
 * Undo send: takes the message back within the undo delay (or after the server refused it) and
 * resolves to the composer's fields; rejects with kind `too_late` once it is too late.
 */
export function unsendMessage(outboxId: number): Promise<OutgoingMessage> {
  return call("unsend_message", { outboxId });
}

/** The account's messages the server has not accepted yet (queued, sending, failed with a reason). */
export function listOutbox(accountId: number): Promise<OutboxMessage[]> {
  return call("list_outbox", { accountId });
}

/** Sends a queued or failed message again now. */
export function retryOutbox(outboxId: number): Promise<null> {
  return call("retry_outbox", { outboxId });
}

/** Deletes a queued or failed message from the outbox, unsent. */
export function deleteOutbox(outboxId: number): Promise<null> {
  return call("delete_outbox", { outboxId });
}

/**
 * Saves a draft (a new one when `draftId` is null) on this computer at once; the engine uploads it
 * to the Drafts folder in the background, replacing its previous copy. Resolves to the draft's id,
 * to pass on the next save. Recipients may be empty.
 */
export function saveDraft(draftId: number | null, message: OutgoingMessage): Promise<number> {
  return call("save_draft", { draftId, message });
}

/** Discards a draft (sent or thrown away); its copy in the Drafts folder is deleted in the background. */
export function discardDraft(draftId: number): Promise<null> {
  return call("discard_draft", { draftId });
}

// The user's changes: applied to the local store before these resolve (no network wait), then
// replayed on the server by the engine; `FolderChanged` events follow for the folders involved.

/** Sets (`true`) or clears (`false`) \Seen, \Flagged, \Answered; a flag left out is left alone. */
export function setFlags(
  messageIds: number[],
  flags: { seen?: boolean; flagged?: boolean; answered?: boolean },
): Promise<null> {
  return call("set_flags", {
    messageIds,
    seen: flags.seen ?? null,
    flagged: flags.flagged ?? null,
    answered: flags.answered ?? null,
  });
}

/** Moves messages to another folder of their account. */
export function moveMessages(messageIds: number[], targetFolderId: number): Promise<null> {
  return call("move_messages", { messageIds, targetFolderId });
}

/** Copies messages to another folder of their account. */
export function copyMessages(messageIds: number[], targetFolderId: number): Promise<null> {
  return call("copy_messages", { messageIds, targetFolderId });
}

/** Moves messages to the Trash; messages already in the Trash are deleted for good. */
export function deleteMessages(messageIds: number[]): Promise<null> {
  return call("delete_messages", { messageIds });
}

/** Moves messages to their account's Archive folder. */
export function archiveMessages(messageIds: number[]): Promise<null> {
  return call("archive_messages", { messageIds });
}

/** Deletes everything in the account's Trash for good. */
export function emptyTrash(accountId: number): Promise<null> {
  return call("empty_trash", { accountId });
}

// Folder changes: these wait for the server (online only; offline they reject with a "you are
// offline" UserError and change nothing). `FoldersChanged` follows.

/** Creates a folder inside `parentId` (or at the top level when null); resolves to it. */
export function createFolder(accountId: number, parentId: number | null, name: string): Promise<Folder> {
  return call("create_folder", { accountId, parentId, name });
}

/** Renames a folder where it is; resolves to it with its new path. */
export function renameFolder(folderId: number, newName: string): Promise<Folder> {
  return call("rename_folder", { folderId, newName });
}

/** Deletes a folder with its messages; INBOX and special folders are refused. */
export function deleteFolder(folderId: number): Promise<null> {
  return call("delete_folder", { folderId });
}

export function setFolderSubscribed(folderId: number, subscribed: boolean): Promise<null> {
  return call("set_folder_subscribed", { folderId, subscribed });
}

/** The account's identities (who the user sends as), its default first. */
export function listIdentities(accountId: number): Promise<Identity[]> {
  return call("list_identities", { accountId });
}

export function addIdentity(identity: Identity): Promise<Identity> {
  return call("add_identity", { identity });
}

export function updateIdentity(identity: Identity): Promise<null> {
  return call("update_identity", { identity });
}

export function deleteIdentity(identityId: number): Promise<null> {
  return call("delete_identity", { identityId });
}

/**
 * Copies a file the user attached into the engine (so drafts and the outbox never depend on the
 * file). `type` may be empty: the engine guesses it from the name. An inline image gets a
 * `content_id` for `<img src="cid:…">`. Rejects files too large to send anywhere.
 */
export function stageAttachment(data: Uint8Array, name: string, type: string, inline: boolean): Promise<ComposeAttachment> {
  return invoke<ComposeAttachment>("stage_attachment", data, {
    headers: { "petrel-name": encodeURIComponent(name), "petrel-type": type, "petrel-inline": inline ? "1" : "0" },
  }).catch((err: unknown) => {
    throw toUserError(err);
  });
}

/** A staged image as a `data:` URL, for the editor to show an inline image of a reopened draft. */
export function stagedImageUrl(id: number): Promise<string> {
  return call("staged_image_url", { id });
}

/** The largest message the account's outgoing server takes (bytes), or null when unknown. */
export function outgoingSizeLimit(accountId: number): Promise<number | null> {
  return call("outgoing_size_limit", { accountId });
}

/**
 * A message of a Drafts folder back in the composer: every field, attachments staged again, and
 * the draft id to save it under (the next save replaces this copy, on the server too).
 */
export function openDraft(messageId: number): Promise<OpenedDraft> {
  return call("open_draft", { messageId });
}

/** An account's desktop notification settings: on/off, preview, sound, muted folders. */
export function getNotificationSettings(accountId: number): Promise<NotificationSettings> {
  return call("get_notification_settings", { accountId });
}

export function setNotificationSettings(accountId: number, settings: NotificationSettings): Promise<null> {
  return call("set_notification_settings", { accountId, settings });
}

/** The app's own settings (close to tray). */
export function getAppSettings(): Promise<AppSettings> {
  return call("get_app_settings");
}

export function setAppSettings(settings: AppSettings): Promise<null> {
  return call("set_app_settings", { settings });
}

/** Whether Petrel starts at login (asked of the system). */
export function getAutostart(): Promise<boolean> {
  return call("get_autostart");
}

export function setAutostart(enabled: boolean): Promise<null> {
  return call("set_autostart", { enabled });
}

/** The shell's events: a clicked notification (open this message), the tray's "Compose". */
export const OPEN_EVENT = "petrel://open";
export const COMPOSE_EVENT = "petrel://compose";

/** Calls `handler` when a notification is clicked; resolves to the function that unsubscribes. */
export async function onOpenRequest(handler: (target: OpenTarget) => void): Promise<UnlistenFn> {
  try {
    return await listen<OpenTarget>(OPEN_EVENT, (e) => handler(e.payload));
  } catch (err) {
    throw toUserError(err, "Petrel could not subscribe to its notifications.");
  }
}

/** Calls `handler` when the tray menu's "Compose" is chosen. */
export async function onComposeRequest(handler: () => void): Promise<UnlistenFn> {
  try {
    return await listen<null>(COMPOSE_EVENT, () => handler());
  } catch (err) {
    throw toUserError(err, "Petrel could not subscribe to its tray menu.");
  }
}

/** Subscribes to the engine's event stream; resolves to the function that unsubscribes. */
export async function onEngineEvent(handler: (event: EngineEvent) => void): Promise<UnlistenFn> {
  try {
    return await listen<EngineEvent>(ENGINE_EVENT, (e) => handler(e.payload));
  } catch (err) {
    throw toUserError(err, "Petrel could not subscribe to updates from the mail engine.");
  }
}

/** Opens an https page (a provider's help) in the user's web browser. */
export async function openInBrowser(url: string): Promise<void> {
  if (!url.startsWith("https://")) {
    throw toUserError(`not an https address: ${url}`, "Petrel only opens secure (https) web pages.");
  }
  try {
    await openUrl(url);
  } catch (err) {
    throw toUserError(err, "Petrel could not open your web browser.");
  }
}
