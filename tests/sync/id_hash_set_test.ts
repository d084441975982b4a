import assert from "node:assert/strict";
import { IdHashSet } from "../../src/sync/id_hash_set.ts";

const id = (i: number) => `01BYE5RZ${String(i).padStart(8, "0")}QN3ZWBTUFOFD3GSPG`;

/** Operations on a set and the ids it must hold afterwards, checked against a `Set`. */
const CASES: { name: string; ops: (["add" | "delete", string])[] }[] = [
  { name: "empty", ops: [] },
  { name: "one id", ops: [["add", "a"]] },
  { name: "an id added twice counts once", ops: [["add", "a"], ["add", "a"]] },
  { name: "add then delete", ops: [["add", "a"], ["delete", "a"]] },
  { name: "delete of an absent id", ops: [["add", "a"], ["delete", "b"]] },
  { name: "delete then add again", ops: [["add", "a"], ["delete", "a"], ["add", "a"]] },
  { name: "the empty string", ops: [["add", ""], ["add", "x"]] },
];

for (const c of CASES) {
  Deno.test(`IdHashSet: ${c.name}`, () => {
    const set = new IdHashSet();
    const expected = new Set<string>();
    for (const [op, value] of c.ops) {
      if (op === "add") {
        set.add(value);
        expected.add(value);
      } else assert.equal(set.delete(value), expected.delete(value), `delete ${value}`);
    }
    assert.equal(set.size, expected.size);
    for (const value of ["a", "b", "", "x"]) {
      assert.equal(set.has(value), expected.has(value), value);
    }
  });
}

Deno.test("IdHashSet keeps membership through growth and deletions of 200,000 ids", () => {
  const set = new IdHashSet();
  const expected = new Set<string>();
  for (let i = 0; i < 200_000; i++) {
    set.add(id(i));
    expected.add(id(i));
    // Delete every third id soon after, so probe runs are shifted across grown tables.
    if (i % 3 === 0 && i >= 30) {
      assert.equal(set.delete(id(i - 30)), true);
      expected.delete(id(i - 30));
    }
  }
  assert.equal(set.size, expected.size);
  for (let i = 0; i < 200_010; i++) assert.equal(set.has(id(i)), expected.has(id(i)), id(i));
  set.clear();
  assert.equal(set.size, 0);
  assert.equal(set.has(id(1)), false);
});
