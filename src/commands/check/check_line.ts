/**
 * One line of the `ingest check` report. Imports nothing of the commands, so every check module
 * can produce lines without importing the command that prints them.
 * @module
 */
import { describeError } from "../../errors.ts";

/** One line of the report. */
export interface CheckLine {
  ok: boolean;
  name: string;
  detail: string;
  hint?: string;
  /** Passed, with something the operator should know (printed with ⚠, no effect on the verdict). */
  warning?: boolean;
}

/** A ✗ line for `error`, with `hint` unless the message already says it. */
export function failure(name: string, error: unknown, hint?: string): CheckLine {
  const detail = describeError(error).split("\n")[0]!;
  // Network errors already carry their advice in the message: do not print it twice.
  return { ok: false, name, detail, ...(hint && !detail.includes(hint) ? { hint } : {}) };
}
