/**
 * "What arrives must be the file" (real-sharepoint-quirks.md §4, §22): the download host can
 * answer 200 with bytes that are not the file: SharePoint's HTML error page
 * (OneDrive/onedrive-api-docs#1195), a 65-byte stub of a malware-flagged file (rclone#7934), or an
 * encrypted container of an IRM-protected or sensitivity-labelled Office document
 * (msgraph-sdk-dotnet#2462). Size and hash catch these, except for the types SharePoint rewrites
 * (`rewritten_extensions`), whose size and hash are not expected to match. This module is the
 * pure decision; the caller reads the first bytes and the answer's `Content-Type`.
 * @module
 */
import { OOXML_EXTENSIONS as OOXML_NAMES } from "../file_types.ts";
import { extensionOf, type Verification } from "./verification.ts";

/** Bytes of the file's start that {@link checkBody} needs. */
export const SIGNATURE_BYTES = 8;

/** Names that may legitimately be served as `text/html`. */
const HTML_EXTENSIONS: ReadonlySet<string> = new Set(["htm", "html", "aspx", "xhtml", "mht"]);

const OOXML = [0x50, 0x4b, 0x03, 0x04]; // "PK\x03\x04": a ZIP container
const PDF = [0x25, 0x50, 0x44, 0x46, 0x2d]; // "%PDF-"
const JPEG = [0xff, 0xd8, 0xff];
/** An OLE compound file: what an IRM- or label-encrypted OOXML document is wrapped in. */
const OLE = [0xd0, 0xcf, 0x11, 0xe0];

/** Office Open XML extensions (documents, workbooks, presentations and their variants). */
const OOXML_EXTENSIONS: ReadonlySet<string> = new Set([
  ...OOXML_NAMES,
  "xlam",
  "vsdx",
]);

/** The signature the first bytes of a file of `extension` must start with, when one is known. */
export function signatureOf(extension: string): { format: string; bytes: number[] } | undefined {
  if (OOXML_EXTENSIONS.has(extension)) return { format: "Office Open XML (ZIP)", bytes: OOXML };
  if (extension === "pdf") return { format: "PDF", bytes: PDF };
  if (extension === "jpg" || extension === "jpeg") return { format: "JPEG", bytes: JPEG };
  return undefined;
}

/** What {@link checkBody} looks at. */
export interface BodyCheckInput {
  name: string;
  /** The answer's `Content-Type`, when there was an answer for the body (not a kept prefix). */
  contentType: string | undefined;
  /** How size and hash compared. */
  verification: Exclude<Verification, { kind: "mismatch" }>;
  /** The first bytes of the file (up to {@link SIGNATURE_BYTES}). */
  head: Uint8Array;
}

/**
 * True when {@link checkBody} looks at the file's first bytes for this verification: only a
 * rewritten file of a type with a known signature. Every other file is decided without them, so
 * the caller need not open the file again to read them.
 */
export function needsHead(
  name: string,
  verification: Exclude<Verification, { kind: "mismatch" }>,
): boolean {
  return verification.kind === "rewritten" && signatureOf(extensionOf(name)) !== undefined;
}

/**
 * Why the body is not the file (an integrity failure: not placed, retried, then reported), or
 * undefined when it may be placed. A body whose QuickXorHash matched the listing is the file,
 * whatever the `Content-Type` says.
 */
export function checkBody(input: BodyCheckInput): string | undefined {
  const what = `Cannot verify "${input.name}"`;
  const { verification } = input;
  if (verification.kind === "verified" && verification.hashChecked) return undefined;
  const extension = extensionOf(input.name);
  const type = input.contentType?.split(";")[0]?.trim().toLowerCase();
  if (type === "text/html" && !HTML_EXTENSIONS.has(extension)) {
    return `${what}: the server answered with an HTML page (Content-Type: text/html), not the file`;
  }
  if (verification.kind !== "rewritten") return undefined;
  const signature = signatureOf(extension);
  if (signature === undefined) return undefined;
  if (startsWith(input.head, signature.bytes)) return undefined;
  if (signature.bytes === OOXML && startsWith(input.head, OLE)) {
    return `${what}: the served file looks encrypted (IRM or sensitivity label): it is an OLE ` +
      "container, not an Office Open XML document";
  }
  return `${what}: the served bytes do not start like a ${signature.format} file ` +
    `(first bytes ${hex(input.head)})`;
}

function startsWith(head: Uint8Array, prefix: readonly number[]): boolean {
  return head.length >= prefix.length && prefix.every((byte, i) => head[i] === byte);
}

function hex(bytes: Uint8Array): string {
  if (bytes.length === 0) return "none: the body is empty";
  return [...bytes.subarray(0, SIGNATURE_BYTES)].map((b) => b.toString(16).padStart(2, "0"))
    .join(" ");
}

/** The first {@link SIGNATURE_BYTES} bytes of the file at `path` (fewer when it is shorter). */
export async function readHead(path: string): Promise<Uint8Array> {
  using file = await Deno.open(path, { read: true });
  const buffer = new Uint8Array(SIGNATURE_BYTES);
  let filled = 0;
  while (filled < buffer.length) {
    const read = await file.read(buffer.subarray(filled));
    if (read === null) break;
    filled += read;
  }
  return buffer.subarray(0, filled);
}
