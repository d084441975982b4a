import assert from "node:assert/strict";
import { chooseSchedule, validateCron } from "../../src/config/schedule_choice.ts";
import type { ScheduleMode } from "../../src/config/settings.ts";
import { ConfigError } from "../../src/errors.ts";

const base = { interval_minutes: 60, quad_daily_times: [] as string[], timezone: "local" };

Deno.test("chooseSchedule() picks interval, daily times or cron from the settings", () => {
  const cases: { name: string; raw: Parameters<typeof chooseSchedule>[0]; want: ScheduleMode }[] = [
    { name: "defaults", raw: base, want: { kind: "interval", minutes: 60 } },
    {
      name: "interval only",
      raw: { ...base, interval_minutes: 15 },
      want: { kind: "interval", minutes: 15 },
    },
    {
      name: "daily times win over interval, sorted and deduplicated",
      raw: { ...base, interval_minutes: 5, quad_daily_times: ["18:05", "09:05", "18:05"] },
      want: { kind: "daily", times: ["09:05", "18:05"] },
    },
    {
      name: "cron wins over interval",
      raw: { ...base, interval_minutes: 5, cron: " 0 */2 * * * " },
      want: { kind: "cron", expression: "0 */2 * * *" },
    },
  ];
  for (const { name, raw, want } of cases) assert.deepEqual(chooseSchedule(raw), want, name);
});

Deno.test("chooseSchedule() rejects daily times together with cron, naming both keys", () => {
  assert.throws(
    () => chooseSchedule({ ...base, quad_daily_times: ["09:05"], cron: "0 * * * *" }),
    (error: unknown) =>
      error instanceof ConfigError && error.exitCode === 2 &&
      error.message.includes("quad_daily_times") && error.message.includes("cron"),
  );
});

Deno.test("validateCron() reports croner's message as a ConfigError", () => {
  const cases: [string, RegExp][] = [
    ["61 * * * *", /Cannot use cron "61 \* \* \* \*": .*Invalid value for minute: 61/],
    ["* * * *", /exactly five, six, or seven/],
    ["@reboot", /@reboot/],
    ["0 0 31 2 *", /never fires/],
  ];
  for (const [expression, message] of cases) {
    assert.throws(() => validateCron(expression), (error: unknown) => {
      assert.ok(error instanceof ConfigError, expression);
      assert.match(error.message, message);
      return true;
    });
  }
  validateCron("*/5 * * * *", "Europe/Berlin");
  validateCron("0 30 9 * * MON-FRI", "America/Chicago");
});
