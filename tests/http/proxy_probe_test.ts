import assert from "node:assert/strict";
import { parseProxyAnswer, probeProxy, wantsWindowsAuth } from "../../src/http/proxy_probe.ts";
import { startConnectProxy } from "../helpers/connect_proxy.ts";

Deno.test("parseProxyAnswer and wantsWindowsAuth read a 407's challenges", () => {
  const cases: [string, number, string[], boolean][] = [
    ["HTTP/1.1 200 Connection Established", 200, [], false],
    [
      "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: NTLM\r\nproxy-authenticate: Negotiate",
      407,
      ["NTLM", "Negotiate"],
      true,
    ],
    [
      'HTTP/1.0 407 Auth\r\nProxy-Authenticate: Basic realm="corp"\r\nProxy-Authenticate: NTLM',
      407,
      ['Basic realm="corp"', "NTLM"],
      false,
    ],
    ["HTTP/1.1 407 Auth\r\nProxy-Authenticate: Kerberos", 407, ["Kerberos"], true],
    ["HTTP/1.1 403 Forbidden\r\nContent-Length: 0", 403, [], false],
    ["garbage", 0, [], false],
  ];
  for (const [head, status, authenticate, windows] of cases) {
    const answer = parseProxyAnswer(head);
    assert.equal(answer.status, status, head);
    assert.deepEqual(answer.authenticate, authenticate, head);
    assert.equal(wantsWindowsAuth(answer), windows, head);
  }
});

Deno.test("probeProxy sends Basic credentials and reports the proxy's answer", async () => {
  await using proxy = startConnectProxy({ basic: { username: "u", password: "p:w" } });
  const target = `127.0.0.1:${proxy.port}`;
  const refused = await probeProxy({ proxyUrl: proxy.url, target, timeoutMs: 2000 });
  assert.equal(refused.status, 407);
  assert.deepEqual(refused.authenticate, ['Basic realm="corp"']);
  const accepted = await probeProxy({
    proxyUrl: proxy.url,
    target,
    basicAuth: { username: "u", password: "p:w" },
    timeoutMs: 2000,
  });
  assert.equal(accepted.status, 200);
  assert.deepEqual(proxy.connects, [target, target]);
});
