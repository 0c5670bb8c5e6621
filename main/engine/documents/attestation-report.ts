// The printable « attestation d'intégrité » of a signed document: what was signed (the
// file's name, size and SHA-256), by whom and when, the signature as checked again
// against the relay key, and how anyone can compare a copy with it using the tools of
// their own system. One self-contained HTML document (no script, nothing fetched,
// every field escaped). `comgov attestation --json` gives the full evidence.
import type { DocumentSignatureView } from '../../../shared/api/contract.js';
import { toHex } from '../../../shared/util/bytes.js';
import { escapeHtml } from '../../../shared/util/html.js';
import { printablePage } from '../printable-page.js';

/** Everything that proves a signed document (Engine.documentEvidence). */
export interface DocumentEvidence extends DocumentSignatureView {
  readonly attachmentId: string;
  readonly name: string;
  readonly size: number;
  readonly signerDevice: number;
  /** The signing device's DeviceCertificate, as the relay signed it. */
  readonly certificate: Uint8Array;
  readonly signature: Uint8Array;
  readonly relayPublicKey: Uint8Array;
  /** The signature and the certificate hold, checked again just now. */
  readonly valid: boolean;
}

const TEXTS = {
  fr: {
    title: 'Attestation d’intégrité',
    intro:
      'Le document ci-dessous a été signé électroniquement dans la messagerie COMGOV par son auteur. Toute copie dont l’empreinte SHA-256 est identique à celle-ci est ce document, à l’octet près.',
    name: 'Document',
    size: 'Taille',
    bytes: 'octets',
    fingerprint: 'Empreinte SHA-256',
    signer: 'Signé par',
    device: 'appareil',
    signedAt: 'Signé le',
    signature: 'Signature (Ed25519)',
    check: 'Vérification de la signature',
    valid: 'valide',
    invalid: 'INVALIDE : ce document ne peut pas être attesté',
    how: 'Pour comparer une copie, sous Windows : ouvrez PowerShell et tapez',
    howCertutil: 'ou, dans l’invite de commandes :',
    howApp: 'ou, dans la messagerie : « Vérifier un document ».',
    method:
      'La signature couvre le nom, la taille et l’empreinte du document, l’auteur et l’heure. Elle a été vérifiée à la date de cette attestation avec le certificat de l’appareil de l’auteur, délivré par le relais dont la clé publique est :',
    generated: 'Attestation établie le {date}.',
    lang: 'fr-FR',
  },
  en: {
    title: 'Certificate of integrity',
    intro:
      'The document below was signed electronically in COMGOV Messenger by its author. Any copy whose SHA-256 fingerprint is the same as this one is this document, to the byte.',
    name: 'Document',
    size: 'Size',
    bytes: 'bytes',
    fingerprint: 'SHA-256 fingerprint',
    signer: 'Signed by',
    device: 'device',
    signedAt: 'Signed on',
    signature: 'Signature (Ed25519)',
    check: 'Signature check',
    valid: 'valid',
    invalid: 'INVALID: this document cannot be certified',
    how: 'To compare a copy, on Windows: open PowerShell and type',
    howCertutil: 'or, in the command prompt:',
    howApp: 'or, in the messenger: “Check a document”.',
    method:
      'The signature covers the document’s name, size and fingerprint, its author and the time. It was checked on the date of this certificate, with the certificate of the author’s device from the relay whose public key is:',
    generated: 'Certificate made on {date}.',
    lang: 'en-GB',
  },
} as const;

const STYLE = `
  th { width: 45mm; }
  .fingerprint { font-family: Consolas, "DejaVu Sans Mono", monospace; font-size: 11pt; letter-spacing: 0.5pt; }
  pre { background: #f2f4f7; padding: 2mm; font-size: 9pt; white-space: pre-wrap; }
`;

/** The fingerprint in groups of eight digits, easier to read aloud and to compare. */
function grouped(hex: string): string {
  return hex.match(/.{1,8}/g)?.join(' ') ?? hex;
}

export function renderAttestationReport(
  evidence: DocumentEvidence,
  options: { readonly language: 'fr' | 'en'; readonly generatedAt: number },
): string {
  const t = TEXTS[options.language];
  const when = new Intl.DateTimeFormat(t.lang, { dateStyle: 'long', timeStyle: 'medium' });
  const number = new Intl.NumberFormat(t.lang);
  const fileName = escapeHtml(evidence.name);
  const signer = [evidence.signerName, evidence.signerInstitution].filter(Boolean).join(', ');
  return printablePage({
    language: options.language,
    title: t.title,
    style: STYLE,
    body: `<p>${t.intro}</p>
<table>
  <tr><th>${t.name}</th><td>${fileName}</td></tr>
  <tr><th>${t.size}</th><td>${escapeHtml(number.format(evidence.size))} ${t.bytes}</td></tr>
  <tr><th>${t.fingerprint}</th><td class="fingerprint">${escapeHtml(grouped(evidence.sha256))}</td></tr>
  <tr><th>${t.signer}</th><td>${escapeHtml(signer)}<br><span class="mono">${escapeHtml(evidence.signerId)}, ${t.device} ${evidence.signerDevice}</span></td></tr>
  <tr><th>${t.signedAt}</th><td>${escapeHtml(when.format(evidence.signedAt))}</td></tr>
  <tr><th>${t.signature}</th><td class="mono">${escapeHtml(toHex(evidence.signature))}</td></tr>
  <tr><th>${t.check}</th><td${evidence.valid ? '' : ' class="invalid"'}>${evidence.valid ? t.valid : t.invalid}</td></tr>
</table>
<p>${t.how}</p>
<pre>Get-FileHash -Algorithm SHA256 "${fileName}"</pre>
<p>${t.howCertutil}</p>
<pre>certutil -hashfile "${fileName}" SHA256</pre>
<p>${t.howApp}</p>
<p class="method">${t.method} <span class="mono">${escapeHtml(toHex(evidence.relayPublicKey))}</span></p>
<p class="method">${escapeHtml(t.generated.replace('{date}', when.format(options.generatedAt)))}</p>`,
  });
}
