import assert from "node:assert/strict";
import {
  extensionOf,
  normaliseExtensions,
  type VerificationInput,
  verifyDownload,
} from "../../src/graph/verification.ts";

const LISTED = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=";
const OTHER = "BBBBBBBBBBBBBBBBBBBBBBBBBBB=";
const REWRITTEN = ["xlsx", "docx", "pdf", "jpg"];

function input(fields: Partial<VerificationInput>): VerificationInput {
  return {
    name: "report.xlsx",
    listedSize: 1000,
    listedHash: LISTED,
    verifyHash: true,
    receivedSize: 1000,
    receivedHash: LISTED,
    transferComplete: true,
    rewrittenExtensions: REWRITTEN,
    ...fields,
  };
}

const rewritten = (
  receivedSize: number,
  receivedHash: string,
  listedHash: string | undefined = LISTED,
) => ({
  kind: "rewritten",
  listedSize: 1000,
  receivedSize,
  listedHash,
  receivedHash,
});

Deno.test("verifyDownload() decides per size, hash, extension and transfer completeness", () => {
  const cases: [string, Partial<VerificationInput>, unknown][] = [
    ["size and hash match", {}, { kind: "verified", hashChecked: true }],
    [
      "no hash listed: size only",
      { listedHash: undefined, receivedHash: OTHER },
      { kind: "verified", hashChecked: false, why: "no hash listed" },
    ],
    [
      "verify_hash off: size only",
      { verifyHash: false, receivedHash: OTHER },
      { kind: "verified", hashChecked: false, why: "verify_hash is off" },
    ],
    [
      "rewritten .xlsx, bigger, complete transfer",
      { receivedSize: 1012, receivedHash: OTHER },
      rewritten(1012, OTHER),
    ],
    ["rewritten .xlsx, same size, other hash", { receivedHash: OTHER }, rewritten(1000, OTHER)],
    [
      "upper-case extension matches",
      { name: "REPORT.XLSX", receivedHash: OTHER },
      rewritten(1000, OTHER),
    ],
    [
      "rewritten .jpg without a listed hash, bigger",
      { name: "a.jpg", listedHash: undefined, receivedSize: 1011, receivedHash: OTHER },
      { ...rewritten(1011, OTHER), listedHash: undefined },
    ],
    [
      "truncated .xlsx: transfer incomplete",
      { receivedSize: 600, receivedHash: OTHER, transferComplete: false },
      {
        kind: "mismatch",
        message: 'Cannot verify "report.xlsx": received 600 bytes, Graph announced 1000',
      },
    ],
    [
      "corrupted .csv: not a rewritten type",
      { name: "data.csv", receivedHash: OTHER },
      {
        kind: "mismatch",
        message: `Cannot verify "data.csv": QuickXorHash is ${OTHER}, Graph announced ${LISTED}`,
      },
    ],
    [
      "[] makes every mismatch an error",
      { receivedHash: OTHER, rewrittenExtensions: [] },
      {
        kind: "mismatch",
        message: `Cannot verify "report.xlsx": QuickXorHash is ${OTHER}, Graph announced ${LISTED}`,
      },
    ],
    [
      "no extension",
      { name: "xlsx", receivedSize: 999 },
      {
        kind: "mismatch",
        message: 'Cannot verify "xlsx": received 999 bytes, Graph announced 1000',
      },
    ],
    [
      "size mismatch without hash listed, .csv",
      { name: "a.csv", listedHash: undefined, receivedSize: 1001 },
      {
        kind: "mismatch",
        message: 'Cannot verify "a.csv": received 1001 bytes, Graph announced 1000',
      },
    ],
  ];
  for (const [label, fields, expected] of cases) {
    assert.deepEqual(verifyDownload(input(fields)), expected, label);
  }
});

Deno.test("normaliseExtensions() and extensionOf() ignore case and a leading dot", () => {
  assert.deepEqual(normaliseExtensions([".XLSX", "xlsx", " Pdf "]), ["xlsx", "pdf"]);
  assert.equal(extensionOf("Q4 forecast.XLSX"), "xlsx");
  assert.equal(extensionOf(".hidden"), "");
  assert.equal(extensionOf("trailing."), "");
  assert.equal(extensionOf("archive.tar.gz"), "gz");
});
