import assert from "node:assert/strict";
import {
  exceedsPortablePath,
  isSafeName,
  MAX_NAME_LENGTH,
  MAX_PORTABLE_PATH,
  unsafeNameReason,
} from "../../src/sync/safe_names.ts";

/** Names no OS gets: [name, reason on every OS]. */
const UNSAFE_EVERYWHERE: [string, RegExp][] = [
  ["", /empty/],
  [".", /refers to a folder/],
  ["..", /refers to a folder/],
  ["../x.csv", /path separator/],
  ["a/b.csv", /path separator/],
  ["a\\b.csv", /path separator/],
  ["\\\\server\\share", /path separator/],
  ["tab\t.csv", /control character U\+0009/],
  ["nul\u0000.csv", /control character U\+0000/],
  ["del\u007f.csv", /control character U\+007F/],
  ["new\nline.csv", /control character U\+000A/],
  ["bad\ud800.csv", /not well-formed Unicode/],
];

/** Names only Windows refuses: [name, reason on Windows]. POSIX stores each as it is. */
const UNSAFE_ON_WINDOWS: [string, RegExp][] = [
  ["a<b.csv", /"<", which Windows does not allow/],
  ["a>b.csv", /">"/],
  ["C:evil.csv", /":"/],
  ['quote".csv', /"""/],
  ["pipe|.csv", /"\|"/],
  ["what?.csv", /"\?"/],
  ["star*.csv", /"\*"/],
  ["trailing.", /ends with a dot or a space/],
  ["trailing ", /ends with a dot or a space/],
  ["report.csv.", /ends with a dot or a space/],
  ["CON", /device name "CON"/],
  ["con", /device name "con"/],
  ["CON.txt", /device name "CON"/],
  ["con.tar.gz", /device name "con"/],
  ["nul.txt", /device name "nul"/],
  ["NUL .csv", /device name "NUL"/],
  ["prn.csv", /device name/],
  ["AUX", /device name/],
  ["COM1", /device name/],
  ["com9.log", /device name/],
  ["LPT1", /device name/],
  ["lpt5.txt", /device name/],
  ["COM¹", /device name "COM¹"/],
  ["com².csv", /device name/],
  ["LPT³.txt", /device name/],
  ["CONIN$", /device name/],
  ["a".repeat(256), /256 UTF-16 units long, more than 255/],
];

/** Names too long only for POSIX (bytes) or only for Windows (UTF-16 units). */
const LENGTH_CASES: { name: string; linux?: RegExp; windows?: RegExp }[] = [
  { name: "é".repeat(128), linux: /256 bytes long in UTF-8, more than 255/ },
  { name: "é".repeat(255), linux: /510 bytes long/ },
  { name: "é".repeat(256), linux: /512 bytes/, windows: /256 UTF-16 units/ },
  { name: "a".repeat(MAX_NAME_LENGTH) },
];

const SAFE_EVERYWHERE = [
  "sales.csv",
  "Q1 Report (final).xlsx",
  ".hidden",
  "..double-dot-prefix.csv",
  "report..csv",
  "CONFIG.txt",
  "console.log",
  "COM10.txt",
  "LPT.txt",
  "nulls.csv",
  "#hash%percent+plus.csv",
  "日本語のファイル.csv",
  " leading space.csv",
  "é".repeat(127),
];

for (const os of ["linux", "windows", "darwin"]) {
  Deno.test(`unsafeNameReason(name, "${os}") rejects what no OS can store safely`, () => {
    for (const [name, reason] of UNSAFE_EVERYWHERE) {
      const got = unsafeNameReason(name, os);
      assert.ok(got !== undefined, `${JSON.stringify(name)} should be unsafe`);
      assert.match(got, reason, JSON.stringify(name));
      assert.equal(isSafeName(name, os), false);
    }
  });

  Deno.test(`unsafeNameReason(name, "${os}") accepts ordinary and unusual-but-safe names`, () => {
    for (const name of SAFE_EVERYWHERE) {
      assert.equal(unsafeNameReason(name, os), undefined, JSON.stringify(name));
    }
  });
}

Deno.test('unsafeNameReason(name, "windows") rejects device names, trailing dots and spaces, < > : " | ? *', () => {
  for (const [name, reason] of UNSAFE_ON_WINDOWS) {
    const got = unsafeNameReason(name, "windows");
    assert.ok(got !== undefined, `${JSON.stringify(name)} should be unsafe on Windows`);
    assert.match(got, reason, JSON.stringify(name));
  }
});

Deno.test("unsafeNameReason() on Linux and macOS stores the names only Windows refuses", () => {
  for (const os of ["linux", "darwin"]) {
    for (const [name] of UNSAFE_ON_WINDOWS.filter(([n]) => n.length <= MAX_NAME_LENGTH)) {
      assert.equal(unsafeNameReason(name, os), undefined, `${os}: ${JSON.stringify(name)}`);
    }
  }
});

Deno.test("unsafeNameReason() counts UTF-8 bytes on POSIX and UTF-16 units on Windows", () => {
  for (const { name, linux, windows } of LENGTH_CASES) {
    for (const [os, expected] of [["linux", linux], ["windows", windows]] as const) {
      const got = unsafeNameReason(name, os);
      if (expected) assert.match(got ?? "", expected, `${os}: ${name.length} characters`);
      else assert.equal(got, undefined, `${os}: ${name.length} characters`);
    }
  }
});

Deno.test("exceedsPortablePath() is true past 259 characters", () => {
  assert.equal(MAX_PORTABLE_PATH, 259);
  const dir = "C:\\ingest\\incoming\\";
  assert.equal(exceedsPortablePath(dir + "a".repeat(259 - dir.length)), false);
  assert.equal(exceedsPortablePath(dir + "a".repeat(260 - dir.length)), true);
});
