/**
 * One line of the `ingest check` report. Imports nothing, so every check module can produce lines
 * without importing the command that prints them.
 * @module
 */

/** One line of the report. */
export interface CheckLine {
  ok: boolean;
  name: string;
  detail: string;
  hint?: string;
  /** Passed, with something the operator should know (printed with ⚠, no effect on the verdict). */
  warning?: boolean;
}
