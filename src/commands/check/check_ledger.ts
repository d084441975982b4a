/**
 * The "what counts as new" part of `ingest check`'s state line: the ledger of content this job
 * placed (size, age, retention) and the empty placeholders held for their content.
 * @module
 */
import type { JobState } from "../../state/state_wire.ts";
import { ledgerRetentionMs, PlacedLedger } from "../../sync/placed_ledger.ts";
import { formatBytes } from "../summary.ts";

/** Describes the ledger and the held placeholders of `state` (pure). */
export function describeLedger(
  state: JobState,
  settings: { max_catch_up_hours: number },
  now: number,
  formatAge: (ms: number) => string,
): string[] {
  const parts: string[] = [];
  const summary = PlacedLedger.from(state.ledger).summary();
  const keeps = formatAge(ledgerRetentionMs(settings.max_catch_up_hours));
  if (summary.entries === 0) parts.push(`ledger empty (keeps placed files for ${keeps})`);
  else {
    parts.push(
      `ledger of ${summary.entries} placed file(s), ${formatBytes(summary.stateBytes)}, ` +
        `oldest placed ${formatAge(now - (summary.oldest ?? now))} ago (kept ${keeps})`,
    );
  }
  const held = (state.retry ?? []).filter((entry) => entry.reason === "empty");
  if (held.length > 0) {
    const shown = held.slice(0, 5).map((entry) => {
      const since = entry.arrived_at === undefined
        ? ""
        : `, arrived ${formatAge(now - Date.parse(entry.arrived_at))} ago`;
      return `${entry.name}${since}`;
    });
    const more = held.length > 5 ? ` and ${held.length - 5} more` : "";
    parts.push(
      `${held.length} empty placeholder(s) held for their content ` +
        `(empty_file_grace_minutes): ${shown.join(", ")}${more}`,
    );
  }
  return parts;
}
