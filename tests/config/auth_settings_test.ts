import assert from "node:assert/strict";
import { join } from "node:path";
import { loadSettings } from "../../src/config/load.ts";
import { loadError, MINIMAL, withFile } from "./settings_files.ts";

/** MINIMAL without its credential lines, plus `extra`. */
function file(extra: string, keep: readonly string[] = []): string {
  const drop = ["client_id", "client_secret", "tenant_id"].filter((k) => !keep.includes(k));
  return MINIMAL.split("\n").filter((line) => !drop.some((k) => line.startsWith(`${k} =`)))
    .join("\n") + extra;
}

const INFERENCE: [string, string, Record<string, string>, string][] = [
  ["a secret", file("", ["client_id", "client_secret", "tenant_id"]), {}, "client_secret"],
  [
    "a certificate path",
    file('client_certificate_path = "c.pem"\n', ["client_id", "tenant_id"]),
    {},
    "certificate",
  ],
  ["the webhook's token file variable", file(""), {
    AZURE_FEDERATED_TOKEN_FILE: "/var/run/secrets/azure/tokens/azure-identity-token",
    AZURE_CLIENT_ID: "app",
    AZURE_TENANT_ID: "tenant",
  }, "workload_identity"],
  [
    "managed_identity_client_id",
    file('managed_identity_client_id = "mi"\n'),
    {},
    "managed_identity",
  ],
];

for (const [name, text, env, expected] of INFERENCE) {
  Deno.test(`auth is inferred from ${name}`, async () => {
    const options = await withFile(text, { env });
    try {
      const { settings } = await loadSettings(options);
      assert.equal(settings.auth, expected);
      assert.equal(settings.auth_origins?.auth, "inferred from the keys present");
    } finally {
      await Deno.remove(options.dir, { recursive: true });
    }
  });
}

const CONTRADICTIONS: [string, string, RegExp][] = [
  [
    'auth = "client_secret" without a secret',
    file('auth = "client_secret"\n', ["client_id", "tenant_id"]),
    /^Cannot use key "auth" in .*settings\.toml \("client_secret"\) without client_secret: set client_secret or client_secret_file$/,
  ],
  [
    'a secret with auth = "managed_identity"',
    file('auth = "managed_identity"\n', ["client_secret"]),
    /^Cannot use key "auth" in .* \("managed_identity"\) with key "client_secret" in .*settings\.toml: a managed identity needs no/,
  ],
  [
    'client_id with auth = "managed_identity"',
    file('auth = "managed_identity"\n', ["client_id"]),
    /with key "client_id" in .*use managed_identity_client_id for a user-assigned identity/,
  ],
  [
    'a certificate with auth = "workload_identity"',
    file('auth = "workload_identity"\nclient_certificate_path = "c.pem"\n', [
      "client_id",
      "tenant_id",
    ]),
    /\("workload_identity"\) with key "client_certificate_path" in .*uses the federated token file/,
  ],
  [
    'auth = "workload_identity" without a token file',
    file('auth = "workload_identity"\n', ["client_id", "tenant_id"]),
    /without federated_token_file: set federated_token_file or AZURE_FEDERATED_TOKEN_FILE/,
  ],
  [
    'auth = "certificate" without client_id',
    file('auth = "certificate"\nclient_certificate_path = "c.pem"\n', ["tenant_id"]),
    /\("certificate"\) without client_id/,
  ],
  [
    "a secret and managed_identity_client_id, inferred",
    file('managed_identity_client_id = "mi"\n', ["client_id", "client_secret", "tenant_id"]),
    /^Cannot use auth "client_secret" \(inferred from the keys present\) with key "managed_identity_client_id"/,
  ],
  [
    "a password file without a certificate",
    file('client_certificate_password_file = "pw"\n', ["client_id", "client_secret", "tenant_id"]),
    /with key "client_certificate_password_file"/,
  ],
  [
    "no credential at all",
    file(""),
    /^Cannot authenticate: set client_secret .*"managed_identity"$/,
  ],
];

for (const [name, text, pattern] of CONTRADICTIONS) {
  Deno.test(`settings error: ${name}`, async () => {
    const message = await loadError(text, loadSettings);
    assert.equal(message.split("\n").length, 1, message);
    assert.match(message, pattern);
  });
}

Deno.test("workload identity: webhook variables fill in, settings override them, sources say which", async () => {
  const options = await withFile(
    file('federated_token_file = "token"\nclient_id = "from-settings"\n'),
    {
      env: {
        AZURE_CLIENT_ID: "from-env",
        AZURE_TENANT_ID: "tenant-from-env",
        AZURE_AUTHORITY_HOST: "https://login.microsoftonline.us/",
        AZURE_FEDERATED_TOKEN_FILE: "/elsewhere",
      },
    },
  );
  try {
    const { settings, sources } = await loadSettings(options);
    assert.equal(settings.auth, "workload_identity");
    assert.equal(settings.client_id, "from-settings");
    assert.equal(settings.tenant_id, "tenant-from-env");
    assert.equal(settings.authority_host, "https://login.microsoftonline.us/");
    assert.equal(settings.federated_token_file, join(options.dir, "token"));
    assert.deepEqual(sources.tenant_id, { kind: "env", name: "AZURE_TENANT_ID" });
    assert.match(settings.auth_origins!.client_id!, /^settings file .*settings\.toml$/);
    assert.equal(settings.auth_origins!.authority_host, "env AZURE_AUTHORITY_HOST");
  } finally {
    await Deno.remove(options.dir, { recursive: true });
  }
});

Deno.test("managed identity: App Service, Arc and IMDS are told apart by the environment", async () => {
  const text = file('auth = "managed_identity"\n');
  const cases: [Record<string, string>, string, string][] = [
    [
      { IDENTITY_ENDPOINT: "http://localhost:4141/msi/token", IDENTITY_HEADER: "h" },
      "app_service",
      "http://localhost:4141/msi/token",
    ],
    [
      {
        IDENTITY_ENDPOINT: "http://localhost:40342/metadata/identity/oauth2/token",
        IMDS_ENDPOINT: "http://localhost:40342",
      },
      "arc",
      "http://127.0.0.1:40342/metadata/identity/oauth2/token",
    ],
    [{}, "imds", "http://169.254.169.254/metadata/identity/oauth2/token"],
    // The test-only override is ignored unless it points at loopback.
    [
      { INGEST_TEST_IMDS_ENDPOINT: "http://evil.example" },
      "imds",
      "http://169.254.169.254/metadata/identity/oauth2/token",
    ],
    [
      { INGEST_TEST_IMDS_ENDPOINT: "http://127.0.0.1:8080" },
      "imds",
      "http://127.0.0.1:8080/metadata/identity/oauth2/token",
    ],
  ];
  for (const [env, kind, endpoint] of cases) {
    const options = await withFile(text, { env });
    try {
      const { settings } = await loadSettings(options);
      assert.equal(settings.managed_identity_source?.kind, kind);
      assert.equal(settings.managed_identity_source?.endpoint, endpoint);
    } finally {
      await Deno.remove(options.dir, { recursive: true });
    }
  }
});

Deno.test("a proxy variable that would catch the identity endpoint is a settings error", async () => {
  const message = await loadError(file('auth = "managed_identity"\n'), loadSettings, {
    env: { HTTP_PROXY: "http://proxy:3128" },
  });
  assert.match(
    message,
    /HTTP_PROXY in the environment would send the token requests to 169\.254\.169\.254/,
  );
});
