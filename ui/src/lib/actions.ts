/**
 * Pure logic for the actions on the open message: which row to select once a message left the
 * list, and which single-key shortcut does what.
 */

/** A user action reachable from a single key (outside text fields and dialogs). */
export type ShortcutAction = "new" | "reply" | "replyAll" | "forward" | "delete" | "archive" | "toggleRead" | "toggleFlag";

/**
 * The action of a key press, or null. Modifier keys are checked by the caller; letters work in
 * either case (Shift+R is reply all: `shift` tells it from Caps Lock). F forwards, as in Gmail and
 * Mailspring; S flags. j/k and the arrows belong to the message list, not here.
 */
export function shortcutFor(key: string, shift = false): ShortcutAction | null {
  switch (key) {
    case "n":
    case "N":
      return "new";
    case "r":
    case "R":
      return shift ? "replyAll" : "reply";
    case "Delete":
    case "Backspace":
      return "delete";
    case "a":
    case "A":
      return "archive";
    case "u":
    case "U":
      return "toggleRead";
    case "f":
    case "F":
      return "forward";
    case "s":
    case "S":
      return "toggleFlag";
    default:
      return null;
  }
}

/**
 * The row to select, as an index in the list *before* the removal, once the message at `index` is
 * removed from a list of `total` rows: the next one, or the previous one when it was the last;
 * -1 when the list is then empty (or `index` is not a row).
 */
export function nextAfterRemoval(index: number, total: number): number {
  if (index < 0 || index >= total || total <= 1) return -1;
  return index + 1 < total ? index + 1 : index - 1;
}

/** The same row's index once the removed row (at `removed`) is gone from the list. */
export function indexAfterRemoval(oldIndex: number, removed: number): number {
  return oldIndex > removed ? oldIndex - 1 : oldIndex;
}
