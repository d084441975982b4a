/**
 * Reads Deno's network errors (rustls certificate errors, proxy tunnel failures) and says in
 * operator words what failed and which setting to change. Pure: message text in, text out.
 *
 * The texts matched are Deno 2.9's (ext/fetch/proxy.rs, rustls): "invalid peer certificate:
 * UnknownIssuer", "… certificate expired: …", "… certificate not valid for name …",
 * "proxy authentication required" (a 407 to CONNECT), "unsuccessful tunnel",
 * "unexpected eof while tunneling".
 * @module
 */

/** Why a TLS handshake was refused. */
export type TlsCause = "unknown issuer" | "expired" | "name mismatch" | "not trusted";

/** A network failure recognised in an error chain. */
export type NetworkProblem =
  | { kind: "tls"; cause: TlsCause; host: string | undefined; detail: string }
  | { kind: "proxy-auth"; host: string | undefined }
  | { kind: "proxy-tunnel"; host: string | undefined; detail: string };

function messages(error: unknown): string[] {
  const out: string[] = [];
  let current = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 6; depth++) {
    out.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return out;
}

/** The `host:port` of the URL Deno names in "for url (…)" or "for https://… (…)". */
function hostIn(text: string): string | undefined {
  const match = /\bfor (?:url \()?(https?:\/\/[^\s)]+)/.exec(text);
  if (!match) return undefined;
  try {
    return new URL(match[1]!).host;
  } catch {
    return undefined;
  }
}

function tlsCause(text: string): TlsCause | undefined {
  if (/UnknownIssuer|unknown issuer|UnknownCA/i.test(text)) return "unknown issuer";
  if (/certificate expired|\bExpired\b|NotValidYet|not valid yet/i.test(text)) return "expired";
  if (/not valid for name|NotValidForName|CertNotValidForName/i.test(text)) return "name mismatch";
  if (/invalid peer certificate/i.test(text)) return "not trusted";
  return undefined;
}

/** The network problem behind `error`, if it is one this module knows. */
export function networkProblem(error: unknown): NetworkProblem | undefined {
  const all = messages(error);
  const text = all.join(" | ");
  const host = all.map(hostIn).find((h) => h !== undefined);
  const cause = tlsCause(text);
  if (cause) {
    const detail = /invalid peer certificate: ([^|]+)/i.exec(text)?.[1]?.trim() ?? cause;
    return { kind: "tls", cause, host, detail };
  }
  if (/proxy authentication required/i.test(text)) return { kind: "proxy-auth", host };
  const tunnel = /(unsuccessful tunnel|unexpected eof while tunneling)/i.exec(text);
  if (tunnel) return { kind: "proxy-tunnel", host, detail: tunnel[1]! };
  return undefined;
}

/** What to do about `problem`, naming the setting to change. */
export function problemAdvice(problem: NetworkProblem): string {
  const of = problem.host ? ` of ${problem.host}` : "";
  switch (problem.kind) {
    case "tls":
      switch (problem.cause) {
        case "unknown issuer":
          return `the TLS certificate${of} has an unknown issuer (a TLS-inspecting proxy?): ` +
            "set ca_file to your company's root CA in PEM form";
        case "expired":
          return `the TLS certificate${of} has expired or is not valid yet: check this ` +
            "machine's clock; if a proxy re-signs traffic, its root in ca_file must be current";
        case "name mismatch":
          return `the TLS certificate${of} is for another host name: check the URL setting ` +
            "for this host, or exempt it from inspection (no_proxy)";
        default:
          return `the TLS certificate${of} is not trusted (${problem.detail}): check ca_file`;
      }
    case "proxy-auth":
      return `the proxy refused the credentials (407)${
        problem.host ? ` for ${problem.host}` : ""
      }: check the user in proxy_url and proxy_password_file; \`ingest check\` tells which ` +
        "authentication the proxy wants";
    case "proxy-tunnel":
      return `the proxy would not open a tunnel${
        problem.host ? ` to ${problem.host}` : ""
      } (${problem.detail}): check proxy_url, and no_proxy for internal hosts`;
  }
}

/** `advice` for a recognised problem, else undefined. */
export function networkAdvice(error: unknown): string | undefined {
  const problem = networkProblem(error);
  return problem ? problemAdvice(problem) : undefined;
}
