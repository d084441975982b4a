/**
 * Test doubles for the scheduler tests: settings, a controllable sync job, an in-memory run lock
 * that can pretend another process holds it, and a log recorder.
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { join } from "node:path";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { settingsSchema } from "../../src/config/schema.ts";
import type { Settings } from "../../src/config/settings.ts";
import { type Clock, systemClock } from "../../src/clock.ts";
import { AbortedError, LockedError } from "../../src/errors.ts";
import { chooseSchedule } from "../../src/config/schedule_choice.ts";
import type { LockFactory, LockRequest, RunLock } from "../../src/schedule/run_lock.ts";
import type { SyncResult, SyncRunner, SyncRunOptions } from "../../src/sync/sync_result.ts";

/** Complete settings for tests; `overrides` are raw `[scheduler]` keys. */
export function testSettings(overrides: Record<string, unknown> = {}): Settings {
  const raw = settingsSchema.parse({
    sharepoint_site_url: "https://contoso.sharepoint.com/sites/ingest",
    sharepoint_folder: "/Inbound",
    ingestion_dir: "/tmp/ingest-test/in",
    client_id: "client",
    client_secret: "secret",
    tenant_id: "contoso.onmicrosoft.com",
    db_service_url: "http://127.0.0.1:9/ingested",
    ...overrides,
  });
  return {
    ...raw,
    staging_dir: raw.staging_dir ?? "/tmp/ingest-test/staging",
    lock_file: raw.lock_file ?? "/tmp/ingest-test/ingest.lock",
    schedule: chooseSchedule(raw),
    config_path: undefined,
    job: "default",
    state_file: join(raw.staging_dir ?? "/tmp/ingest-test/staging", "ingest.state.json"),
  };
}

/** A SyncResult with nothing done. */
export function emptyResult(options: SyncRunOptions, runId = "run-1"): SyncResult {
  return {
    run_id: runId,
    trigger: options.trigger,
    dry_run: options.dryRun ?? false,
    since: new Date(0).toISOString(),
    until: options.reference.toISOString(),
    listed: 0,
    in_window: 0,
    skipped_ingested: 0,
    skipped_pending: 0,
    skipped_filtered: 0,
    unchanged_content: 0,
    held_empty: 0,
    arrived: 0,
    downloaded: [],
    failed: [],
    skipped_verification: 0,
    skipped_malformed: 0,
    malware: 0,
    bytes: 0,
    duration_ms: 0,
    listing: "folder_delta",
    graph_requests: 0,
    graph_resource_units: 0,
    graph_download_requests: 0,
  };
}

interface PendingCall {
  options: SyncRunOptions;
  resolve: (result: SyncResult) => void;
  reject: (error: unknown) => void;
}

/**
 * A SyncRunner whose runs finish when the test says so (`hold: true`), or at once. Runs reject
 * with AbortedError when their signal aborts, unless `ignoreAbort`.
 */
export class FakeJob implements SyncRunner {
  readonly calls: SyncRunOptions[] = [];
  readonly #pending: PendingCall[] = [];
  #hold: boolean;
  #ignoreAbort: boolean;
  /** Thrown by the next runs, one per call, while the list is not empty. */
  failures: unknown[] = [];
  /** Largest number of runs in progress at once. */
  peak = 0;
  #inFlight = 0;

  constructor(options: { hold?: boolean; ignoreAbort?: boolean } = {}) {
    this.#hold = options.hold ?? false;
    this.#ignoreAbort = options.ignoreAbort ?? false;
  }

  /** Runs in progress. */
  get inFlight(): number {
    return this.#inFlight;
  }

  run(options: SyncRunOptions): Promise<SyncResult> {
    this.calls.push(options);
    const failure = this.failures.shift();
    if (failure !== undefined) return Promise.reject(failure);
    const runId = `run-${this.calls.length}`;
    if (!this.#hold) return Promise.resolve(emptyResult(options, runId));
    this.#inFlight++;
    this.peak = Math.max(this.peak, this.#inFlight);
    return new Promise<SyncResult>((resolve, reject) => {
      const call: PendingCall = { options, resolve, reject };
      this.#pending.push(call);
      if (!this.#ignoreAbort) {
        options.signal?.addEventListener("abort", () => {
          this.#settle(call);
          reject(new AbortedError("Cannot download: the run was aborted"));
        }, { once: true });
      }
    });
  }

  #settle(call: PendingCall): boolean {
    const index = this.#pending.indexOf(call);
    if (index < 0) return false;
    this.#pending.splice(index, 1);
    this.#inFlight--;
    return true;
  }

  /** Finishes the oldest held run successfully. */
  finish(): void {
    const call = this.#pending[0];
    if (!call) throw new Error("no run in progress");
    this.#settle(call);
    call.resolve(emptyResult(call.options, "finished"));
  }
}

/**
 * An in-memory run lock: `heldElsewhere` pretends another process holds it. Waiting polls every
 * 250 ms on the clock, like the file lock.
 */
export class MemoryLock {
  heldElsewhere = false;
  /** true while this process holds it. */
  held = false;
  acquisitions = 0;
  releases = 0;
  readonly requests: LockRequest[] = [];
  #clock: Clock;

  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
  }

  readonly factory: LockFactory = async (request) => {
    this.requests.push(request);
    while (this.heldElsewhere || this.held) {
      if (!request.wait) {
        throw new LockedError(
          "Cannot start run: another run holds /tmp/ingest.lock (pid 4242 since 2026-11-26T10:00:00Z, run-once)",
        );
      }
      await this.#clock.sleep(250, request.signal);
    }
    this.held = true;
    this.acquisitions++;
    const lock: RunLock = {
      path: "/tmp/ingest.lock",
      info: { pid: Deno.pid, started_at: "", hostname: "test", command: "test" },
      release: () => {
        if (this.held) this.releases++;
        this.held = false;
        return Promise.resolve();
      },
      [Symbol.asyncDispose]: () => lock.release(),
    };
    return lock;
  };
}

/** Records the `["ingest"]` log records until disposed. */
export async function recordLogs(): Promise<LogRecord[] & AsyncDisposable> {
  const records: LogRecord[] = [];
  await configure({
    reset: true,
    contextLocalStorage: new AsyncLocalStorage(),
    sinks: { buffer: (record: LogRecord) => records.push(record) },
    loggers: [
      { category: ["ingest"], sinks: ["buffer"], lowestLevel: "debug" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
    ],
  });
  return Object.assign(records, { [Symbol.asyncDispose]: () => reset() });
}

/** The rendered messages of `records`. */
export function messages(records: readonly LogRecord[]): string[] {
  return records.map((r) => r.message.map((part) => String(part)).join(""));
}
