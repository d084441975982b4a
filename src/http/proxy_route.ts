/**
 * Which way a request goes: straight to its host or through a proxy, decided per destination
 * from the settings (`proxy_url`, `no_proxy`) and the environment (`HTTPS_PROXY`, `NO_PROXY`).
 *
 * Deno's rules, which this models (ext/fetch/proxy.rs): every HTTP client, custom or not,
 * also reads `ALL_PROXY`, `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` (or their lower-case forms)
 * from the environment; a proxy given to `Deno.createHttpClient` is tried first, and a host in the
 * environment's `NO_PROXY` goes direct even then. A client cannot switch the environment's proxies
 * off, so a host in `no_proxy` still goes through `HTTPS_PROXY` when that is set: {@link routeFor}
 * says so in `warning`.
 * @module
 */

/** The proxy named in the settings, without a password. */
export interface SettingsProxy {
  /** `scheme://host:port/`, user name and password removed. */
  url: string;
  /** Basic-auth user name from `proxy_url`, if any. */
  username?: string;
}

/** What decides the route of a request. */
export interface ProxyPlan {
  /** `proxy_url`, if set. */
  proxy?: SettingsProxy;
  /** `no_proxy`, if set (lower-case entries). */
  noProxy?: readonly string[];
  /** The process environment (only the proxy variables are read). */
  env: Readonly<Record<string, string | undefined>>;
}

/** The way one request goes. */
export interface Route {
  /** Which of our clients sends it: the one with the settings proxy, or the one without. */
  client: "proxy" | "direct";
  /** Where the connection really goes. */
  via: "direct" | "proxy";
  /** The proxy used, credentials removed. */
  proxy?: string;
  /** Where that proxy was configured, e.g. "proxy_url" or "HTTPS_PROXY". */
  proxySource?: string;
  /** Why it goes direct, e.g. 'no_proxy ".corp.local"' or "no proxy configured". */
  reason?: string;
  /** The route differs from what the settings ask for, and what to change. */
  warning?: string;
}

function firstEnv(
  env: ProxyPlan["env"],
  name: string,
): { name: string; value: string } | undefined {
  for (const candidate of [name, name.toLowerCase()]) {
    const value = env[candidate];
    if (value !== undefined && value.trim() !== "") return { name: candidate, value: value.trim() };
  }
  return undefined;
}

/** The environment proxy Deno uses for a URL with `scheme` ("http:" or "https:"), if any. */
export function envProxyFor(
  scheme: string,
  env: ProxyPlan["env"],
): { name: string; value: string } | undefined {
  const all = firstEnv(env, "ALL_PROXY");
  if (all) return all;
  if (scheme === "https:") return firstEnv(env, "HTTPS_PROXY");
  return firstEnv(env, "HTTP_PROXY");
}

/** A proxy URL fit to print: no user info. */
export function displayProxyUrl(value: string): string {
  try {
    const url = new URL(value.includes("://") ? value : `http://${value}`);
    const user = url.username ? `${decodeURIComponent(url.username)}@` : "";
    return `${url.protocol}//${user}${url.host}`;
  } catch {
    return "(unreadable proxy URL)";
  }
}

function ipv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    return undefined;
  }
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

function ipv6(text: string): bigint | undefined {
  if (!/^[0-9a-f:.]+$/i.test(text) || !text.includes(":")) return undefined;
  const [head, tail, extra] = text.split("::");
  if (extra !== undefined) return undefined;
  const groups = (s: string | undefined) => (s ? s.split(":") : []);
  const left = groups(head);
  const right = groups(tail);
  const fill = tail === undefined ? 0 : 8 - left.length - right.length;
  const all = [...left, ...Array(Math.max(fill, 0)).fill("0"), ...right];
  if (all.length !== 8 || all.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  return all.reduce((n, g) => (n << 16n) + BigInt(parseInt(g, 16)), 0n);
}

/** True when `entry` (an IP, a CIDR range, or a domain rule) covers the host of a URL. */
function matchesEntry(host: string, rawEntry: string, env: boolean): boolean {
  const entry = rawEntry.trim().toLowerCase().replace(/^\[|\]$/g, "");
  if (entry === "") return false;
  if (entry === "*") return true;
  const [address, bits] = entry.split("/");
  const host4 = ipv4(host);
  const entry4 = ipv4(address!);
  if (entry4 !== undefined) {
    if (host4 === undefined) return false;
    const prefix = bits === undefined ? 32 : Number(bits);
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    return ((host4 & mask) >>> 0) === ((entry4 & mask) >>> 0);
  }
  const entry6 = ipv6(address!);
  if (entry6 !== undefined) {
    const host6 = ipv6(host);
    if (host6 === undefined) return false;
    const shift = BigInt(128 - (bits === undefined ? 128 : Number(bits)));
    return (host6 >> shift) === (entry6 >> shift);
  }
  // Deno reads "*.corp" in NO_PROXY literally (it never matches); no_proxy accepts it.
  if (env && entry.startsWith("*")) return false;
  const domain = entry.replace(/^\*?\./, "");
  return host === domain || host.endsWith(`.${domain}`);
}

/**
 * The first entry of `list` covering `host`, if any. `env` applies Deno's reading of `NO_PROXY`,
 * where "*.suffix" is not a pattern.
 */
export function noProxyMatch(
  host: string,
  list: readonly string[],
  env = false,
): string | undefined {
  const bare = host.toLowerCase().replace(/^\[|\]$/g, "");
  return list.find((entry) => matchesEntry(bare, entry, env));
}

function envNoProxy(env: ProxyPlan["env"]): { name: string; list: string[] } | undefined {
  const found = firstEnv(env, "NO_PROXY");
  return found ? { name: found.name, list: found.value.split(",") } : undefined;
}

function envRoute(url: URL, env: ProxyPlan["env"], client: Route["client"]): Route {
  const proxy = envProxyFor(url.protocol, env);
  if (!proxy) return { client, via: "direct", reason: "no proxy configured" };
  const bypass = envNoProxy(env);
  const hit = bypass && noProxyMatch(url.hostname, bypass.list, true);
  if (hit) return { client, via: "direct", reason: `${bypass.name} "${hit.trim()}"` };
  return { client, via: "proxy", proxy: displayProxyUrl(proxy.value), proxySource: proxy.name };
}

/**
 * The route of a request to `target` under `plan`: with no `proxy_url` the environment decides
 * (as it always did); with one, hosts in `no_proxy` take the client without a proxy and every
 * other host takes the proxied client, subject to the environment's `NO_PROXY` (Deno applies it
 * to every client).
 */
export function routeFor(target: string | URL, plan: ProxyPlan): Route {
  const url = typeof target === "string" ? new URL(target) : target;
  if (plan.proxy === undefined) return envRoute(url, plan.env, "direct");
  const settingsHit = noProxyMatch(url.hostname, plan.noProxy ?? []);
  if (settingsHit !== undefined) {
    const route = envRoute(url, plan.env, "direct");
    if (route.via === "direct") return { ...route, reason: `no_proxy "${settingsHit}"` };
    return {
      ...route,
      warning: `no_proxy lists "${settingsHit}", but ${route.proxySource} in the environment ` +
        `still applies to it: unset ${route.proxySource} or add the host to NO_PROXY`,
    };
  }
  const bypass = envNoProxy(plan.env);
  const envHit = bypass && noProxyMatch(url.hostname, bypass.list, true);
  if (envHit) {
    return {
      client: "proxy",
      via: "direct",
      reason: `${bypass.name} "${envHit.trim()}"`,
      warning: `${bypass.name} in the environment lists "${envHit.trim()}", so proxy_url is ` +
        `not used for this host: remove it from ${bypass.name}`,
    };
  }
  return {
    client: "proxy",
    via: "proxy",
    proxy: displayProxyUrl(
      plan.proxy.username
        ? plan.proxy.url.replace("://", `://${encodeURIComponent(plan.proxy.username)}@`)
        : plan.proxy.url,
    ),
    proxySource: "proxy_url",
  };
}

/** One-line description of a route, e.g. "via proxy http://proxy:8080 (proxy_url)". */
export function describeRoute(route: Route): string {
  const text = route.via === "proxy"
    ? `via proxy ${route.proxy} (${route.proxySource})`
    : `direct (${route.reason})`;
  return route.warning ? `${text}; warning: ${route.warning}` : text;
}
