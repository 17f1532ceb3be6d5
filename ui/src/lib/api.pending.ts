/**
 * TEMPORARY: the composer's commands the engine branches (compose-mime, compose-contacts) are
 * adding to api.ts, with the same names and signatures (COMPOSE-CONTRACT.md). Each goes from here
 * as soon as its branch is merged; this file must be gone at the end.
 */
import { invoke } from "@tauri-apps/api/core";
import type { Address } from "./bindings/Address";
import type { ComposeAttachment } from "./bindings/ComposeAttachment";
import type { ComposeMode } from "./bindings/ComposeMode";
import type { OpenedDraft } from "./bindings/OpenedDraft";
import type { OutgoingMessage } from "./bindings/OutgoingMessage";
import { toUserError } from "./errors";

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (err) {
    throw toUserError(err);
  }
}

export async function stageAttachment(data: Uint8Array, name: string, type: string, inline: boolean): Promise<ComposeAttachment> {
  try {
    return await invoke<ComposeAttachment>("stage_attachment", data, {
      headers: { "petrel-name": encodeURIComponent(name), "petrel-type": type, "petrel-inline": inline ? "1" : "0" },
    });
  } catch (err) {
    throw toUserError(err);
  }
}

export function stagedImageUrl(id: number): Promise<string> {
  return call("staged_image_url", { id });
}

export function outgoingSizeLimit(accountId: number): Promise<number | null> {
  return call("outgoing_size_limit", { accountId });
}

export function openDraft(messageId: number): Promise<OpenedDraft> {
  return call("open_draft", { messageId });
}

export function composeFrom(messageId: number, mode: ComposeMode): Promise<OutgoingMessage> {
  return call("compose_from", { messageId, mode });
}

export function suggestAddresses(query: string, limit: number): Promise<Address[]> {
  return call("suggest_addresses", { query, limit });
}
