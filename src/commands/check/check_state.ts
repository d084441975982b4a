/**
 * The `state` line of `ingest check`: how the job lists the folder, how old its saved delta link
 * is and which files wait to be offered again. The state never fails a check: an unusable file
 * only means the next run lists the folder in full.
 * @module
 */
import type { Settings } from "../../config/settings.ts";
import { stateStoreFor } from "../../state/job_state.ts";
import type { JobState } from "../../state/state_wire.ts";
import { describeLedger } from "./check_ledger.ts";

/** A ✓ line of `ingest check`. */
export interface StateLine {
  ok: true;
  name: "state";
  detail: string;
}

/** "3 min", "5 h", "2 d". */
export function formatAge(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} d`;
}

/** Describes `state` for an operator (pure). */
export function describeState(
  state: JobState,
  settings: Pick<Settings, "listing"> & Partial<Pick<Settings, "max_catch_up_hours">>,
  now: number,
  folderId?: string,
): string {
  const parts: string[] = [];
  const listing = state.listing;
  if (settings.listing === "children") parts.push("listing children (every run pages the folder)");
  else {
    const mode = listing?.mode === "root_delta"
      ? "delta on the library root (folder delta refused)"
      : "delta on the folder";
    const link = listing?.delta_link === undefined || listing.mode === "children"
      ? "no saved link: the next run lists in full"
      : `link saved ${formatAge(now - Date.parse(listing.link_saved_at ?? state.updated_at))} ago`;
    parts.push(`listing ${mode}, ${link}`);
  }
  if (state.listing_failure !== undefined) {
    const ago = formatAge(now - Date.parse(state.listing_failure.at));
    parts.push(
      `the last listing failed ${ago} ago (${state.listing_failure.message}); the saved link ` +
        "was kept",
    );
  }
  const retry = state.retry ?? [];
  if (retry.length === 0) parts.push("no file pending retry");
  else {
    const shown = retry.slice(0, 5).map((e) => `${e.name} (${e.reason})`).join(", ");
    const more = retry.length > 5 ? ` and ${retry.length - 5} more` : "";
    parts.push(`${retry.length} file(s) pending retry: ${shown}${more}`);
  }
  const maxCatchUp = { max_catch_up_hours: settings.max_catch_up_hours ?? 168 };
  parts.push(...describeLedger(state, maxCatchUp, now, formatAge));
  if (state.malformed !== undefined && state.malformed.length > 0) {
    parts.push(`${state.malformed.length} listed item(s) skipped as malformed, looked at again`);
  }
  if (state.malware !== undefined && state.malware.length > 0) {
    const shown = state.malware.slice(-3).map((e) => e.name).join(", ");
    parts.push(`${state.malware.length} file(s) flagged as malware, not downloaded: ${shown}`);
  }
  if (state.resolved === undefined) parts.push("folder ids not saved yet");
  else if (folderId !== undefined && state.resolved.folder_id !== folderId) {
    parts.push("the saved folder id is outdated: the next run resolves the folder again");
  } else {parts.push(
      `folder ids saved ${formatAge(now - Date.parse(state.resolved.resolved_at))} ago`,
    );}
  return parts.join("; ");
}

/** Reads the job's state file and describes it; never throws for what is on disk. */
export async function checkJobState(
  settings: Settings,
  now: number,
  folderId?: string,
): Promise<StateLine> {
  const store = stateStoreFor(settings, () => now);
  let loaded;
  try {
    loaded = await store.load();
  } catch (error) {
    return {
      ok: true,
      name: "state",
      detail: `${settings.state_file}: ${(error as Error).message}`,
    };
  }
  if (loaded.warning !== undefined) {
    return { ok: true, name: "state", detail: loaded.warning };
  }
  const detail = loaded.fresh
    ? `${settings.state_file} does not exist yet: the first run lists the folder in full`
    : `${settings.state_file}: ${describeState(loaded.state, settings, now, folderId)}`;
  return { ok: true, name: "state", detail };
}
