/**
 * Which credential a job uses (`auth`), checked once at load: the method is the `auth` key or is
 * inferred from the credential keys present (as before `auth` existed), and a key that does not
 * fit the method is one settings error naming both keys.
 *
 * Workload identity takes `client_id`, `tenant_id`, `authority_host` and `federated_token_file`
 * from the settings, else from the variables the Entra Workload ID webhook injects
 * (`AZURE_CLIENT_ID`, `AZURE_TENANT_ID`, `AZURE_AUTHORITY_HOST`, `AZURE_FEDERATED_TOKEN_FILE`;
 * research/secretless-auth.md §2 "Kubernetes — Entra Workload ID"). A managed identity's endpoint
 * comes from the environment: App Service (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`), Azure Arc
 * (`IDENTITY_ENDPOINT` + `IMDS_ENDPOINT`), else the Azure VM IMDS (§2 "Azure Arc-enabled servers",
 * "Azure VMs (IMDS)").
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { ConfigError } from "../errors.ts";
import {
  checkNoProxy,
  IMDS_TOKEN_URL,
  type ManagedIdentitySource,
  managedIdentitySource,
  TEST_IMDS_VAR,
} from "./identity_endpoint.ts";
import { AUTH_METHODS, isAllowedUrl, type RawSettings } from "./schema.ts";
import { describeSource, type ValueSource } from "./source.ts";

export type { ManagedIdentitySource };

/** How the app obtains its Graph token. */
export type AuthMethod = typeof AUTH_METHODS[number];

/** The credential part of a job's settings, resolved. */
export interface ResolvedAuth {
  auth: AuthMethod;
  client_id?: string;
  tenant_id?: string;
  authority_host: string;
  federated_token_file?: string;
  managed_identity_source?: ManagedIdentitySource;
  client_certificate_password?: string;
  /** Where each credential value came from, for `ingest check`. */
  auth_origins: Record<string, string>;
}

/** Inputs of {@link resolveAuth}. */
export interface AuthInputs {
  raw: RawSettings;
  /** The client secret (from `client_secret` or `client_secret_file`). */
  secret: string | undefined;
  /** Sources of the settings values; values taken from the environment are added here. */
  sources: Record<string, ValueSource>;
  env: Record<string, string | undefined>;
  cwd: string;
  read: (path: string) => Promise<string>;
  /** False: no secret file is read (`schedule print`); default true. */
  readSecrets?: boolean;
  /** `Deno.build.os` (the Arc agent's folder differs). */
  os?: string;
}

const SECRET_KEYS = ["client_secret", "client_secret_file"] as const;
const CERTIFICATE_KEYS = ["client_certificate_path", "client_certificate_password_file"] as const;

/** Keys that must not be set with each method (the secret counts as `client_secret`). */
const FORBIDDEN: Record<AuthMethod, readonly (keyof RawSettings)[]> = {
  client_secret: [...CERTIFICATE_KEYS, "federated_token_file", "managed_identity_client_id"],
  certificate: [...SECRET_KEYS, "federated_token_file", "managed_identity_client_id"],
  workload_identity: [...SECRET_KEYS, ...CERTIFICATE_KEYS, "managed_identity_client_id"],
  managed_identity: [
    ...SECRET_KEYS,
    ...CERTIFICATE_KEYS,
    "federated_token_file",
    "client_id",
    "tenant_id",
  ],
};

const WHY_FORBIDDEN: Partial<Record<AuthMethod, string>> = {
  managed_identity:
    "a managed identity needs no app registration secret, certificate or client_id (use managed_identity_client_id for a user-assigned identity)",
  workload_identity: "workload identity uses the federated token file, not a secret or certificate",
};

function origin(key: string, source: ValueSource | undefined): string {
  switch (source?.kind) {
    case "file":
      return `settings file ${source.path}${source.table ? ` ${source.table}` : ""}`;
    case "env":
      return `env ${source.name}`;
    case "flag":
      return `flag ${source.name}`;
    default:
      return key === "authority_host" ? "default" : "settings";
  }
}

/** The method the keys present imply, when `auth` is not set. */
function inferMethod(inputs: AuthInputs): AuthMethod | undefined {
  const { raw, secret, env } = inputs;
  if (secret !== undefined) return "client_secret";
  if (raw.client_certificate_path !== undefined) return "certificate";
  if (raw.federated_token_file !== undefined || nonEmpty(env.AZURE_FEDERATED_TOKEN_FILE)) {
    return "workload_identity";
  }
  if (raw.managed_identity_client_id !== undefined) return "managed_identity";
  return undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** "key "auth" in FILE ("managed_identity")", or "the credential keys" when inferred. */
function methodText(method: AuthMethod, sources: Record<string, ValueSource>, explicit: boolean) {
  return explicit
    ? `${describeSource("auth", sources.auth)} ("${method}")`
    : `auth "${method}" (inferred from the keys present)`;
}

function checkForbidden(inputs: AuthInputs, method: AuthMethod, explicit: boolean): void {
  const { raw, sources } = inputs;
  const present = FORBIDDEN[method].filter((key) =>
    raw[key] !== undefined || (key === "client_secret" && inputs.secret !== undefined)
  );
  if (present.length === 0) return;
  const key = present[0]!;
  const why = WHY_FORBIDDEN[method] ?? `it does not belong to ${method} authentication`;
  throw new ConfigError(
    `Cannot use ${methodText(method, sources, explicit)} with ${
      describeSource(key, sources[key])
    }: ${why}; remove one of them`,
  );
}

function required(
  inputs: AuthInputs,
  method: AuthMethod,
  explicit: boolean,
  key: string,
  how: string,
): never {
  throw new ConfigError(
    `Cannot use ${methodText(method, inputs.sources, explicit)} without ${key}: ${how}`,
  );
}

/** A value from the settings, else from `variable` in the environment (recorded in `sources`). */
function settingOrEnv(
  inputs: AuthInputs,
  key: "client_id" | "tenant_id" | "federated_token_file" | "authority_host",
  variable: string,
): string | undefined {
  const fromSettings = inputs.raw[key];
  const setInSettings = key === "authority_host"
    ? inputs.sources.authority_host !== undefined
    : fromSettings !== undefined;
  if (setInSettings) return fromSettings;
  const value = nonEmpty(inputs.env[variable]);
  if (value === undefined) return key === "authority_host" ? fromSettings : undefined;
  inputs.sources[key] = { kind: "env", name: variable };
  return value;
}

function resolveWorkloadIdentity(
  inputs: AuthInputs,
  explicit: boolean,
): Omit<ResolvedAuth, "auth_origins"> {
  const method = "workload_identity";
  const clientId = settingOrEnv(inputs, "client_id", "AZURE_CLIENT_ID");
  const tenantId = settingOrEnv(inputs, "tenant_id", "AZURE_TENANT_ID");
  const authorityHost = settingOrEnv(inputs, "authority_host", "AZURE_AUTHORITY_HOST")!;
  let tokenFile = settingOrEnv(inputs, "federated_token_file", "AZURE_FEDERATED_TOKEN_FILE");
  if (clientId === undefined) {
    required(inputs, method, explicit, "client_id", "set client_id or AZURE_CLIENT_ID");
  }
  if (tenantId === undefined) {
    required(inputs, method, explicit, "tenant_id", "set tenant_id or AZURE_TENANT_ID");
  }
  if (tokenFile === undefined) {
    required(
      inputs,
      method,
      explicit,
      "federated_token_file",
      'set federated_token_file or AZURE_FEDERATED_TOKEN_FILE (the pod needs the label azure.workload.identity/use: "true")',
    );
  }
  if (!isAllowedUrl(authorityHost)) {
    throw new ConfigError(
      `Cannot use ${describeSource("authority_host", inputs.sources.authority_host)}: ` +
        "must be an https URL (http is allowed only for localhost/127.0.0.1)",
    );
  }
  if (!isAbsolute(tokenFile)) tokenFile = resolve(inputs.cwd, tokenFile);
  return {
    auth: method,
    client_id: clientId,
    tenant_id: tenantId,
    authority_host: authorityHost,
    federated_token_file: tokenFile,
  };
}

async function readPassword(inputs: AuthInputs): Promise<string | undefined> {
  const path = inputs.raw.client_certificate_password_file;
  if (path === undefined || inputs.readSecrets === false) return undefined;
  try {
    return (await inputs.read(path)).replace(/\r?\n$/, "");
  } catch (error) {
    throw new ConfigError(
      `Cannot read client_certificate_password_file ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/**
 * The job's method and credential values; values taken from the environment are recorded in
 * `inputs.sources`.
 * @throws {ConfigError} one line naming the contradicting or missing keys
 */
export async function resolveAuth(inputs: AuthInputs): Promise<ResolvedAuth> {
  const { raw, sources } = inputs;
  const explicit = raw.auth !== undefined;
  if (!explicit && inputs.secret !== undefined && raw.client_certificate_path !== undefined) {
    throw new ConfigError(
      `Cannot use both a client secret and ${
        describeSource("client_certificate_path", sources.client_certificate_path)
      }: choose one credential`,
    );
  }
  const method = raw.auth ?? inferMethod(inputs);
  if (method === undefined) {
    throw new ConfigError(
      "Cannot authenticate: set client_secret (or client_secret_file, or INGEST_CLIENT_SECRET), " +
        'client_certificate_path, or auth = "workload_identity" / "managed_identity"',
    );
  }
  checkForbidden(inputs, method, explicit);
  let resolved: Omit<ResolvedAuth, "auth_origins">;
  switch (method) {
    case "client_secret":
    case "certificate": {
      if (method === "client_secret" && inputs.secret === undefined) {
        required(
          inputs,
          method,
          explicit,
          "client_secret",
          "set client_secret or client_secret_file",
        );
      }
      if (method === "certificate" && raw.client_certificate_path === undefined) {
        required(
          inputs,
          method,
          explicit,
          "client_certificate_path",
          "set client_certificate_path to a .pem, .pfx or .p12 file",
        );
      }
      if (raw.client_id === undefined) {
        required(inputs, method, explicit, "client_id", "set the app registration's client_id");
      }
      if (raw.tenant_id === undefined) {
        required(inputs, method, explicit, "tenant_id", "set the Directory (tenant) ID");
      }
      resolved = {
        auth: method,
        client_id: raw.client_id,
        tenant_id: raw.tenant_id,
        authority_host: raw.authority_host,
        ...(method === "certificate"
          ? { client_certificate_password: await readPassword(inputs) }
          : {}),
      };
      break;
    }
    case "workload_identity":
      resolved = resolveWorkloadIdentity(inputs, explicit);
      break;
    case "managed_identity": {
      const source = managedIdentitySource(inputs.env, inputs.os ?? Deno.build.os);
      checkNoProxy(source, inputs.env);
      resolved = {
        auth: method,
        authority_host: raw.authority_host,
        managed_identity_source: source,
      };
      break;
    }
  }
  return { ...resolved, auth_origins: origins(resolved, inputs) };
}

function origins(resolved: Omit<ResolvedAuth, "auth_origins">, inputs: AuthInputs) {
  const { sources, raw } = inputs;
  const keys: string[] = ["auth"];
  switch (resolved.auth) {
    case "client_secret":
      keys.push("client_id", "tenant_id", "authority_host");
      keys.push(raw.client_secret_file !== undefined ? "client_secret_file" : "client_secret");
      break;
    case "certificate":
      keys.push("client_id", "tenant_id", "authority_host", "client_certificate_path");
      if (raw.client_certificate_password_file) keys.push("client_certificate_password_file");
      break;
    case "workload_identity":
      keys.push("client_id", "tenant_id", "authority_host", "federated_token_file");
      break;
    case "managed_identity":
      if (raw.managed_identity_client_id !== undefined) keys.push("managed_identity_client_id");
      break;
  }
  const result: Record<string, string> = {};
  for (const key of keys) {
    result[key] = key === "auth" && raw.auth === undefined
      ? "inferred from the keys present"
      : origin(key, sources[key]);
  }
  const mi = resolved.managed_identity_source;
  if (mi) {
    result.endpoint = mi.kind === "app_service"
      ? "env IDENTITY_ENDPOINT + IDENTITY_HEADER (App Service)"
      : mi.kind === "arc"
      ? "env IDENTITY_ENDPOINT + IMDS_ENDPOINT (Azure Arc)"
      : mi.endpoint === IMDS_TOKEN_URL
      ? "Azure VM IMDS"
      : `Azure VM IMDS (test override ${TEST_IMDS_VAR})`;
  }
  return result;
}
