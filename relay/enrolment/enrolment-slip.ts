// Enrolment slips: the page an ICT cell prints and hands to an official, with their
// one-time code, how long it is valid, what to type where, and what to do with the
// slip afterwards. One self-contained HTML document (no script, no outside resource;
// every field escaped), one A4 page per person, in French by default or in English.
import { escapeHtml } from '../../shared/util/html.js';
import type { IssuedInvitation } from './invitations.js';

export type SlipLanguage = 'fr' | 'en';

export interface SlipContext {
  /** The relay's address as the app expects it, or null when machine policy fills it in. */
  readonly relayUrl: string | null;
  /** The relay's public key (64 hex). */
  readonly relayKeyHex: string;
  /** When and by whom the codes were issued (the admin log's actor). */
  readonly issuedAt: number;
  readonly issuedBy: string;
  readonly language: SlipLanguage;
}

const TEXTS = {
  fr: {
    title: 'Fiche d’inscription',
    subtitle: 'COMGOV Messenger — messagerie sécurisée de l’administration',
    for: 'Destinataire',
    userId: 'Identifiant',
    code: 'Votre code d’inscription (à usage unique)',
    validUntil: 'Valable jusqu’au',
    steps: 'Pour vous inscrire',
    step1: 'Ouvrez COMGOV Messenger sur votre ordinateur de bureau (menu Démarrer).',
    step2WithRelay: 'Si l’adresse et la clé du relais ne sont pas déjà remplies, saisissez :',
    step2Policy:
      'L’adresse et la clé du relais sont déjà réglées par votre cellule informatique ; vérifiez que la clé affichée est bien celle-ci :',
    relay: 'Adresse du relais',
    relayKey: 'Clé du relais',
    step3: 'Saisissez le code ci-dessus (majuscules, espaces et tirets sont indifférents).',
    step4:
      'Choisissez une phrase secrète d’au moins 8 caractères, que vous seul connaissez. Elle protège vos messages sur ce poste ; personne ne pourra la retrouver pour vous.',
    step5: 'Validez : vos conversations s’ouvrent.',
    careTitle: 'Important',
    care1: 'Ce code ne sert qu’une fois. Ne le transmettez ni par courriel ni par téléphone.',
    care2: 'Détruisez cette fiche une fois l’inscription faite.',
    care3:
      'Si votre ordinateur est perdu ou volé, prévenez aussitôt votre cellule informatique : elle peut le bloquer et en effacer les données.',
    issued: 'Délivrée le {date} par {who}.',
    lang: 'fr-FR',
  },
  en: {
    title: 'Enrolment slip',
    subtitle: 'COMGOV Messenger — the administration’s secure messenger',
    for: 'For',
    userId: 'User id',
    code: 'Your enrolment code (single use)',
    validUntil: 'Valid until',
    steps: 'To enrol',
    step1: 'Open COMGOV Messenger on your office computer (Start menu).',
    step2WithRelay: 'If the relay’s address and key are not filled in already, type:',
    step2Policy:
      'The relay’s address and key are set by your ICT cell; check that the key shown is this one:',
    relay: 'Relay address',
    relayKey: 'Relay key',
    step3: 'Type the code above (capitals, spaces and dashes do not matter).',
    step4:
      'Choose a passphrase of at least 8 characters that only you know. It protects your messages on this computer; nobody can recover it for you.',
    step5: 'Confirm: your conversations open.',
    careTitle: 'Important',
    care1: 'This code works once. Do not send it by e-mail or read it over the phone.',
    care2: 'Destroy this slip once you are enrolled.',
    care3:
      'If your computer is lost or stolen, tell your ICT cell at once: it can block it and erase its data.',
    issued: 'Issued on {date} by {who}.',
    lang: 'en-GB',
  },
} as const;

const STYLE = `
  @page { size: A4; margin: 18mm; }
  body { font-family: "Segoe UI", Arial, sans-serif; color: #1b2430; margin: 0; }
  .slip { page-break-after: always; break-after: page; max-width: 170mm; margin: 0 auto; padding: 8mm 0; }
  .slip:last-child { page-break-after: auto; break-after: auto; }
  h1 { font-size: 20pt; margin: 0; color: #1a4a80; }
  .subtitle { margin: 2mm 0 8mm; color: #4a5868; }
  table { border-collapse: collapse; margin-bottom: 6mm; }
  th { text-align: left; font-weight: 600; padding: 1mm 6mm 1mm 0; vertical-align: top; color: #4a5868; }
  td { padding: 1mm 0; }
  .code-box { border: 2px solid #1a4a80; border-radius: 3mm; padding: 5mm; margin: 4mm 0 6mm; text-align: center; }
  .code-label { font-weight: 600; margin-bottom: 3mm; }
  .code { font-family: Consolas, "DejaVu Sans Mono", monospace; font-size: 17pt; letter-spacing: 0.4mm; font-weight: 700; white-space: nowrap; }
  .valid { margin-top: 3mm; }
  .mono { font-family: Consolas, "DejaVu Sans Mono", monospace; }
  ol li { margin-bottom: 2mm; }
  .care { border-left: 4px solid #b3261e; padding: 2mm 4mm; background: #fbeeed; margin-top: 6mm; }
  .care h2 { font-size: 12pt; margin: 0 0 2mm; }
  .care p { margin: 1mm 0; }
  .issued { margin-top: 8mm; font-size: 9pt; color: #4a5868; }
`;

/** The relay key in groups of four, as the enrolment screen shows it. */
export function groupedKey(hex: string): string {
  return (hex.toLowerCase().match(/.{1,4}/g) ?? []).join(' ');
}

function slip(issued: IssuedInvitation, context: SlipContext): string {
  const t = TEXTS[context.language];
  const when = new Intl.DateTimeFormat(t.lang, { dateStyle: 'full', timeStyle: 'short' });
  const { invitation } = issued;
  const who = [invitation.title, invitation.institution].filter((p) => p !== '').join(' — ');
  const relayRows = [
    ...(context.relayUrl !== null
      ? [`<tr><th>${t.relay}</th><td class="mono">${escapeHtml(context.relayUrl)}</td></tr>`]
      : []),
    `<tr><th>${t.relayKey}</th><td class="mono">${escapeHtml(groupedKey(context.relayKeyHex))}</td></tr>`,
  ].join('');
  return `<section class="slip">
  <h1>${t.title}</h1>
  <p class="subtitle">${t.subtitle}</p>
  <table>
    <tr><th>${t.for}</th><td><strong>${escapeHtml(invitation.displayName)}</strong>${who ? `<br>${escapeHtml(who)}` : ''}</td></tr>
    <tr><th>${t.userId}</th><td class="mono">${escapeHtml(invitation.userId)}</td></tr>
  </table>
  <div class="code-box">
    <div class="code-label">${t.code}</div>
    <div class="code" data-code>${escapeHtml(issued.code)}</div>
    <div class="valid">${t.validUntil} ${escapeHtml(when.format(issued.expiresAt))}</div>
  </div>
  <h2>${t.steps}</h2>
  <ol>
    <li>${t.step1}</li>
    <li>${context.relayUrl !== null ? t.step2WithRelay : t.step2Policy}<table>${relayRows}</table></li>
    <li>${t.step3}</li>
    <li>${t.step4}</li>
    <li>${t.step5}</li>
  </ol>
  <div class="care">
    <h2>${t.careTitle}</h2>
    <p>${t.care1}</p>
    <p>${t.care2}</p>
    <p>${t.care3}</p>
  </div>
  <p class="issued">${escapeHtml(
    t.issued.replace('{date}', when.format(context.issuedAt)).replace('{who}', context.issuedBy),
  )}</p>
</section>`;
}

/** One printable document holding a slip per invitation, in the order given. */
export function renderEnrolmentSlips(
  issued: readonly IssuedInvitation[],
  context: SlipContext,
): string {
  const t = TEXTS[context.language];
  return `<!doctype html>
<html lang="${context.language}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="robots" content="noindex">
<title>${t.title} — COMGOV Messenger</title>
<style>${STYLE}</style>
</head>
<body>
${issued.map((i) => slip(i, context)).join('\n')}
</body>
</html>
`;
}
