/**
 * Where a settings value came from, and how messages name it.
 * @module
 */

/** Where a value came from, for `ingest config` and for error messages. */
export type ValueSource =
  | { kind: "default" }
  /** `table`: "[scheduler]" or "[jobs.<name>]" when the file defines jobs. */
  | { kind: "file"; path: string; table?: string }
  | { kind: "env"; name: string }
  | { kind: "flag"; name: string };

/** How a message names `key` from `source`: the file (and table), the variable or the flag. */
export function describeSource(key: string, source: ValueSource | undefined): string {
  switch (source?.kind) {
    case "file":
      return source.table
        ? `key "${key}" in ${source.table} of ${source.path}`
        : `key "${key}" in ${source.path}`;
    case "env":
      return `${source.name}`;
    case "flag":
      return `${source.name}`;
    default:
      return `key "${key}"`;
  }
}
