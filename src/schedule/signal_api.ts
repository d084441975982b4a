/**
 * The process signal API the shutdown handling uses, kept free of other imports so the entry
 * point can build it without loading anything else.
 * @module
 */

/** A signal that starts a shutdown. */
export type ShutdownSignal = "SIGINT" | "SIGTERM" | "SIGBREAK";

/** The part of the Deno signal API the watcher uses; tests pass a fake. */
export interface SignalApi {
  /** `Deno.build.os`. */
  os: string;
  addSignalListener(signal: ShutdownSignal, handler: () => void): void;
  removeSignalListener(signal: ShutdownSignal, handler: () => void): void;
}

/** The real signal API of this process. */
export function denoSignalApi(): SignalApi {
  return {
    os: Deno.build.os,
    addSignalListener: (signal, handler) => Deno.addSignalListener(signal, handler),
    removeSignalListener: (signal, handler) => Deno.removeSignalListener(signal, handler),
  };
}
