/**
 * Test certificates as an administrator gets them: a PKCS#12 (.pfx) file protected by a
 * password, and an encrypted PEM private key, made with node-forge from a test certificate.
 */
import forgeModule from "node-forge";
import type { TestCertificate } from "../../src/sim/certificate.ts";

// deno-lint-ignore no-explicit-any
const forge = forgeModule as any;

/** A .pfx (AES-256, SHA-256 MAC, as `Export-PfxCertificate` writes) of `certificate`. */
export function pkcs12Of(certificate: TestCertificate, password: string): Uint8Array {
  const key = forge.pki.privateKeyFromPem(certificate.privateKeyPem);
  const cert = forge.pki.certificateFromPem(certificate.certificatePem);
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, [cert], password, {
    algorithm: "aes256",
    friendlyName: "ingest test",
  });
  const binary: string = forge.asn1.toDer(asn1).getBytes();
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** The certificate followed by its private key encrypted with `password` (PKCS#8, AES-256). */
export function encryptedPemOf(certificate: TestCertificate, password: string): string {
  const key = forge.pki.privateKeyFromPem(certificate.privateKeyPem);
  const encrypted = forge.pki.encryptRsaPrivateKey(key, password, { algorithm: "aes256" });
  return `${certificate.certificatePem}${encrypted}\n`;
}
