/**
 * The network setup of one process, from the settings: the proxy plan (`proxy_url`,
 * `proxy_password_file`, `no_proxy`, with the environment's `HTTPS_PROXY`/`NO_PROXY` beneath),
 * the extra trusted roots (`ca_file`), and the routed `fetch` every component uses.
 * @module
 */
import type { Settings } from "./config/settings.ts";
import { ConfigError } from "./errors.ts";
import type { ProxyPlan } from "./http/proxy_route.ts";
import { type CreateHttpClient, RoutedFetch } from "./http/routed_fetch.ts";

/** The settings keys this module reads. */
export type NetworkSettings = Pick<
  Settings,
  "proxy_url" | "no_proxy" | "ca_file" | "proxy_password" | "ca_certificates"
>;

/** The proxy plan of `settings` in `env`. */
export function proxyPlan(
  settings: NetworkSettings,
  env: Readonly<Record<string, string | undefined>>,
): ProxyPlan {
  const plan: ProxyPlan = { env };
  if (settings.proxy_url !== undefined) {
    const url = new URL(settings.proxy_url);
    const username = decodeURIComponent(url.username);
    url.username = "";
    url.password = "";
    plan.proxy = { url: url.href, ...(username !== "" ? { username } : {}) };
  }
  if (settings.no_proxy !== undefined) plan.noProxy = settings.no_proxy;
  return plan;
}

/**
 * Where the trusted root certificates come from, in words. `compiled` is true in a binary from
 * `deno compile`, whose store was chosen at build time (`DENO_TLS_CA_STORE`, see
 * scripts/compile.ts); `deno run` uses Mozilla's roots unless the environment says otherwise.
 */
export function describeTrust(
  settings: NetworkSettings,
  env: Readonly<Record<string, string | undefined>>,
  compiled = true,
): string {
  const store = env.DENO_TLS_CA_STORE?.trim();
  const parts = [
    store
      ? `DENO_TLS_CA_STORE=${store}`
      : compiled
      ? "the store chosen when the binary was built (release builds: Mozilla's roots and the OS store)"
      : "Mozilla's roots (Deno's default; DENO_TLS_CA_STORE=mozilla,system adds the OS store)",
  ];
  if (env.DENO_CERT) parts.push(`DENO_CERT ${env.DENO_CERT}`);
  if (settings.ca_file !== undefined) {
    const count = settings.ca_certificates?.length ?? 0;
    parts.push(`ca_file ${settings.ca_file} (${count} certificate${count === 1 ? "" : "s"})`);
  }
  return parts.join(" + ");
}

/** The network of one process: a routed fetch plus descriptions for `ingest check`. */
export class Network implements Disposable {
  readonly plan: ProxyPlan;
  readonly #routed: RoutedFetch;
  readonly #settings: NetworkSettings;
  readonly #compiled: boolean;

  /**
   * @throws {ConfigError} when Deno refuses `ca_file` or `proxy_url`
   */
  constructor(
    settings: NetworkSettings,
    deps: {
      fetch: typeof fetch;
      env: Readonly<Record<string, string | undefined>>;
      createHttpClient?: CreateHttpClient;
      /** Running as a `deno compile` binary (for {@link describeTrust}); default true. */
      compiled?: boolean;
    },
  ) {
    this.#settings = settings;
    this.#compiled = deps.compiled ?? true;
    this.plan = proxyPlan(settings, deps.env);
    try {
      this.#routed = new RoutedFetch({
        plan: this.plan,
        fetch: deps.fetch,
        ...(settings.ca_certificates ? { caCerts: settings.ca_certificates } : {}),
        ...(settings.proxy_password !== undefined
          ? { proxyPassword: settings.proxy_password }
          : {}),
        ...(deps.createHttpClient ? { createHttpClient: deps.createHttpClient } : {}),
      });
    } catch (error) {
      const key = settings.ca_file !== undefined ? `ca_file ${settings.ca_file}` : "proxy_url";
      throw new ConfigError(`Cannot use ${key}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** The fetch to hand to every component. */
  get fetch(): typeof fetch {
    return this.#routed.fetch;
  }

  /** A fetch that never uses `proxy_url` (for managed identity endpoints). */
  get directFetch(): typeof fetch {
    return this.#routed.directFetch;
  }

  /** Where trusted roots come from. */
  describeTrust(): string {
    return describeTrust(this.#settings, this.plan.env, this.#compiled);
  }

  close(): void {
    this.#routed.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
