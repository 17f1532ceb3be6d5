/**
 * The manual account form's rules, without the UI: the usual ports, defaults that follow the
 * address, validation, and the `NewAccount` it sends.
 */
import type { NewAccount } from "./bindings/NewAccount";
import type { Security } from "./bindings/Security";

export type ServerKind = "imap" | "smtp";

export interface ServerFields {
  host: string;
  security: Security;
  /** The port as typed, or null while the user has not touched it (the usual port applies). */
  port: string | null;
  /** The user name as typed, or null while the user has not touched it (the address applies). */
  username: string | null;
}

export interface AccountFields {
  displayName: string;
  email: string;
  password: string;
  imap: ServerFields;
  smtp: ServerFields;
}

export type FieldKey =
  | "displayName"
  | "email"
  | "password"
  | "imap.host"
  | "imap.port"
  | "imap.username"
  | "smtp.host"
  | "smtp.port"
  | "smtp.username";

export type FieldErrors = Partial<Record<FieldKey, string>>;

export const SECURITY_CHOICES: readonly { value: Security; label: string }[] = [
  { value: "tls", label: "SSL/TLS" },
  { value: "starttls", label: "STARTTLS" },
  { value: "plain", label: "None (unencrypted)" },
];

const USUAL_PORTS: Record<ServerKind, Record<Security, number>> = {
  imap: { tls: 993, starttls: 143, plain: 143 },
  smtp: { tls: 465, starttls: 587, plain: 587 },
};

/** The port a server of this kind usually listens on with this security. */
export function usualPort(kind: ServerKind, security: Security): number {
  return USUAL_PORTS[kind][security];
}

export function emptyServer(): ServerFields {
  return { host: "", security: "tls", port: null, username: null };
}

export function emptyAccount(): AccountFields {
  return { displayName: "", email: "", password: "", imap: emptyServer(), smtp: emptyServer() };
}

/** The port field's value: as typed, else the usual one for the chosen security. */
export function effectivePort(kind: ServerKind, server: ServerFields): string {
  return server.port ?? String(usualPort(kind, server.security));
}

/** The user-name field's value: as typed, else the e-mail address. */
export function effectiveUsername(server: ServerFields, email: string): string {
  return server.username ?? email.trim();
}

/** The domain of an address, lower-cased, or "" when there is none yet. */
export function domainOf(email: string): string {
  const at = email.lastIndexOf("@");
  return at < 0 ? "" : email.slice(at + 1).trim().toLowerCase();
}

/** A hint for the host field, e.g. `imap.example.org`. */
export function hostHint(kind: ServerKind, email: string): string {
  const domain = domainOf(email);
  return `${kind}.${domain || "example.org"}`;
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;
const HOST = /^[^\s/:@\[\]]+$|^\[[0-9a-fA-F:.]+\]$|^(?=.*:.*:)[0-9a-fA-F:.]+$/;

function parsePort(text: string): number | null {
  const t = text.trim();
  if (!/^\d{1,5}$/.test(t)) return null;
  const n = Number(t);
  return n >= 1 && n <= 65535 ? n : null;
}

function validateServer(kind: ServerKind, server: ServerFields, email: string, errors: FieldErrors): void {
  const host = server.host.trim();
  if (host === "") errors[`${kind}.host`] = "Enter the server's name, e.g. " + hostHint(kind, email) + ".";
  else if (!HOST.test(host)) errors[`${kind}.host`] = "A server name has no spaces, slashes or port number.";
  if (parsePort(effectivePort(kind, server)) === null) errors[`${kind}.port`] = "A port is a number from 1 to 65535.";
  // While the user name follows the address, a missing address is reported there, once.
  if (server.username !== null && server.username.trim() === "") {
    errors[`${kind}.username`] = "Enter the user name for this server.";
  }
}

/** The field errors of the form, empty when it can be sent. */
export function validateAccount(f: AccountFields): FieldErrors {
  const errors: FieldErrors = {};
  const email = f.email.trim();
  if (email === "") errors.email = "Enter your e-mail address.";
  else if (!EMAIL.test(email)) errors.email = "An e-mail address looks like name@example.org.";
  if (f.password === "") errors.password = "Enter your password.";
  validateServer("imap", f.imap, email, errors);
  validateServer("smtp", f.smtp, email, errors);
  return errors;
}

/** The order errors are met in the form, to move the focus to the first one. */
export const FIELD_ORDER: readonly FieldKey[] = [
  "displayName",
  "email",
  "password",
  "imap.host",
  "imap.port",
  "imap.username",
  "smtp.host",
  "smtp.port",
  "smtp.username",
];

/** The request for `add_account`. Call only when `validateAccount` found nothing. */
export function toNewAccount(f: AccountFields): NewAccount {
  const email = f.email.trim();
  const server = (kind: ServerKind, s: ServerFields) => ({
    host: s.host.trim(),
    port: parsePort(effectivePort(kind, s)) ?? usualPort(kind, s.security),
    security: s.security,
    username: effectiveUsername(s, email).trim(),
  });
  return {
    display_name: f.displayName.trim(),
    email,
    password: f.password,
    imap: server("imap", f.imap),
    smtp: server("smtp", f.smtp),
  };
}
