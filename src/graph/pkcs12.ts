/**
 * What node-forge does for client certificates: open PKCS#12 files (`.pfx`/`.p12`), decrypt
 * password-protected PEM keys, and read a certificate's subject and validity. No hand-written
 * ASN.1 decryption. Passwords are never put in an error message.
 * @module
 */
import forgeModule from "node-forge";
import { ConfigError } from "../errors.ts";

/**
 * The part of node-forge used here, typed locally: @types/node-forge pulls in @types/node,
 * which changes the global types of the whole program.
 */
interface ForgeBigInteger {
  equals(other: ForgeBigInteger): boolean;
}
interface ForgeRsaKey {
  n: ForgeBigInteger;
}
interface ForgeCertificate {
  publicKey: Partial<ForgeRsaKey>;
  subject: { attributes: { shortName?: string; name?: string; type?: string; value: unknown }[] };
  validity: { notBefore: Date; notAfter: Date };
}
interface ForgeBag {
  key?: ForgeRsaKey;
  cert?: ForgeCertificate;
}
interface ForgePkcs12 {
  getBags(filter: { bagType: string }): Record<string, ForgeBag[] | undefined>;
}
type Asn1 = { readonly asn1: unique symbol };
interface Forge {
  asn1: { fromDer(binary: string): Asn1; toDer(asn1: Asn1): { getBytes(): string } };
  util: { binary: { raw: { encode(bytes: Uint8Array): string } } };
  pkcs12: { pkcs12FromAsn1(asn1: Asn1, password: string): ForgePkcs12 };
  pki: {
    oids: Record<string, string>;
    decryptRsaPrivateKey(pem: string, password: string): ForgeRsaKey | null;
    privateKeyToAsn1(key: ForgeRsaKey): Asn1;
    wrapRsaPrivateKey(asn1: Asn1): Asn1;
    certificateToAsn1(certificate: ForgeCertificate): Asn1;
    certificateFromAsn1(asn1: Asn1): ForgeCertificate;
  };
}
const forge = forgeModule as unknown as Forge;

/** The encrypted private key of `pem` as PKCS#8. Throws `ConfigError`. */
export function decryptPemKey(
  pem: string,
  password: string,
  source: string,
): Uint8Array<ArrayBuffer> {
  const block = /-----BEGIN (ENCRYPTED PRIVATE KEY|RSA PRIVATE KEY)-----[\s\S]*?-----END \1-----/
    .exec(pem)?.[0];
  let key: ForgeRsaKey | null = null;
  try {
    key = block ? forge.pki.decryptRsaPrivateKey(block, password) : null;
  } catch (error) {
    throw new ConfigError(
      `Cannot use client certificate "${source}": cannot decrypt the private key (${
        errorText(error)
      })`,
      { cause: error },
    );
  }
  if (!key) {
    throw new ConfigError(
      `Cannot use client certificate "${source}": the password in client_certificate_password_file does not decrypt the private key`,
    );
  }
  return rsaKeyToPkcs8(key);
}

function rsaKeyToPkcs8(key: ForgeRsaKey): Uint8Array<ArrayBuffer> {
  const info = forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(key));
  return binaryToBytes(forge.asn1.toDer(info).getBytes());
}

/**
 * Opens a PKCS#12 file: the DER certificate that matches its RSA private key, and the key as
 * PKCS#8. Throws `ConfigError` (never naming the password).
 */
export function openPkcs12(
  bytes: Uint8Array,
  password: string | undefined,
  source: string,
): { certificate: Uint8Array<ArrayBuffer>; pkcs8: Uint8Array<ArrayBuffer> } {
  const fail = (reason: string, cause?: unknown) =>
    new ConfigError(`Cannot use client certificate "${source}": ${reason}`, { cause });
  let p12: ForgePkcs12;
  try {
    const asn1 = forge.asn1.fromDer(forge.util.binary.raw.encode(bytes));
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, password ?? "");
  } catch (error) {
    const message = errorText(error);
    if (/MAC could not be verified|Invalid password/i.test(message)) {
      throw fail(
        password === undefined
          ? "the PKCS#12 file is protected by a password; set client_certificate_password_file"
          : "the password in client_certificate_password_file does not open the PKCS#12 file",
        error,
      );
    }
    throw fail(`it is neither PEM nor a readable PKCS#12 (.pfx/.p12) file (${message})`, error);
  }
  const bags = (type: string) => p12.getBags({ bagType: type })[type] ?? [];
  const keys = [
    ...bags(forge.pki.oids.pkcs8ShroudedKeyBag!),
    ...bags(forge.pki.oids.keyBag!),
  ].flatMap((bag) => (bag.key ? [bag.key] : []));
  const certificates = bags(forge.pki.oids.certBag!).flatMap((bag) => bag.cert ? [bag.cert] : []);
  const key = keys[0];
  if (!key) throw fail("the PKCS#12 file holds no RSA private key (export it with the key)");
  const certificate = certificates.find((c) => {
    return c.publicKey.n?.equals(key.n) ?? false;
  });
  if (!certificate) throw fail("the PKCS#12 file holds no certificate for its private key");
  const der = binaryToBytes(
    forge.asn1.toDer(forge.pki.certificateToAsn1(certificate)).getBytes(),
  );
  return { certificate: der, pkcs8: rsaKeyToPkcs8(key) };
}

/** Subject and validity of a DER certificate; empty when forge cannot read it. */
export function certificateFacts(
  der: Uint8Array,
): { subject?: string; notBefore?: Date; notAfter?: Date } {
  try {
    const asn1 = forge.asn1.fromDer(forge.util.binary.raw.encode(der));
    const cert = forge.pki.certificateFromAsn1(asn1);
    const subject = cert.subject.attributes
      .map((a) => `${a.shortName ?? a.name ?? a.type}=${a.value}`)
      .join(", ");
    return { subject, notBefore: cert.validity.notBefore, notAfter: cert.validity.notAfter };
  } catch {
    return {};
  }
}

function binaryToBytes(binary: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
