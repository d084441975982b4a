import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import { StatusBlock } from "../../src/commands/status_block.ts";
import { SyncDisplay } from "../../src/commands/sync_display.ts";
import type { Terminal } from "../../src/commands/terminal.ts";
import { closeLogging, setupLogging } from "../../src/logging.ts";
import { VtScreen } from "../helpers/vt_screen.ts";

/**
 * A terminal that feeds one emulated screen from the block (frames) and from a second writer
 * (log records, report lines), and checks after every write that the screen is the printed
 * lines followed by the block as last drawn, or by nothing: no frame interleaves with a record.
 */
class RecordingTerminal implements Terminal {
  readonly color = false;
  readonly screen = new VtScreen();
  /** Complete lines printed above the block so far. */
  readonly printed: string[] = [];
  frames: string[][] = [];
  #onScreen: string[] = [];
  width = 60;

  columns(): number {
    return this.width;
  }

  /** Block writes: an erase, possibly followed by a frame. */
  write(text: string): void {
    this.screen.write(text);
    // deno-lint-ignore no-control-regex
    const body = text.replace(/^\x1b\[\d+A\r\x1b\[J/, "");
    this.#onScreen = body === "" ? [] : body.replace(/\n$/, "").split("\n");
    if (this.#onScreen.length > 0) this.frames.push(this.#onScreen);
    this.#check();
  }

  /** Another writer on the same screen (stderr log records, stdout lines). */
  print(text: string): void {
    assert.equal(this.#onScreen.length, 0, `printed over the block: ${text}`);
    this.screen.write(text);
    // deno-lint-ignore no-control-regex
    const plain = text.replace(/\x1b\[[0-9;]*m/g, "");
    this.printed.push(...plain.replace(/\n$/, "").split("\n"));
    this.#check();
  }

  #check(): void {
    assert.deepEqual(this.screen.text(), [...this.printed, ...this.#onScreen]);
  }
}

function manualTicker() {
  const ticks: (() => void)[] = [];
  let count = 0;
  return {
    start: (_ms: number, tick: () => void) => {
      ticks.push(tick);
      return () => ticks.splice(ticks.indexOf(tick), 1);
    },
    tick: () => (count++, ticks.forEach((t) => t())),
    get count() {
      return count;
    },
    get running() {
      return ticks.length;
    },
  };
}

Deno.test("StatusBlock draws on ticks only when the lines change, and prints above itself", () => {
  const terminal = new RecordingTerminal();
  const ticker = manualTicker();
  let lines = ["one"];
  const block = new StatusBlock({ terminal, render: () => lines, ticker: ticker.start });
  block.start();
  assert.equal(terminal.frames.length, 1);
  ticker.tick();
  assert.equal(terminal.frames.length, 1, "same lines: no new frame");
  lines = ["one", "two"];
  ticker.tick();
  block.above(() => terminal.print("a record\n"));
  lines = ["three"];
  ticker.tick();
  assert.deepEqual(terminal.screen.text(), ["a record", "three"]);
  block.close();
  assert.equal(ticker.running, 0, "the ticker stops");
  assert.deepEqual(terminal.screen.text(), ["a record"]);
  block.above(() => terminal.print("after\n"));
  ticker.tick();
  assert.deepEqual(terminal.screen.text(), ["a record", "after"]);
});

Deno.test("StatusBlock gives every frame one column less than the terminal, at least 19", () => {
  const terminal = new RecordingTerminal();
  const widths: number[] = [];
  const block = new StatusBlock({
    terminal,
    render: (columns) => (widths.push(columns), [`w${columns}`]),
    ticker: manualTicker().start,
  });
  block.start();
  terminal.width = 5;
  block.draw();
  assert.deepEqual(widths, [59, 19]);
});

Deno.test("a live run: warnings above the block, no per-file INFO line, the block cleared before the summary", async () => {
  const terminal = new RecordingTerminal();
  terminal.width = 120;
  const ticker = manualTicker();
  let now = 0;
  const display = new SyncDisplay({ terminal, now: () => now, ticker: ticker.start });
  await setupLogging({
    level: "INFO",
    format: "auto",
    isTty: true,
    perFileOnConsole: false,
    write: (text) => display.block.above(() => terminal.print(text)),
  });
  try {
    const log = getLogger(["ingest", "sync"]);
    display.block.start();
    log.info("Sync started {run_id}", { run_id: "r1" });
    display.phase("authenticating");
    display.phase("listing");
    for (let i = 1; i <= 3000; i++) display.listed(i);
    display.planned(3000, 3000 * 1000);
    for (let i = 1; i <= 3000; i++) {
      const name = `report_${String(i).padStart(4, "0")}.csv`;
      display.fileStarted(name, 1000);
      display.fileBytes(name, 500);
      if (i === 1500) {
        log.warn("Cannot download {file}: reset; retrying", { file: name });
        display.fileRetrying(name);
        now += 1000;
        ticker.tick();
        assert.match(terminal.frames.at(-1)!.at(-1)!, /^ {2}report_1500\.csv +retrying$/);
        display.fileStarted(name, 1000);
      }
      display.fileBytes(name, 1000);
      display.filePlacing(name);
      log.info("Placed {file} ({bytes} bytes)", { file: name, bytes: 1000 });
      display.fileDone(name, i !== 7);
      if (i % 100 === 0) (now += 100, ticker.tick());
    }
    display.phase("placing");
    ticker.tick();
    log.info("Sync finished {run_id}", { run_id: "r1" });
    display.block.close();
    terminal.print("Downloaded 2999 file(s)\n");
  } finally {
    await closeLogging();
  }
  const screen = terminal.screen.text();
  assert.equal(screen.length, 4, screen.join("\n"));
  assert.match(screen[0]!, /INF.*Sync started/);
  assert.match(screen[1]!, /WRN.*Cannot download report_1500\.csv/);
  assert.match(screen[2]!, /INF.*Sync finished/);
  assert.equal(screen[3], "Downloaded 2999 file(s)");
  assert.ok(!terminal.printed.some((line) => line.includes("Placed")), "no per-file line");
  const frameAfterWarning = terminal.frames.find((f) => f[0]!.includes("1499/3000"));
  assert.ok(frameAfterWarning, "a frame drawn below the warning");
  assert.ok(
    terminal.frames.length <= ticker.count + 1,
    `${terminal.frames.length} frames for the start and ${ticker.count} ticks`,
  );
  const last = terminal.frames.at(-1)!;
  assert.match(last[0]!, /^Placing · 2999\/3000 files · 3\.0 MB of 3\.0 MB .*· 1 failed$/);
});

Deno.test("at --log-level debug the console keeps per-file records under a live display", async () => {
  const terminal = new RecordingTerminal();
  const block = new StatusBlock({
    terminal,
    render: () => ["block"],
    ticker: manualTicker().start,
  });
  await setupLogging({
    level: "DEBUG",
    format: "auto",
    isTty: true,
    perFileOnConsole: false,
    write: (text) => block.above(() => terminal.print(text)),
  });
  block.start();
  getLogger(["ingest", "sync"]).info("Placed {file}", { file: "a.csv" });
  await closeLogging();
  block.close();
  assert.match(terminal.screen.text()[0]!, /Placed a\.csv/);
});
