/**
 * Which remote file names can be written into `ingestion_dir` on Linux and Windows. Pure.
 *
 * SharePoint forbids most of these characters itself, but names come from a server and are
 * treated as untrusted: a name is written only when it is one plain path component that every
 * supported file system can hold under exactly that name.
 * @module
 */

/** Longest name in UTF-8 bytes (ext4's limit; NTFS allows 255 UTF-16 units, never fewer). */
export const MAX_NAME_BYTES = 255;

/**
 * Device names Windows reserves in any case, also with an extension ("CON.txt") and with
 * trailing spaces before the dot ("NUL .csv"); the superscript digits ¹²³ count as digits.
 */
const RESERVED = /^(CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|COM[0-9¹²³]|LPT[0-9¹²³])$/i;
const WINDOWS_FORBIDDEN = /[<>:"|?*]/;
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Why `name` must not be written, or `undefined` when it is safe.
 * Rejects: empty, "." and "..", path separators (`/`, `\`), control characters,
 * `< > : " | ? *`, a trailing dot or space, Windows device names, ill-formed Unicode, and names
 * longer than {@link MAX_NAME_BYTES} UTF-8 bytes.
 */
export function unsafeNameReason(name: string): string | undefined {
  if (name.length === 0) return "the name is empty";
  if (name === "." || name === "..") return `the name "${name}" refers to a folder`;
  if (/[/\\]/.test(name)) return "the name contains a path separator (/ or \\)";
  const control = CONTROL.exec(name);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).padStart(2, "0").toUpperCase();
    return `the name contains the control character U+00${code}`;
  }
  const forbidden = WINDOWS_FORBIDDEN.exec(name);
  if (forbidden) return `the name contains "${forbidden[0]}", which Windows does not allow`;
  if (/[. ]$/.test(name)) return "the name ends with a dot or a space, which Windows drops";
  const base = name.split(".")[0]!.trimEnd();
  if (RESERVED.test(base)) return `the name uses the Windows device name "${base}"`;
  if (!name.isWellFormed()) return "the name is not well-formed Unicode";
  const bytes = new TextEncoder().encode(name).length;
  if (bytes > MAX_NAME_BYTES) {
    return `the name is ${bytes} bytes long in UTF-8, more than ${MAX_NAME_BYTES}`;
  }
  return undefined;
}

/** True when {@link unsafeNameReason} finds nothing wrong with `name`. */
export function isSafeName(name: string): boolean {
  return unsafeNameReason(name) === undefined;
}
