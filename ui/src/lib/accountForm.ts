/**
 * The account form's rules, without the UI: the usual ports, defaults that follow the address,
 * validation, the consent an unencrypted connection needs, and the `NewAccount` it sends. The
 * guided set-up fills the same fields from what it found, so both paths share these rules.
 */
import type { AuthMethod } from "./bindings/AuthMethod";
import type { NewAccount } from "./bindings/NewAccount";
import type { Protocol } from "./bindings/Protocol";
import type { Security } from "./bindings/Security";
import type { ServerSettings } from "./bindings/ServerSettings";
import { defaultPop3Fields, fieldsToSettings, validatePop3, type Pop3Fields } from "./pop3Settings";

/**
 * The two servers of an account: "imap" is the incoming one (IMAP or POP3, as its `protocol`
 * says; the key keeps its old name, which the form's ids and test ids use), "smtp" the outgoing one.
 */
export type ServerKind = "imap" | "smtp";

/** A certificate the user chose to trust, for the host it was shown by. */
export interface TrustedCert {
  host: string;
  sha256: string;
}

export interface ServerFields {
  /** Incoming: IMAP or POP3; outgoing: always SMTP. */
  protocol: Protocol;
  host: string;
  security: Security;
  /** The port as typed, or null while the user has not touched it (the usual port applies). */
  port: string | null;
  /** The user name as typed, or null while the user has not touched it (the address applies). */
  username: string | null;
  auth: AuthMethod;
  /** Sent as `trusted_cert` while the host is still the one that showed the certificate. */
  trusted: TrustedCert | null;
}

export interface AccountFields {
  displayName: string;
  email: string;
  password: string;
  imap: ServerFields;
  smtp: ServerFields;
  /** What a POP3 account does with the mail on the server (used when the incoming one is POP3). */
  pop3: Pop3Fields;
}

export type FieldKey =
  | "displayName"
  | "email"
  | "password"
  | "imap.protocol"
  | "imap.host"
  | "imap.port"
  | "imap.username"
  | "imap.auth"
  | "smtp.host"
  | "smtp.port"
  | "smtp.username"
  | "smtp.auth"
  | "pop3.days"
  | "pop3.minutes";

export type FieldErrors = Partial<Record<FieldKey, string>>;

export const SECURITY_CHOICES: readonly { value: Security; label: string }[] = [
  { value: "tls", label: "SSL/TLS" },
  { value: "starttls", label: "STARTTLS" },
  { value: "plain", label: "None (unencrypted)" },
];

export const PROTOCOL_CHOICES: Record<ServerKind, readonly { value: Protocol; label: string }[]> = {
  imap: [
    { value: "imap", label: "IMAP" },
    { value: "pop3", label: "POP3" },
  ],
  smtp: [{ value: "smtp", label: "SMTP" }],
};

export const AUTH_CHOICES: readonly { value: AuthMethod; label: string }[] = [
  { value: "password", label: "Password" },
  { value: "oauth2", label: "Sign in on the provider's page (OAuth, not yet)" },
];

const USUAL_PORTS: Record<Protocol, Record<Security, number>> = {
  imap: { tls: 993, starttls: 143, plain: 143 },
  pop3: { tls: 995, starttls: 110, plain: 110 },
  smtp: { tls: 465, starttls: 587, plain: 587 },
};

/** The port a server of this protocol usually listens on with this security. */
export function usualPort(protocol: Protocol, security: Security): number {
  return USUAL_PORTS[protocol][security];
}

export function emptyServer(kind: ServerKind): ServerFields {
  return { protocol: kind, host: "", security: "tls", port: null, username: null, auth: "password", trusted: null };
}

export function emptyAccount(): AccountFields {
  return {
    displayName: "",
    email: "",
    password: "",
    imap: emptyServer("imap"),
    smtp: emptyServer("smtp"),
    pop3: defaultPop3Fields(),
  };
}

/** The port field's value: as typed, else the usual one for the protocol and security. */
export function effectivePort(server: ServerFields): string {
  return server.port ?? String(usualPort(server.protocol, server.security));
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

/** The usual first label of a server's name: `imap.`, `pop.` or `smtp.` and the domain. */
function hostPrefix(protocol: Protocol): string {
  return protocol === "pop3" ? "pop" : protocol;
}

/** A hint for the host field, e.g. `imap.example.org` (`pop.example.org` for POP3). */
export function hostHint(kind: ServerKind, email: string, protocol: Protocol = kind): string {
  const domain = domainOf(email);
  return `${hostPrefix(protocol)}.${domain || "example.org"}`;
}

/**
 * Switches the incoming server between IMAP and POP3. A host that is still the usual guess for
 * the old protocol (`imap.<domain>`) becomes the guess for the new one (`pop.<domain>`); a port
 * left as the usual one follows by itself (see `effectivePort`); a port typed for the other
 * protocol's usual number is reset too.
 */
export function setIncomingProtocol(f: AccountFields, protocol: Protocol): void {
  const server = f.imap;
  const old = server.protocol;
  if (old === protocol) return;
  const domain = domainOf(f.email);
  if (domain && server.host.trim().toLowerCase() === `${hostPrefix(old)}.${domain}`) {
    server.host = `${hostPrefix(protocol)}.${domain}`;
  }
  if (server.port !== null && server.port.trim() === String(usualPort(old, server.security))) server.port = null;
  server.protocol = protocol;
}

/** True when the incoming server is a POP3 one: the POP3 options apply. */
export function isPop3(f: AccountFields): boolean {
  return f.imap.protocol === "pop3";
}

/** The form pre-filled with the usual guesses for an address: `imap.<domain>`, `smtp.<domain>`. */
export function guessedFields(identity: Pick<AccountFields, "displayName" | "email" | "password">): AccountFields {
  const f = { ...emptyAccount(), ...identity };
  const domain = domainOf(identity.email);
  if (domain) {
    f.imap.host = `imap.${domain}`;
    f.smtp.host = `smtp.${domain}`;
  }
  return f;
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;
const HOST = /^[^\s/:@\[\]]+$|^\[[0-9a-fA-F:.]+\]$|^(?=.*:.*:)[0-9a-fA-F:.]+$/;

/** True when `email` looks like an address (the engine checks it properly). */
export function looksLikeEmail(email: string): boolean {
  return EMAIL.test(email.trim());
}

export function emailError(email: string): string | undefined {
  const e = email.trim();
  if (e === "") return "Enter your e-mail address.";
  if (!EMAIL.test(e)) return "An e-mail address looks like name@example.org.";
  return undefined;
}

export function parsePort(text: string): number | null {
  const t = text.trim();
  if (!/^\d{1,5}$/.test(t)) return null;
  const n = Number(t);
  return n >= 1 && n <= 65535 ? n : null;
}

export const OAUTH_NOT_YET =
  "Petrel cannot sign in through the provider's page yet. Choose “Password” if your provider accepts a password or an app password.";

function validateServer(kind: ServerKind, server: ServerFields, email: string, errors: FieldErrors): void {
  const host = server.host.trim();
  if (host === "") errors[`${kind}.host`] = "Enter the server's name, e.g. " + hostHint(kind, email, server.protocol) + ".";
  else if (!HOST.test(host)) errors[`${kind}.host`] = "A server name has no spaces, slashes or port number.";
  if (parsePort(effectivePort(server)) === null) errors[`${kind}.port`] = "A port is a number from 1 to 65535.";
  // While the user name follows the address, a missing address is reported there, once.
  if (server.username !== null && server.username.trim() === "") {
    errors[`${kind}.username`] = "Enter the user name for this server.";
  }
  if (server.auth === "oauth2") errors[`${kind}.auth`] = OAUTH_NOT_YET;
}

/**
 * The errors of the two server parts and, for POP3, its options (the guided set-up has the
 * identity already).
 */
export function validateServers(f: AccountFields): FieldErrors {
  const errors: FieldErrors = {};
  validateServer("imap", f.imap, f.email.trim(), errors);
  validateServer("smtp", f.smtp, f.email.trim(), errors);
  if (isPop3(f)) {
    const pop = validatePop3(f.pop3);
    if (pop.days) errors["pop3.days"] = pop.days;
    if (pop.minutes) errors["pop3.minutes"] = pop.minutes;
  }
  return errors;
}

/** The field errors of the form, empty when it can be sent. */
export function validateAccount(f: AccountFields): FieldErrors {
  const errors: FieldErrors = {};
  const email = emailError(f.email);
  if (email) errors.email = email;
  if (f.password === "") errors.password = "Enter your password.";
  return { ...errors, ...validateServers(f) };
}

/** The order errors are met in the form, to move the focus to the first one. */
export const FIELD_ORDER: readonly FieldKey[] = [
  "displayName",
  "email",
  "password",
  "imap.protocol",
  "imap.host",
  "imap.port",
  "imap.username",
  "imap.auth",
  "pop3.days",
  "pop3.minutes",
  "smtp.host",
  "smtp.port",
  "smtp.username",
  "smtp.auth",
];

/** The `id` of a field's input, shared by every form that shows it. */
export function fieldId(key: FieldKey): string {
  return `acct-${key.replace(".", "-")}`;
}

/** True when either server would carry the password unencrypted: the user must agree first. */
export function needsPlaintextConsent(f: AccountFields): boolean {
  return f.imap.security === "plain" || f.smtp.security === "plain";
}

/** Which servers would be unencrypted, for the warning: "Incoming mail", "Outgoing mail" or both. */
export function plaintextServers(f: AccountFields): string {
  const i = f.imap.security === "plain";
  const o = f.smtp.security === "plain";
  if (i && o) return "Incoming and outgoing mail";
  return i ? "Incoming mail" : o ? "Outgoing mail" : "";
}

function sameHost(a: string, b: string): boolean {
  const norm = (h: string) => h.trim().replace(/\.$/, "").toLowerCase();
  return norm(a) === norm(b);
}

/** The pinned fingerprint to send: only while the host is the one that showed the certificate. */
export function trustedCertFor(server: ServerFields): string | null {
  return server.trusted && sameHost(server.trusted.host, server.host) ? server.trusted.sha256 : null;
}

/**
 * The servers a certificate shown by `host` belongs to: those with that host name. When both use
 * the host, both get it (the same machine usually shows the same certificate on every port; a
 * different one on the other port is reported, and trusted, separately).
 */
export function serversForHost(f: AccountFields, host: string): ServerKind[] {
  return (["imap", "smtp"] as const).filter((k) => sameHost(f[k].host, host));
}

/**
 * Trusts exactly this certificate for the servers that showed it (by host); returns the servers
 * changed. Call only after the user explicitly asked for it.
 */
export function trustCertificate(f: AccountFields, cert: { host: string; sha256: string }): ServerKind[] {
  let kinds = serversForHost(f, cert.host);
  // A host the fields do not name (an alias the server reported): the incoming server is tested
  // first, so its connection is the one that failed.
  if (kinds.length === 0) kinds = ["imap"];
  for (const k of kinds) f[k].trusted = { host: f[k].host.trim(), sha256: cert.sha256 };
  return kinds;
}

function toSettings(s: ServerFields, email: string): ServerSettings {
  return {
    host: s.host.trim(),
    port: parsePort(effectivePort(s)) ?? usualPort(s.protocol, s.security),
    security: s.security,
    username: effectiveUsername(s, email).trim(),
    trusted_cert: trustedCertFor(s),
  };
}

/** The request for `add_account`. Call only when `validateAccount` found nothing. */
export function toNewAccount(f: AccountFields): NewAccount {
  const email = f.email.trim();
  return {
    display_name: f.displayName.trim(),
    email,
    password: f.password,
    protocol: isPop3(f) ? "pop3" : "imap",
    incoming: toSettings(f.imap, email),
    smtp: toSettings(f.smtp, email),
    pop3: isPop3(f) ? fieldsToSettings(f.pop3) : null,
  };
}
