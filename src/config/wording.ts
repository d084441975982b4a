/**
 * House-style wording of settings validation problems: zod's default messages ("Too small:
 * expected number to be >0") become what an operator reads elsewhere ("must be a whole number
 * ≥ 1"). {@link settingsErrorMap} is passed to `safeParse` at the validation boundary.
 * @module
 */
import type { z } from "zod";
import { settingsSchema } from "./schema.ts";

/** Keys whose values must be whole numbers (schemas that reject 1.5 as not an integer). */
const WHOLE_NUMBER_KEYS: ReadonlySet<string> = new Set(
  Object.entries(settingsSchema.shape).filter(([, schema]) =>
    (schema as z.ZodType).safeParse(1.5).error?.issues.some((issue) =>
      issue.code === "invalid_type" && issue.expected === "int"
    )
  ).map(([key]) => key),
);

function numberBound(
  key: string,
  bound: number,
  inclusive: boolean,
  direction: "min" | "max",
): string {
  const whole = WHOLE_NUMBER_KEYS.has(key);
  if (whole) {
    const limit = inclusive
      ? bound
      : direction === "min"
      ? Math.floor(bound) + 1
      : Math.ceil(bound) - 1;
    return `must be a whole number ${direction === "min" ? "≥" : "≤"} ${limit}`;
  }
  const sign = direction === "min" ? (inclusive ? "≥" : ">") : (inclusive ? "≤" : "<");
  return `must be a number ${sign} ${bound}`;
}

function quoted(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(", ");
}

/** The house-style message of one raw zod issue; undefined keeps zod's (or the schema's) own. */
export function settingsErrorMap(issue: z.core.$ZodRawIssue): string | undefined {
  const key = String(issue.path?.[0] ?? "");
  switch (issue.code) {
    case "too_small":
      if (issue.origin === "number" || issue.origin === "int") {
        return numberBound(key, Number(issue.minimum), issue.inclusive ?? true, "min");
      }
      if (issue.origin === "string") {
        return Number(issue.minimum) <= 1
          ? "must not be empty"
          : `must be at least ${issue.minimum} characters`;
      }
      if (issue.origin === "array") return `must have at least ${issue.minimum} item(s)`;
      return undefined;
    case "too_big":
      if (issue.origin === "number" || issue.origin === "int") {
        return numberBound(key, Number(issue.maximum), issue.inclusive ?? true, "max");
      }
      return undefined;
    case "invalid_value":
      return issue.values.length === 1
        ? `must be ${quoted(issue.values)}`
        : `must be one of ${quoted(issue.values)}`;
    case "invalid_type":
      if (issue.expected === "int" && typeof issue.input === "number") {
        return "must be a whole number";
      }
      return undefined;
    default:
      return undefined;
  }
}

/** One validation issue as the end of "Cannot use <key>: …", e.g. "must be a string, not an array". */
export function issueText(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_type" && issue.expected !== "int") {
    return issue.input === undefined
      ? "is required"
      : `must be ${article(issue.expected)}, not ${typeName(issue.input)}`;
  }
  return issue.message.replace(/^Invalid input: /, "");
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function typeName(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  return typeof value === "string" ? `a string` : `${article(typeof value)}`;
}
