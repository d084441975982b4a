import assert from "node:assert/strict";
import { isSafeName, MAX_NAME_BYTES, unsafeNameReason } from "../../src/sync/safe_names.ts";

Deno.test("unsafeNameReason() rejects names that are unsafe on Linux or Windows", () => {
  const cases: [string, RegExp][] = [
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
    ["a<b.csv", /"<", which Windows does not allow/],
    ["a>b.csv", /">"/],
    ["C:evil.csv", /":"/],
    ['quote".csv', /"""/],
    ["pipe|.csv", /"\|"/],
    ["what?.csv", /"\?"/],
    ["star*.csv", /"\*"/],
    ["trailing.", /ends with a dot or a space/],
    ["trailing ", /ends with a dot or a space/],
    ["CON", /device name "CON"/],
    ["con", /device name "con"/],
    ["CON.txt", /device name "CON"/],
    ["con.tar.gz", /device name "con"/],
    ["NUL .csv", /device name "NUL"/],
    ["prn.csv", /device name/],
    ["AUX", /device name/],
    ["COM1", /device name/],
    ["com9.log", /device name/],
    ["LPT1", /device name/],
    ["lpt5.txt", /device name/],
    ["COM¹", /device name/],
    ["LPT³.txt", /device name/],
    ["CONIN$", /device name/],
    ["bad\ud800.csv", /not well-formed Unicode/],
    ["a".repeat(256), /256 bytes long in UTF-8, more than 255/],
    ["é".repeat(128), /256 bytes long/],
  ];
  for (const [name, reason] of cases) {
    const got = unsafeNameReason(name);
    assert.ok(got !== undefined, `${JSON.stringify(name)} should be unsafe`);
    assert.match(got, reason, JSON.stringify(name));
    assert.equal(isSafeName(name), false);
  }
});

Deno.test("unsafeNameReason() accepts ordinary and unusual-but-safe names", () => {
  const safe = [
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
    "a".repeat(MAX_NAME_BYTES),
    "é".repeat(127),
  ];
  for (const name of safe) assert.equal(unsafeNameReason(name), undefined, JSON.stringify(name));
});
