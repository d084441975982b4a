/**
 * The network part of `ingest check`: where the trusted roots come from, the route of each
 * destination (direct or through which proxy, never with a password), and what the proxy
 * answers to a tunnel request: a 407 asking for NTLM or Negotiate means a local authenticating
 * forwarder is needed, because Deno's client sends Basic credentials only.
 * @module
 */
import type { Settings } from "../../config/settings.ts";
import { describeError } from "../../errors.ts";
import { type Route, routeFor } from "../../http/proxy_route.ts";
import { probeProxy, type ProxyConnect, wantsWindowsAuth } from "../../http/proxy_probe.ts";
import type { Network } from "../../network.ts";
import type { CheckLine } from "./check_line.ts";

/**
 * The destinations `ingest` talks to, by what it does there. `direct`: never through
 * `proxy_url` (a managed identity endpoint).
 */
export function destinations(
  settings: Settings,
): { name: string; url: string; direct?: boolean }[] {
  const identity = settings.auth === "managed_identity"
    ? settings.managed_identity_source?.endpoint
    : undefined;
  return [
    identity !== undefined
      ? { name: "token", url: identity, direct: true }
      : { name: "token", url: settings.authority_host },
    { name: "Graph", url: settings.graph_base_url },
    { name: "downloads", url: settings.sharepoint_site_url },
    { name: "DB service", url: settings.db_service_url },
  ];
}

function hostPort(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === "https:" ? "443" : "80")}`;
}

const FORWARDER_HINT =
  "Deno's HTTP client sends only Basic proxy credentials: run a local authenticating " +
  "forwarder (Px or Cntlm) that logs in to the proxy with the service account, and set " +
  "proxy_url to it, e.g. http://127.0.0.1:3128 (docs/deployment-windows.md)";

/** The proxy behind `route` and the Basic credentials `ingest` would send to it. */
function proxyOf(route: Route, settings: Settings, network: Network) {
  if (route.proxySource === "proxy_url" && network.plan.proxy) {
    const { url, username } = network.plan.proxy;
    return {
      url,
      basicAuth: username !== undefined
        ? { username, password: settings.proxy_password ?? "" }
        : undefined,
    };
  }
  const raw = Object.entries(network.plan.env).find(([name]) => name === route.proxySource)?.[1];
  if (raw === undefined) return undefined;
  const url = new URL(raw.includes("://") ? raw : `http://${raw}`);
  const basicAuth = url.username
    ? {
      username: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
    }
    : undefined;
  url.username = "";
  url.password = "";
  return { url: url.href, basicAuth };
}

async function probeLine(
  settings: Settings,
  network: Network,
  target: { url: URL; route: Route },
  connect?: ProxyConnect,
): Promise<CheckLine> {
  const proxy = proxyOf(target.route, settings, network);
  const shown = target.route.proxy ?? "the proxy";
  const to = hostPort(target.url);
  if (!proxy) return { ok: true, name: "proxy", detail: `${shown}: not probed` };
  try {
    const answer = await probeProxy({
      proxyUrl: proxy.url,
      target: to,
      ...(proxy.basicAuth ? { basicAuth: proxy.basicAuth } : {}),
      ...(settings.ca_certificates ? { caCerts: settings.ca_certificates } : {}),
      timeoutMs: Math.min(settings.request_timeout_seconds, 15) * 1000,
      ...(connect ? { connect } : {}),
    });
    const challenge = answer.authenticate.map((v) => v.split(/\s/)[0]).join(", ");
    if (answer.status === 200) {
      return { ok: true, name: "proxy", detail: `${shown} opens a tunnel to ${to}` };
    }
    if (answer.status === 407 && wantsWindowsAuth(answer)) {
      return {
        ok: false,
        name: "proxy",
        detail: `${shown} answers 407: it wants ${challenge} (Windows) authentication`,
        hint: FORWARDER_HINT,
      };
    }
    if (answer.status === 407) {
      return {
        ok: false,
        name: "proxy",
        detail: `${shown} answers 407 Proxy Authentication Required${
          challenge ? ` (${challenge})` : ""
        }${proxy.basicAuth ? `: it refused user "${proxy.basicAuth.username}"` : ""}`,
        hint: "set the user in proxy_url (http://USER@proxy:port) and the password in " +
          "proxy_password_file",
      };
    }
    return {
      ok: false,
      name: "proxy",
      detail: `${shown} answers ${answer.status || "garbage"} to CONNECT ${to}`,
      hint: `the proxy does not let ${target.url.hostname} through: ask for ` +
        "login.microsoftonline.com, graph.microsoft.com and *.sharepoint.com to be allowed, " +
        "or list internal hosts in no_proxy",
    };
  } catch (error) {
    return {
      ok: false,
      name: "proxy",
      detail: `cannot reach ${shown}: ${describeError(error).split("\n")[0]}`,
      hint: "check the host and port in proxy_url (or HTTPS_PROXY)",
    };
  }
}

/**
 * The trust line, one route line per destination, and a proxy probe when any destination goes
 * through a proxy. A route that differs from what the settings ask (the environment overrides
 * them) is a failed line with what to change.
 */
export async function networkChecks(
  settings: Settings,
  network: Network,
  options: { connect?: ProxyConnect } = {},
): Promise<CheckLine[]> {
  const lines: CheckLine[] = [
    { ok: true, name: "trust", detail: `trusted roots: ${network.describeTrust()}` },
  ];
  let proxied: { url: URL; route: Route } | undefined;
  for (const destination of destinations(settings)) {
    const url = new URL(destination.url);
    const route = routeFor(url, destination.direct ? { env: network.plan.env } : network.plan);
    const text = route.via === "proxy"
      ? `via proxy ${route.proxy} (${route.proxySource})`
      : `direct (${route.reason})`;
    lines.push({
      ok: route.warning === undefined,
      name: `route ${destination.name}`,
      detail: `${url.host} ${text}`,
      ...(route.warning ? { hint: route.warning } : {}),
    });
    if (route.via === "proxy" && (proxied === undefined || destination.name === "Graph")) {
      proxied = { url, route };
    }
  }
  if (proxied) lines.push(await probeLine(settings, network, proxied, options.connect));
  return lines;
}
