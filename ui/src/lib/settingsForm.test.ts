import { describe, expect, it, vi } from "vitest";
import { SettingsForm, type SettingsFormSpec } from "./settingsForm.svelte";

type Saved = { n: number };
type Fields = { n: string };
type Errors = Partial<Record<"n", string>>;

function spec(over: Partial<SettingsFormSpec<Saved, Fields, Errors>> = {}): SettingsFormSpec<Saved, Fields, Errors> {
  const valid = (f: Fields) => /^\d+$/.test(f.n.trim());
  return {
    toFields: (s) => ({ n: String(s.n) }),
    fromFields: (f) => (valid(f) ? { n: Number(f.n) } : null),
    validate: (f) => (valid(f) ? {} : { n: "Enter a number." }),
    changed: (f, s) => f.n.trim() !== String(s.n),
    write: vi.fn(async () => null),
    writeError: "Could not save.",
    ...over,
  };
}

describe("SettingsForm", () => {
  it("shows the given fields until it has loaded, then what the engine has", async () => {
    const form = new SettingsForm(spec({ read: async () => ({ n: 3 }) }), null, { n: "" });
    expect(form.fields).toEqual({ n: "" });
    expect(form.dirty).toBe(false);
    expect(form.preview).toBeNull();
    expect(await form.save()).toBe(false);
    await form.load();
    expect(form.saved).toEqual({ n: 3 });
    expect(form.fields).toEqual({ n: "3" });
    expect(form.preview).toEqual({ n: 3 });
  });

  it("says why it could not load", async () => {
    const form = new SettingsForm(spec({ read: () => Promise.reject(new Error("gone")), readError: "Could not read." }), null, {
      n: "",
    });
    await form.load();
    expect(form.loading).toBe(false);
    expect(form.saved).toBeNull();
    expect(form.error?.summary).toBe("Could not read.");
  });

  it("edits, shows errors once a save was tried, saves, says so until the next edit, and undoes", async () => {
    const onsaved = vi.fn();
    const write = vi.fn(async () => null);
    const form = new SettingsForm(spec({ write, onsaved }), { n: 1 }, { n: "" });
    form.fields.n = "x";
    expect(form.errors).toEqual({});
    expect(await form.save()).toBe(false);
    expect(form.errors).toEqual({ n: "Enter a number." });
    form.revert();
    expect(form.fields).toEqual({ n: "1" });
    expect(form.errors).toEqual({});
    form.fields.n = "7";
    expect(form.dirty).toBe(true);
    expect(await form.save()).toBe(true);
    expect(write).toHaveBeenCalledWith({ n: 7 });
    expect(onsaved).toHaveBeenCalledTimes(1);
    expect([form.dirty, form.justSaved]).toEqual([false, true]);
    form.edited();
    expect(form.justSaved).toBe(false);
  });

  it("keeps the fields and says why when saving fails", async () => {
    const form = new SettingsForm(spec({ write: () => Promise.reject(new Error("refused")) }), { n: 1 }, { n: "" });
    form.fields.n = "2";
    expect(await form.save()).toBe(false);
    expect(form.error?.summary).toBe("Could not save.");
    expect([form.dirty, form.saving, form.justSaved]).toEqual([true, false, false]);
  });
});
