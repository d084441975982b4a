/**
 * Content verification of a complete download against the listing, as a pure decision.
 *
 * SharePoint (not OneDrive) rewrites some files after upload — Office documents, PDF, HTML and
 * some JPEGs get metadata written into them — so the bytes served can differ from the `size`
 * and `quickXorHash` the listing announces (rclone: "Unexpected file size/hash differences on
 * Sharepoint"; OneDrive/onedrive-api-docs#935, #1066). For names whose extension is in
 * `rewritten_extensions`, a transfer that provably delivered every byte the server sent
 * (Content-Length / Content-Range total) but differs from the listing is accepted with a
 * warning. Without that proof a short body could pass as a rewrite, so it stays a mismatch.
 * @module
 */

/** What {@link verifyDownload} compares. */
export interface VerificationInput {
  /** The file's name (its extension selects the rewrite exemption). */
  name: string;
  listedSize: number;
  /** Base64 QuickXorHash of the listing; undefined when Graph announced none (`hashes: {}`). */
  listedHash: string | undefined;
  /** `verify_hash`: compare the hash when one is listed. */
  verifyHash: boolean;
  receivedSize: number;
  /** Base64 QuickXorHash of the bytes written. */
  receivedHash: string;
  /** Every byte the response announced arrived (its Content-Length or Content-Range total). */
  transferComplete: boolean;
  /** `rewritten_extensions`, normalised by {@link normaliseExtensions}. */
  rewrittenExtensions: readonly string[];
}

/** The outcome of {@link verifyDownload}. */
export type Verification =
  /** Size and, when listed and asked for, hash match. `hashChecked` false = size only. */
  | { kind: "verified"; hashChecked: boolean; why?: "no hash listed" | "verify_hash is off" }
  /** A complete transfer of a file SharePoint rewrites differs from the listing: placed, warned. */
  | {
    kind: "rewritten";
    listedSize: number;
    receivedSize: number;
    listedHash: string | undefined;
    receivedHash: string;
  }
  /** An integrity failure: the bytes must not be placed. */
  | { kind: "mismatch"; message: string };

/** Lower-case extensions without the dot; "XLSX", ".xlsx" and "xlsx" are one entry. */
export function normaliseExtensions(extensions: readonly string[]): string[] {
  return [...new Set(extensions.map((e) => e.trim().replace(/^\./, "").toLowerCase()))];
}

/** The extension of `name` (after its last dot, lower-case), or "" when it has none. */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot <= 0 || dot === name.length - 1 ? "" : name.slice(dot + 1).toLowerCase();
}

/** Decides whether a downloaded file may be placed (see the module doc). */
export function verifyDownload(input: VerificationInput): Verification {
  const sizeOk = input.receivedSize === input.listedSize;
  const checkHash = input.verifyHash && input.listedHash !== undefined;
  const hashOk = !checkHash || input.receivedHash === input.listedHash;
  if (sizeOk && hashOk) {
    if (checkHash) return { kind: "verified", hashChecked: true };
    return {
      kind: "verified",
      hashChecked: false,
      why: input.verifyHash ? "no hash listed" : "verify_hash is off",
    };
  }
  const extension = extensionOf(input.name);
  if (
    input.transferComplete && extension !== "" && input.rewrittenExtensions.includes(extension)
  ) {
    return {
      kind: "rewritten",
      listedSize: input.listedSize,
      receivedSize: input.receivedSize,
      listedHash: input.listedHash,
      receivedHash: input.receivedHash,
    };
  }
  const what = `Cannot verify "${input.name}"`;
  if (!sizeOk) {
    return {
      kind: "mismatch",
      message: `${what}: received ${input.receivedSize} bytes, Graph announced ${input.listedSize}`,
    };
  }
  return {
    kind: "mismatch",
    message: `${what}: QuickXorHash is ${input.receivedHash}, Graph announced ${input.listedHash}`,
  };
}
