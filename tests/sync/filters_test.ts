import assert from "node:assert/strict";
import { ConfigError } from "../../src/errors.ts";
import { FileFilter, matchesGlob } from "../../src/sync/filters.ts";

Deno.test("matchesGlob() supports *, ?, classes and negated classes, case-insensitively", () => {
  const cases: [string, string, boolean][] = [
    ["*", "anything.csv", true],
    ["*", "", true],
    ["*.csv", "sales.csv", true],
    ["*.csv", "SALES.CSV", true],
    ["*.csv", "sales.csv.bak", false],
    ["sales-??.csv", "sales-01.csv", true],
    ["sales-??.csv", "sales-1.csv", false],
    ["report[abc].txt", "reportB.txt", true],
    ["report[abc].txt", "reportd.txt", false],
    ["file[0-9].csv", "file7.csv", true],
    ["file[0-9].csv", "filex.csv", false],
    ["file[!0-9].csv", "filex.csv", true],
    ["file[^0-9].csv", "file1.csv", false],
    ["a.b", "aXb", false],
    ["(x)+$.csv", "(x)+$.csv", true],
    ["[]x].txt", "].txt", true],
    ["unclosed[.txt", "unclosed[.txt", true],
    ["*draft*", "Q1 DRAFT v2.xlsx", true],
    ["ümlaut*.csv", "ÜMLAUT-1.csv", true],
  ];
  for (const [glob, name, expected] of cases) {
    assert.equal(matchesGlob(name, glob), expected, `${glob} vs ${name}`);
  }
});

Deno.test("matchesGlob() turns a reversed range into a ConfigError naming the glob", () => {
  assert.throws(() => matchesGlob("a", "[z-a]"), ConfigError);
  assert.throws(() => matchesGlob("a", "[z-a]"), /Cannot use the glob "\[z-a\]"/);
});

Deno.test("FileFilter requires an include match, then no exclude match, then the minimum age", () => {
  const filter = new FileFilter({
    include: ["*.csv", "*.xlsx"],
    exclude: ["~*", "*tmp*"],
    minAgeMs: 60_000,
  });
  const now = Date.parse("2026-03-01T12:00:00Z");
  const old = new Date(now - 120_000);
  assert.equal(filter.verdict({ name: "a.csv", lastModified: old }, now), undefined);
  assert.equal(filter.verdict({ name: "a.txt", lastModified: old }, now), "not_included");
  assert.equal(filter.verdict({ name: "~lock.xlsx", lastModified: old }, now), "excluded");
  assert.equal(filter.verdict({ name: "x-TMP.csv", lastModified: old }, now), "excluded");
  assert.equal(
    filter.verdict({ name: "a.csv", lastModified: new Date(now - 59_999) }, now),
    "too_new",
  );
  assert.equal(
    filter.verdict({ name: "a.csv", lastModified: new Date(now - 60_000) }, now),
    undefined,
  );
});

Deno.test("FileFilter with no include globs keeps nothing and min age 0 keeps future-dated files", () => {
  const now = 1_000_000;
  assert.equal(
    new FileFilter({ include: [], exclude: [], minAgeMs: 0 }).verdict({
      name: "a",
      lastModified: new Date(0),
    }, now),
    "not_included",
  );
  assert.equal(
    new FileFilter({ include: ["*"], exclude: [], minAgeMs: 0 }).verdict(
      { name: "a", lastModified: new Date(now + 5) },
      now,
    ),
    undefined,
  );
});
