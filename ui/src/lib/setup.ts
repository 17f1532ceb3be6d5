/**
 * The guided set-up's rules after discovery, without the UI: when the connection test may run,
 * how a failure is explained, how a certificate is shown, and the first sync's progress.
 */
import { isPop3, needsPlaintextConsent, validateServers, type AccountFields } from "./accountForm";
import type { CertificateInfo } from "./bindings/CertificateInfo";
import type { DiscoveredConfig } from "./bindings/DiscoveredConfig";
import type { UserError } from "./bindings/UserError";
import { configBlocker, needsConfirmation } from "./discovery";
import { formatCount } from "./format";
import { validatePop3 } from "./pop3Settings";

export interface ReadinessInput {
  /** The found settings, or null when the user enters them by hand. */
  config: DiscoveredConfig | null;
  /** True once the user has the fields in front of them (Edit, or nothing was found). */
  editing: boolean;
  fields: AccountFields;
  /** "Use these settings" was clicked (needed when the settings are untrusted). */
  confirmed: boolean;
  /** "Send my password unencrypted" is ticked (needed when a server uses no encryption). */
  consented: boolean;
}

export const CONFIRM_FIRST = "Check the settings above and choose “Use these settings” first.";
export const CONSENT_FIRST = "Tick “Send my password unencrypted”, or choose an encrypted connection.";
export const FIX_FIELDS = "Correct the settings marked above.";
export const PASSWORD_FIRST = "Enter your password.";

/** What still stands between the user and the connection test; empty when it may run. */
export function testBlockers(input: ReadinessInput): string[] {
  const { config, editing, fields } = input;
  if (config?.unsupported) return [config.unsupported];
  const reasons: string[] = [];
  if (editing) {
    if (Object.keys(validateServers(fields)).length > 0) reasons.push(FIX_FIELDS);
  } else if (config) {
    const blocker = configBlocker(config, fields.imap.protocol === "pop3" ? "pop3" : "imap");
    if (blocker) reasons.push(blocker.reason);
    else if (isPop3(fields) && Object.keys(validatePop3(fields.pop3)).length > 0) reasons.push(FIX_FIELDS);
  }
  if (fields.password === "") reasons.push(PASSWORD_FIRST);
  if (needsConfirmation(config) && !input.confirmed) reasons.push(CONFIRM_FIRST);
  if (needsPlaintextConsent(fields) && !input.consented) reasons.push(CONSENT_FIRST);
  return reasons;
}

/** A hint that goes with a failed connection test, beyond the engine's own summary. */
export function adviceFor(error: UserError): string | null {
  switch (error.kind) {
    case "auth_failed":
      return "Check your password (capitals count). If your provider wants an app password for mail programs, make one on its website and enter that instead.";
    case "host_not_found":
      return "Check the server names (Edit) and that this computer is online.";
    case "connection_refused":
    case "timeout":
      return "Check the ports and the security settings (Edit). A firewall may also block the connection.";
    case "tls":
      return "Check that the security setting (SSL/TLS or STARTTLS) matches the port (Edit).";
    case "no_encryption":
      return "Choose another port or security setting if your provider offers encryption (Edit).";
    default:
      return null;
  }
}

/** The certificate's fingerprint in lines of eight bytes, easier to compare by eye. */
export function fingerprintLines(sha256: string): string[] {
  const bytes = sha256.trim().toUpperCase().split(":").filter(Boolean);
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 8) lines.push(bytes.slice(i, i + 8).join(":"));
  return lines;
}

/** The validity period as words, saying when it is over or not yet begun. */
export function validityText(cert: Pick<CertificateInfo, "not_before" | "not_after">, now: Date = new Date(), locale?: string): string {
  const fmt = (s: number) => new Date(s * 1000).toLocaleDateString(locale, { year: "numeric", month: "long", day: "numeric" });
  const range = `${fmt(cert.not_before)} to ${fmt(cert.not_after)}`;
  const t = now.getTime() / 1000;
  if (t > cert.not_after) return `${range} (expired)`;
  if (t < cert.not_before) return `${range} (not valid yet)`;
  return range;
}

/** The certificate a failure offers to trust, when there is one. */
export function certificateOf(error: UserError | null): CertificateInfo | null {
  return error?.kind === "certificate_not_trusted" ? error.certificate : null;
}

export interface FirstSync {
  folder: string;
  done: number;
  total: number;
}

/** The line under the first sync's progress bar. */
export function syncText(p: FirstSync | null): string {
  if (!p) return "Starting to fetch your mail…";
  if (p.total <= 0) return `Looking at ${p.folder}…`;
  const n = p.total === 1 ? "1 message" : `${formatCount(p.total)} messages`;
  return `Fetching ${p.folder}: ${formatCount(Math.min(p.done, p.total))} of ${n}`;
}

/** How full the progress bar is (0…1), or null while that is not known. */
export function syncFraction(p: FirstSync | null): number | null {
  if (!p || p.total <= 0) return null;
  return Math.max(0, Math.min(1, p.done / p.total));
}

/** The step number (of three) each view belongs to; the manual form has none. */
export function stepOf(view: "identity" | "settings" | "testing" | "manual" | "done"): 1 | 2 | 3 | null {
  switch (view) {
    case "identity":
      return 1;
    case "settings":
      return 2;
    case "testing":
    case "done":
      return 3;
    case "manual":
      return null;
  }
}

export const STEPS = ["Your account", "Settings", "Test and finish"] as const;
