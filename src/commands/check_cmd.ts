/**
 * `ingest check`: a doctor that verifies, in order, settings, token, site/library/folder, the DB
 * service, the folders, the lock, the clock and the catch-up window, with one ✓/✗ line each and
 * what to do on ✗.
 * Exit 0 only when every check passes (2 when the settings themselves are invalid, else 1).
 * @module
 */
import { join, resolve } from "node:path";
import { runsUnderDeno } from "./invocation.ts";
import { exceedsPortablePath, MAX_PORTABLE_PATH } from "../sync/safe_names.ts";
import { describeSubfolders } from "../sync/relative_path.ts";
import type { Settings } from "../config/settings.ts";
import { dbClientFromSettings } from "../db/http_db_client.ts";
import { AuthError, ConfigError, describeError, ExitCode, HttpError } from "../errors.ts";
import { GraphSharePointClient } from "../graph/graph_client.ts";
import type { RemoteFolder } from "../graph/sharepoint_client.ts";
import { describeHolder, probeRunLock } from "../schedule/run_lock.ts";
import { describeFolderState, folderState } from "../folders.ts";
import { dirname } from "node:path";
import { describeSchedule } from "../schedule/schedule_math.ts";
import { networkAdvice } from "../http/network_diagnosis.ts";
import { Network } from "../network.ts";
import type { CliContext } from "./context.ts";
import { authHint, graphHint } from "./check_hints.ts";
import { credentialLines, identityTokenHint, tokenDetail } from "./check_auth.ts";
import { networkChecks } from "./check_network.ts";
import { checkTelemetry } from "../telemetry/telemetry_check.ts";
import { PhaseLine } from "./phase_line.ts";
import { checkWindow, plannedNextWindow } from "./check_window.ts";
import { checkJobState } from "./check_state.ts";
import type { CheckLine } from "./check_line.ts";
import type { JobFlags } from "./flags.ts";

/** Largest tolerated difference between the local clock and Graph's `Date` header. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

interface CheckState {
  settings: Settings;
  client: GraphSharePointClient;
  ctx: CliContext;
  /** The routed fetch every check uses. */
  network: Network;
  tokenOk: boolean;
  folder?: RemoteFolder;
  /** Names of the files listed by the folder check (first page or up to 1000). */
  names?: string[];
}

function failure(name: string, error: unknown, hint?: string): CheckLine {
  const detail = describeError(error).split("\n")[0]!;
  // Network errors already carry their advice in the message: do not print it twice.
  return { ok: false, name, detail, ...(hint && !detail.includes(hint) ? { hint } : {}) };
}

async function checkToken(state: CheckState): Promise<CheckLine> {
  const { settings } = state;
  try {
    await state.client.authenticate();
    state.tokenOk = true;
    return { ok: true, name: "token", detail: tokenDetail(settings, state.client) };
  } catch (error) {
    const identityHint = identityTokenHint(settings, error);
    if (identityHint) return failure("token", error, identityHint);
    const unreachable = !(error instanceof AuthError) || error.status === undefined;
    const hint = unreachable
      ? networkAdvice(error) ??
        `cannot reach ${settings.authority_host}: check the network, proxy_url (or HTTPS_PROXY), no_proxy and authority_host`
      : authHint(error as AuthError);
    return failure("token", error, hint);
  }
}

async function checkFolder(state: CheckState): Promise<CheckLine> {
  if (!state.tokenOk) return { ok: false, name: "folder", detail: "skipped: no token" };
  try {
    const folder = await state.client.resolveFolder();
    state.folder = folder;
    let files = 0;
    state.names = [];
    for await (const file of state.client.listFiles(folder)) {
      state.names.push(file.name);
      if (++files >= 1000) break;
    }
    const where = folder.pathInDrive === "" ? "library root" : `"${folder.pathInDrive}"`;
    return {
      ok: true,
      name: "folder",
      detail:
        `library "${folder.driveName}" (URL segment "${folder.driveUrlSegment}"), ${where}: ` +
        `${files >= 1000 ? "1000+" : files} file(s) on the first page; ` +
        describeSubfolders(state.settings),
    };
  } catch (error) {
    return failure("folder", error, error instanceof HttpError ? graphHint(error) : undefined);
  }
}

/** Warns when a listed file would be placed under a path longer than Windows' MAX_PATH − 1. */
function checkPaths(state: CheckState): Promise<CheckLine> {
  return Promise.resolve(pathsLine(state));
}

function pathsLine(state: CheckState): CheckLine {
  if (!state.names) {
    return { ok: true, warning: true, name: "paths", detail: "skipped: the folder was not listed" };
  }
  const dir = resolve(state.settings.ingestion_dir);
  const paths = state.names.map((name) => join(dir, name));
  const long = paths.filter(exceedsPortablePath);
  const longest = Math.max(dir.length, ...paths.map((p) => p.length));
  if (long.length === 0) {
    return {
      ok: true,
      name: "paths",
      detail:
        `longest placed path ${longest} characters (many Windows programs stop at ${MAX_PORTABLE_PATH})`,
    };
  }
  return {
    ok: true,
    warning: true,
    name: "paths",
    detail: `${long.length} listed file(s) would be placed under paths longer than ` +
      `${MAX_PORTABLE_PATH} characters (longest ${longest}), e.g. ${long[0]}`,
    hint: "ingest places them, but many Windows programs and file watchers cannot open them: " +
      "use a shorter ingestion_dir",
  };
}

async function checkDb(state: CheckState): Promise<CheckLine> {
  const { settings, ctx } = state;
  const until = new Date(ctx.deps.clock.now());
  try {
    // The window the next scheduled run asks for, catch-up after downtime included.
    const { since } = (await plannedNextWindow(settings, until)).window;
    const names = await dbClientFromSettings(settings, {
      fetch: state.network.fetch,
      clock: ctx.deps.clock,
    }).listIngested({
      since,
      until,
    });
    return {
      ok: true,
      name: "DB service",
      detail:
        `${names.length} file(s) ingested between ${since.toISOString()} and ${until.toISOString()}`,
    };
  } catch (error) {
    return failure(
      "DB service",
      error,
      networkAdvice(error) ??
        "check db_service_url and db_service_token, and that the service answers GET ?since=&until= (docs/db-service.md)",
    );
  }
}

/** The folders a run needs, what is there now and what a run would do; writes nothing. */
function checkDirs(state: Pick<CheckState, "settings">): Promise<CheckLine> {
  return Promise.resolve(foldersLine(state.settings));
}

function foldersLine(settings: Settings): CheckLine {
  const notes: string[] = [];
  const stats: Deno.FileInfo[] = [];
  for (const key of ["ingestion_dir", "staging_dir"] as const) {
    const folder = folderState(settings[key]);
    const usable = folder.kind === "folder" && folder.writable !== false;
    if (!usable && folder.kind !== "would-create") {
      return {
        ok: false,
        name: "folders",
        detail: `Cannot use ${key} ${settings[key]}: ${describeFolderState(folder)}`,
        hint: folder.kind === "folder"
          ? "give the account running ingest write access to the folder"
          : `correct ${key}, or create the folder (or mount the share) it lies in`,
      };
    }
    if (folder.kind === "would-create") notes.push(`${key} ${settings[key]} would be created`);
    else stats.push(Deno.statSync(settings[key]));
  }
  const [ingestion, staging] = stats;
  if (ingestion?.dev && staging?.dev && ingestion.dev !== staging.dev) {
    return {
      ok: false,
      name: "folders",
      detail:
        `staging_dir ${settings.staging_dir} is on another volume than ingestion_dir ${settings.ingestion_dir}`,
      hint: "set staging_dir to a folder on the same drive, so files move into place atomically",
    };
  }
  if (notes.length > 0) {
    return {
      ok: true,
      name: "folders",
      detail: `${notes.join("; ")} by the first run (check creates nothing)`,
    };
  }
  return {
    ok: true,
    name: "folders",
    detail:
      `ingestion_dir ${settings.ingestion_dir} and staging_dir ${settings.staging_dir} exist` +
      (ingestion?.dev && staging?.dev ? ", same volume" : ""),
  };
}

/** The folders of `log_file` and `metrics_file`, which a run creates when their parent exists. */
function checkOutputFiles(state: Pick<CheckState, "settings">): Promise<CheckLine> {
  const { settings } = state;
  const files = (["log_file", "metrics_file"] as const).filter((key) => settings[key]);
  if (files.length === 0) {
    return Promise.resolve({
      ok: true,
      name: "output files",
      detail: "no log_file, no metrics_file",
    });
  }
  const notes: string[] = [];
  for (const key of files) {
    const path = settings[key]!;
    const folder = folderState(dirname(path));
    if (folder.kind === "would-create") notes.push(`${key}: its folder would be created`);
    else if (folder.kind !== "folder" || folder.writable === false) {
      return Promise.resolve({
        ok: false,
        name: "output files",
        detail: `Cannot use ${key} ${path}: its folder ${dirname(path)} ${
          folder.kind === "folder" ? "cannot be written" : describeFolderState(folder)
        }`,
        hint: `correct ${key}, or create the folder it lies in`,
      });
    } else notes.push(`${key} ${path}`);
  }
  return Promise.resolve({ ok: true, name: "output files", detail: notes.join("; ") });
}

/** Whether another run holds the lock now; creates and writes nothing. */
async function checkLock(state: Pick<CheckState, "settings">): Promise<CheckLine> {
  const path = state.settings.lock_file;
  try {
    const probe = await probeRunLock(path);
    if (probe.kind === "missing") {
      return {
        ok: true,
        name: "lock",
        detail: `${path} does not exist yet; the first run creates it`,
      };
    }
    if (probe.kind === "free") return { ok: true, name: "lock", detail: `${path} is free` };
    return {
      ok: true,
      warning: true,
      name: "lock",
      detail: `a run holds ${path} now (${describeHolder(probe.holder)})`,
      hint: "a run started now would be skipped (exit 4) until that run ends",
    };
  } catch (error) {
    return failure("lock", error, "lock_file must be on a local disk the account can write");
  }
}

async function checkClock(state: CheckState): Promise<CheckLine> {
  const { settings, ctx } = state;
  try {
    const response = await state.network.fetch(settings.graph_base_url, {
      method: "HEAD",
      signal: AbortSignal.timeout(settings.request_timeout_seconds * 1000),
    });
    await response.body?.cancel();
    const header = response.headers.get("date");
    if (!header) {
      return { ok: true, name: "clock", detail: "Graph sent no Date header; not compared" };
    }
    const skew = ctx.deps.clock.now() - Date.parse(header);
    const detail = `local clock is ${Math.abs(Math.round(skew / 1000))} s ${
      skew >= 0 ? "ahead of" : "behind"
    } Graph`;
    if (Math.abs(skew) <= MAX_CLOCK_SKEW_MS) return { ok: true, name: "clock", detail };
    return {
      ok: false,
      name: "clock",
      detail,
      hint:
        "synchronise the clock (w32tm /resync, timedatectl): tokens and time windows depend on it",
    };
  } catch (error) {
    return failure(
      "clock",
      error,
      networkAdvice(error) ??
        "Graph is not reachable: check proxy_url (or HTTPS_PROXY), no_proxy and the firewall",
    );
  }
}

function checkState(state: CheckState): Promise<CheckLine> {
  return checkJobState(state.settings, state.ctx.deps.clock.now(), state.folder?.itemId);
}

/** What the live line says while a check runs. */
const CHECK_STEPS = new Map<(state: CheckState) => Promise<CheckLine>, string>([
  [checkToken, "Authenticating"],
  [checkFolder, "Listing the folder"],
  [checkPaths, "Checking path lengths"],
  [checkState, "Reading the job state"],
  [checkDb, "Asking the DB service"],
  [checkDirs, "Looking at the folders"],
  [checkOutputFiles, "Looking at the log and metrics folders"],
  [checkLock, "Looking at the lock"],
  [checkClock, "Comparing the clock with Graph"],
  [checkWindow, "Reading the job state"],
]);

function printLine(ctx: CliContext, line: CheckLine): void {
  ctx.print(`${line.warning ? "⚠" : line.ok ? "✓" : "✗"} ${line.name}: ${line.detail}`);
  if ((!line.ok || line.warning) && line.hint) ctx.print(`    → ${line.hint}`);
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `client_id` must be a GUID and `tenant_id` a GUID or a domain before the network is tried: the
 * example settings' placeholders ("your-app-client-id") would otherwise fail far from the cause.
 */
function idProblems(settings: Settings): CheckLine[] {
  const lines: CheckLine[] = [];
  if (settings.client_id !== undefined && !GUID.test(settings.client_id)) {
    lines.push({
      ok: false,
      name: "settings",
      detail: `client_id "${settings.client_id}" is not an application (client) ID`,
      hint: "copy the Application (client) ID, a GUID like 0b9e7d4c-2a1f-4e3d-8c5b-7a6f5e4d3c2b, " +
        "from Entra ID > App registrations > your app > Overview",
    });
  }
  const tenant = settings.tenant_id;
  if (tenant !== undefined && !GUID.test(tenant) && !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(tenant)) {
    lines.push({
      ok: false,
      name: "settings",
      detail: `tenant_id "${settings.tenant_id}" is neither a tenant ID nor a tenant domain`,
      hint: "use the Directory (tenant) ID, a GUID, or a domain like contoso.onmicrosoft.com",
    });
  }
  return lines;
}

/** Every line of a settings error as its own ✗ line; the hint follows the last one. */
function settingsFailures(error: ConfigError, hint: string): CheckLine[] {
  const lines = error.message.split("\n").filter((line) => line.trim() !== "");
  return lines.map((detail, index) => ({
    ok: false,
    name: "settings",
    detail,
    ...(index === lines.length - 1 ? { hint } : {}),
  }));
}

async function checkJob(ctx: CliContext, settings: Settings, emit: (line: CheckLine) => void) {
  emit({
    ok: true,
    name: "settings",
    detail: `${settings.config_path ?? "environment"}; ${
      describeSchedule(settings.schedule, settings.timezone)
    }`,
  });
  const ids = idProblems(settings);
  if (ids.length > 0) {
    for (const line of ids) emit(line);
    // Placeholders would only produce a confusing answer from the identity platform.
    emit({ ok: false, name: "token", detail: "skipped: client_id and tenant_id are not IDs yet" });
    for (const check of [checkDirs, checkOutputFiles, checkLock]) {
      emit(await check({ settings }));
    }
    return;
  }
  let network: Network;
  try {
    network = new Network(settings, {
      fetch: ctx.deps.fetch,
      env: ctx.deps.env,
      compiled: !runsUnderDeno(ctx.deps.execPath),
    });
  } catch (error) {
    emit(failure("trust", error, "ca_file must hold PEM certificates (BEGIN CERTIFICATE)"));
    return;
  }
  using _network = network;
  for (const line of await networkChecks(settings, network)) emit(line);
  emit(await checkTelemetry(settings, ctx.deps.env, network.fetch));
  const state: CheckState = {
    settings,
    ctx,
    network,
    tokenOk: false,
    client: new GraphSharePointClient({
      settings,
      fetch: network.fetch,
      directFetch: network.directFetch,
      clock: ctx.deps.clock,
      maxRetries: 1,
    }),
  };
  for (const line of await credentialLines(settings, state.client, ctx.deps.clock.now())) {
    emit(line);
  }
  const live = ctx.live
    ? new PhaseLine({ terminal: ctx.terminal(), now: () => ctx.deps.clock.now() })
    : undefined;
  ctx.showAbove(live?.block);
  try {
    const checks = [
      checkToken,
      checkFolder,
      checkPaths,
      checkState,
      checkDb,
      checkDirs,
      checkOutputFiles,
      checkLock,
      checkClock,
      checkWindow,
    ];
    for (const check of checks) {
      live?.set(CHECK_STEPS.get(check) ?? "Checking");
      live?.block.start();
      emit(await check(state));
    }
  } finally {
    live?.block.close();
    ctx.showAbove(undefined);
  }
}

/**
 * Runs every check of each selected job; prints ✓/✗ lines (or JSON) and a verdict. Invalid
 * settings are listed all at once, one ✗ line per problem.
 */
export async function checkCommand(ctx: CliContext, flags: JobFlags = {}): Promise<number> {
  const lines: CheckLine[] = [];
  const emit = (line: CheckLine) => {
    lines.push(line);
    if (!ctx.flags.json) printLine(ctx, line);
  };
  let jobs: Settings[];
  try {
    jobs = (await ctx.loadJobs(flags.job)).jobs.map((job) => job.settings);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const hint = `fix the keys named above; \`${
      ctx.command("config")
    }\` shows every value and its source`;
    for (const line of settingsFailures(error, hint)) emit(line);
    if (ctx.flags.json) ctx.printJson({ ok: false, checks: lines });
    else ctx.print("Verdict: settings are invalid");
    return ExitCode.Usage;
  }
  if (jobs.length === 1) {
    await checkJob(ctx, jobs[0]!, emit);
    const failed = lines.filter((line) => !line.ok).length;
    if (ctx.flags.json) ctx.printJson({ ok: failed === 0, checks: lines });
    else ctx.print(failed === 0 ? "Verdict: ready" : `Verdict: ${failed} check(s) failed`);
    return failed === 0 ? ExitCode.Ok : ExitCode.Failed;
  }
  const results: { job: string; ok: boolean; checks: CheckLine[] }[] = [];
  for (const settings of jobs) {
    if (!ctx.flags.json) ctx.print(`[jobs.${settings.job}]`);
    const own: CheckLine[] = [];
    await checkJob(ctx, settings, (line) => {
      own.push(line);
      emit(line);
    });
    results.push({ job: settings.job, ok: own.every((l) => l.ok), checks: own });
  }
  const failedJobs = results.filter((r) => !r.ok).map((r) => r.job);
  if (ctx.flags.json) ctx.printJson({ ok: failedJobs.length === 0, jobs: results });
  else {
    ctx.print(
      failedJobs.length === 0
        ? `Verdict: ready (${results.length} jobs)`
        : `Verdict: checks failed for ${failedJobs.join(", ")}`,
    );
  }
  return failedJobs.length === 0 ? ExitCode.Ok : ExitCode.Failed;
}
