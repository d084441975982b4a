import assert from "node:assert/strict";
import {
  describeRoute,
  displayProxyUrl,
  noProxyMatch,
  type ProxyPlan,
  routeFor,
} from "../../src/http/proxy_route.ts";

const PROXY = { url: "http://proxy.corp:8080/" };

Deno.test("noProxyMatch: hosts, suffixes, wildcards, IPs and CIDR ranges", () => {
  const cases: [string, string[], string | undefined][] = [
    ["db.corp.local", ["db.corp.local"], "db.corp.local"],
    ["db.corp.local", [".corp.local"], ".corp.local"],
    ["db.corp.local", ["*.corp.local"], "*.corp.local"],
    ["db.corp.local", ["corp.local"], "corp.local"],
    ["corp.local", [".corp.local"], ".corp.local"],
    ["notcorp.local", ["corp.local"], undefined],
    ["graph.microsoft.com", ["*"], "*"],
    ["graph.microsoft.com", [".corp.local", "10.0.0.0/8"], undefined],
    ["10.1.2.3", ["10.0.0.0/8"], "10.0.0.0/8"],
    ["11.1.2.3", ["10.0.0.0/8"], undefined],
    ["127.0.0.1", ["127.0.0.1"], "127.0.0.1"],
    ["127.0.0.2", ["127.0.0.1"], undefined],
    ["[::1]", ["::1"], "::1"],
    ["[2001:db8::5]", ["2001:db8::/32"], "2001:db8::/32"],
    ["[2002:db8::5]", ["2001:db8::/32"], undefined],
    ["localhost", ["127.0.0.1"], undefined],
    ["DB.Corp.Local", [".corp.local"], ".corp.local"],
  ];
  for (const [host, list, expected] of cases) {
    assert.equal(noProxyMatch(host, list), expected, `${host} in ${list}`);
  }
  // Deno reads "*.corp.local" in NO_PROXY literally: it never matches.
  assert.equal(noProxyMatch("db.corp.local", ["*.corp.local"], true), undefined);
});

Deno.test("routeFor: the settings decide, the environment beneath them", () => {
  const cases: {
    name: string;
    url: string;
    plan: ProxyPlan;
    via: string;
    client: string;
    text: RegExp;
  }[] = [
    {
      name: "nothing configured",
      url: "https://graph.microsoft.com/v1.0",
      plan: { env: {} },
      via: "direct",
      client: "direct",
      text: /^direct \(no proxy configured\)$/,
    },
    {
      name: "environment proxy only",
      url: "https://graph.microsoft.com/v1.0",
      plan: { env: { HTTPS_PROXY: "http://u:pw@envproxy:3128" } },
      via: "proxy",
      client: "direct",
      text: /^via proxy http:\/\/u@envproxy:3128 \(HTTPS_PROXY\)$/,
    },
    {
      name: "environment NO_PROXY",
      url: "https://db.corp.local/x",
      plan: { env: { https_proxy: "http://envproxy:3128", no_proxy: "corp.local" } },
      via: "direct",
      client: "direct",
      text: /direct \(no_proxy "corp.local"\)/,
    },
    {
      name: "HTTP_PROXY does not apply to https",
      url: "https://graph.microsoft.com/",
      plan: { env: { HTTP_PROXY: "http://envproxy:3128" } },
      via: "direct",
      client: "direct",
      text: /no proxy configured/,
    },
    {
      name: "settings proxy wins over the environment's",
      url: "https://graph.microsoft.com/v1.0",
      plan: { proxy: { ...PROXY, username: "svc" }, env: { HTTPS_PROXY: "http://envproxy:3128" } },
      via: "proxy",
      client: "proxy",
      text: /^via proxy http:\/\/svc@proxy.corp:8080 \(proxy_url\)$/,
    },
    {
      name: "settings no_proxy",
      url: "https://db.corp.local/ingested",
      plan: { proxy: PROXY, noProxy: [".corp.local"], env: {} },
      via: "direct",
      client: "direct",
      text: /^direct \(no_proxy "\.corp\.local"\)$/,
    },
    {
      name: "settings no_proxy, but HTTPS_PROXY in the environment still applies",
      url: "https://db.corp.local/ingested",
      plan: {
        proxy: PROXY,
        noProxy: [".corp.local"],
        env: { HTTPS_PROXY: "http://envproxy:3128" },
      },
      via: "proxy",
      client: "direct",
      text: /warning: no_proxy lists "\.corp\.local", but HTTPS_PROXY .* unset HTTPS_PROXY/,
    },
    {
      name: "environment NO_PROXY bypasses the settings proxy",
      url: "https://graph.microsoft.com/v1.0",
      plan: { proxy: PROXY, env: { NO_PROXY: "microsoft.com" } },
      via: "direct",
      client: "proxy",
      text: /warning: NO_PROXY in the environment lists "microsoft.com"/,
    },
  ];
  for (const c of cases) {
    const route = routeFor(c.url, c.plan);
    assert.equal(route.via, c.via, c.name);
    assert.equal(route.client, c.client, c.name);
    assert.match(describeRoute(route), c.text, c.name);
    assert.ok(!describeRoute(route).includes("pw"), `${c.name}: no password shown`);
  }
});

Deno.test("displayProxyUrl keeps the user and drops the password", () => {
  assert.equal(displayProxyUrl("http://svc:S3cret!@proxy:8080/"), "http://svc@proxy:8080");
  assert.equal(displayProxyUrl("proxy.corp:3128"), "http://proxy.corp:3128");
  assert.equal(displayProxyUrl("https://proxy.corp"), "https://proxy.corp");
});
