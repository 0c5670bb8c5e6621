// The printable attestation: every field a peer chose is escaped, nothing is fetched or
// run, and the fingerprint and the commands to compare a copy are there to read.
import { describe, expect, it } from 'vitest';
import { type DocumentEvidence, renderAttestationReport } from './attestation-report.js';

const evidence: DocumentEvidence = {
  attachmentId: 'a'.repeat(32),
  name: 'note<script>alert(1)</script>.pdf',
  size: 123_456,
  sha256: '0123456789abcdef'.repeat(4),
  signerId: 'amina.k',
  signerName: 'Amina <b>K.</b>',
  signerInstitution: 'Ministère de la Santé',
  signerDevice: 2,
  signedAt: Date.UTC(2026, 10, 27, 17, 30),
  certificate: new Uint8Array(8),
  signature: new Uint8Array(64).fill(0xab),
  relayPublicKey: new Uint8Array(32).fill(0x11),
  valid: true,
};

describe('attestation report', () => {
  it('escapes what peers chose, forbids scripts, and shows how to compare a copy', () => {
    const page = renderAttestationReport(evidence, { language: 'fr', generatedAt: Date.now() });
    expect(page).not.toContain('<script>');
    expect(page).not.toContain('<b>K.</b>');
    expect(page).toContain('note&lt;script&gt;alert(1)&lt;/script&gt;.pdf');
    expect(page).toContain("content=\"default-src 'none'; style-src 'unsafe-inline'\"");
    expect(page).toContain('01234567 89abcdef 01234567');
    expect(page).toContain('certutil -hashfile');
    expect(page).toContain('123 456 octets'.replace(' ', '\u202f'));
    expect(page).toContain('valide');
    expect(page).toContain('11'.repeat(32));
  });

  it('says so when the signature does not hold, in English too', () => {
    const page = renderAttestationReport(
      { ...evidence, valid: false },
      { language: 'en', generatedAt: Date.now() },
    );
    expect(page).toContain('Certificate of integrity');
    expect(page).toContain('INVALID: this document cannot be certified');
  });
});
