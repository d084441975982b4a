/**
 * A `fetch` that sends each request through the HTTP client its destination needs: one client
 * with the settings proxy, one without, both trusting the extra roots of `ca_file`. Callers keep
 * calling a plain `fetch`; only this module knows about `Deno.createHttpClient`.
 * @module
 */
import { type ProxyPlan, routeFor } from "./proxy_route.ts";

/** Creates a Deno HTTP client (injected so tests can count and inspect them). */
export type CreateHttpClient = (options: Deno.CreateHttpClientOptions) => Deno.HttpClient;

/** Inputs of {@link RoutedFetch}. */
export interface RoutedFetchOptions {
  plan: ProxyPlan;
  /** The underlying fetch; it receives `client` in its init. */
  fetch: typeof fetch;
  /** PEM roots trusted in addition to the default store. */
  caCerts?: readonly string[];
  /** Password for the proxy's user (the user name is in `plan.proxy`). */
  proxyPassword?: string;
  createHttpClient?: CreateHttpClient;
}

function requestUrl(input: string | URL | Request): string {
  if (typeof input === "string") return input;
  return input instanceof URL ? input.href : input.url;
}

/**
 * Picks the client per request URL. Without `proxy_url` and `ca_file` no client is made and
 * requests pass through untouched, so the environment decides exactly as before.
 * Close it at the end of the run ({@link close} or `using`).
 */
export class RoutedFetch implements Disposable {
  #options: RoutedFetchOptions;
  #proxied: Deno.HttpClient | undefined;
  #direct: Deno.HttpClient | undefined;
  #closed = false;

  /** Creates the clients now, so that a bad `ca_file` or `proxy_url` fails before any request. */
  constructor(options: RoutedFetchOptions) {
    this.#options = options;
    const create = options.createHttpClient ?? ((o) => Deno.createHttpClient(o));
    const caCerts = options.caCerts ? { caCerts: [...options.caCerts] } : {};
    const proxy = options.plan.proxy;
    try {
      if (proxy) {
        this.#proxied = create({
          ...caCerts,
          proxy: {
            url: proxy.url,
            ...(proxy.username !== undefined
              ? {
                basicAuth: { username: proxy.username, password: options.proxyPassword ?? "" },
              }
              : {}),
          },
        });
      }
      if (proxy || options.caCerts) this.#direct = create(caCerts);
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** The client a request to `url` uses; undefined means the default one. */
  clientFor(url: string): Deno.HttpClient | undefined {
    if (this.#proxied && routeFor(url, this.#options.plan).client === "proxy") return this.#proxied;
    return this.#direct;
  }

  /** Drop-in `fetch`. */
  readonly fetch: typeof fetch = (input, init) => {
    if (this.#closed) {
      return Promise.reject(new Error("Cannot send a request: the HTTP clients are closed"));
    }
    const client = this.clientFor(requestUrl(input));
    if (client === undefined) return this.#options.fetch(input, init);
    return this.#options.fetch(input, { ...init, client });
  };

  /**
   * A `fetch` that never takes the settings proxy (managed identity endpoints must not go
   * through a proxy); the environment's proxy variables still apply, as for every Deno client.
   */
  readonly directFetch: typeof fetch = (input, init) => {
    if (this.#closed) {
      return Promise.reject(new Error("Cannot send a request: the HTTP clients are closed"));
    }
    const client = this.#direct;
    if (client === undefined) return this.#options.fetch(input, init);
    return this.#options.fetch(input, { ...init, client });
  };

  /** Closes the clients; idempotent. */
  close(): void {
    this.#closed = true;
    for (const client of [this.#proxied, this.#direct]) {
      try {
        client?.close();
      } catch { /* already closed */ }
    }
    this.#proxied = undefined;
    this.#direct = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
