/** What every settings section is given (see sections.ts). */
import type { Account } from "../../lib/bindings/Account";

export interface SectionProps {
  account: Account;
  /**
   * Says whether the section holds edits not saved yet; the dialog asks before closing over them.
   * Sections that only show things never call it.
   */
  ondirty: (dirty: boolean) => void;
  /** The section saved something that is part of `Account`: the account list is read again. */
  onchanged: () => void;
}
