/**
 * X.509 helpers for certificate (client assertion) auth against the simulator: read a PEM
 * certificate's public key and thumbprints, and make a self-signed test certificate with
 * WebCrypto only (a minimal DER writer; no openssl needed).
 * @module
 */

/** A certificate (or bare public key) the login server verifies client assertions with. */
export interface CertificateInfo {
  /** DER SubjectPublicKeyInfo, for `crypto.subtle.importKey("spki", ...)`. */
  spki: Uint8Array;
  /** Base64url SHA-1 of the certificate DER (`x5t`); undefined for a bare public key. */
  x5t: string | undefined;
  /** Base64url SHA-256 of the certificate DER (`x5t#S256`); undefined for a bare public key. */
  x5tS256: string | undefined;
}

/** A generated key pair and self-signed certificate, PEM-encoded. */
export interface TestCertificate {
  certificatePem: string;
  /** PKCS#8 "PRIVATE KEY" PEM of the RSA key (usable for RSA-PSS and RSASSA-PKCS1-v1_5). */
  privateKeyPem: string;
  /** `x5t#S256` of the certificate. */
  x5tS256: string;
  /** `x5t` (SHA-1) of the certificate. */
  x5t: string;
}

/** Base64url without padding. */
export function base64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Decodes standard or url-safe Base64 (padding optional). */
export function fromBase64(text: string): Uint8Array {
  const normal = text.replace(/-/g, "+").replace(/_/g, "/").replace(/\s+/g, "");
  const padded = normal + "=".repeat((4 - (normal.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

/** The DER payload of the first PEM block labelled `label` in `pem`, if any. */
export function pemBlock(pem: string, label: string): Uint8Array | undefined {
  const match = new RegExp(`-----BEGIN ${label}-----([^-]+)-----END ${label}-----`).exec(pem);
  return match ? fromBase64(match[1]!) : undefined;
}

/** Wraps DER bytes as PEM. */
export function toPem(der: Uint8Array, label: string): string {
  const body = btoa(String.fromCharCode(...der)).replace(/(.{64})/g, "$1\n").trimEnd();
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  /** Offset of the content. */
  contentStart: number;
  /** Offset after the content. */
  end: number;
}

function readTlv(der: Uint8Array, offset: number): Tlv {
  const tag = der[offset]!;
  let length = der[offset + 1]!;
  let contentStart = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[contentStart + i]!;
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > der.length) throw new RangeError("Cannot read DER: a length runs past the end");
  return { tag, start: offset, contentStart, end };
}

function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let offset = parent.contentStart; offset < parent.end;) {
    const child = readTlv(der, offset);
    out.push(child);
    offset = child.end;
  }
  return out;
}

/** The SubjectPublicKeyInfo inside an X.509 certificate (DER). */
export function certificateSpki(der: Uint8Array): Uint8Array {
  const certificate = readTlv(der, 0);
  const tbs = children(der, certificate)[0];
  if (certificate.tag !== 0x30 || tbs?.tag !== 0x30) {
    throw new RangeError("Cannot read certificate: not a DER SEQUENCE");
  }
  const fields = children(der, tbs);
  // [0] version is optional; then serial, signature, issuer, validity, subject, spki.
  const spki = fields[fields[0]?.tag === 0xa0 ? 6 : 5];
  if (spki === undefined) throw new RangeError("Cannot read certificate: too few fields");
  return der.slice(spki.start, spki.end);
}

/** Base64url digest of `bytes`. */
export async function digest(algorithm: string, bytes: Uint8Array): Promise<string> {
  return base64Url(new Uint8Array(await crypto.subtle.digest(algorithm, bytes as BufferSource)));
}

/**
 * Reads a "CERTIFICATE" PEM (thumbprints checked) or a "PUBLIC KEY" PEM (signature checked,
 * thumbprint headers accepted unchecked).
 */
export async function readCertificate(pem: string): Promise<CertificateInfo> {
  const certificate = pemBlock(pem, "CERTIFICATE");
  if (certificate) {
    return {
      spki: certificateSpki(certificate),
      x5t: await digest("SHA-1", certificate),
      x5tS256: await digest("SHA-256", certificate),
    };
  }
  const publicKey = pemBlock(pem, "PUBLIC KEY");
  if (publicKey) return { spki: publicKey, x5t: undefined, x5tS256: undefined };
  throw new RangeError("Cannot read certificate: no CERTIFICATE or PUBLIC KEY PEM block");
}

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A DER tag-length-value with `parts` as content (lengths below 64 KiB). */
export function der(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const content = concat(parts);
  const n = content.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return concat([Uint8Array.of(tag, ...length), content]);
}

/** A DER OBJECT IDENTIFIER. */
export function oid(dotted: string): Uint8Array {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const bytes = [a! * 40 + b!];
  for (const value of rest) {
    const groups = [value & 0x7f];
    for (let v = value >>> 7; v > 0; v >>>= 7) groups.unshift((v & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return der(0x06, Uint8Array.from(bytes));
}

/** A DER UTCTime (years 1950–2049). */
export function utcTime(date: Date): Uint8Array {
  const text = date.toISOString().replace(/[-:T]/g, "").slice(2, 14) + "Z";
  return der(0x17, new TextEncoder().encode(text));
}

/** An X.501 Name holding only a common name. */
export function name(commonName: string): Uint8Array {
  const cn = der(0x30, oid("2.5.4.3"), der(0x0c, new TextEncoder().encode(commonName)));
  return der(0x30, der(0x31, cn));
}

/**
 * Generates an RSA-2048 key and a self-signed certificate (sha256WithRSAEncryption), valid
 * from one day before `now` for `days` days.
 */
export async function createTestCertificate(
  options: { commonName?: string; now?: Date; days?: number } = {},
): Promise<TestCertificate> {
  const keys = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: Uint8Array.of(1, 0, 1),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  );
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey));
  const now = options.now ?? new Date();
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] = serial[0]! & 0x7f | 0x10;
  const algorithm = der(0x30, oid("1.2.840.113549.1.1.11"), der(0x05));
  const subject = name(options.commonName ?? "ingest simulator");
  const tbs = der(
    0x30,
    der(0xa0, der(0x02, Uint8Array.of(2))),
    der(0x02, serial),
    algorithm,
    subject,
    der(
      0x30,
      utcTime(new Date(now.getTime() - 86_400_000)),
      utcTime(new Date(now.getTime() + (options.days ?? 365) * 86_400_000)),
    ),
    subject,
    spki,
  );
  const signature = new Uint8Array(
    await crypto.subtle.sign("RSASSA-PKCS1-v1_5", keys.privateKey, tbs as BufferSource),
  );
  const certificate = der(0x30, tbs, algorithm, der(0x03, Uint8Array.of(0), signature));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  return {
    certificatePem: toPem(certificate, "CERTIFICATE"),
    privateKeyPem: toPem(pkcs8, "PRIVATE KEY"),
    x5tS256: await digest("SHA-256", certificate),
    x5t: await digest("SHA-1", certificate),
  };
}

/** One base64url part of a JWT as a JSON object; undefined when it is not one. */
export function decodeJwtPart(part: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(new TextDecoder().decode(fromBase64(part)));
    return typeof value === "object" && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}
