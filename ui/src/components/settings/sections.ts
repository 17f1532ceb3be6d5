/**
 * The account settings screen's sections, in the order of its side list. To add one
 * (notifications, identity…): write a component taking `SectionProps` that renders a `Section`
 * (and saves itself, reporting unsaved edits through `ondirty`), then add it here, with `shown`
 * when it applies to some accounts only. The dialog needs no change.
 */
import type { Component } from "svelte";
import type { Account } from "../../lib/bindings/Account";
import AccountInfoSection from "./AccountInfoSection.svelte";
import IdentitiesSection from "./IdentitiesSection.svelte";
import NotificationsSection from "./NotificationsSection.svelte";
import OfflineSection from "./OfflineSection.svelte";
import Pop3Section from "./Pop3Section.svelte";
import type { SectionProps } from "./types";

export interface SettingsSection {
  /** Stable: used in element ids, test ids and `openAccountSettings(…, section)`. */
  id: string;
  /** The name in the side list. */
  title: string;
  component: Component<SectionProps>;
  /** Whether the section applies to this account (always, when absent). */
  shown?: (account: Account) => boolean;
}

const isPop3 = (a: Account) => a.protocol === "pop3";

export const SECTIONS: readonly SettingsSection[] = [
  { id: "account", title: "Account", component: AccountInfoSection },
  { id: "identities", title: "Identities", component: IdentitiesSection },
  // POP3 downloads every message anyway: there is nothing to choose about bodies.
  { id: "offline", title: "Offline & downloads", component: OfflineSection, shown: (a) => !isPop3(a) },
  { id: "pop3", title: "Downloads (POP3)", component: Pop3Section, shown: isPop3 },
  { id: "notifications", title: "Notifications", component: NotificationsSection },
];

/** The sections of this account's settings screen, in order. */
export function sectionsFor(account: Account): SettingsSection[] {
  return SECTIONS.filter((s) => s.shown?.(account) ?? true);
}
