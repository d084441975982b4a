/**
 * Drives `main(args, deps)` in process with captured output and injected facilities.
 */
import { main } from "../../main.ts";
import { systemClock } from "../../src/clock.ts";
import type { CliDeps } from "../../src/commands/context.ts";
import { setupLogging } from "../../src/logging.ts";
import type { ShutdownSignal, SignalApi } from "../../src/schedule/shutdown.ts";

/** Output of one CLI invocation. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A signal API tests can fire by hand. */
export class ManualSignals implements SignalApi {
  readonly os: string;
  #handlers = new Map<string, Set<() => void>>();
  constructor(os: string = Deno.build.os) {
    this.os = os;
  }
  addSignalListener(signal: ShutdownSignal, handler: () => void): void {
    if (!this.#handlers.has(signal)) this.#handlers.set(signal, new Set());
    this.#handlers.get(signal)!.add(handler);
  }
  removeSignalListener(signal: ShutdownSignal, handler: () => void): void {
    this.#handlers.get(signal)?.delete(handler);
  }
  /** Calls every handler registered for `signal`; returns how many there were. */
  send(signal: ShutdownSignal): number {
    const handlers = [...(this.#handlers.get(signal) ?? [])];
    for (const handler of handlers) handler();
    return handlers.length;
  }
  count(signal: ShutdownSignal): number {
    return this.#handlers.get(signal)?.size ?? 0;
  }
}

/** Runs the CLI with `args`; `overrides` replace any dependency. */
export async function runMain(args: string[], overrides: Partial<CliDeps> = {}): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const deps: CliDeps = {
    env: {},
    cwd: Deno.cwd(),
    execPath: "/nonexistent/bin/ingest",
    denoVersion: Deno.version.deno,
    mainModule: new URL("../../main.ts", import.meta.url).href,
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    isTty: false,
    fetch: globalThis.fetch,
    clock: systemClock,
    random: Math.random,
    signals: new ManualSignals(),
    setupLogging,
    ...overrides,
  };
  if (overrides.stdout) deps.stdout = (text) => (stdout += text, overrides.stdout!(text));
  const code = await main(args, deps);
  return { code, stdout, stderr };
}
