/**
 * The terminal a live display draws on: a writer (stderr), its width and whether colours are
 * wanted. Only VT sequences that Windows 10+ consoles (conhost, Windows Terminal) understand are
 * used: cursor up (CSI n A), carriage return, erase below (CSI J) and SGR colours.
 * @module
 */

/** Where a live display draws; tests pass a recording one. */
export interface Terminal {
  write(text: string): void;
  /** Current width in columns (read at every frame: the window may be resized). */
  columns(): number;
  /** False when `NO_COLOR` is set (https://no-color.org): no SGR sequences at all. */
  readonly color: boolean;
}

/** Widths below this are treated as this (a frame needs some room). */
export const MIN_COLUMNS = 20;

/**
 * Moves the cursor `lines` rows up to the first column and erases everything below it: undoes a
 * block of `lines` lines, each ended by a newline. Nothing for 0 lines.
 */
export function eraseLines(lines: number): string {
  return lines > 0 ? `\x1b[${lines}A\r\x1b[J` : "";
}

/** Wraps `text` in an SGR colour when `color` is on. */
export function paint(text: string, sgr: number, color: boolean): string {
  return color && text !== "" ? `\x1b[${sgr}m${text}\x1b[0m` : text;
}

/** SGR codes used by the displays. */
export const SGR = { red: 31, green: 32, yellow: 33, cyan: 36, dim: 2 } as const;

/**
 * Makes `text` safe to show: control characters (a SharePoint name may hold any of them, an ESC
 * would start a VT sequence) become "?".
 */
export function printable(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, "?");
}

/** Cuts `text` to `width` characters, ending with "…" when it was longer. */
export function fit(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  if (width <= 1) return chars.slice(0, Math.max(0, width)).join("");
  return chars.slice(0, width - 1).join("") + "…";
}

/** True when colours are allowed by the environment: `NO_COLOR` unset or empty. */
export function colorAllowed(env: Record<string, string | undefined>): boolean {
  return (env.NO_COLOR ?? "") === "";
}
