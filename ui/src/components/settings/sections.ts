/**
 * The account settings screen's sections, in the order of its side list. To add one (POP3
 * download options, notifications, identity…): write a component taking `SectionProps` that
 * renders a `Section` (and saves itself, reporting unsaved edits through `ondirty`), then add it
 * here. The dialog needs no change.
 */
import type { Component } from "svelte";
import AccountInfoSection from "./AccountInfoSection.svelte";
import OfflineSection from "./OfflineSection.svelte";
import type { SectionProps } from "./types";

export interface SettingsSection {
  /** Stable: used in element ids, test ids and `openAccountSettings(…, section)`. */
  id: string;
  /** The name in the side list. */
  title: string;
  component: Component<SectionProps>;
}

export const SECTIONS: readonly SettingsSection[] = [
  { id: "account", title: "Account", component: AccountInfoSection },
  { id: "offline", title: "Offline & downloads", component: OfflineSection },
];
