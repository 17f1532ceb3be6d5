import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Pop3Settings } from "./bindings/Pop3Settings";
import { DEFAULT_POP3 } from "./pop3Settings";

const api = { setPop3Settings: vi.fn(async (_id: number, _s: Pop3Settings) => null) };
vi.mock("./api", () => api);

const { Pop3Form } = await import("./pop3Form.svelte");

const saved: Pop3Settings = { ...DEFAULT_POP3 };

describe("Pop3Form", () => {
  beforeEach(() => vi.clearAllMocks());

  it("saves through set_pop3_settings and has the account list read again", async () => {
    const onsaved = vi.fn();
    const form = new Pop3Form(4, saved, onsaved);
    expect(form.dirty).toBe(false);
    form.fields.leaveOnServer = false;
    expect(form.dirty).toBe(true);
    expect(await form.save()).toBe(true);
    expect(api.setPop3Settings).toHaveBeenCalledWith(4, { ...saved, leave_on_server: false });
    expect(onsaved).toHaveBeenCalledTimes(1);
    expect(form.dirty).toBe(false);
    expect(form.justSaved).toBe(true);
  });

  it("shows field errors instead of saving, and the engine's refusal when it refuses", async () => {
    const form = new Pop3Form(4, saved, () => {});
    form.fields.minutes = "0";
    expect(form.errors).toEqual({});
    expect(await form.save()).toBe(false);
    expect(form.errors.minutes).toBe("Enter at least 1 minute.");
    expect(api.setPop3Settings).not.toHaveBeenCalled();
    form.revert();
    form.fields.minutes = "5";
    api.setPop3Settings.mockRejectedValueOnce({ kind: "invalid_input", summary: "Not a POP3 account.", detail: "", certificate: null, help_url: null });
    expect(await form.save()).toBe(false);
    expect(form.error?.summary).toBe("Not a POP3 account.");
    expect(form.dirty).toBe(true);
  });
});
