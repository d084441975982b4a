/**
 * `ingest check`: a doctor that verifies, in order, settings, token, site/library/folder, the DB
 * service, the folders, the lock, the clock and the catch-up window, with one ✓/✗ line each and
 * what to do on ✗.
 * Exit 0 only when every check passes (2 when the settings themselves are invalid, else 1).
 * @module
 */
import { runsUnderDeno } from "../invocation.ts";
import type { Settings } from "../../config/settings.ts";
import { ConfigError, ExitCode } from "../../errors.ts";
import { GraphSharePointClient } from "../../graph/graph_client.ts";
import { describeSchedule } from "../../schedule/schedule_math.ts";
import { Network } from "../../network.ts";
import type { CliContext } from "../context.ts";
import { credentialLines } from "./check_auth.ts";
import { networkChecks } from "./check_network.ts";
import { checkTelemetry } from "../../telemetry/telemetry_check.ts";
import { PhaseLine } from "../phase_line.ts";
import { type CheckLine, failure } from "./check_line.ts";
import type { JobFlags } from "../flags.ts";
import { checkDirs, checkLock, checkOutputFiles } from "./local_checks.ts";
import { CHECK_STEPS, type CheckState } from "./steps.ts";

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
    for (const step of CHECK_STEPS) {
      live?.set(step.label);
      live?.block.start();
      emit(await step.run(state));
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
