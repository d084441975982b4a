/**
 * A throw-away certificate authority for `ingest sim --tls` and the tests: a self-signed CA and
 * server certificates it signs, ECDSA P-256 with SHA-256, made with WebCrypto and a small DER
 * writer, so it works the same on Windows and Linux without openssl.
 * @module
 */
import { concat, der, name, oid, toPem, utcTime } from "./certificate.ts";

const DAY = 86_400_000;
const ECDSA_SHA256 = der(0x30, oid("1.2.840.10045.4.3.2"));
const KEY: EcKeyGenParams = { name: "ECDSA", namedCurve: "P-256" };
const SIGN: EcdsaParams = { name: "ECDSA", hash: "SHA-256" };

/** A CA that can sign server certificates. */
export interface TestCa {
  /** The CA certificate: what `ca_file` must hold to trust the servers. */
  certificatePem: string;
  commonName: string;
  privateKey: CryptoKey;
}

/** A server certificate and its key, as `Deno.serve({ cert, key })` takes them. */
export interface ServerCertificate {
  certificatePem: string;
  /** PKCS#8 "PRIVATE KEY" PEM. */
  privateKeyPem: string;
}

/** Options of {@link issueServerCertificate}. */
export interface ServerCertificateOptions {
  /** DNS names and IPv4 addresses in subjectAltName, default localhost and 127.0.0.1. */
  names?: readonly string[];
  notBefore?: Date;
  notAfter?: Date;
}

function integer(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return der(0x02, trimmed[0]! & 0x80 ? concat([Uint8Array.of(0), trimmed]) : trimmed);
}

function extension(id: string, critical: boolean, value: Uint8Array): Uint8Array {
  return der(
    0x30,
    oid(id),
    ...(critical ? [Uint8Array.of(0x01, 0x01, 0xff)] : []),
    der(0x04, value),
  );
}

function subjectAltName(names: readonly string[]): Uint8Array {
  const entries = names.map((entry) =>
    /^\d+\.\d+\.\d+\.\d+$/.test(entry)
      ? der(0x87, Uint8Array.from(entry.split(".").map(Number)))
      : der(0x82, new TextEncoder().encode(entry))
  );
  return extension("2.5.29.17", false, der(0x30, ...entries));
}

function serialNumber(): Uint8Array {
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] = serial[0]! & 0x7f | 0x10;
  return der(0x02, serial);
}

async function signed(tbs: Uint8Array, key: CryptoKey): Promise<Uint8Array> {
  const raw = new Uint8Array(await crypto.subtle.sign(SIGN, key, tbs as BufferSource));
  const signature = der(0x30, integer(raw.subarray(0, 32)), integer(raw.subarray(32)));
  return der(0x30, tbs, ECDSA_SHA256, der(0x03, Uint8Array.of(0), signature));
}

async function spki(key: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.exportKey("spki", key));
}

function tbsCertificate(fields: {
  issuer: string;
  subject: string;
  notBefore: Date;
  notAfter: Date;
  spki: Uint8Array;
  extensions: Uint8Array[];
}): Uint8Array {
  return der(
    0x30,
    der(0xa0, der(0x02, Uint8Array.of(2))),
    serialNumber(),
    ECDSA_SHA256,
    name(fields.issuer),
    der(0x30, utcTime(fields.notBefore), utcTime(fields.notAfter)),
    name(fields.subject),
    fields.spki,
    der(0xa3, der(0x30, ...fields.extensions)),
  );
}

/** A new self-signed CA, valid from a day before `now` for `days` days (default 30). */
export async function createTestCa(
  options: { commonName?: string; now?: Date; days?: number } = {},
): Promise<TestCa> {
  const keys = await crypto.subtle.generateKey(KEY, true, ["sign", "verify"]);
  const now = options.now ?? new Date();
  const commonName = options.commonName ?? "ingest simulator test CA";
  const tbs = tbsCertificate({
    issuer: commonName,
    subject: commonName,
    notBefore: new Date(now.getTime() - DAY),
    notAfter: new Date(now.getTime() + (options.days ?? 30) * DAY),
    spki: await spki(keys.publicKey),
    extensions: [
      extension("2.5.29.19", true, der(0x30, Uint8Array.of(0x01, 0x01, 0xff))),
      extension("2.5.29.15", true, der(0x03, Uint8Array.of(1, 0x06))),
    ],
  });
  return {
    certificatePem: toPem(await signed(tbs, keys.privateKey), "CERTIFICATE"),
    commonName,
    privateKey: keys.privateKey,
  };
}

/** A server certificate for `names` signed by `ca` (default: localhost and 127.0.0.1, 30 days). */
export async function issueServerCertificate(
  ca: TestCa,
  options: ServerCertificateOptions = {},
): Promise<ServerCertificate> {
  const keys = await crypto.subtle.generateKey(KEY, true, ["sign", "verify"]);
  const names = options.names ?? ["localhost", "127.0.0.1"];
  const notBefore = options.notBefore ?? new Date(Date.now() - DAY);
  const tbs = tbsCertificate({
    issuer: ca.commonName,
    subject: names[0] ?? "localhost",
    notBefore,
    notAfter: options.notAfter ?? new Date(notBefore.getTime() + 31 * DAY),
    spki: await spki(keys.publicKey),
    extensions: [
      extension("2.5.29.19", true, der(0x30)),
      extension("2.5.29.15", true, der(0x03, Uint8Array.of(7, 0x80))),
      extension("2.5.29.37", false, der(0x30, oid("1.3.6.1.5.5.7.3.1"))),
      subjectAltName(names),
    ],
  });
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  return {
    certificatePem: toPem(await signed(tbs, ca.privateKey), "CERTIFICATE"),
    privateKeyPem: toPem(pkcs8, "PRIVATE KEY"),
  };
}
