/**
 * Asks a proxy for a tunnel the way `fetch` does (`CONNECT host:port`), but keeps its answer:
 * `fetch` reports a 407 only as "proxy authentication required" and drops the
 * `Proxy-Authenticate` header that says which scheme (Basic, NTLM, Negotiate) the proxy wants.
 * @module
 */

/** The proxy's answer to one CONNECT. */
export interface ProbeAnswer {
  status: number;
  /** Every `Proxy-Authenticate` value (e.g. "NTLM", "Negotiate", 'Basic realm="corp"'). */
  authenticate: string[];
}

/** Opens a connection to the proxy (TCP, or TLS for an https:// proxy). */
export type ProxyConnect = (
  url: URL,
  caCerts: readonly string[] | undefined,
) => Promise<Deno.Conn>;

/** Inputs of {@link probeProxy}. */
export interface ProbeOptions {
  /** The proxy, e.g. "http://proxy.corp:8080" (user info ignored). */
  proxyUrl: string;
  /** `host:port` to tunnel to. */
  target: string;
  /** Basic credentials to send, if any. */
  basicAuth?: { username: string; password: string };
  caCerts?: readonly string[];
  timeoutMs: number;
  connect?: ProxyConnect;
}

const defaultConnect: ProxyConnect = (url, caCerts) => {
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  return url.protocol === "https:"
    ? Deno.connectTls({ hostname, port, ...(caCerts ? { caCerts: [...caCerts] } : {}) })
    : Deno.connect({ hostname, port });
};

/** Parses the status line and `Proxy-Authenticate` headers of an HTTP answer head. */
export function parseProxyAnswer(head: string): ProbeAnswer {
  const [statusLine = "", ...lines] = head.split(/\r?\n/);
  const status = Number(/^HTTP\/\d(?:\.\d)? (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const authenticate = lines
    .map((line) => /^proxy-authenticate:\s*(.+)$/i.exec(line)?.[1]?.trim())
    .filter((value): value is string => value !== undefined && value !== "");
  return { status, authenticate };
}

async function readHead(conn: Deno.Conn): Promise<string> {
  const decoder = new TextDecoder();
  const chunk = new Uint8Array(4096);
  let text = "";
  while (text.length < 32_768) {
    const n = await conn.read(chunk);
    if (n === null) break;
    text += decoder.decode(chunk.subarray(0, n), { stream: true });
    const end = text.indexOf("\r\n\r\n");
    if (end >= 0) return text.slice(0, end);
  }
  if (text === "") throw new Error("the proxy closed the connection without an answer");
  return text;
}

/**
 * Sends one CONNECT to the proxy and returns its status and authentication challenges.
 * @throws when the proxy cannot be reached or does not answer within `timeoutMs`
 */
export async function probeProxy(options: ProbeOptions): Promise<ProbeAnswer> {
  const url = new URL(options.proxyUrl);
  const conn = await (options.connect ?? defaultConnect)(url, options.caCerts);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      conn.close();
    } catch { /* closed */ }
  }, options.timeoutMs);
  try {
    const lines = [`CONNECT ${options.target} HTTP/1.1`, `Host: ${options.target}`];
    if (options.basicAuth) {
      const { username, password } = options.basicAuth;
      const bytes = new TextEncoder().encode(`${username}:${password}`);
      lines.push(`Proxy-Authorization: Basic ${btoa(String.fromCharCode(...bytes))}`);
    }
    await conn.write(new TextEncoder().encode(`${lines.join("\r\n")}\r\n\r\n`));
    return parseProxyAnswer(await readHead(conn));
  } catch (error) {
    if (!timedOut) throw error;
    throw new Error(`no answer from the proxy within ${options.timeoutMs / 1000} s`, {
      cause: error,
    });
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

/** True when the proxy wants only schemes Deno's client cannot do (NTLM, Negotiate, Kerberos). */
export function wantsWindowsAuth(answer: ProbeAnswer): boolean {
  const schemes = answer.authenticate.map((value) => value.split(/\s/)[0]!.toLowerCase());
  return schemes.length > 0 && !schemes.includes("basic") &&
    schemes.some((s) => ["ntlm", "negotiate", "kerberos"].includes(s));
}
