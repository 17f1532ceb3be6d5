/**
 * The "Identities" settings section's rules: the fields of one identity (name, signature, rich
 * text) and the check of a new alias (a name is optional, the address must look like one and not
 * be there already).
 */
import type { Identity } from "./bindings/Identity";
import type { SettingsFormSpec } from "./settingsForm.svelte";
import { invalidRecipients } from "./recipients";

export interface IdentityFields {
  name: string;
  signature: string;
  richText: boolean;
}

export type IdentityErrors = { name?: string };

export function identityFields(identity: Identity): IdentityFields {
  return { name: identity.name, signature: identity.signature, richText: identity.rich_text };
}

/** How one identity's fields are checked and saved (`SettingsForm`). */
export function identitySpec(write: (identity: Identity) => Promise<unknown>, onsaved: () => void): SettingsFormSpec<Identity, IdentityFields, IdentityErrors> {
  return {
    toFields: identityFields,
    fromFields: (f, saved) => (f.name.includes("<") || f.name.includes(">") ? null : { ...saved, name: f.name.trim(), signature: f.signature.replace(/\s+$/, ""), rich_text: f.richText }),
    validate: (f) => (f.name.includes("<") || f.name.includes(">") ? { name: "A name cannot hold < or >." } : {}),
    changed: (f, saved) => f.name.trim() !== saved.name || f.signature.replace(/\s+$/, "") !== saved.signature || f.richText !== saved.rich_text,
    write,
    writeError: "The identity could not be saved.",
    onsaved,
  };
}

/** Why the alias cannot be added as typed, or null. */
export function aliasProblem(name: string, email: string, existing: readonly Identity[]): string | null {
  const address = email.trim();
  if (address === "") return "Type the address the alias sends from.";
  if (address.includes(",") || invalidRecipients(address).length > 0) return `This does not look like an e-mail address: ${address}`;
  if (name.includes("<") || name.includes(">")) return "A name cannot hold < or >.";
  if (existing.some((i) => i.email.toLowerCase() === address.toLowerCase())) return `${address} is already one of this account's identities.`;
  return null;
}

/** A new alias of `accountId`, as `addIdentity` takes it (the engine gives the id). */
export function newAlias(accountId: number, name: string, email: string, like: Identity | undefined): Identity {
  return {
    id: 0,
    account_id: accountId,
    name: name.trim(),
    email: email.trim(),
    signature: "",
    rich_text: like?.rich_text ?? true,
    is_default: false,
  };
}
