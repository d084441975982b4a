/**
 * `deno task bench [--quick] [--only NAME[,NAME…]] [--runs N]`: runs the benchmark scenarios,
 * prints the results table with the machine it ran on, and writes it to `bench/out/`
 * (`results.md`, `results.json`).
 *
 * Every scenario starts the simulator in this process on loopback, runs the real CLI as a child
 * process (`deno run … main.ts`) and, in the same run, a curl baseline over the same bytes.
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { machine, type Row, table } from "./report.ts";
import { type BenchContext, removeScratch, type Scenario, setScratchRoot } from "./scenario.ts";
import { deltaScenarios } from "./scenarios_delta.ts";
import { listingScenarios } from "./scenarios_listing.ts";
import { scaleScenarios } from "./scenarios_scale.ts";
import { startupScenarios } from "./scenarios_startup.ts";
import { transferScenarios } from "./scenarios_transfer.ts";
import { setDenoFlags } from "./tool.ts";

const SCENARIOS: Scenario[] = [
  ...transferScenarios,
  ...listingScenarios,
  ...deltaScenarios,
  ...scaleScenarios,
  ...startupScenarios,
];

const USAGE = `Usage: deno task bench [--quick] [--only NAME[,NAME...]] [--runs N] [--dir DIR]
                       [--deno-flag FLAG]...

  --quick   smaller sizes (200 small files, 128 MiB, 10,000 items) for a smoke run
  --only    scenarios to run, by name or name prefix:
${SCENARIOS.map((s) => `              ${s.name.padEnd(12)} ${s.description}`).join("\n")}
  --runs    measured repetitions of the small-file scenarios (median; default 3, quick 1)
  --dir     folder for downloads and settings (default: the system temp folder), e.g. /dev/shm
            to take the disk out of both the tool's and curl's figures
  --deno-flag
            extra \`deno run\` flag for the tool, e.g. --deno-flag=--v8-flags=--max-semi-space-size=1`;

function selected(only: string[]): Scenario[] {
  if (only.length === 0) return SCENARIOS;
  const picked = SCENARIOS.filter((s) => only.some((o) => s.name.startsWith(o)));
  if (picked.length === 0) throw new Error(`No scenario matches ${only.join(", ")}\n\n${USAGE}`);
  return picked;
}

async function write(
  rows: Row[],
  info: Record<string, string>,
  setup: string,
): Promise<string> {
  const dir = fileURLToPath(new URL("./out/", import.meta.url));
  await Deno.mkdir(dir, { recursive: true });
  const notes = rows.filter((r) => r.note).map((r) => `- ${r.scenario}: ${r.note}`);
  const markdown = [
    `Measured ${new Date().toISOString()} (${setup}) on ${
      Object.entries(info).map(([k, v]) => `${k}: ${v}`).join("; ")
    }`,
    "",
    table(rows),
    "",
    ...notes,
    "",
  ].join("\n");
  await Deno.writeTextFile(`${dir}results.md`, markdown);
  await Deno.writeTextFile(
    `${dir}results.json`,
    JSON.stringify({ machine: info, setup, rows }, null, 2) + "\n",
  );
  return markdown;
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string", multiple: true, default: [] },
      runs: { type: "string" },
      dir: { type: "string" },
      "deno-flag": { type: "string", multiple: true, default: [] },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const quick = values.quick;
  const runs = values.runs === undefined ? (quick ? 1 : 3) : Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a whole number ≥ 1`);
  const context: BenchContext = { quick, runs, log: (line) => console.error(`bench: ${line}`) };
  const scenarios = selected(values.only.flatMap((o) => o.split(",")));
  setScratchRoot(values.dir);
  setDenoFlags(values["deno-flag"]);
  const setup = [
    quick ? "--quick" : "full size",
    `files in ${values.dir ?? Deno.env.get("TMPDIR") ?? "/tmp"}`,
    ...values["deno-flag"].map((f) => `tool flag ${f}`),
  ].join(", ");
  const rows: Row[] = [];
  try {
    for (const scenario of scenarios) {
      const started = performance.now();
      context.log(`${scenario.name} — ${scenario.description}`);
      rows.push(...await scenario.run(context));
      context.log(
        `${scenario.name} done in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
    }
  } finally {
    await removeScratch();
  }
  console.log(await write(rows, await machine(), setup));
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    Deno.exit(1);
  }
}
