// The relay's TLS certificate and key, read from their PEM files: at start, and again
// when the operator asks (`comgov-relay serve` on SIGHUP, `systemctl reload`), so that
// a renewed certificate is served without a restart and without cutting a connection.
// Everything is checked before use: a reload that fails leaves the pair in service.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';

export interface TlsPair {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** When the (first) certificate of the chain expires. */
  readonly validTo: Date;
}

export function readTlsPair(certFile: string, keyFile: string): TlsPair {
  const cert = readPem(certFile, 'certificate');
  const key = readPem(keyFile, 'private key');
  let validTo: Date;
  try {
    validTo = new Date(new X509Certificate(cert).validTo);
  } catch (error) {
    throw new Error(
      `${certFile} does not hold a PEM certificate; give the certificate chain file.`,
      {
        cause: error,
      },
    );
  }
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new Error(
      `The key in ${keyFile} cannot serve the certificate in ${certFile} (${(error as Error).message}); give the key that goes with it.`,
      { cause: error },
    );
  }
  return { cert, key, validTo };
}

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new Error(
      `Cannot read the TLS ${what} ${file} (${code}); check the path and its rights.`,
      {
        cause: error,
      },
    );
  }
}
