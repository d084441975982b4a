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
import type { BenchContext, Scenario } from "./scenario.ts";
import { listingScenarios } from "./scenarios_listing.ts";
import { startupScenarios } from "./scenarios_startup.ts";
import { transferScenarios } from "./scenarios_transfer.ts";

const SCENARIOS: Scenario[] = [...transferScenarios, ...listingScenarios, ...startupScenarios];

const USAGE = `Usage: deno task bench [--quick] [--only NAME[,NAME...]] [--runs N]

  --quick   smaller sizes (200 small files, 128 MiB, 10,000 items) for a smoke run
  --only    scenarios to run, by name or name prefix:
${SCENARIOS.map((s) => `              ${s.name.padEnd(12)} ${s.description}`).join("\n")}
  --runs    measured repetitions of the small-file scenarios (median; default 3, quick 1)`;

function selected(only: string[]): Scenario[] {
  if (only.length === 0) return SCENARIOS;
  const picked = SCENARIOS.filter((s) => only.some((o) => s.name.startsWith(o)));
  if (picked.length === 0) throw new Error(`No scenario matches ${only.join(", ")}\n\n${USAGE}`);
  return picked;
}

async function write(rows: Row[], info: Record<string, string>, quick: boolean): Promise<string> {
  const dir = fileURLToPath(new URL("./out/", import.meta.url));
  await Deno.mkdir(dir, { recursive: true });
  const notes = rows.filter((r) => r.note).map((r) => `- ${r.scenario}: ${r.note}`);
  const markdown = [
    `Measured ${new Date().toISOString()}${quick ? " (--quick)" : ""} on ${
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
    JSON.stringify({ machine: info, quick, rows }, null, 2) + "\n",
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
  const rows: Row[] = [];
  for (const scenario of selected(values.only.flatMap((o) => o.split(",")))) {
    const started = performance.now();
    context.log(`${scenario.name} — ${scenario.description}`);
    rows.push(...await scenario.run(context));
    context.log(`${scenario.name} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  console.log(await write(rows, await machine(), quick));
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
