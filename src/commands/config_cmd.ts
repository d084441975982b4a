/**
 * `ingest config`: the effective settings, secrets redacted, with where each value came from.
 * @module
 */
import type { ValueSource } from "../config/load.ts";
import { SECRET_KEYS, SETTINGS_KEYS } from "../config/schema.ts";
import { ExitCode } from "../errors.ts";
import { REDACTED } from "../redact.ts";
import type { CliContext } from "./context.ts";

function sourceText(source: ValueSource | undefined): string {
  switch (source?.kind) {
    case "file":
      return `file ${source.path}`;
    case "env":
      return `env ${source.name}`;
    case "flag":
      return `flag ${source.name}`;
    default:
      return "default";
  }
}

function show(key: string, value: unknown): unknown {
  if (value === undefined) return undefined;
  return SECRET_KEYS.has(key) ? REDACTED : value;
}

/** Prints every key, its value (secrets as `***`) and its source. */
export async function configCommand(ctx: CliContext): Promise<number> {
  const { settings, sources } = await ctx.load();
  const record = settings as unknown as Record<string, unknown>;
  const rows = [...SETTINGS_KEYS, "schedule", "config_path"].map((key) => ({
    key,
    value: show(key, record[key]),
    source: key === "schedule" || key === "config_path" ? "derived" : sourceText(sources[key]),
  }));
  if (ctx.flags.json) {
    ctx.printJson(
      Object.fromEntries(rows.map((r) => [r.key, { value: r.value ?? null, source: r.source }])),
    );
    return ExitCode.Ok;
  }
  const width = Math.max(...rows.map((r) => r.key.length));
  for (const row of rows) {
    const value = row.value === undefined ? "(not set)" : JSON.stringify(row.value);
    ctx.print(`${row.key.padEnd(width)} = ${value}  # ${row.source}`);
  }
  return ExitCode.Ok;
}
