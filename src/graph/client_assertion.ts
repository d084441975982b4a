/**
 * Certificate credentials for the client-credentials grant: a JWT client assertion signed with
 * the app's private key (WebCrypto, RSA-PSS "PS256", `x5t#S256` thumbprint header).
 *
 * The certificate file is PEM holding the certificate and its unencrypted private key
 * (PKCS#8 "PRIVATE KEY", or PKCS#1 "RSA PRIVATE KEY").
 * @module
 */
import { ConfigError } from "../errors.ts";

/** A loaded certificate: the signing key and the SHA-256 thumbprint of the certificate. */
export interface ClientCertificate {
  privateKey: CryptoKey;
  /** base64url SHA-256 of the certificate's DER encoding (the `x5t#S256` header). */
  thumbprintS256: string;
}

/** Assertions are valid this long after `nbf` (Microsoft: "5-10 minutes ... at most"). */
export const ASSERTION_LIFETIME_SECONDS = 300;

/** Reads and imports `path`. Throws `ConfigError` naming what is missing or wrong. */
export async function loadClientCertificate(path: string): Promise<ClientCertificate> {
  let pem: string;
  try {
    pem = await Deno.readTextFile(path);
  } catch (error) {
    throw new ConfigError(`Cannot read client_certificate_path "${path}": ${errorText(error)}`, {
      cause: error,
    });
  }
  return await parseClientCertificate(pem, path);
}

/** Imports a PEM text (certificate + private key). `source` names it in errors. */
export async function parseClientCertificate(
  pem: string,
  source = "the client certificate",
): Promise<ClientCertificate> {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(pem)) {
    throw new ConfigError(
      `Cannot use client certificate "${source}": the private key is encrypted; export it without a passphrase`,
    );
  }
  const certificate = pemBlock(pem, "CERTIFICATE");
  const pkcs8 = pemBlock(pem, "PRIVATE KEY");
  const pkcs1 = pemBlock(pem, "RSA PRIVATE KEY");
  if (!certificate || !(pkcs8 || pkcs1)) {
    throw new ConfigError(
      `Cannot use client certificate "${source}": the PEM must contain a CERTIFICATE and a PRIVATE KEY`,
    );
  }
  try {
    const privateKey = await crypto.subtle.importKey(
      "pkcs8",
      pkcs8 ?? wrapPkcs1(pkcs1!),
      { name: "RSA-PSS", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", certificate));
    return { privateKey, thumbprintS256: base64url(digest) };
  } catch (error) {
    throw new ConfigError(
      `Cannot use client certificate "${source}": the private key is not an RSA key (${
        errorText(error)
      })`,
      { cause: error },
    );
  }
}

/** Claims and header inputs of one assertion. */
export interface AssertionInput {
  certificate: ClientCertificate;
  clientId: string;
  /** The token endpoint URL. */
  audience: string;
  /** Seconds since the epoch, used as `nbf`/`iat`. */
  nowSeconds: number;
  /** Unique per assertion (`crypto.randomUUID()`). */
  jti: string;
}

/** A signed client assertion (compact JWS). */
export async function createClientAssertion(input: AssertionInput): Promise<string> {
  const header = { alg: "PS256", typ: "JWT", "x5t#S256": input.certificate.thumbprintS256 };
  const claims = {
    aud: input.audience,
    iss: input.clientId,
    sub: input.clientId,
    jti: input.jti,
    nbf: input.nowSeconds,
    iat: input.nowSeconds,
    exp: input.nowSeconds + ASSERTION_LIFETIME_SECONDS,
  };
  const encoder = new TextEncoder();
  const signingInput = `${base64url(encoder.encode(JSON.stringify(header)))}.${
    base64url(encoder.encode(JSON.stringify(claims)))
  }`;
  const signature = await crypto.subtle.sign(
    { name: "RSA-PSS", saltLength: 32 },
    input.certificate.privateKey,
    encoder.encode(signingInput),
  );
  return `${signingInput}.${base64url(new Uint8Array(signature))}`;
}

/** base64url without padding. */
export function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function pemBlock(pem: string, label: string): Uint8Array<ArrayBuffer> | undefined {
  const match = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`).exec(pem);
  if (!match?.[1]) return undefined;
  const binary = atob(match[1].replace(/\s+/g, ""));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** Wraps a PKCS#1 RSAPrivateKey in a PKCS#8 PrivateKeyInfo (WebCrypto imports only PKCS#8). */
function wrapPkcs1(pkcs1: Uint8Array): Uint8Array<ArrayBuffer> {
  const rsaAlgorithm = [
    0x30,
    0x0d,
    0x06,
    0x09,
    0x2a,
    0x86,
    0x48,
    0x86,
    0xf7,
    0x0d,
    0x01,
    0x01,
    0x01,
    0x05,
    0x00,
  ];
  const version = [0x02, 0x01, 0x00];
  const octetString = [0x04, ...derLength(pkcs1.length), ...pkcs1];
  const body = [...version, ...rsaAlgorithm, ...octetString];
  return new Uint8Array([0x30, ...derLength(body.length), ...body]);
}

function derLength(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let n = length; n > 0; n >>= 8) bytes.unshift(n & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
