/**
 * Relative paths of `include_subfolders`: path globs, segment safety on both OSes, flattened
 * names, the flatten separator rule, and naming files of a delta feed from parent ids.
 */
import assert from "node:assert/strict";
import { flattenSeparatorProblem } from "../../src/config/schema.ts";
import type { RemoteFile } from "../../src/graph/sharepoint_client.ts";
import { FileFilter, pathGlobToRegExp } from "../../src/sync/filters.ts";
import {
  comparableIngestedName,
  describeSubfolders,
  unsafeFileReason,
  withRelativePath,
} from "../../src/sync/relative_path.ts";
import { type FeedTarget, SubtreeFeed } from "../../src/sync/subtree.ts";

function file(name: string, id = name): RemoteFile {
  const lastModified = new Date("2026-12-01T10:00:00Z");
  return {
    id,
    driveId: "d",
    name,
    size: 1,
    lastModified,
    created: lastModified,
    quickXorHash: undefined,
    downloadUrl: undefined,
    eTag: undefined,
    cTag: undefined,
  };
}

Deno.test("pathGlobToRegExp: ** spans folders, * and ? stay in one segment", () => {
  const cases: [string, string, boolean][] = [
    ["Archive/**", "Archive/x.csv", true],
    ["Archive/**", "Archive/2025/12/x.csv", true],
    ["Archive/**", "archive/X.CSV", true],
    ["Archive/**", "Archive", false],
    ["Archive/**", "2026/Archive/x.csv", false],
    ["2026/**/*.csv", "2026/x.csv", true],
    ["2026/**/*.csv", "2026/12/x.csv", true],
    ["2026/**/*.csv", "2026/12/31/x.csv", true],
    ["2026/**/*.csv", "2026/12/x.txt", false],
    ["2026/**/*.csv", "2025/12/x.csv", false],
    ["2026/*.csv", "2026/x.csv", true],
    ["2026/*.csv", "2026/12/x.csv", false],
    ["**/drafts/*", "drafts/a.docx", true],
    ["**/drafts/*", "a/b/drafts/a.docx", true],
    ["**/drafts/*", "a/b/drafts/c/a.docx", false],
    ["20??/1[0-2]/*", "2026/12/x.csv", true],
    ["20??/1[0-2]/*", "2026/09/x.csv", false],
  ];
  for (const [glob, path, expected] of cases) {
    assert.equal(pathGlobToRegExp(glob).test(path), expected, `${glob} ~ ${path}`);
  }
});

Deno.test("FileFilter: a pattern without / matches the file name at any depth", () => {
  const filter = new FileFilter({ include: ["*.csv"], exclude: ["~*", "Archive/**"], minAgeMs: 0 });
  const at = (path: string) => withRelativePath(file("x"), path.split("/"), MIRROR);
  assert.equal(filter.verdict(at("2026/12/x.csv"), 0), undefined);
  assert.equal(filter.verdict(at("x.csv"), 0), undefined);
  assert.equal(filter.verdict(at("2026/12/x.txt"), 0), "not_included");
  assert.equal(filter.verdict(at("2026/~lock.csv"), 0), "excluded");
  assert.equal(filter.verdict(at("Archive/2025/x.csv"), 0), "excluded");
  // The flattened name is not what the filters see: the relative path is.
  const flat = withRelativePath(file("x"), ["Archive", "x.csv"], FLAT);
  assert.equal(flat.name, "Archive__x.csv");
  assert.equal(filter.verdict(flat, 0), "excluded");
  // Without include_subfolders, a file has no path: today's matching on the name.
  assert.equal(filter.verdict(file("a.csv"), 0), undefined);
  assert.equal(filter.verdict(file("a.txt"), 0), "not_included");
});

const MIRROR = { layout: "mirror", separator: "__" } as const;
const FLAT = { layout: "flatten", separator: "__" } as const;

Deno.test("withRelativePath: the compared name per layout", () => {
  const mirrored = withRelativePath(file("x.csv"), ["2026", "12", "x.csv"], MIRROR);
  assert.equal(mirrored.name, "2026/12/x.csv");
  assert.equal(mirrored.path, "2026/12/x.csv");
  const flat = withRelativePath(file("x.csv"), ["2026", "12", "x.csv"], FLAT);
  assert.equal(flat.name, "2026__12__x.csv");
  assert.equal(flat.path, "2026/12/x.csv");
  const dashed = withRelativePath(file("x.csv"), ["2026", "x.csv"], {
    layout: "flatten",
    separator: " - ",
  });
  assert.equal(dashed.name, "2026 - x.csv");
});

Deno.test("unsafeFileReason: every segment passes the name rules of the OS", () => {
  const cases: [string[], "mirror" | "flatten", string, RegExp | undefined][] = [
    [["2026", "12", "x.csv"], "mirror", "windows", undefined],
    [["2026", "12", "x.csv"], "flatten", "linux", undefined],
    [["CON", "x.csv"], "mirror", "windows", /folder "CON" is refused: .*device name/],
    [["CON", "x.csv"], "flatten", "windows", /folder "CON" is refused/],
    [["CON", "x.csv"], "mirror", "linux", undefined],
    [["a", "Drafts.", "x.csv"], "mirror", "windows", /folder "a\/Drafts\." is refused/],
    [["a:b", "x.csv"], "flatten", "windows", /folder "a:b" is refused: .*":"/],
    [["ok", "nul.txt"], "mirror", "windows", /device name "nul"/],
    [["ok", ".."], "mirror", "linux", /refers to a folder/],
    [["..", "x.csv"], "mirror", "linux", /folder "\.\." is refused/],
    [["a\\b", "x.csv"], "mirror", "linux", /path separator/],
    [["x".repeat(256), "y.csv"], "mirror", "linux", /more than 255/],
    // Each segment fits, the flattened name does not.
    [["x".repeat(200), "y".repeat(60)], "flatten", "linux", /flattened name is refused/],
  ];
  for (const [segments, layout, os, expected] of cases) {
    const named = withRelativePath(
      file(segments.at(-1)!),
      segments,
      layout === "mirror" ? MIRROR : FLAT,
    );
    const reason = unsafeFileReason(named, os);
    if (expected === undefined) assert.equal(reason, undefined, segments.join("/"));
    else assert.match(reason ?? "", expected, segments.join("/"));
  }
  // A hostile folder name holding / stays one segment and is refused.
  const hostile = withRelativePath(file("x.csv"), ["a/..", "x.csv"], MIRROR);
  assert.equal(hostile.path, "a\\../x.csv");
  assert.match(
    unsafeFileReason(hostile, "linux") ?? "",
    /folder "a\\\\\.\." is refused: .*path separator/,
  );
  // Without a path, a name holding / is refused as today.
  assert.match(unsafeFileReason({ name: "a/b.csv" }, "linux") ?? "", /path separator/);
});

Deno.test("flattenSeparatorProblem: non-empty, no path separator, nothing Windows forbids", () => {
  for (const ok of ["__", "-", " - ", ".", "~", "#"]) {
    assert.equal(flattenSeparatorProblem(ok), undefined, ok);
  }
  for (const bad of ["", "/", "\\", "a/b", ":", "|", "*", "?", "<", ">", '"', "\t"]) {
    assert.ok(flattenSeparatorProblem(bad) !== undefined, JSON.stringify(bad));
  }
  assert.match(flattenSeparatorProblem("\u0001")!, /control character U\+0001/);
});

Deno.test("comparableIngestedName: backslashes read as / in mirror layout only", () => {
  assert.equal(comparableIngestedName("2026\\12\\x.csv", MIRROR), "2026/12/x.csv");
  assert.equal(comparableIngestedName("2026\\12\\x.csv", FLAT), "2026\\12\\x.csv");
  assert.equal(comparableIngestedName("a\\b", undefined), "a\\b");
});

Deno.test("describeSubfolders: what check prints", () => {
  const base = { include_subfolders: false, subfolder_layout: "mirror", flatten_separator: "__" };
  assert.match(describeSubfolders(base as never), /not included/);
  assert.match(
    describeSubfolders({ ...base, include_subfolders: true } as never),
    /included, mirrored/,
  );
  assert.match(
    describeSubfolders({ ...base, include_subfolders: true, subfolder_layout: "flatten" } as never),
    /flattened with "__" \(2026__12__x\.csv\)/,
  );
});

/** Records what a SubtreeFeed hands on. */
function recorder(): FeedTarget & { files: Map<string, string>; gone: string[] } {
  const files = new Map<string, string>();
  const gone: string[] = [];
  return {
    files,
    gone,
    add(change) {
      if (change.kind === "file") files.set(change.file.id, change.file.name);
      else {
        files.delete(change.id);
        gone.push(change.id);
      }
    },
  };
}

Deno.test("SubtreeFeed: names files from parent ids, in any order", () => {
  const target = recorder();
  const feed = new SubtreeFeed({ rootId: "R", naming: MIRROR, target });
  // Files before their folders (no ordering guarantee, graph-delta.md §4).
  feed.add({ kind: "file", file: file("x.csv", "f1"), parentId: "M12" });
  feed.add({ kind: "file", file: file("top.csv", "f0"), parentId: "R" });
  feed.add({ kind: "subfolder", folder: { id: "Y", name: "2026", parentId: "R" } });
  feed.add({ kind: "subfolder", folder: { id: "M12", name: "12", parentId: "Y" } });
  feed.add({ kind: "file", file: file("y.csv", "f2"), parentId: "M12" });
  // Ancestors above the folder and the drive root (root delta), and a file elsewhere.
  feed.add({ kind: "subfolder", folder: { id: "ROOT", name: "root", parentId: undefined } });
  feed.add({ kind: "subfolder", folder: { id: "O", name: "Other", parentId: "ROOT" } });
  feed.add({ kind: "file", file: file("z.csv", "f3"), parentId: "O" });
  assert.equal(target.files.get("f0"), "top.csv");
  assert.equal(target.files.get("f2"), "2026/12/y.csv");
  assert.equal(target.files.has("f1"), false, "waits for its folders");
  assert.equal(feed.finish(), 0);
  assert.equal(target.files.get("f1"), "2026/12/x.csv");
  assert.equal(target.files.has("f3"), false);
  assert.ok(target.gone.includes("f3"));
});

Deno.test("SubtreeFeed: a file below folders the feed never named is counted", () => {
  const target = recorder();
  const feed = new SubtreeFeed({ rootId: "R", naming: FLAT, target });
  feed.add({ kind: "file", file: file("x.csv", "f1"), parentId: "unknown-folder" });
  feed.add({ kind: "subfolder", folder: { id: "A", name: "a", parentId: "R" } });
  feed.add({ kind: "file", file: file("b.csv", "f2"), parentId: "A" });
  assert.equal(feed.finish(), 1);
  assert.equal(target.files.get("f2"), "a__b.csv");
  assert.ok(target.gone.includes("f1"));
});

Deno.test("SubtreeFeed: a deleted folder and a cycle never name a file", () => {
  const target = recorder();
  const feed = new SubtreeFeed({ rootId: "R", naming: MIRROR, target });
  feed.add({ kind: "subfolder", folder: { id: "A", name: "a", parentId: "B" } });
  feed.add({ kind: "subfolder", folder: { id: "B", name: "b", parentId: "A" } });
  feed.add({ kind: "file", file: file("x.csv", "f1"), parentId: "A" });
  feed.add({ kind: "subfolder", folder: { id: "C", name: "c", parentId: "R" } });
  feed.add({ kind: "gone", id: "C" });
  feed.add({ kind: "file", file: file("y.csv", "f2"), parentId: "C" });
  feed.finish();
  assert.equal(target.files.size, 0);
});

Deno.test("SubtreeFeed.loneFolders: folders the feed names with nothing inside, topmost only", () => {
  const feed = new SubtreeFeed({ rootId: "R", naming: MIRROR, target: recorder() });
  // Ancestors of a changed file: never lone.
  feed.add({ kind: "subfolder", folder: { id: "Y", name: "2026", parentId: "R" } });
  feed.add({ kind: "subfolder", folder: { id: "M11", name: "11", parentId: "Y" } });
  feed.add({ kind: "file", file: file("a.csv", "f1"), parentId: "M11" });
  // A renamed folder reported alone, and one reported with a subfolder but no file.
  feed.add({ kind: "subfolder", folder: { id: "M12", name: "December", parentId: "Y" } });
  feed.add({ kind: "subfolder", folder: { id: "A", name: "Archive", parentId: "R" } });
  feed.add({ kind: "subfolder", folder: { id: "A1", name: "2025", parentId: "A" } });
  // A folder elsewhere in the drive (root delta): not below the watched folder.
  feed.add({ kind: "subfolder", folder: { id: "O", name: "Other", parentId: "ROOT" } });
  feed.add({ kind: "subfolder", folder: { id: "ROOT", name: "root", parentId: undefined } });
  feed.finish();
  assert.deepEqual(
    feed.loneFolders().sort((a, b) => a.id.localeCompare(b.id)),
    [{ id: "A1", segments: ["Archive", "2025"] }, { id: "M12", segments: ["2026", "December"] }],
  );
});
