/**
 * What the guided set-up shows of a discovery, without the UI: the sources in priority order with
 * their states, the found servers as readable lines with a lock kind, where they came from, what
 * stops the user from going on, and the form fields (hence the `NewAccount`) they amount to.
 */
import {
  effectivePort,
  guessedFields,
  toNewAccount,
  usualPort,
  type AccountFields,
  type ServerFields,
  type ServerKind,
} from "./accountForm";
import type { DiscoveredConfig } from "./bindings/DiscoveredConfig";
import type { DiscoveryProgress } from "./bindings/DiscoveryProgress";
import type { DiscoverySource } from "./bindings/DiscoverySource";
import type { DiscoveryState } from "./bindings/DiscoveryState";
import type { IncomingProtocol } from "./bindings/IncomingProtocol";
import type { NewAccount } from "./bindings/NewAccount";
import type { Protocol } from "./bindings/Protocol";
import type { Security } from "./bindings/Security";
import type { ServerConfig } from "./bindings/ServerConfig";
import { defaultPop3Fields } from "./pop3Settings";

/** Highest priority first, as the engine ranks them. */
export const SOURCE_ORDER: readonly DiscoverySource[] = ["provider", "autoconfig", "srv", "mx", "autoconfig_http", "guess"];

const SOURCE_LABELS: Record<DiscoverySource, string> = {
  provider: "Petrel's list of providers",
  autoconfig: "Your provider's configuration file",
  srv: "DNS service records (SRV)",
  mx: "Your domain's mail server (MX)",
  autoconfig_http: "Configuration file over plain HTTP",
  guess: "Trying the usual server names",
};

export function sourceLabel(source: DiscoverySource): string {
  return SOURCE_LABELS[source];
}

/** A source's state, or "waiting" before it has reported anything. */
export type RowState = DiscoveryState | "waiting";

const STATE_LABELS: Record<RowState, string> = {
  waiting: "Waiting",
  looking: "Looking…",
  found: "Found",
  not_found: "Not found",
  skipped: "Skipped",
  failed: "Failed",
};

export function stateLabel(state: RowState): string {
  return STATE_LABELS[state];
}

export type SourceReports = Partial<Record<DiscoverySource, DiscoveryProgress>>;

/** The reports with `p` as its source's latest. */
export function withReport(reports: SourceReports, p: DiscoveryProgress): SourceReports {
  return { ...reports, [p.source]: p };
}

export interface SourceRow {
  source: DiscoverySource;
  label: string;
  state: RowState;
  stateLabel: string;
  detail: string | null;
}

/** One row per source, in priority order, whether it has reported yet or not. */
export function sourceRows(reports: SourceReports): SourceRow[] {
  return SOURCE_ORDER.map((source) => {
    const r = reports[source];
    const state: RowState = r?.state ?? "waiting";
    return { source, label: sourceLabel(source), state, stateLabel: stateLabel(state), detail: r?.detail ?? null };
  });
}

const FOUND_IN: Record<DiscoverySource, string> = {
  provider: "Found in Petrel's list of providers",
  autoconfig: "Found in your provider's configuration file",
  srv: "Found through DNS",
  mx: "Found through DNS: your domain's mail is handled by a provider Petrel knows",
  autoconfig_http: "Found in your provider's configuration file, fetched without encryption",
  guess: "Found by trying the usual server names",
};

/** Where the settings came from, as a sentence. */
export function foundInText(source: DiscoverySource): string {
  return FOUND_IN[source];
}

// ---- servers as lines

/** Which lock a connection gets: encrypted from the start, encrypted after connecting, or none. */
export type LockKind = "tls" | "starttls" | "none";

export function lockKind(security: Security): LockKind {
  return security === "plain" ? "none" : security;
}

const SECURITY_TEXT: Record<Security, string> = { tls: "SSL/TLS", starttls: "STARTTLS", plain: "No encryption" };

export function securityLabel(security: Security): string {
  return SECURITY_TEXT[security];
}

const LOCK_TEXT: Record<LockKind, string> = {
  tls: "Encrypted from the start (SSL/TLS)",
  starttls: "Encrypted after connecting (STARTTLS)",
  none: "Not encrypted: your password and mail can be read on the way",
};

/** What the lock means, for its tooltip and screen readers. */
export function lockDescription(kind: LockKind): string {
  return LOCK_TEXT[kind];
}

export function protocolLabel(protocol: Protocol): string {
  return protocol.toUpperCase();
}

export interface ServerLine {
  direction: "Incoming" | "Outgoing";
  protocol: string;
  host: string;
  port: number;
  security: string;
  lock: LockKind;
}

/** A server as the summary shows it. */
export function serverLine(direction: ServerLine["direction"], s: Pick<ServerConfig, "protocol" | "host" | "port" | "security">): ServerLine {
  return {
    direction,
    protocol: protocolLabel(s.protocol),
    host: s.host,
    port: s.port,
    security: securityLabel(s.security),
    lock: lockKind(s.security),
  };
}

/** The same from the form's fields. */
export function fieldsLine(kind: ServerKind, s: ServerFields): ServerLine {
  const port = Number(effectivePort(s));
  return serverLine(kind === "imap" ? "Incoming" : "Outgoing", {
    protocol: s.protocol,
    host: s.host.trim(),
    port: Number.isFinite(port) ? port : usualPort(s.protocol, s.security),
    security: s.security,
  });
}

/** "Incoming: IMAP · imap.example.org · port 993 · SSL/TLS" */
export function serverLineText(line: ServerLine): string {
  return `${line.direction}: ${line.protocol} · ${line.host} · port ${line.port} · ${line.security}`;
}

/** The best IMAP and the best POP3 server found (each null when none was). */
export function incomingChoices(config: DiscoveredConfig): Record<IncomingProtocol, ServerConfig | null> {
  return {
    imap: config.incoming.find((s) => s.protocol === "imap") ?? null,
    pop3: config.incoming.find((s) => s.protocol === "pop3") ?? null,
  };
}

/** Both IMAP and POP3 were found: the user may choose (IMAP is the default). */
export function offersProtocolChoice(config: DiscoveredConfig): boolean {
  const c = incomingChoices(config);
  return c.imap !== null && c.pop3 !== null;
}

/** The protocol used unless the user picks the other: IMAP when it was found, else POP3. */
export function defaultProtocol(config: DiscoveredConfig): IncomingProtocol {
  const c = incomingChoices(config);
  return c.imap === null && c.pop3 !== null ? "pop3" : "imap";
}

export interface ProtocolChoice {
  value: IncomingProtocol;
  label: string;
  description: string;
}

/** The two ways to receive mail, in the words the set-up offers them (as Thunderbird does). */
export const INCOMING_CHOICES: readonly ProtocolChoice[] = [
  { value: "imap", label: "IMAP (recommended)", description: "Mail stays on the server, in sync on all your devices." },
  { value: "pop3", label: "POP3", description: "Downloads mail to this computer." },
];

/**
 * The servers Petrel would use: the incoming server of the chosen protocol when it was found (by
 * default IMAP, else POP3), the first SMTP server.
 */
export function pickServers(
  config: DiscoveredConfig,
  protocol: IncomingProtocol = defaultProtocol(config),
): { incoming: ServerConfig | null; outgoing: ServerConfig | null } {
  const c = incomingChoices(config);
  const incoming = c[protocol] ?? c.imap ?? c.pop3 ?? null;
  const outgoing = config.outgoing.find((s) => s.protocol === "smtp") ?? null;
  return { incoming, outgoing };
}

// ---- what stops the user

export const NO_INCOMING = "No incoming mail server was found; enter it by hand.";
export const NO_OUTGOING = "No outgoing mail (SMTP) server was found; enter it by hand.";
export const OAUTH_ONLY =
  "This provider lets mail programs sign in only through its own page (OAuth), which Petrel cannot do yet.";

export interface Blocker {
  reason: string;
  /** True when entering other settings by hand may help ("Edit"); false when nothing will. */
  canEdit: boolean;
}

/** Why the found settings cannot be used as they are, or null when they can. */
export function configBlocker(config: DiscoveredConfig, protocol?: IncomingProtocol): Blocker | null {
  if (config.unsupported) return { reason: config.unsupported, canEdit: false };
  const { incoming, outgoing } = pickServers(config, protocol);
  if (!incoming) return { reason: NO_INCOMING, canEdit: true };
  if (!outgoing) return { reason: NO_OUTGOING, canEdit: true };
  if (incoming.auth === "oauth2" || outgoing.auth === "oauth2") return { reason: OAUTH_ONLY, canEdit: true };
  return null;
}

/** Settings that came over an unauthenticated channel need the user's explicit OK. */
export function needsConfirmation(config: DiscoveredConfig | null): boolean {
  return config !== null && !config.trusted;
}

/** Why the settings need confirming, in plain words. */
export function confirmationText(config: DiscoveredConfig): string {
  if (config.source === "autoconfig_http") {
    return "These settings came from a file fetched without encryption, so someone on your network could have changed them. Check that the server names belong to your provider before using them.";
  }
  return "Petrel could not make sure these settings are genuine. Check that the server names belong to your provider before using them.";
}

/** Only web links are shown as links. */
export function safeUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === "https:" || u.protocol === "http:" ? u.href : null;
  } catch {
    return null;
  }
}

// ---- from found settings to the form and the request

/** A found server as the form's fields. */
export function serverFields(s: ServerConfig, email: string): ServerFields {
  const usual = usualPort(s.protocol, s.security);
  return {
    protocol: s.protocol,
    host: s.host,
    security: s.security,
    // The usual port follows a later change of security; any other is kept as found.
    port: s.port === usual ? null : String(s.port),
    username: s.username === "" || s.username === email.trim() ? null : s.username,
    auth: s.auth,
    trusted: null,
  };
}

/**
 * The form filled from found settings, with the incoming server of `protocol` (by default IMAP
 * when found, else POP3). The POP3 options start from what the provider's configuration file
 * says, if anything. Missing parts are the usual guesses.
 */
export function fieldsFromConfig(
  config: DiscoveredConfig,
  identity: Pick<AccountFields, "displayName" | "email" | "password">,
  protocol?: IncomingProtocol,
): AccountFields {
  const f = guessedFields(identity);
  const { incoming, outgoing } = pickServers(config, protocol);
  if (incoming) f.imap = serverFields(incoming, identity.email);
  if (outgoing) f.smtp = serverFields(outgoing, identity.email);
  f.pop3 = defaultPop3Fields(incomingChoices(config).pop3?.pop3 ?? null);
  return f;
}

/** The `add_account` request for found settings used as they are. */
export function newAccountFromConfig(
  config: DiscoveredConfig,
  identity: Pick<AccountFields, "displayName" | "email" | "password">,
  protocol?: IncomingProtocol,
): NewAccount {
  return toNewAccount(fieldsFromConfig(config, identity, protocol));
}
