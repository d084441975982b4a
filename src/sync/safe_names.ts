/**
 * Which remote file names can be written into `ingestion_dir` on the host OS. Pure: the OS is a
 * parameter, so the rules of both are tested on any host.
 *
 * Names come from a server and are treated as untrusted: a name is written only when it is one
 * plain path component that the host's file system stores under exactly that name. SharePoint
 * allows some names Windows cannot store as-is (`nul.txt`, `COM¹.csv`, `report.`), and Win32 would
 * silently turn them into a device or another name, so on Windows they fail per file instead.
 * @module
 */

/** The OS whose rules apply: a `Deno.build.os` value; everything but "windows" is POSIX. */
export type NameOs = string;

/** Longest name: 255 UTF-8 bytes on ext4 and most POSIX file systems, 255 UTF-16 units on NTFS. */
export const MAX_NAME_LENGTH = 255;

/** Longest full path (characters) that every Windows program can open: MAX_PATH minus the NUL. */
export const MAX_PORTABLE_PATH = 259;

/**
 * Device names Windows reserves in any case, also with an extension ("CON.txt", "nul.tar.gz") and
 * with trailing spaces before the dot ("NUL .csv"); the superscript digits ¹²³ count as digits.
 */
const RESERVED = /^(CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|COM[0-9¹²³]|LPT[0-9¹²³])$/i;
const WINDOWS_FORBIDDEN = /[<>:"|?*]/;
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function commonReason(name: string): string | undefined {
  if (name.length === 0) return "the name is empty";
  if (name === "." || name === "..") return `the name "${name}" refers to a folder`;
  if (/[/\\]/.test(name)) return "the name contains a path separator (/ or \\)";
  const control = CONTROL.exec(name);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).padStart(2, "0").toUpperCase();
    return `the name contains the control character U+00${code}`;
  }
  if (!name.isWellFormed()) return "the name is not well-formed Unicode";
  return undefined;
}

function windowsReason(name: string): string | undefined {
  const forbidden = WINDOWS_FORBIDDEN.exec(name);
  if (forbidden) return `the name contains "${forbidden[0]}", which Windows does not allow`;
  if (/[. ]$/.test(name)) return "the name ends with a dot or a space, which Windows drops";
  const base = name.split(".")[0]!.trimEnd();
  if (RESERVED.test(base)) return `the name uses the Windows device name "${base}"`;
  if (name.length > MAX_NAME_LENGTH) {
    return `the name is ${name.length} UTF-16 units long, more than ${MAX_NAME_LENGTH}`;
  }
  return undefined;
}

function posixReason(name: string): string | undefined {
  const bytes = new TextEncoder().encode(name).length;
  if (bytes > MAX_NAME_LENGTH) {
    return `the name is ${bytes} bytes long in UTF-8, more than ${MAX_NAME_LENGTH}`;
  }
  return undefined;
}

/**
 * Why `name` must not be written on `os`, or `undefined` when it is safe.
 *
 * Everywhere: empty, "." and "..", path separators (`/` and `\`), control characters U+0000–001F
 * and U+007F, ill-formed Unicode. Windows also: `< > : " | ? *`, a trailing dot or space, the
 * device names CON, PRN, AUX, NUL, CONIN$, CONOUT$, COM0–9, LPT0–9 and COM/LPT with ¹²³ (with or
 * without an extension, any case), more than 255 UTF-16 units. Elsewhere: more than 255 UTF-8 bytes.
 */
export function unsafeNameReason(name: string, os: NameOs): string | undefined {
  return commonReason(name) ?? (os === "windows" ? windowsReason(name) : posixReason(name));
}

/** True when {@link unsafeNameReason} finds nothing wrong with `name` on `os`. */
export function isSafeName(name: string, os: NameOs): boolean {
  return unsafeNameReason(name, os) === undefined;
}

/**
 * Whether a placed path is longer than {@link MAX_PORTABLE_PATH} characters. Deno opens such
 * paths itself (it adds the `\\?\` prefix), but many Windows programs, file watchers among
 * them, cannot.
 */
export function exceedsPortablePath(path: string): boolean {
  return path.length > MAX_PORTABLE_PATH;
}
