/**
 * TEMPORARY: the composer's commands the engine branches (compose-mime, compose-contacts) are
 * adding to api.ts, with the same names and signatures (COMPOSE-CONTRACT.md). Each goes from here
 * as soon as its branch is merged; this file must be gone at the end.
 */
import { invoke } from "@tauri-apps/api/core";
import type { Address } from "./bindings/Address";
import type { ComposeMode } from "./bindings/ComposeMode";
import type { OutgoingMessage } from "./bindings/OutgoingMessage";
import { toUserError } from "./errors";

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (err) {
    throw toUserError(err);
  }
}





export function composeFrom(messageId: number, mode: ComposeMode): Promise<OutgoingMessage> {
  return call("compose_from", { messageId, mode });
}

export function suggestAddresses(query: string, limit: number): Promise<Address[]> {
  return call("suggest_addresses", { query, limit });
}
