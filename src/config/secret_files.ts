/**
 * The files that hold secrets and trust named by the settings: `client_secret_file`,
 * `proxy_password_file` and `ca_file`. Each problem is one `ConfigError` naming the key and file.
 * @module
 */
import { ConfigError } from "../errors.ts";
import { fileReader, type LoadOptions } from "./load_options.ts";
import type { RawSettings } from "./schema.ts";
import { describeSource, type ValueSource } from "./source.ts";

/** The client secret: `client_secret`, or the trimmed content of `client_secret_file` (not both). */
export async function loadSecret(
  raw: RawSettings,
  sources: Record<string, ValueSource>,
  options: LoadOptions,
) {
  if (raw.client_secret_file === undefined) return raw.client_secret;
  if (raw.client_secret !== undefined) {
    throw new ConfigError(
      `Cannot use both ${describeSource("client_secret", sources.client_secret)} and ` +
        `${describeSource("client_secret_file", sources.client_secret_file)}: keep one`,
    );
  }
  const read = fileReader(options);
  try {
    const secret = (await read(raw.client_secret_file)).trim();
    if (secret === "") throw new Error("the file is empty");
    return secret;
  } catch (error) {
    throw new ConfigError(
      `Cannot read client_secret_file ${raw.client_secret_file}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

async function readSettingFile(
  key: "proxy_password_file" | "ca_file",
  path: string,
  options: LoadOptions,
): Promise<string> {
  const read = fileReader(options);
  try {
    return await read(path);
  } catch (error) {
    throw new ConfigError(`Cannot read ${key} ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * The proxy password from `proxy_password_file` (first line, trimmed). The user name comes from
 * `proxy_url`; one without the other is an error.
 */
export async function loadProxyPassword(
  raw: RawSettings,
  sources: Record<string, ValueSource>,
  options: LoadOptions,
): Promise<string | undefined> {
  const file = raw.proxy_password_file;
  const user = raw.proxy_url === undefined ? "" : new URL(raw.proxy_url).username;
  if (file === undefined) {
    if (user === "") return undefined;
    throw new ConfigError(
      `Cannot use ${describeSource("proxy_url", sources.proxy_url)}: it names user "${
        decodeURIComponent(user)
      }" but proxy_password_file is not set`,
    );
  }
  if (user === "") {
    throw new ConfigError(
      `Cannot use ${describeSource("proxy_password_file", sources.proxy_password_file)}: ` +
        'proxy_url names no user (write it as "http://USER@proxy:8080")',
    );
  }
  const password = (await readSettingFile("proxy_password_file", file, options)).split(/\r?\n/)[0]!
    .trim();
  if (password === "") {
    throw new ConfigError(`Cannot read proxy_password_file ${file}: the file is empty`);
  }
  return password;
}

/** Every "CERTIFICATE" PEM block of `ca_file`; a file without one is an error. */
export async function loadCaCertificates(
  raw: RawSettings,
  options: LoadOptions,
): Promise<string[] | undefined> {
  if (raw.ca_file === undefined) return undefined;
  const text = await readSettingFile("ca_file", raw.ca_file, options);
  const blocks = text.match(
    /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g,
  ) ?? [];
  if (blocks.length === 0) {
    throw new ConfigError(
      `Cannot use ca_file ${raw.ca_file}: it holds no "BEGIN CERTIFICATE" block ` +
        "(export the root CA as Base-64 encoded X.509 .cer/.pem)",
    );
  }
  return blocks.map((block) => `${block}\n`);
}
