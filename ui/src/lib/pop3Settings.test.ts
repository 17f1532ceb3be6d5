import { describe, expect, it } from "vitest";
import {
  DEFAULT_POP3,
  defaultPop3Fields,
  describePop3,
  fieldsToSettings,
  pop3FieldsChanged,
  settingsToFields,
  validatePop3,
} from "./pop3Settings";

describe("POP3 download settings as a form", () => {
  it("round-trips the engine's settings", () => {
    expect(fieldsToSettings(settingsToFields(DEFAULT_POP3))).toEqual(DEFAULT_POP3);
    const s = { leave_on_server: true, delete_after_days: 30, delete_when_deleted_locally: false, check_every_minutes: 5 };
    expect(fieldsToSettings(settingsToFields(s))).toEqual(s);
  });

  it("starts from the provider's file when it says something", () => {
    expect(defaultPop3Fields()).toMatchObject({ leaveOnServer: true, deleteAfter: false, deleteWhenDeletedHere: true, minutes: "10" });
    expect(defaultPop3Fields({ leave_messages_on_server: false, days_to_leave_messages_on_server: null }).leaveOnServer).toBe(false);
    expect(defaultPop3Fields({ leave_messages_on_server: true, days_to_leave_messages_on_server: 7 })).toMatchObject({
      leaveOnServer: true,
      deleteAfter: true,
      days: "7",
    });
  });

  it("checks minutes and days in plain words", () => {
    const f = settingsToFields(DEFAULT_POP3);
    expect(validatePop3(f)).toEqual({});
    expect(validatePop3({ ...f, minutes: "" }).minutes).toMatch(/how often/);
    expect(validatePop3({ ...f, minutes: "0" }).minutes).toBe("Enter at least 1 minute.");
    expect(validatePop3({ ...f, minutes: "2.5" }).minutes).toMatch(/whole number/);
    expect(validatePop3({ ...f, minutes: "100000" }).minutes).toMatch(/at most 1,440/);
    // The days count only while they are used.
    expect(validatePop3({ ...f, days: "0" })).toEqual({});
    expect(validatePop3({ ...f, deleteAfter: true, days: "0" }).days).toMatch(/at least 1 day/);
    expect(validatePop3({ ...f, deleteAfter: true, days: "x" }).days).toMatch(/whole number/);
    expect(validatePop3({ ...f, deleteAfter: true, days: "" }).days).toMatch(/number of days/);
    expect(validatePop3({ ...f, leaveOnServer: false, deleteAfter: true, days: "0" })).toEqual({});
    expect(fieldsToSettings({ ...f, minutes: "0" })).toBeNull();
  });

  it("sends no days and no 'when deleted here' choice while nothing is left on the server", () => {
    const f = { ...settingsToFields(DEFAULT_POP3), leaveOnServer: false, deleteAfter: true, days: "3", deleteWhenDeletedHere: false };
    expect(fieldsToSettings(f)).toEqual({ ...DEFAULT_POP3, leave_on_server: false });
    expect(fieldsToSettings({ ...f, leaveOnServer: true })).toEqual({
      leave_on_server: true,
      delete_after_days: 3,
      delete_when_deleted_locally: false,
      check_every_minutes: 10,
    });
  });

  it("knows unsaved changes, also while half-typed", () => {
    const f = settingsToFields(DEFAULT_POP3);
    expect(pop3FieldsChanged(f, DEFAULT_POP3)).toBe(false);
    expect(pop3FieldsChanged({ ...f, minutes: " 10 " }, DEFAULT_POP3)).toBe(false);
    expect(pop3FieldsChanged({ ...f, minutes: "" }, DEFAULT_POP3)).toBe(true);
    expect(pop3FieldsChanged({ ...f, leaveOnServer: false }, DEFAULT_POP3)).toBe(true);
    // Days typed while "delete after" is off are not used: no change.
    expect(pop3FieldsChanged({ ...f, days: "3" }, DEFAULT_POP3)).toBe(false);
  });

  it("says what happens in a sentence", () => {
    expect(describePop3(DEFAULT_POP3)).toBe(
      "Petrel checks for new mail every 10 minutes. Messages stay on the server; each is deleted from it when you delete it here.",
    );
    expect(describePop3({ ...DEFAULT_POP3, leave_on_server: false, check_every_minutes: 1 })).toBe(
      "Petrel checks for new mail every minute. Each message is deleted from the server as soon as it is safely stored on this computer.",
    );
    expect(describePop3({ ...DEFAULT_POP3, delete_after_days: 14 })).toMatch(/14 days after it was downloaded, or when you delete it here\.$/);
    expect(describePop3({ ...DEFAULT_POP3, delete_when_deleted_locally: false })).toMatch(/Messages stay on the server\.$/);
  });
});
