import assert from "node:assert/strict";
import { cronTimesOfDay, cronToOnCalendar, parseCron } from "../../src/ops/cron_spec.ts";
import { UsageError } from "../../src/errors.ts";

Deno.test("parseCron() expands lists, ranges, steps and names", () => {
  const spec = parseCron("0,30 9-17/4 1 JAN,jul MON-FRI");
  assert.deepEqual(spec.second.values, [0]);
  assert.deepEqual(spec.minute.values, [0, 30]);
  assert.deepEqual(spec.hour.values, [9, 13, 17]);
  assert.deepEqual(spec.dayOfMonth.values, [1]);
  assert.deepEqual(spec.month.values, [1, 7]);
  assert.deepEqual(spec.dayOfWeek.values, [1, 2, 3, 4, 5]);
  assert.equal(spec.dayOfWeek.any, false);
});

Deno.test("parseCron() reads 6 fields with seconds, nicknames, ? and Sunday as 7", () => {
  assert.deepEqual(parseCron("15 0 12 * * *").second.values, [15]);
  assert.deepEqual(parseCron("@hourly").hour.values.length, 24);
  assert.equal(parseCron("0 0 * * ?").dayOfWeek.any, true);
  assert.deepEqual(parseCron("0 0 * * 7").dayOfWeek.values, [0]);
  assert.deepEqual(parseCron("0 0 * * 5/1").dayOfWeek.values, [0, 5, 6]);
});

Deno.test("parseCron() refuses what it cannot translate with a UsageError", () => {
  for (const bad of ["0 0 L * *", "0 0 * * 5#2", "61 * * * *", "* * * *", "0 0 1 1 * 2030"]) {
    assert.throws(() => parseCron(bad), UsageError, bad);
  }
});

Deno.test("cronTimesOfDay() lists minutes of the day only for every-day crons", () => {
  assert.deepEqual(cronTimesOfDay(parseCron("5 9,12 * * *")), [545, 725]);
  assert.equal(cronTimesOfDay(parseCron("*/30 * * * *"))?.length, 48);
  assert.equal(cronTimesOfDay(parseCron("0 9 * * 1")), undefined);
  assert.equal(cronTimesOfDay(parseCron("30 0 9 * * *")), undefined);
});

Deno.test("cronToOnCalendar() maps fields to systemd calendar syntax", () => {
  assert.equal(cronToOnCalendar("*/15 * * * *"), "*-*-* *:00/15:00");
  assert.equal(cronToOnCalendar("5 9,12,15,18 * * *"), "*-*-* 09,12,15,18:05:00");
  assert.equal(cronToOnCalendar("0 */6 * * *"), "*-*-* 00/6:00:00");
  assert.equal(cronToOnCalendar("@monthly"), "*-*-01 00:00:00");
  assert.equal(cronToOnCalendar("0 30 9 * * SAT,SUN"), "Sun,Sat *-*-* 09:30:00");
  assert.equal(cronToOnCalendar("0 8 * 1-3 *"), "*-01,02,03-* 08:00:00");
});

Deno.test("cronToOnCalendar() refuses day-of-month with day-of-week (cron ORs, systemd ANDs)", () => {
  assert.throws(() => cronToOnCalendar("0 9 1 * MON"), /OR day-of-week/);
});
