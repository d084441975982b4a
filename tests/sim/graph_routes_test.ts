import assert from "node:assert/strict";
import { parseGraphPath } from "../../src/sim/graph_routes.ts";

Deno.test("parseGraphPath() recognises site, drive and item addressing", () => {
  const drive = { id: "b!abc" };
  const cases: [string, unknown][] = [
    ["/sites/contoso.sharepoint.com:/sites/Finance", {
      kind: "site",
      site: { hostname: "contoso.sharepoint.com", path: "/sites/Finance" },
    }],
    ["/sites/contoso.sharepoint.com:/sites/Finance:", {
      kind: "site",
      site: { hostname: "contoso.sharepoint.com", path: "/sites/Finance" },
    }],
    ["/sites/contoso.sharepoint.com:/sites/Finance:/drives", {
      kind: "drives",
      site: { hostname: "contoso.sharepoint.com", path: "/sites/Finance" },
    }],
    ["/sites/h,g1,g2/drives", { kind: "drives", site: { id: "h,g1,g2" } }],
    ["/sites/h%2Cg1%2Cg2", { kind: "site", site: { id: "h,g1,g2" } }],
    ["/sites/h,g1,g2/drive/root:/A:/children", {
      kind: "children",
      item: { drive: { site: { id: "h,g1,g2" } }, itemId: undefined, path: ["A"] },
    }],
    ["/drives/b!abc", { kind: "drive", drive }],
    ["/drives/b%21abc/root", { kind: "item", item: { drive, itemId: undefined, path: [] } }],
    ["/drives/b!abc/root/children", {
      kind: "children",
      item: { drive, itemId: undefined, path: [] },
    }],
    ["/drives/b!abc/items/01X/children", {
      kind: "children",
      item: { drive, itemId: "01X", path: [] },
    }],
    ["/drives/b!abc/items/01X/content", {
      kind: "content",
      item: { drive, itemId: "01X", path: [] },
    }],
    ["/drives/b!abc/items/01X:/sub/f.txt:", {
      kind: "item",
      item: { drive, itemId: "01X", path: ["sub", "f.txt"] },
    }],
    ["/drives/b!abc/root:/Reports/a%23b%25c%3Ad.csv", {
      kind: "item",
      item: { drive, itemId: undefined, path: ["Reports", "a#b%c:d.csv"] },
    }],
    ["/drives/b!abc/root:/%C3%9Cbersicht/x%20y.csv:/content", {
      kind: "content",
      item: { drive, itemId: undefined, path: ["Übersicht", "x y.csv"] },
    }],
  ];
  for (const [path, expected] of cases) assert.deepEqual(parseGraphPath(path), expected, path);
});

Deno.test("parseGraphPath() names the segment it cannot route", () => {
  const cases: [string, string][] = [
    ["/me/drive", "me"],
    ["/drives/b!abc/root/recent", "recent"],
    ["/drives/b!abc/list", "list"],
    ["/sites/x/lists", "lists"],
    ["/drives/b!abc/root/children/extra", "children"],
    ["/drives/b!abc/root:/bad%E0%A4%A.csv", "/drives/b!abc/root:/bad%E0%A4%A.csv"],
  ];
  for (const [path, segment] of cases) assert.deepEqual(parseGraphPath(path), { segment }, path);
});
