/**
 * Cold start: `ingest --version` and a `run-once` that finds nothing new, against `deno run` of
 * an empty script with the same permissions. The idle run-once is also compared with a bare
 * script that sends the same five requests (token, DB service, site, libraries, children), the
 * floor for any run that talks to the services. Each command runs once to fill Deno's module
 * cache, then N measured times; the median is reported.
 * @module
 */
import { startSimulator } from "../src/sim/simulator.ts";
import type { Simulator } from "../src/sim/types.ts";
import { measure, type Measured, median } from "./measure.ts";
import type { Row } from "./report.ts";
import {
  type BenchContext,
  fileName,
  FOLDER,
  LIBRARY_PATH,
  MINUTE,
  type Scenario,
  withTempDir,
} from "./scenario.ts";
import { expectOk, PERMISSIONS, runTool, toolWorkspace } from "./tool.ts";

interface Timing {
  ms: number;
  rss: number | undefined;
}

async function medianOf(runs: number, once: () => Promise<Measured>): Promise<Timing> {
  await once();
  const measured: Measured[] = [];
  for (let i = 0; i < runs; i++) measured.push(await once());
  return {
    ms: median(measured.map((m) => m.wallMs)),
    rss: median(measured.map((m) => m.peakRss ?? 0)) || undefined,
  };
}

/** `deno run` of `source` (written to a scratch file) with the tool's permissions. */
async function bareScript(runs: number, source: string): Promise<Timing> {
  return await withTempDir("bench-bare-", async (dir) => {
    const script = `${dir}/bare.ts`;
    await Deno.writeTextFile(script, source);
    return await medianOf(runs, async () => {
      const run = await measure(Deno.execPath(), ["run", ...PERMISSIONS, script]);
      if (run.code !== 0) throw new Error(`bare script failed: ${run.stderr.slice(0, 500)}`);
      return run;
    });
  });
}

/** A script sending the requests an idle run-once sends, with plain fetch and no validation. */
function sameRequests(sim: Simulator): string {
  const site = new URL(sim.siteUrl);
  const db = new URL(sim.dbServiceUrl);
  db.searchParams.set("since", new Date(Date.now() - 120 * MINUTE).toISOString());
  db.searchParams.set("until", new Date().toISOString());
  const form = new URLSearchParams({
    client_id: sim.clientId,
    client_secret: sim.clientSecret,
    scope: "https://graph.microsoft.com/.default",
    grant_type: "client_credentials",
  });
  return `const graph = ${JSON.stringify(sim.graphBaseUrl)};
const token = await (await fetch(${
    JSON.stringify(`${sim.authorityHost}/${sim.tenantId}/oauth2/v2.0/token`)
  }, { method: "POST", body: new URLSearchParams(${JSON.stringify(form.toString())}) })).json();
const headers = { authorization: "Bearer " + token.access_token };
await (await fetch(${JSON.stringify(db.href)})).json();
const s = await (await fetch(graph + "/sites/${site.hostname}:${site.pathname}", { headers })).json();
const d = await (await fetch(graph + "/sites/" + s.id + "/drives", { headers })).json();
const drive = d.value.find((x) => decodeURIComponent(x.webUrl).endsWith("/Shared Documents"));
await (await fetch(graph + "/drives/" + drive.id + "/root:/${LIBRARY_PATH}:/children?$top=1000", { headers })).json();
`;
}

function row(scenario: string, tool: Timing, bare: Timing, label: string, note: string): Row {
  return {
    scenario,
    toolMs: tool.ms,
    baselineMs: bare.ms,
    baselineLabel: label,
    files: 0,
    bytes: 0,
    toolRss: tool.rss,
    target: { kind: "time", max: 1.5 },
    note: `${note}; baseline peak RSS ${((bare.rss ?? 0) / 1e6).toFixed(0)} MB`,
  };
}

const coldStart: Scenario = {
  name: "cold-start",
  description: "ingest --version and an idle run-once against bare deno run",
  async run(context: BenchContext): Promise<Row[]> {
    const runs = context.quick ? 5 : 15;
    const empty = await bareScript(runs, "\n");
    context.log(`${this.name}: bare deno ${empty.ms.toFixed(0)} ms`);
    const version = await medianOf(runs, async () => {
      const run = await runTool(["--version"]);
      expectOk(run, "--version");
      return run;
    });
    const now = Date.now();
    const names = Array.from({ length: 10 }, (_, i) => fileName("seen", i));
    await using sim = await startSimulator({
      files: names.map((name) => ({
        path: `${LIBRARY_PATH}/${name}`,
        size: 1024,
        lastModified: new Date(now - 5 * MINUTE),
      })),
      ingested: names.map((name) => ({ name, at: new Date(now - MINUTE) })),
    });
    const workspace = await toolWorkspace(sim, FOLDER);
    const idleRun = await medianOf(runs, async () => {
      const run = await runTool(["run-once"], workspace.settings);
      expectOk(run, "run-once");
      return run;
    });
    const requests = await bareScript(runs, sameRequests(sim));
    const note = `median of ${runs}`;
    return [
      row("cold start: ingest --version", version, empty, "bare deno run", note),
      row("cold start: run-once, nothing new", idleRun, empty, "bare deno run", note),
      row(
        "cold start: run-once, nothing new",
        idleRun,
        requests,
        "bare deno, same 5 requests",
        note,
      ),
    ];
  },
};

/** The start-up scenarios. */
export const startupScenarios: Scenario[] = [coldStart];
