/**
 * `deno run -A bench/scale_probe.ts [--items N] [--new N] [--runs R] [--dry-run] [--idle]
 * [--main PATH] [--stderr] [--deno-flag FLAG]...`: the scale scenario's first delta enumeration
 * of the tool alone (no curl), for memory experiments. Prints wall, CPU and peak RSS of every run
 * (`--idle`: and of an idle run after it; `--stderr`: the tail of the tool's stderr). With a
 * `--trace…` V8 flag the tool's output is written to a file in the temp folder, whose path is
 * printed.
 * @module
 */
import { parseArgs } from "node:util";
import { startSimulator } from "../src/sim/simulator.ts";
import { measure } from "./measure.ts";
import { DAY, fileName, FOLDER, KIB, LIBRARY_PATH, MINUTE, removeScratch } from "./scenario.ts";
import { MAIN, PERMISSIONS, toolResult, toolWorkspace } from "./tool.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    items: { type: "string", default: "100000" },
    new: { type: "string", default: "1000" },
    runs: { type: "string", default: "1" },
    "dry-run": { type: "boolean", default: false },
    idle: { type: "boolean", default: false },
    stderr: { type: "boolean", default: false },
    main: { type: "string", default: MAIN },
    "deno-flag": { type: "string", multiple: true, default: [] },
  },
});
const items = Number(values.items);
const fresh = Number(values.new);
const now = Date.now();
const every = fresh > 0 ? Math.max(1, Math.floor(items / fresh)) : Infinity;
await using sim = await startSimulator({
  files: Array.from({ length: items }, (_, i) => {
    const isNew = i % every === every - 1;
    return {
      path: `${LIBRARY_PATH}/d${String(Math.floor(i / 1000)).padStart(4, "0")}/${
        fileName("item", i, 7)
      }`,
      size: isNew ? 16 * KIB : 512,
      lastModified: new Date(isNew ? now - 5 * MINUTE : now - 10 * DAY),
    };
  }),
});
try {
  for (let run = 0; run < Number(values.runs); run++) {
    const workspace = await toolWorkspace(sim, FOLDER, {
      download_concurrency: 8,
      listing: "delta",
      include_subfolders: true,
    });
    const args = (extra: string[]) => [
      "run",
      ...PERMISSIONS,
      ...values["deno-flag"],
      values.main,
      "--json",
      "trigger",
      ...extra,
      ...(values["dry-run"] ? ["--dry-run"] : []),
      "--config",
      workspace.settings,
    ];
    for (
      const [what, extra] of [
        ["first", ["--lookback", "2h"]],
        ...(values.idle ? [["idle", []]] : []),
      ] as const
    ) {
      const result = await measure(Deno.execPath(), args([...extra]));
      const parsed = toolResult(result.stdout);
      console.log(
        `run ${run + 1} ${what}: exit ${result.code}, listed ${parsed.listed}, ` +
          `${parsed.downloaded?.length ?? 0} downloaded, wall ${result.wallMs.toFixed(0)} ms, ` +
          `CPU ${(result.cpuMs ?? NaN).toFixed(0)} ms, peak RSS ${
            ((result.peakRss ?? 0) / 1e6).toFixed(0)
          } MB`,
      );
      if (result.code !== 0 || values.stderr) {
        console.log(result.stderr.slice(-2000));
      }
      if (values["deno-flag"].some((f) => f.includes("trace"))) {
        const trace = await Deno.makeTempFile({ prefix: `scale-probe-${run + 1}-${what}-` });
        await Deno.writeTextFile(trace, result.stdout + result.stderr);
        console.log(`  trace: ${trace}`);
      }
    }
  }
} finally {
  await removeScratch();
}
