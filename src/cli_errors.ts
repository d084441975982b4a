/**
 * Commander's error messages in house style: `error: unknown option '--x'` becomes
 * `ingest: Cannot use option --x: unknown option`, like every other error of the tool.
 * @module
 */

/** Rewrites patterns, first match wins; each gets commander's text without `error: `. */
const REWRITES: [RegExp, (m: RegExpMatchArray) => string][] = [
  [/^unknown option '([^']+)'$/, (m) => `Cannot use option ${m[1]}: unknown option`],
  [/^unknown command '([^']+)'$/, (m) => `Cannot run command "${m[1]}": unknown command`],
  [
    /^too many arguments(?: for '([^']+)')?\. Expected (\d+) arguments? but got (\d+): (.*)\.$/,
    (m) =>
      `Cannot run ${m[1] ?? "ingest"}: unexpected argument(s) ${m[4]} (it takes ${m[2]}, got ${
        m[3]
      })`,
  ],
  [
    /^option '([^']+)' argument '([^']*)' is invalid\. Allowed choices are (.*)\.$/,
    (m) => `Cannot use ${optionName(m[1]!)} "${m[2]}": allowed choices are ${m[3]}`,
  ],
  [
    /^option '([^']+)' argument '([^']*)' is invalid\. (.*)$/,
    (m) => `Cannot use ${optionName(m[1]!)} "${m[2]}": ${m[3]}`,
  ],
  [
    /^option '([^']+)' argument missing$/,
    (m) => `Cannot use ${optionName(m[1]!)}: it needs a value`,
  ],
  [
    /^missing required argument '([^']+)'$/,
    (m) => `Cannot run the command: argument "${m[1]}" is missing`,
  ],
];

/** "--count" from "-n, --count <n>". */
function optionName(flags: string): string {
  return /--[a-z][a-z0-9-]*/.exec(flags)?.[0] ?? flags;
}

/**
 * Commander's error output (one or more lines, starting with `error: `) as `ingest: Cannot …`
 * lines; a "(Did you mean …?)" line is folded into the message.
 */
export function houseStyleCommanderError(text: string): string {
  const lines = text.trim().split("\n").map((line) => line.trim()).filter(Boolean);
  const first = (lines[0] ?? "").replace(/^error: /, "");
  const hint = lines.slice(1).map((line) => /^\(Did you mean (.+)\?\)$/.exec(line)?.[1]).find(
    Boolean,
  );
  let message = `Cannot parse the command line: ${first}`;
  for (const [pattern, rewrite] of REWRITES) {
    const match = first.match(pattern);
    if (match) {
      message = rewrite(match);
      break;
    }
  }
  return `ingest: ${message}${hint ? ` (did you mean ${hint}?)` : ""}\n`;
}
