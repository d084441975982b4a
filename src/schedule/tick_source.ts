/**
 * The scheduler's one tick source: it waits on the injected clock for the next tick of a
 * {@link TickPlan} (a fixed interval, daily times or a cron expression) and calls `onTick`.
 * croner is used only for the next-fire maths (`schedule_math.ts`), never for its timers.
 *
 * Waits are cut into slices of at most 30 s and the clock is read again after each, as croner
 * does, so a suspended laptop or a changed system clock is noticed. Ticks missed meanwhile fire
 * once, then the plan continues: an interval on its original grid, a cron at its next fire.
 * @module
 */
import { type Clock, systemClock } from "../clock.ts";
import type { ScheduleMode } from "../config/settings.ts";
import { nextRuns } from "./schedule_math.ts";

/** Longest single wait before the clock is read again. */
const MAX_SLICE_MS = 30_000;

/** When a {@link TickSource} fires. */
export interface TickPlan {
  /** The first tick of a source started at `startMs`; undefined when it never fires. */
  first(startMs: number): number | undefined;
  /**
   * The tick due at `dueMs` fires at `nowMs` (at or after it; much later after a suspend): the
   * instant the tick stands for, and the next tick (undefined: none).
   */
  fire(dueMs: number, nowMs: number): { planned: number; next: number | undefined };
}

/**
 * Every `periodMs` from the start: the first tick is at the start instant.
 * @throws {RangeError} for a period that is not positive.
 */
export function intervalPlan(periodMs: number): TickPlan {
  if (!(periodMs > 0)) {
    throw new RangeError(
      `Cannot start interval timer: periodMs must be positive, got ${periodMs}`,
    );
  }
  let anchor = 0;
  return {
    first: (startMs) => anchor = startMs,
    fire: (_dueMs, nowMs) => {
      const planned = anchor + Math.floor((nowMs - anchor) / periodMs) * periodMs;
      return { planned, next: planned + periodMs };
    },
  };
}

/**
 * The ticks of `mode` in `timezone`: an interval from the start, or the daily times and cron
 * fires strictly after the start (DST as `nextRuns` resolves it). A daily or cron tick stands
 * for the instant it fired.
 */
export function schedulePlan(mode: ScheduleMode, timezone: string): TickPlan {
  if (mode.kind === "interval") return intervalPlan(mode.minutes * 60_000);
  const after = (ms: number) => nextRuns(mode, { from: new Date(ms), count: 1, timezone })[0];
  return {
    first: (startMs) => after(startMs)?.getTime(),
    fire: (_dueMs, nowMs) => ({ planned: nowMs, next: after(nowMs)?.getTime() }),
  };
}

/** Options of {@link TickSource}. */
export interface TickSourceOptions {
  plan: TickPlan;
  /** Called at each tick with the instant it stands for; must not throw. */
  onTick: (planned: Date) => void;
  clock?: Clock;
}

/** Calls `onTick` at each tick of its plan, on the injected clock, until stopped. */
export class TickSource {
  #plan: TickPlan;
  #onTick: (planned: Date) => void;
  #clock: Clock;
  #controller = new AbortController();
  #next: number | undefined;
  #loop: Promise<void> | undefined;

  constructor(options: TickSourceOptions) {
    this.#plan = options.plan;
    this.#onTick = options.onTick;
    this.#clock = options.clock ?? systemClock;
  }

  /** The next planned tick, undefined when stopped, not started or past the plan's last. */
  get next(): Date | undefined {
    return this.#next === undefined ? undefined : new Date(this.#next);
  }

  /** Starts ticking from `startMs` (default: now). Starting twice is a no-op. */
  start(startMs: number = this.#clock.now()): void {
    if (this.#loop || this.#controller.signal.aborted) return;
    this.#next = this.#plan.first(startMs);
    this.#loop = this.#run().catch(() => {});
  }

  /** Stops ticking and resolves when the wait in progress has ended. */
  async stop(): Promise<void> {
    this.#controller.abort();
    this.#next = undefined;
    await this.#loop;
  }

  async #run(): Promise<void> {
    const signal = this.#controller.signal;
    let due = this.#next;
    while (!signal.aborted && due !== undefined) {
      let now = this.#clock.now();
      while (now < due) {
        await this.#clock.sleep(Math.min(due - now, MAX_SLICE_MS), signal);
        now = this.#clock.now();
      }
      const { planned, next } = this.#plan.fire(due, now);
      this.#next = due = next;
      this.#onTick(new Date(planned));
    }
  }
}
