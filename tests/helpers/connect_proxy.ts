/**
 * A loopback forward proxy for tests: answers `CONNECT host:port` by tunnelling bytes to the
 * target, as a corporate proxy does for HTTPS. It can demand Basic credentials, or refuse every
 * request with a 407 naming other schemes (NTLM, Negotiate), and records what it was asked.
 */

/** Options of {@link startConnectProxy}. */
export interface ConnectProxyOptions {
  /** Demand these Basic credentials (407 with `Proxy-Authenticate: Basic` otherwise). */
  basic?: { username: string; password: string };
  /** Answer every CONNECT with 407 and these `Proxy-Authenticate` values. */
  challenge?: string[];
}

/** A running proxy. */
export interface ConnectProxy extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  /** `host:port` of every CONNECT, in arrival order. */
  readonly connects: string[];
  /** The `Proxy-Authorization` header of every CONNECT (null when absent). */
  readonly authorizations: (string | null)[];
  close(): Promise<void>;
}

const encoder = new TextEncoder();

async function readHead(conn: Deno.Conn): Promise<{ head: string; rest: Uint8Array } | undefined> {
  let buffered = new Uint8Array(0);
  const chunk = new Uint8Array(8192);
  while (buffered.length < 65536) {
    const n = await conn.read(chunk);
    if (n === null) return undefined;
    const next = new Uint8Array(buffered.length + n);
    next.set(buffered);
    next.set(chunk.subarray(0, n), buffered.length);
    buffered = next;
    const text = new TextDecoder().decode(buffered);
    const end = text.indexOf("\r\n\r\n");
    if (end >= 0) {
      const headBytes = encoder.encode(text.slice(0, end + 4)).length;
      return { head: text.slice(0, end), rest: buffered.subarray(headBytes) };
    }
  }
  return undefined;
}

function header(head: string, name: string): string | null {
  for (const line of head.split("\r\n").slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === name) {
      return line.slice(colon + 1).trim();
    }
  }
  return null;
}

async function reply(conn: Deno.Conn, status: string, headers: string[] = []): Promise<void> {
  const text = [`HTTP/1.1 ${status}`, ...headers, "Content-Length: 0", "Connection: close", "", ""]
    .join("\r\n");
  await conn.write(encoder.encode(text)).catch(() => {});
  conn.close();
}

/** Starts the proxy on 127.0.0.1 (any free port). */
export function startConnectProxy(options: ConnectProxyOptions = {}): ConnectProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const open = new Set<Deno.Conn>();
  const connects: string[] = [];
  const authorizations: (string | null)[] = [];
  const expected = options.basic
    ? `Basic ${btoa(`${options.basic.username}:${options.basic.password}`)}`
    : undefined;

  const handle = async (conn: Deno.Conn) => {
    const request = await readHead(conn).catch(() => undefined);
    if (!request) return conn.close();
    const [method, target] = request.head.split(" ");
    if (method !== "CONNECT" || !target) return await reply(conn, "405 Method Not Allowed");
    connects.push(target);
    const authorization = header(request.head, "proxy-authorization");
    authorizations.push(authorization);
    if (options.challenge) {
      return await reply(
        conn,
        "407 Proxy Authentication Required",
        options.challenge.map((value) => `Proxy-Authenticate: ${value}`),
      );
    }
    if (expected !== undefined && authorization !== expected) {
      return await reply(conn, "407 Proxy Authentication Required", [
        'Proxy-Authenticate: Basic realm="corp"',
      ]);
    }
    const colon = target.lastIndexOf(":");
    const host = target.slice(0, colon).replace(/^\[|\]$/g, "");
    let upstream: Deno.Conn;
    try {
      upstream = await Deno.connect({
        hostname: host === "localhost" ? "127.0.0.1" : host,
        port: Number(target.slice(colon + 1)),
      });
    } catch {
      return await reply(conn, "502 Bad Gateway");
    }
    open.add(upstream);
    await conn.write(encoder.encode("HTTP/1.1 200 Connection Established\r\n\r\n"));
    if (request.rest.length > 0) await upstream.write(request.rest);
    await Promise.all([
      conn.readable.pipeTo(upstream.writable).catch(() => {}),
      upstream.readable.pipeTo(conn.writable).catch(() => {}),
    ]);
    open.delete(upstream);
  };

  const accepting = (async () => {
    for await (const conn of listener) {
      open.add(conn);
      handle(conn).catch(() => {}).finally(() => open.delete(conn));
    }
  })().catch(() => {});

  const close = async () => {
    try {
      listener.close();
    } catch { /* closed */ }
    for (const conn of open) {
      try {
        conn.close();
      } catch { /* closed */ }
    }
    open.clear();
    await accepting;
  };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    connects,
    authorizations,
    close,
    [Symbol.asyncDispose]: close,
  };
}
