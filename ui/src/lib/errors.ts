import type { ErrorKind } from "./bindings/ErrorKind";
import type { UserError } from "./bindings/UserError";

const KINDS: ReadonlySet<string> = new Set<ErrorKind>([
  "host_not_found",
  "connection_refused",
  "timeout",
  "tls",
  "certificate_not_trusted",
  "no_encryption",
  "auth_failed",
  "protocol",
  "keychain",
  "storage",
  "invalid_input",
  "not_found",
  "send_rejected",
  "internal",
]);

/** True when `value` has the shape of the `UserError` every command rejects with. */
export function isUserError(value: unknown): value is UserError {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.kind === "string" && KINDS.has(v.kind) && typeof v.summary === "string" && typeof v.detail === "string";
}

/**
 * Turns whatever a rejected command or a failed call produced into a `UserError`, so the UI has one
 * shape to show. Commands reject with a `UserError`; anything else (a string from Tauri itself, a
 * JavaScript exception when the shell is missing) is wrapped with a generic summary.
 */
export function toUserError(value: unknown, fallbackSummary = "Something went wrong."): UserError {
  if (isUserError(value)) return value;
  if (typeof value === "string") {
    return { kind: "internal", summary: fallbackSummary, detail: value };
  }
  if (value instanceof Error) {
    return { kind: "internal", summary: fallbackSummary, detail: value.stack ?? value.message };
  }
  let detail: string;
  try {
    detail = JSON.stringify(value) ?? String(value);
  } catch {
    detail = String(value);
  }
  return { kind: "internal", summary: fallbackSummary, detail };
}
