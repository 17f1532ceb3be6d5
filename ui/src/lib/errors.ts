import type { ErrorKind } from "./bindings/ErrorKind";
import type { UserError } from "./bindings/UserError";

// A record over every kind, so that a kind added in Rust (ts-rs) fails the type check until listed.
const KIND_LIST: Record<ErrorKind, true> = {
  host_not_found: true,
  connection_refused: true,
  timeout: true,
  tls: true,
  certificate_not_trusted: true,
  no_encryption: true,
  auth_failed: true,
  protocol: true,
  keychain: true,
  storage: true,
  invalid_input: true,
  not_found: true,
  send_rejected: true,
  try_later: true,
  too_late: true,
  internal: true,
};
const KINDS: ReadonlySet<string> = new Set(Object.keys(KIND_LIST));

/** The `UserError` shape without the optional extras, as older shells (and tests) send it. */
type CoreUserError = Pick<UserError, "kind" | "summary" | "detail">;

function isCoreUserError(value: unknown): value is CoreUserError & Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.kind === "string" && KINDS.has(v.kind) && typeof v.summary === "string" && typeof v.detail === "string";
}

/** True when `value` has the shape of the `UserError` every command rejects with. */
export function isUserError(value: unknown): value is UserError {
  if (!isCoreUserError(value)) return false;
  const cert = value.certificate;
  const help = value.help_url;
  return (cert === null || typeof cert === "object") && (help === null || typeof help === "string");
}

/** A `UserError` with no certificate and no help page. */
export function userError(kind: ErrorKind, summary: string, detail = ""): UserError {
  return { kind, summary, detail, certificate: null, help_url: null };
}

/**
 * Turns whatever a rejected command or a failed call produced into a `UserError`, so the UI has one
 * shape to show. Commands reject with a `UserError`; anything else (a string from Tauri itself, a
 * JavaScript exception when the shell is missing) is wrapped with a generic summary.
 */
export function toUserError(value: unknown, fallbackSummary = "Something went wrong."): UserError {
  if (isUserError(value)) return value;
  if (isCoreUserError(value)) {
    // The extras are missing (or malformed): keep what is usable.
    const cert = value.certificate;
    const help = value.help_url;
    return {
      kind: value.kind,
      summary: value.summary,
      detail: value.detail,
      certificate: typeof cert === "object" && cert !== null ? (cert as UserError["certificate"]) : null,
      help_url: typeof help === "string" ? help : null,
    };
  }
  if (typeof value === "string") return userError("internal", fallbackSummary, value);
  if (value instanceof Error) return userError("internal", fallbackSummary, value.stack ?? value.message);
  let detail: string;
  try {
    detail = JSON.stringify(value) ?? String(value);
  } catch {
    detail = String(value);
  }
  return userError("internal", fallbackSummary, detail);
}
