// A printable record of who acknowledged a message (« relevé des prises de
// connaissance »): the message, then each acknowledgement with its time, device and
// signature fingerprint, as checked again against the relay key. One self-contained
// HTML document (no script, nothing fetched, every field escaped), for the file of an
// official who needs to show it on paper. The JSON from `comgov acknowledgements
// --json` holds the full evidence; this page is its readable summary.
import { escapeHtml } from '../../../shared/util/html.js';
import { printablePage } from '../printable-page.js';

export interface AcknowledgementReport {
  readonly message: {
    readonly id: string;
    readonly authorName: string;
    readonly sentAt: number;
    readonly text: string;
    readonly files: readonly string[];
    /** BLAKE2b-256 of what was acknowledged (hex). */
    readonly digestHex: string;
  };
  readonly relayKeyHex: string;
  readonly acknowledgements: readonly {
    readonly name: string;
    readonly userId: string;
    readonly deviceId: number;
    readonly at: number;
    readonly signatureHex: string;
    readonly valid: boolean;
  }[];
  readonly generatedAt: number;
  readonly language: 'fr' | 'en';
}

const TEXTS = {
  fr: {
    title: 'Relevé des prises de connaissance',
    message: 'Message',
    author: 'Auteur',
    sent: 'Envoyé le',
    files: 'Pièces jointes',
    digest: 'Empreinte (BLAKE2b-256)',
    who: 'Personne',
    when: 'Pris connaissance le',
    device: 'Appareil',
    signature: 'Signature (début)',
    check: 'Vérification',
    valid: 'valide',
    invalid: 'INVALIDE',
    none: 'Personne n’en a encore pris connaissance.',
    method:
      'Chaque prise de connaissance est signée (Ed25519) par l’appareil de son auteur ; la signature couvre l’empreinte ci-dessus et l’heure. Elle a été vérifiée à la date de ce relevé, avec le certificat de l’appareil délivré par le relais dont la clé publique est :',
    generated: 'Relevé établi le {date}.',
    lang: 'fr-FR',
  },
  en: {
    title: 'Record of acknowledgements',
    message: 'Message',
    author: 'Author',
    sent: 'Sent on',
    files: 'Files',
    digest: 'Digest (BLAKE2b-256)',
    who: 'Person',
    when: 'Acknowledged on',
    device: 'Device',
    signature: 'Signature (start)',
    check: 'Check',
    valid: 'valid',
    invalid: 'INVALID',
    none: 'Nobody has acknowledged it yet.',
    method:
      'Each acknowledgement is signed (Ed25519) by its author’s device; the signature covers the digest above and the time. It was checked on the date of this record, with the device’s certificate from the relay whose public key is:',
    generated: 'Record made on {date}.',
    lang: 'en-GB',
  },
} as const;

export function renderAcknowledgementReport(report: AcknowledgementReport): string {
  const t = TEXTS[report.language];
  const when = new Intl.DateTimeFormat(t.lang, { dateStyle: 'long', timeStyle: 'medium' });
  const m = report.message;
  const rows = report.acknowledgements
    .map(
      (a) => `<tr>
      <td>${escapeHtml(a.name)}<br><span class="mono">${escapeHtml(a.userId)}</span></td>
      <td>${escapeHtml(when.format(a.at))}</td>
      <td>${a.deviceId}</td>
      <td class="mono">${escapeHtml(a.signatureHex.slice(0, 32))}…</td>
      <td${a.valid ? '' : ' class="invalid"'}>${a.valid ? t.valid : t.invalid}</td>
    </tr>`,
    )
    .join('\n');
  return printablePage({
    language: report.language,
    title: t.title,
    body: `<table>
  <tr><th>${t.message}</th><td class="text">${escapeHtml(m.text)}</td></tr>
  ${m.files.length > 0 ? `<tr><th>${t.files}</th><td>${m.files.map(escapeHtml).join('<br>')}</td></tr>` : ''}
  <tr><th>${t.author}</th><td>${escapeHtml(m.authorName)}</td></tr>
  <tr><th>${t.sent}</th><td>${escapeHtml(when.format(m.sentAt))}</td></tr>
  <tr><th>${t.digest}</th><td class="mono">${escapeHtml(m.digestHex)}</td></tr>
</table>
${
  report.acknowledgements.length === 0
    ? `<p>${t.none}</p>`
    : `<table>
  <tr><th>${t.who}</th><th>${t.when}</th><th>${t.device}</th><th>${t.signature}</th><th>${t.check}</th></tr>
  ${rows}
</table>`
}
<p class="method">${t.method} <span class="mono">${escapeHtml(report.relayKeyHex)}</span></p>
<p class="method">${escapeHtml(t.generated.replace('{date}', when.format(report.generatedAt)))}</p>`,
  });
}
