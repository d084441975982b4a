/**
 * A small block-style YAML writer for manifests: mappings, sequences, strings (always
 * double-quoted, JSON escapes), numbers, booleans and null. Comments are not values: callers
 * put them above the document.
 * @module
 */

/** A value the writer can print. */
export type YamlValue = string | number | boolean | null | YamlValue[] | {
  [key: string]: YamlValue;
};

function scalar(value: string | number | boolean | null): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" && !Number.isFinite(value)) {
    throw new RangeError(`Cannot write ${value} as YAML: not a finite number`);
  }
  return String(value);
}

function isEmpty(value: YamlValue): boolean {
  return Array.isArray(value)
    ? value.length === 0
    : typeof value === "object" && value !== null && Object.keys(value).length === 0;
}

function lines(value: YamlValue, indent: string): string[] {
  if (Array.isArray(value)) {
    return value.flatMap((item) => {
      if (typeof item !== "object" || item === null || isEmpty(item)) {
        return [
          `${indent}- ${
            isEmpty(item) ? (Array.isArray(item) ? "[]" : "{}") : scalar(item as string)
          }`,
        ];
      }
      const [first, ...rest] = lines(item, indent + "  ");
      return [`${indent}- ${first!.slice(indent.length + 2)}`, ...rest];
    });
  }
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([key, item]) => {
      const name = /^[A-Za-z0-9_./-]+$/.test(key) ? key : JSON.stringify(key);
      if (typeof item !== "object" || item === null) return [`${indent}${name}: ${scalar(item)}`];
      if (isEmpty(item)) return [`${indent}${name}: ${Array.isArray(item) ? "[]" : "{}"}`];
      return [`${indent}${name}:`, ...lines(item, Array.isArray(item) ? indent : indent + "  ")];
    });
  }
  return [`${indent}${scalar(value)}`];
}

/** `value` as a YAML document (no leading `---`), ending with a newline. */
export function toYaml(value: YamlValue): string {
  return lines(value, "").join("\n") + "\n";
}
