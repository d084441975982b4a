/**
 * The fast path of listing-page validation: a driveItem whose declared fields all have their
 * plain types (no `null`, nothing missing that must be there) is accepted as parsed, without
 * copying it through the schema. On a million-item first enumeration the per-item schema copy
 * was the largest share of the garbage each page left behind, and collecting it the largest share
 * of the run's CPU (bench/README.md, issue 28). Anything else (a `null` field, a wrong type, a
 * missing id) goes through `driveItemSchema` as before, so what an odd item means is decided in
 * one place; `tests/graph/plain_item_test.ts` holds the two paths to the same answers.
 * @module
 */

type Plain = Record<string, unknown>;

function objectOf(value: unknown): Plain | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Plain
    : undefined;
}

/** Undefined, or an object whose listed fields are undefined or strings. */
function facet(value: unknown, strings: readonly string[], numbers: readonly string[] = []) {
  if (value === undefined) return true;
  const object = objectOf(value);
  if (object === undefined) return false;
  for (const key of strings) {
    const field = object[key];
    if (field !== undefined && typeof field !== "string") return false;
  }
  for (const key of numbers) {
    const field = object[key];
    if (field !== undefined && typeof field !== "number") return false;
  }
  return true;
}

const OPTIONAL_STRINGS = [
  "name",
  "eTag",
  "cTag",
  "webUrl",
  "createdDateTime",
  "lastModifiedDateTime",
  "@microsoft.graph.downloadUrl",
] as const;

/**
 * True when `raw` is a driveItem `driveItemSchema` would accept unchanged in every field it
 * declares: a non-empty string `id`, the optional strings and `size` absent or of their type (not
 * `null`), and the facets absent or objects with fields of their types. The caller may then use
 * `raw` itself as the parsed item: undeclared fields stay on it, and no reader looks at them.
 */
export function isPlainDriveItem(raw: unknown): boolean {
  const item = objectOf(raw);
  if (item === undefined) return false;
  if (typeof item.id !== "string" || item.id === "") return false;
  for (const key of OPTIONAL_STRINGS) {
    const value = item[key];
    if (value !== undefined && typeof value !== "string") return false;
  }
  if (item.size !== undefined && typeof item.size !== "number") return false;
  const file = item.file;
  if (!facet(file, ["mimeType"])) return false;
  if (file !== undefined && !facet((file as Plain).hashes, ["quickXorHash"])) return false;
  if (!facet(item.folder, [], ["childCount"])) return false;
  if (!facet(item.package, ["type"])) return false;
  if (!facet(item.root, [])) return false;
  if (!facet(item.deleted, ["state"])) return false;
  if (!facet(item.parentReference, ["driveId", "id", "path"])) return false;
  const malware = item.malware;
  if (!facet(malware, ["description"])) return false;
  return true;
}
