/**
 * Tests that route through a loopback proxy clear the process's proxy variables first: Deno's HTTP
 * clients read them underneath the settings (see docs/configuration.md), so a CI machine's
 * `NO_PROXY=127.0.0.1` would send the loopback simulator around the test proxy.
 * @module
 */

const PROXY_VARIABLES = ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"]
  .flatMap((name) => [name, name.toLowerCase()]);

/** Removes the proxy variables from the real process environment until disposed. */
export function withoutProxyEnvironment(): Disposable {
  const saved = new Map(PROXY_VARIABLES.map((name) => [name, Deno.env.get(name)]));
  for (const name of PROXY_VARIABLES) Deno.env.delete(name);
  return {
    [Symbol.dispose]() {
      for (const [name, value] of saved) {
        if (value === undefined) Deno.env.delete(name);
        else Deno.env.set(name, value);
      }
    },
  };
}
