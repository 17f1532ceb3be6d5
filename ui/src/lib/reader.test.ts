import { beforeEach, describe, expect, it, vi } from "vitest";
import type { MessageView } from "./bindings/MessageView";

const api = {
  getMessage: vi.fn<(id: number) => Promise<MessageView>>(),
  chooseSavePath: vi.fn<(name: string) => Promise<string | null>>(),
  saveAttachment: vi.fn<(messageId: number, index: number, path: string) => Promise<number>>(),
  openAttachment: vi.fn<(messageId: number, index: number) => Promise<null>>(),
};
vi.mock("./api", () => api);

const { ReaderState } = await import("./reader.svelte");

const view = (id: number): MessageView => ({
  summary: {
    id,
    folder_id: 1,
    subject: "Data",
    from: null,
    date: 0,
    snippet: "",
    seen: true,
    flagged: false,
    answered: false,
    has_attachments: true,
  },
  to: [],
  cc: [],
  reply_to: [],
  message_id: null,
  text: "Hi",
  attachments: [{ filename: "../Messdaten März.bin", mime_type: "application/octet-stream", size: 20 << 20 }],
});

const wait = (ms = 0) => new Promise((r) => setTimeout(r, ms));

async function opened(id = 5) {
  api.getMessage.mockImplementation(async (i) => view(i));
  const reader = new ReaderState(() => {});
  reader.show(id);
  await wait(100);
  expect(reader.current?.summary.id).toBe(id);
  return reader;
}

describe("saving attachments", () => {
  beforeEach(() => {
    vi.clearAllMocks();
  });

  it("asks where with the sender's name made safe, then saves there", async () => {
    const reader = await opened();
    api.chooseSavePath.mockResolvedValue("/home/ada/Messdaten März.bin");
    let finish: (n: number) => void = () => {};
    api.saveAttachment.mockImplementation(() => new Promise((r) => (finish = r)));
    const done = reader.saveAttachment(0);
    await wait();
    expect(api.chooseSavePath).toHaveBeenCalledWith("Messdaten März.bin");
    expect(api.saveAttachment).toHaveBeenCalledWith(5, 0, "/home/ada/Messdaten März.bin");
    expect(reader.saves).toEqual({ 0: "saving" });
    finish(20 << 20);
    await done;
    expect(reader.saves).toEqual({ 0: "saved" });
    expect(reader.saveError).toBeNull();
  });

  it("does nothing when the dialog is cancelled", async () => {
    const reader = await opened();
    api.chooseSavePath.mockResolvedValue(null);
    await reader.saveAttachment(0);
    expect(api.saveAttachment).not.toHaveBeenCalled();
    expect(reader.saves).toEqual({});
  });

  it("shows why a save failed, and forgets it on the next message", async () => {
    const reader = await opened();
    api.chooseSavePath.mockResolvedValue("/nope/x.bin");
    api.saveAttachment.mockRejectedValue({ kind: "storage", summary: "Petrel could not save to “/nope/x.bin”.", detail: "", certificate: null, help_url: null });
    await reader.saveAttachment(0);
    expect(reader.saves).toEqual({});
    expect(reader.saveError?.summary).toContain("could not save");
    reader.show(6);
    expect(reader.saveError).toBeNull();
  });

  it("opens with the system's app, and says why it could not", async () => {
    const reader = await opened();
    api.openAttachment.mockResolvedValue(null);
    await reader.openAttachment(0);
    expect(api.openAttachment).toHaveBeenCalledWith(5, 0);
    expect(reader.saveError).toBeNull();
    api.openAttachment.mockRejectedValue({ kind: "invalid_input", summary: "“x.bin” may be a program, so Petrel does not open it.", detail: "", certificate: null, help_url: null });
    await reader.openAttachment(0);
    expect(reader.saveError?.summary).toContain("may be a program");
  });

  it("ignores an attachment that is not there", async () => {
    const reader = await opened();
    await reader.saveAttachment(3);
    expect(api.chooseSavePath).not.toHaveBeenCalled();
  });
});
