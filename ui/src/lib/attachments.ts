/** Pure attachment logic for the reader's chips: what kind of file, its label, a safe file name. */
import type { AttachmentInfo } from "./bindings/AttachmentInfo";
import { formatSize } from "./format";

export type AttachmentKind = "image" | "document" | "archive" | "media" | "file";

const ARCHIVES = new Set([
  "application/zip",
  "application/gzip",
  "application/x-gzip",
  "application/x-tar",
  "application/x-7z-compressed",
  "application/x-rar-compressed",
  "application/vnd.rar",
  "application/x-bzip2",
  "application/x-xz",
]);

const DOCUMENT_EXTENSIONS = new Set(["pdf", "txt", "csv", "doc", "docx", "odt", "ods", "xls", "xlsx", "ppt", "pptx", "odp", "rtf", "md", "ics"]);
const ARCHIVE_EXTENSIONS = new Set(["zip", "gz", "tgz", "tar", "7z", "rar", "bz2", "xz"]);
const IMAGE_EXTENSIONS = new Set(["png", "jpg", "jpeg", "gif", "webp", "svg", "heic", "bmp", "tif", "tiff"]);
const MEDIA_EXTENSIONS = new Set(["mp3", "m4a", "ogg", "opus", "wav", "flac", "mp4", "mov", "mkv", "webm", "avi"]);

function extension(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
}

/**
 * The kind of file, for its icon: by MIME type, or by the file name's extension when the type
 * says nothing (`application/octet-stream`, which many mail programs send for everything).
 */
export function attachmentKind(a: Pick<AttachmentInfo, "mime_type" | "filename">): AttachmentKind {
  const type = a.mime_type.toLowerCase();
  const [major] = type.split("/");
  if (major === "image") return "image";
  if (major === "audio" || major === "video") return "media";
  if (ARCHIVES.has(type)) return "archive";
  if (major === "text" || type === "application/pdf" || type.startsWith("application/vnd.oasis.opendocument") || type.startsWith("application/vnd.openxmlformats") || type === "application/msword") {
    return "document";
  }
  const ext = extension(a.filename);
  if (IMAGE_EXTENSIONS.has(ext)) return "image";
  if (MEDIA_EXTENSIONS.has(ext)) return "media";
  if (ARCHIVE_EXTENSIONS.has(ext)) return "archive";
  if (DOCUMENT_EXTENSIONS.has(ext)) return "document";
  return "file";
}

/**
 * A name the save dialog can propose: the sender's file name without folders, control
 * characters or characters file systems refuse, not hidden, not empty.
 */
export function safeFileName(name: string): string {
  const base = name.split(/[/\\]/).pop() ?? "";
  const cleaned = base
    .replace(/[\u0000-\u001f\u007f<>:"|?*]/g, "_")
    .replace(/^[\s.]+/, "")
    .trim()
    .slice(0, 200);
  return cleaned || "attachment";
}

/** File name extensions of programs, scripts, installers and shortcuts (the engine's list, `bodies::RUNNABLE`). */
const RUNNABLE = new Set(
  (
    "exe msi msp bat cmd com scr pif cpl vbs vbe js jse mjs wsf wsh hta ps1 psm1 psd1 reg lnk url inf sh bash zsh csh ksh fish " +
    "command tool app dmg pkg mpkg deb rpm appimage flatpak snap run bin elf so dll jar jnlp apk desktop py pyw pl rb php iso " +
    "img vhd vhdx docm xlsm pptm library-ms scf xll appref-ms application gadget msc ws"
  ).split(" "),
);

const RUNNABLE_TYPES = new Set([
  "application/x-msdownload",
  "application/x-msdos-program",
  "application/x-msi",
  "application/x-ms-installer",
  "application/vnd.microsoft.portable-executable",
  "application/x-executable",
  "application/x-elf",
  "application/x-sharedlib",
  "application/x-sh",
  "application/x-shellscript",
  "application/x-csh",
  "application/x-perl",
  "application/x-python",
  "application/java-archive",
  "application/x-java-archive",
  "application/x-java-jnlp-file",
  "application/javascript",
  "text/javascript",
  "application/x-bat",
  "application/hta",
  "application/x-apple-diskimage",
  "application/vnd.debian.binary-package",
  "application/x-rpm",
  "application/vnd.android.package-archive",
  "application/x-desktop",
]);

/**
 * Whether "Open" is offered: never for what its name or type says is a program, script,
 * installer or shortcut (the engine refuses those too; they can only be saved).
 */
export function canOpen(a: Pick<AttachmentInfo, "mime_type" | "filename">): boolean {
  const name = a.filename.trim().replace(/[. ]+$/, "").toLowerCase();
  const dot = name.lastIndexOf(".");
  const ext = dot >= 0 ? name.slice(dot + 1) : "";
  return name !== "" && !RUNNABLE.has(ext) && !RUNNABLE_TYPES.has(a.mime_type.trim().toLowerCase());
}

export interface AttachmentChip {
  index: number;
  name: string;
  size: string;
  kind: AttachmentKind;
  /** "Open" is offered (not a program). */
  openable: boolean;
  /** The tooltip: name, type and size. */
  title: string;
}

/** What each chip shows, in the message's order (the index is the engine's attachment number). */
export function attachmentChips(attachments: readonly AttachmentInfo[], locale?: string): AttachmentChip[] {
  return attachments.map((a, index) => {
    const name = a.filename || "(unnamed)";
    const size = formatSize(a.size, locale);
    return {
      index,
      name,
      size,
      kind: attachmentKind(a),
      openable: canOpen(a),
      title: `${name} — ${a.mime_type || "unknown type"}, ${size}`,
    };
  });
}
