/**
 * `deno run -A bench/profile.ts [--files N] [--size KIB] [--concurrency C] [--delay MS]
 * [--runs R] [--wrap "CMD ARGS"] [--deno-flag FLAG]...`: one small-file transfer of the tool
 * against the in-process simulator, without the curl baseline, for profiling. Prints wall time,
 * CPU (user + system of the tool process) per file and peak RSS of every run.
 *
 * `--main PATH` runs another checkout's `main.ts` (before/after comparisons in one load).
 * `--dir /dev/shm` takes the disk out; `--keep` leaves the scratch folders (see below).
 * `--wrap` runs the tool under another command, e.g. `--wrap "strace -c -f -o /tmp/strace.txt"`;
 * `--deno-flag=--cpu-prof --deno-flag=--cpu-prof-dir=/tmp/prof` writes a V8 CPU profile.
 * @module
 */
import { parseArgs } from "node:util";
import { startSimulator } from "../src/sim/simulator.ts";
import type { RequestLogEntry } from "../src/sim/types.ts";
import { measure } from "./measure.ts";
import { FOLDER, KIB, removeScratch, setScratchRoot, smallFileSpecs } from "./scenario.ts";
import { RUNTIME_V8_FLAGS } from "../src/permissions.ts";
import { MAIN, PERMISSIONS, toolResult, toolWorkspace } from "./tool.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    files: { type: "string", default: "2000" },
    size: { type: "string", default: "64" },
    concurrency: { type: "string", default: "8" },
    delay: { type: "string", default: "0" },
    runs: { type: "string", default: "1" },
    wrap: { type: "string", default: "" },
    dir: { type: "string" },
    keep: { type: "boolean", default: false },
    "dry-run": { type: "boolean", default: false },
    requests: { type: "boolean", default: false },
    main: { type: "string", default: MAIN },
    "log-level": { type: "string", default: "WARNING" },
    "deno-flag": { type: "string", multiple: true, default: [] },
  },
});

setScratchRoot(values.dir);
/** The requests before the first download and when the downloads started and ended. */
function printRequests(log: readonly RequestLogEntry[]): void {
  const start = log[0]?.at ?? 0;
  const firstDownload = log.findIndex((e) => e.server === "download");
  for (const entry of log.slice(0, firstDownload < 0 ? log.length : firstDownload + 1)) {
    console.log(
      `  +${entry.at - start} ms ${entry.server} ${entry.method} ${entry.url.slice(0, 90)}`,
    );
  }
  const downloads = log.filter((e) => e.server === "download");
  console.log(
    `  ${downloads.length} downloads until +${(downloads.at(-1)?.at ?? start) - start} ms`,
  );
}

const count = Number(values.files);
const size = Number(values.size) * KIB;
const now = Date.now();
await using sim = await startSimulator({ files: smallFileSpecs(count, size, now) });
if (Number(values.delay) > 0) {
  sim.addFault({ match: {}, fault: { kind: "delay", ms: Number(values.delay) }, times: Infinity });
}
const wrap = values.wrap.split(" ").filter((w) => w !== "");
try {
  for (let run = 0; run < Number(values.runs); run++) {
    const workspace = await toolWorkspace(sim, FOLDER, {
      download_concurrency: Number(values.concurrency),
    });
    await Deno.writeTextFile(
      workspace.settings,
      (await Deno.readTextFile(workspace.settings)).replace(
        'log_level = "WARNING"',
        `log_level = "${values["log-level"]}"`,
      ),
    );
    const tool = [
      Deno.execPath(),
      "run",
      // Deno reads and writes /dev/shm only with --allow-all.
      ...(values.dir?.startsWith("/dev/shm") ? ["--allow-all", ...RUNTIME_V8_FLAGS] : PERMISSIONS),
      ...values["deno-flag"],
      values.main,
      "--json",
      "trigger",
      "--lookback",
      "2h",
      ...(values["dry-run"] ? ["--dry-run"] : []),
      "--config",
      workspace.settings,
    ];
    const [command, ...args] = [...wrap, ...tool];
    sim.clearRequestLog();
    const result = await measure(command!, args);
    const parsed = toolResult(result.stdout);
    const cpu = result.cpuMs ?? NaN;
    console.log(
      `run ${run + 1}: exit ${result.code}, ${parsed.downloaded?.length ?? 0} downloaded, ` +
        `wall ${result.wallMs.toFixed(0)} ms, in-run ${parsed.duration_ms ?? "–"} ms, ` +
        `CPU ${cpu.toFixed(0)} ms (${(cpu / count).toFixed(3)} ms per file, ` +
        `${(result.sysMs ?? NaN).toFixed(0)} ms system), ` +
        `peak RSS ${((result.peakRss ?? 0) / 1e6).toFixed(0)} MB`,
    );
    if (result.code !== 0) console.log(result.stderr.slice(0, 2000));
    if (values.requests) printRequests(sim.requestLog);
  }
} finally {
  // Freed inodes slow the next file creations on ext4 without a journal (`recently_deleted`):
  // --keep leaves the folders for a later, separate clean-up.
  if (!values.keep) await removeScratch();
}
