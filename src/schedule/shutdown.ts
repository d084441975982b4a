/**
 * Shutdown signals: which ones to listen to on this platform, and counting them.
 *
 * Linux/macOS: SIGINT (Ctrl+C) and SIGTERM (systemd, `kill`). Windows: SIGINT (Ctrl+C) and
 * SIGBREAK (Ctrl+Break). Registering SIGBREAK on Linux throws, and Windows rejects most POSIX
 * names, so only these are ever registered. Task Scheduler "End" and `kill -9` cannot be caught;
 * crash safety (staging files, the OS-released run lock) covers them.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { ExitCode } from "../errors.ts";

const log = getLogger(["ingest", "scheduler"]);

export { denoSignalApi, type ShutdownSignal, type SignalApi } from "./signal_api.ts";
import { denoSignalApi, type ShutdownSignal, type SignalApi } from "./signal_api.ts";

/** The shutdown signals to register on `os` (a `Deno.build.os` value). */
export function shutdownSignals(os: string): ShutdownSignal[] {
  return os === "windows" ? ["SIGINT", "SIGBREAK"] : ["SIGINT", "SIGTERM"];
}

/** Exit code after a shutdown that had to abort a run: 130 for SIGINT/SIGBREAK, 143 for SIGTERM. */
export function exitCodeForSignal(signal: ShutdownSignal): ExitCode {
  return signal === "SIGTERM" ? ExitCode.Terminated : ExitCode.Interrupted;
}

/**
 * The same signal again within this window is one delivery seen twice, not a second signal.
 */
export const REPEAT_WINDOW_MS = 300;

/** Options of {@link ShutdownWatcher}. */
export interface ShutdownWatcherOptions {
  /** Default: the real Deno API. */
  api?: SignalApi;
  /** Clock for telling a repeated delivery from a second signal; default `Date.now`. */
  now?: () => number;
  /** Called for every signal received; `count` is 1 for the first. */
  onSignal?: (signal: ShutdownSignal, count: number) => void;
}

/**
 * Listens for the platform's shutdown signals until disposed. While it listens, the default
 * action of those signals (terminating the process) is suppressed.
 */
export class ShutdownWatcher implements Disposable {
  #api: SignalApi;
  #handlers = new Map<ShutdownSignal, () => void>();
  #onSignal: ((signal: ShutdownSignal, count: number) => void) | undefined;
  #count = 0;
  #signal: ShutdownSignal | undefined;
  #last: { signal: ShutdownSignal; at: number } | undefined;
  #now: () => number;
  #resolveFirst!: (signal: ShutdownSignal) => void;
  /** Resolves with the first signal received. */
  readonly first: Promise<ShutdownSignal>;

  constructor(options: ShutdownWatcherOptions = {}) {
    this.#api = options.api ?? denoSignalApi();
    this.#onSignal = options.onSignal;
    this.#now = options.now ?? (() => Date.now());
    this.first = new Promise((resolve) => this.#resolveFirst = resolve);
    for (const signal of shutdownSignals(this.#api.os)) {
      const handler = () => this.#receive(signal);
      this.#api.addSignalListener(signal, handler);
      this.#handlers.set(signal, handler);
    }
  }

  /** The first signal received, if any. */
  get signal(): ShutdownSignal | undefined {
    return this.#signal;
  }

  /** How many shutdown signals arrived. */
  get count(): number {
    return this.#count;
  }

  #receive(signal: ShutdownSignal): void {
    const now = this.#now();
    if (signal === this.#last?.signal && now - this.#last.at < REPEAT_WINDOW_MS) {
      // One Ctrl+C can arrive twice: from the terminal's process group and forwarded by a
      // launcher (`deno task`, some service wrappers). That is not the operator's second signal.
      log.debug("Ignored a repeated {signal} within {window_ms} ms", {
        signal,
        window_ms: REPEAT_WINDOW_MS,
      });
      return;
    }
    this.#last = { signal, at: now };
    this.#count++;
    if (this.#count === 1) {
      this.#signal = signal;
      this.#resolveFirst(signal);
    }
    log.debug("Received {signal} ({count})", { signal, count: this.#count });
    this.#onSignal?.(signal, this.#count);
  }

  /** Removes the listeners; the signals' default action applies again. */
  [Symbol.dispose](): void {
    for (const [signal, handler] of this.#handlers) this.#api.removeSignalListener(signal, handler);
    this.#handlers.clear();
  }
}
