/**
 * Names and paths as SharePoint treats them: case-insensitive matching, per-segment
 * percent-encoding in URLs, and the MIME type it reports for an extension.
 * @module
 */

const MIME_TYPES: Record<string, string> = {
  csv: "text/csv",
  txt: "text/plain",
  json: "application/json",
  xml: "application/xml",
  pdf: "application/pdf",
  zip: "application/zip",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  png: "image/png",
  jpg: "image/jpeg",
};

/** The MIME type SharePoint would report for `name`. */
export function mimeTypeOf(name: string): string {
  const ext = name.includes(".") ? name.slice(name.lastIndexOf(".") + 1).toLowerCase() : "";
  return MIME_TYPES[ext] ?? "application/octet-stream";
}

const ZIP = [0x50, 0x4b, 0x03, 0x04];
const SIGNATURES: Record<string, number[]> = {
  xlsx: ZIP,
  docx: ZIP,
  pptx: ZIP,
  zip: ZIP,
  pdf: [...new TextEncoder().encode("%PDF-1.7\n")],
  jpg: [0xff, 0xd8, 0xff, 0xe0],
  jpeg: [0xff, 0xd8, 0xff, 0xe0],
  png: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
};

/**
 * The first bytes a real file named `name` starts with (its format's magic number), for
 * generated content; undefined for formats without one (CSV, text).
 */
export function formatSignature(name: string): Uint8Array | undefined {
  const ext = name.includes(".") ? name.slice(name.lastIndexOf(".") + 1).toLowerCase() : "";
  const signature = SIGNATURES[ext];
  return signature === undefined ? undefined : Uint8Array.from(signature);
}

/** The case-insensitive key SharePoint matches names with. */
export function nameKey(name: string): string {
  return name.normalize("NFC").toLowerCase();
}

/** Splits "a/b/c" into segments, ignoring empty ones ("/a//b/" → ["a", "b"]). */
export function splitPath(path: string): string[] {
  return path.split("/").filter((segment) => segment !== "");
}

/** Percent-encodes each segment and joins them with "/" (leading "/" included). */
export function encodePath(segments: readonly string[]): string {
  return segments.map((segment) => `/${encodeURIComponent(segment)}`).join("");
}
