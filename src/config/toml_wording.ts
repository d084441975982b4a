/**
 * The TOML parser's messages in plain words, with the line they point at, so an operator can
 * fix a settings file without knowing the TOML grammar.
 * @module
 */

/** Parser message (without "Invalid TOML document: ") → what is wrong, in plain words. */
const PLAIN: readonly (readonly [RegExp, string])[] = [
  [
    /control characters are not allowed in strings|unfinished string/,
    "a quoted value is not closed: add the closing quote on the same line",
  ],
  [
    /unrecognised escape sequence/,
    'a backslash in a "double-quoted" value starts an escape: write Windows paths in single ' +
    "quotes ('C:\\ingest\\incoming') or with doubled backslashes",
  ],
  [
    /invalid value/,
    'the value is not valid: text needs quotes ("like this"), true and false are lower case, ' +
    "numbers have no units",
  ],
  [/illegal character in key|unexpected end of key/, "a key or a [table] header is malformed"],
  [/redefine an already defined/, "a key or a [table] is defined twice"],
  [/expected comma or end of structure/, "a list [ … ] or an inline table { … } is not closed"],
  [
    /must be followed by an end-of-line/,
    "one key = value per line: something follows the value",
  ],
  [/invalid date/, 'the date or time is not valid (write it as "2026-03-01T09:00:00Z")'],
];

/**
 * "the value is not valid: …; the line reads: x = abc" for the parser's `message` at `line`
 * (1-based) of `text`.
 */
export function plainTomlError(message: string, text: string, line: number): string {
  const reason = message.split("\n")[0]!.replace(/^Invalid TOML document: /, "");
  const plain = PLAIN.find(([pattern]) => pattern.test(reason))?.[1] ?? reason;
  const source = text.split(/\r?\n/)[line - 1]?.trim();
  return source ? `${plain}; the line reads: ${source.slice(0, 80)}` : plain;
}
