/**
 * Delta pieces that need no server: which entries count as files of the folder, which URLs
 * carry a token, how requests are priced, and when a saved link cannot be used.
 */
import assert from "node:assert/strict";
import { hasDeltaToken, UsageMeter } from "../../src/graph/graph_api.ts";
import { toFolderChange } from "../../src/graph/drive_items.ts";
import type { RemoteFolder } from "../../src/graph/sharepoint_client.ts";
import type { DriveItem } from "../../src/graph/wire_types.ts";
import { describeState } from "../../src/commands/check/check_state.ts";
import { fullListingReason, globKey } from "../../src/sync/listing.ts";

const FOLDER: RemoteFolder = {
  siteId: "s",
  driveId: "b!d",
  driveName: "Documents",
  driveUrlSegment: "Shared Documents",
  itemId: "F",
  pathInDrive: "Reports",
  webUrl: "",
};

const file = (extra: Partial<DriveItem> = {}): DriveItem => ({
  id: "1",
  name: "a.csv",
  size: 3,
  lastModifiedDateTime: "2026-03-01T10:00:00Z",
  file: {},
  parentReference: { id: "F", driveId: "b!d" },
  ...extra,
});

Deno.test("toFolderChange keeps only live files whose parent is the folder", () => {
  const cases: [string, DriveItem, string][] = [
    ["file in the folder", file(), "file"],
    ["file in a subfolder", file({ parentReference: { id: "SUB" } }), "gone"],
    ["file elsewhere, no parent", file({ parentReference: undefined }), "gone"],
    ["tombstone without a name", { id: "1", deleted: { state: "deleted" } }, "gone"],
    ["folder", { id: "2", name: "Sub", folder: {}, parentReference: { id: "F" } }, "gone"],
    ["OneNote package", { id: "3", name: "N", package: { type: "oneNote" } }, "gone"],
    ["drive root", { id: "R", name: "root", root: {}, folder: {} }, "gone"],
    ["the folder itself", { id: "F", name: "Reports", folder: {} }, "gone"],
    ["the folder deleted", { id: "F", deleted: {} }, "folder_gone"],
  ];
  for (const [name, item, kind] of cases) {
    assert.equal(toFolderChange(item, FOLDER, "the folder").kind, kind, name);
  }
  const change = toFolderChange(
    file({ "@microsoft.graph.downloadUrl": "https://dl/x" }),
    FOLDER,
    "x",
  );
  assert.equal(change.kind === "file" && change.file.downloadUrl, "https://dl/x");
});

Deno.test("hasDeltaToken recognises both link shapes; the meter prices requests like SharePoint", () => {
  assert.equal(hasDeltaToken("https://g/v1.0/drives/d/items/i/delta?$select=id"), false);
  assert.equal(hasDeltaToken("https://g/v1.0/drives/d/items/i/delta?token=abc"), true);
  assert.equal(hasDeltaToken("https://g/v1.0/drives/d/root/delta?token=latest"), true);
  assert.equal(
    hasDeltaToken("https://g/v1.0/drives/d/root/microsoft.graph.delta(token='x')"),
    true,
  );
  const meter = new UsageMeter();
  meter.record("delta_token");
  meter.record("multi_item");
  meter.record("single");
  meter.recordDownload();
  assert.deepEqual(meter.snapshot(), { requests: 3, resourceUnits: 4, downloads: 1 });
});

Deno.test("fullListingReason: when a saved link cannot stand for every candidate", () => {
  const window = { since: new Date("2026-03-01T10:00:00Z"), until: new Date("2026-03-01T12:00Z") };
  const filterKey = globKey({ include: ["*"], exclude: [] });
  const saved = {
    mode: "folder_delta" as const,
    delta_link: "https://g/delta?token=t",
    filter_key: filterKey,
    window_since: "2026-03-01T09:00:00Z",
  };
  const base = { full: false, window, filterKey, mode: "folder_delta" as const };
  assert.equal(fullListingReason(saved, base), undefined);
  const cases: [string, Parameters<typeof fullListingReason>, RegExp][] = [
    ["--full", [saved, { ...base, full: true }], /asked for/],
    ["no state", [undefined, base], /no saved delta link/],
    ["other mode", [saved, { ...base, mode: "root_delta" }], /another mode/],
    ["other globs", [saved, { ...base, filterKey: "x" }], /include\/exclude changed/],
    [
      "window starts earlier",
      [{ ...saved, window_since: "2026-03-01T11:00:00Z" }, base],
      /starts before/,
    ],
    ["no window saved", [{ ...saved, window_since: undefined }, base], /starts before/],
  ];
  for (const [name, args, reason] of cases) {
    assert.match(fullListingReason(...args) ?? "", reason, name);
  }
});

Deno.test("describeState tells the listing mode, link age and files pending retry", () => {
  const now = Date.parse("2026-03-01T12:00:00Z");
  const text = describeState(
    {
      version: 1,
      key: "k",
      updated_at: "2026-03-01T11:00:00Z",
      listing: {
        mode: "root_delta",
        delta_link: "https://g/delta?token=t",
        link_saved_at: "2026-03-01T09:00:00Z",
      },
      retry: [{ id: "1", name: "a.csv", reason: "failed", last_modified: "2026-03-01T08:00:00Z" }],
      resolved: {
        site_id: "s",
        drive_id: "d",
        folder_id: "F",
        resolved_at: "2026-02-27T12:00:00Z",
      },
    },
    { listing: "delta" },
    now,
    "F2",
  );
  assert.match(text, /delta on the library root \(folder delta refused\), link saved 3 h ago/);
  assert.match(text, /1 file\(s\) pending retry: a\.csv \(failed\)/);
  assert.match(text, /saved folder id is outdated/);
});
