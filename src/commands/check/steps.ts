/**
 * The checks of `ingest check` after the settings and the network, in order, as one table of
 * step functions and the words the live line shows while each runs.
 * @module
 */
import { join, resolve } from "node:path";
import { exceedsPortablePath, MAX_PORTABLE_PATH } from "../../sync/safe_names.ts";
import { describeSubfolders } from "../../sync/relative_path.ts";
import type { Settings } from "../../config/settings.ts";
import { dbClientFromSettings } from "../../db/http_db_client.ts";
import { AuthError, HttpError } from "../../errors.ts";
import type { GraphSharePointClient } from "../../graph/graph_client.ts";
import type { RemoteFolder } from "../../graph/sharepoint_client.ts";
import { networkAdvice } from "../../http/network_diagnosis.ts";
import type { Network } from "../../network.ts";
import type { CliContext } from "../context.ts";
import { authHint, graphHint } from "./check_hints.ts";
import { identityTokenHint, tokenDetail } from "./check_auth.ts";
import { checkWindow, plannedNextWindow } from "./check_window.ts";
import { checkJobState } from "./check_state.ts";
import { type CheckLine, failure } from "./check_line.ts";
import { checkDirs, checkLock, checkOutputFiles } from "./local_checks.ts";

/** Largest tolerated difference between the local clock and Graph's `Date` header. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** What the checks of one job share: the settings, the client, and what earlier checks found. */
export interface CheckState {
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

/** One check: what the live line says while it runs, and the check itself. */
export interface CheckStep {
  label: string;
  run: (state: CheckState) => Promise<CheckLine>;
}

/** The checks that follow the token, in the order they run and print. */
export const CHECK_STEPS: readonly CheckStep[] = [
  { label: "Authenticating", run: checkToken },
  { label: "Listing the folder", run: checkFolder },
  { label: "Checking path lengths", run: checkPaths },
  { label: "Reading the job state", run: checkState },
  { label: "Asking the DB service", run: checkDb },
  { label: "Looking at the folders", run: checkDirs },
  { label: "Looking at the log and metrics folders", run: checkOutputFiles },
  { label: "Looking at the lock", run: checkLock },
  { label: "Comparing the clock with Graph", run: checkClock },
  { label: "Working out the next run's window", run: checkWindow },
];
