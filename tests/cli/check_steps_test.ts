import assert from "node:assert/strict";
import { CHECK_STEPS } from "../../src/commands/check/steps.ts";

Deno.test("CHECK_STEPS lists each check once, each with a label of its own", () => {
  const runs = CHECK_STEPS.map((step) => step.run);
  assert.equal(new Set(runs).size, runs.length, "a check listed twice");
  const labels = CHECK_STEPS.map((step) => step.label);
  assert.equal(new Set(labels).size, labels.length, `a label used twice: ${labels.join(", ")}`);
  assert.equal(
    CHECK_STEPS.find((step) => step.run.name === "checkWindow")?.label,
    "Working out the next run's window",
  );
});
