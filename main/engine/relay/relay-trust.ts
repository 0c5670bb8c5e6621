// Which certificate authorities the engine trusts for the relay's TLS.
//
// Node checks a server's certificate against the public roots bundled with it. A
// ministry's relay usually carries a certificate of the government's own PKI, which
// the ICT cell deploys to Windows' machine store by Group Policy; Chromium (the window,
// the updater) trusts that store, Node does not. So the engine is told which other
// authorities to trust: those of the machine's store when the runtime can read it
// (Node 22.15 and later: Electron's), and those of the file the RelayCaFile policy
// names. The relay's identity does not rest on TLS alone: every device pins the relay's
// Ed25519 key at enrolment (relay-http.ts, account.ts).
//
// Every connection to the relay takes the same list: the API (relay-http.ts), the
// WebSocket (relay-socket.ts), the blob routes (blob-client.ts) and the downloads on
// the attachment worker (blob-fetch.ts, direct-get.ts).
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import tls from 'node:tls';

/** Certificates (PEM) trusted for the relay besides Node's bundled roots. */
export type RelayCa = readonly string[];

/** A CA file that cannot serve: the sentence says what to fix. */
export class RelayCaFileError extends Error {
  override readonly name = 'RelayCaFileError';
}

/** Larger than any real bundle of authorities; a file this big is not one. */
const MAX_CA_FILE_BYTES = 1024 * 1024;

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/**
 * The `ca` option of a TLS connection to the relay: Node's roots and `extra`; undefined
 * when there is nothing extra, so that Node keeps its default (and shared) context.
 */
export function caOption(extra: RelayCa | undefined): string[] | undefined {
  return extra && extra.length > 0 ? [...tls.rootCertificates, ...extra] : undefined;
}

/**
 * The certificates of a CA file, as PEM: one or more PEM blocks (a bundle), or one
 * DER certificate (a `.cer` file exported from Windows). Anything else throws.
 */
export function parseCaFile(bytes: Uint8Array, file: string, now = new Date()): string[] {
  if (bytes.length === 0) throw new RelayCaFileError(`${file} is empty.`);
  if (bytes.length > MAX_CA_FILE_BYTES) {
    throw new RelayCaFileError(`${file} is larger than 1 MiB: it is not a certificate file.`);
  }
  const text = Buffer.from(bytes).toString('latin1');
  const blocks = [...text.matchAll(PEM_BLOCK)];
  const sources: (string | Buffer)[] = [];
  if (blocks.length === 0) {
    sources.push(Buffer.from(bytes));
  } else {
    for (const block of blocks) {
      if (block[1] !== 'CERTIFICATE') {
        throw new RelayCaFileError(
          `${file} holds a "${block[1]}" block: give the authority's certificate only (never a private key).`,
        );
      }
      sources.push(block[0]);
    }
  }
  const certificates: string[] = [];
  const expired: X509Certificate[] = [];
  for (const [index, source] of sources.entries()) {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(source);
    } catch {
      throw new RelayCaFileError(
        blocks.length === 0
          ? `${file} is neither PEM nor a DER certificate: export the authority's certificate as Base-64 (PEM) or DER.`
          : `Certificate ${index + 1} of ${file} cannot be read: export it again.`,
      );
    }
    // An expired authority verifies nothing any more: left out, unless it is all there is.
    if (new Date(certificate.validTo) < now) expired.push(certificate);
    else certificates.push(certificate.toString());
  }
  if (certificates.length === 0 && expired[0]) {
    throw new RelayCaFileError(
      `The certificate "${expired[0].subject.replace(/\n/g, ', ')}" in ${file} expired on ${new Date(expired[0].validTo).toISOString().slice(0, 10)}: give the authority's current certificate.`,
    );
  }
  return certificates;
}

/** Reads and checks a CA file (see parseCaFile). */
export async function readCaFile(file: string): Promise<string[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new RelayCaFileError(
      `${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`,
    );
  }
  return parseCaFile(bytes, file);
}

type CaStore = 'default' | 'system' | 'bundled' | 'extra';
type ReadsCaStores = { getCACertificates?: (store: CaStore) => string[] };

/**
 * The authorities of the machine's store (on Windows: the machine's and the user's
 * trusted roots), or none when this runtime cannot read it: Node before 22.15, such as
 * the Node 20 of the CLI and the tests. @types/node 20 does not list the function.
 */
export function systemCaCertificates(runtime: ReadsCaStores = tls as ReadsCaStores): string[] {
  if (typeof runtime.getCACertificates !== 'function') return [];
  try {
    return runtime.getCACertificates('system');
  } catch {
    return [];
  }
}

/**
 * What the desktop app trusts besides Node's roots: the machine's store and the file
 * the RelayCaFile policy names. A file that cannot serve is left out with its reason
 * (logged for the ICT cell); the app still starts, and the relay's certificate, if it
 * needed that file, is refused with RELAY_CERTIFICATE_UNTRUSTED.
 */
export async function desktopRelayCa(
  file: string | null,
  runtime?: ReadsCaStores,
): Promise<{ readonly ca: string[]; readonly problem: string | null }> {
  const ca = systemCaCertificates(runtime);
  if (file === null) return { ca, problem: null };
  try {
    return { ca: [...ca, ...(await readCaFile(file))], problem: null };
  } catch (error) {
    return {
      ca,
      problem: `RelayCaFile: ${(error as Error).message} Its certificates are not trusted.`,
    };
  }
}

/** OpenSSL's and Node's codes for a server certificate that was not accepted. */
const CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Whether `error` (or what caused it: fetch wraps it) is a refused server certificate. */
export function isCertificateError(error: unknown): boolean {
  for (let cause = error, depth = 0; cause && depth < 5; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && CERTIFICATE_CODES.has(code)) return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}
