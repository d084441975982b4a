/**
 * The one check of a JSON answer against its wire schema: `JSON.parse`, then zod's `safeParse`.
 * @module
 */
import type { z } from "zod";

/** The outcome of {@link parseJson}: the value, or why the text is not a valid answer. */
export type ParsedJson<T> =
  | { ok: true; value: T }
  /** `reason` completes "Cannot <action>: …"; `cause` is the parser's or the validator's error. */
  | { ok: false; notJson: boolean; reason: string; cause: unknown };

/**
 * Parses `text` as JSON and validates it with `schema` (unknown fields as the schema says).
 * Fails with "the answer is not JSON" or "unexpected answer: <first issue> at <path>".
 */
export function parseJson<S extends z.ZodType>(text: string, schema: S): ParsedJson<z.infer<S>> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { ok: false, notJson: true, reason: "the answer is not JSON", cause: error };
  }
  const parsed = schema.safeParse(data);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join(".")}` : "";
  return {
    ok: false,
    notJson: false,
    reason: `unexpected answer: ${issue?.message ?? "invalid"}${where}`,
    cause: parsed.error,
  };
}
