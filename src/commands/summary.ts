/**
 * Human and JSON renderings of a run's outcome.
 * @module
 */
import { describeError } from "../errors.ts";
import type { RunOutcome } from "../schedule/run_outcome.ts";
import type { SyncResult } from "../sync/sync_result.ts";

/** "1.5 MB", "320 B". */
export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) [value, unit] = [value / 1000, unit + 1];
  return unit === 0 ? `${value} ${units[0]}` : `${value.toFixed(1)} ${units[unit]}`;
}

function list(names: readonly string[], max = 20): string[] {
  const shown = names.slice(0, max).map((name) => `  ${name}`);
  if (names.length > max) shown.push(`  … and ${names.length - max} more`);
  return shown;
}

/** Placed names, each flattened one followed by its relative path (`subfolder_layout = "flatten"`). */
function withRelativePaths(result: SyncResult): string[] {
  const paths = result.relative_paths;
  if (paths === undefined) return result.downloaded;
  return result.downloaded.map((name) =>
    paths[name] === undefined ? name : `${name} (${paths[name]})`
  );
}

/** A few lines an operator reads after `trigger` / `run-once`. */
export function summaryLines(result: SyncResult, ingestionDir: string): string[] {
  const seconds = (result.duration_ms / 1000).toFixed(1);
  const head = result.dry_run
    ? `Would download ${result.downloaded.length} file(s), ${
      formatBytes(result.bytes)
    } (listed sizes), into ${ingestionDir}; dry run, nothing written`
    : `Downloaded ${result.downloaded.length} file(s), ${
      formatBytes(result.bytes)
    }, in ${seconds} s into ${ingestionDir}`;
  const fallbacks = result.graph_download_requests > 0
    ? `, ${result.graph_download_requests} /content download fallback request(s)`
    : "";
  const lines = [
    head,
    ...list(withRelativePaths(result)),
    `Listed ${result.listed}, in window ${result.in_window} (${result.since} .. ${result.until}); skipped: ` +
    `${result.skipped_ingested} already ingested, ${result.skipped_pending} pending in the ingestion folder, ` +
    `${result.skipped_filtered} filtered`,
    `Graph: ${result.graph_requests} request(s), ${result.graph_resource_units} resource unit(s) ` +
    `(${result.listing})${fallbacks}`,
  ];
  const selection = selectionLine(result);
  if (selection !== undefined) lines.push(selection);
  if (result.window !== undefined) lines.push(`Window: ${result.window.description}`);
  if (result.window?.uncovered !== undefined) {
    const { since, until, command } = result.window.uncovered;
    lines.push(`Not covered: ${since} .. ${until}; run \`${command}\` to cover it`);
  }
  if (result.skipped_verification > 0) {
    lines.push(
      `Placed ${result.skipped_verification} file(s) without content verification: SharePoint ` +
        "rewrote them after upload (see the warnings and rewritten_extensions)",
    );
  }
  if (result.skipped_malformed > 0) {
    lines.push(
      `Skipped ${result.skipped_malformed} listed item(s) without a name, size or time ` +
        "(see the warnings; listed again next run)",
    );
  }
  if (result.malware > 0) {
    lines.push(
      `Not downloaded: ${result.malware} file(s) flagged as malware by SharePoint ` +
        "(see the errors; offered again once they change)",
    );
  }
  if (result.failed.length > 0) {
    lines.push(`Failed ${result.failed.length} file(s):`);
    lines.push(
      ...result.failed.slice(0, 50).map((f) =>
        `  ${f.name}${f.path === undefined ? "" : ` (${f.path})`}: ${f.reason}`
      ),
    );
  }
  return lines;
}

/** The "what counts as new" counts, when any is non-zero. */
function selectionLine(result: SyncResult): string | undefined {
  const parts: string[] = [];
  if (result.arrived > 0) {
    parts.push(`${result.arrived} arrived with old dates (reported by delta)`);
  }
  if (result.unchanged_content > 0) {
    parts.push(`${result.unchanged_content} unchanged content already placed by this job`);
  }
  if (result.held_empty > 0) {
    parts.push(`${result.held_empty} empty file(s) held for empty_file_grace_minutes`);
  }
  return parts.length === 0 ? undefined : `Selection: ${parts.join(", ")}`;
}

/** JSON document for `--json`: the result, or why there is none. */
export function outcomeJson(outcome: RunOutcome, exitCode: number): Record<string, unknown> {
  switch (outcome.status) {
    case "completed": {
      if (!outcome.result.dry_run) {
        return { status: outcome.status, exit_code: exitCode, ...outcome.result };
      }
      // A dry run downloads nothing: its plan reads "would download", with the listed sizes.
      const { downloaded, bytes, ...rest } = outcome.result;
      return {
        status: outcome.status,
        exit_code: exitCode,
        ...rest,
        would_download: downloaded,
        would_download_bytes: bytes,
      };
    }
    case "skipped":
      return {
        status: outcome.status,
        exit_code: exitCode,
        reason: outcome.reason,
        ...(outcome.error === undefined ? {} : { error: describeError(outcome.error) }),
      };
    default:
      return { status: outcome.status, exit_code: exitCode, error: describeError(outcome.error) };
  }
}

/** One line for one job of a command over several jobs: `<job>: <what happened>`. */
export function jobSummaryLine(job: string, outcome: RunOutcome, ingestionDir: string): string {
  switch (outcome.status) {
    case "completed": {
      const r = outcome.result;
      const failed = r.failed.length > 0 ? `, ${r.failed.length} failed` : "";
      if (r.dry_run) {
        return `${job}: would download ${r.downloaded.length} file(s), ${
          formatBytes(r.bytes)
        } (listed sizes), into ${ingestionDir}`;
      }
      return `${job}: downloaded ${r.downloaded.length} file(s), ${
        formatBytes(r.bytes)
      }${failed}, ` +
        `in ${(r.duration_ms / 1000).toFixed(1)} s into ${ingestionDir}`;
    }
    case "skipped":
      if (outcome.reason === "disabled") {
        return `${job}: disabled (enabled = false), nothing ran`;
      }
      return `${job}: skipped: ${
        outcome.error ? describeError(outcome.error).split("\n")[0] : outcome.reason
      }`;
    case "aborted":
      return `${job}: aborted; the next run fetches the rest`;
    default:
      return `${job}: failed: ${describeError(outcome.error).split("\n")[0]}`;
  }
}
