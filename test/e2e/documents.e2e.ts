// Signed documents (« attestation d'intégrité ») in the app: Amina sends a service
// note signed as a document; both sides see the seal with her name, and the SHA-256
// fingerprint on demand; Benoît downloads it, then checks copies with « Vérifier un
// document »: the identical bytes name Amina, a copy with one byte changed matches
// nothing. Real engines, relay and Chromium.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  INSTITUTION,
  downloadedBytes,
  expect,
  screenshot,
  send,
  test,
  writeTo,
} from './support.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

test('a document signed by Amina, its seal on both sides, and copies checked by Benoît', async ({
  people,
}, testInfo) => {
  const amina = await people.enrolled('amina', 'Amina Ndayishimiye');
  const benoit = await people.enrolled('benoit', 'Benoît Nkurunziza');
  await writeTo(amina.page, 'Benoît Nkurunziza');

  // The toggle concerns files only: a text sent meanwhile leaves it on.
  const toggle = amina.page.getByRole('button', { name: 'Signer le document' });
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  await expect(amina.page.locator('.composer-foot')).toContainText(
    'Document signé : le prochain fichier joint portera votre signature',
  );
  await send(amina.page, 'Voici la note de service, signée.');
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');

  const bytes = Buffer.concat([
    Buffer.from('%PDF-1.4\n% Note de service n° 2026-114\n'),
    randomBytes(48 * 1024),
    Buffer.from('\n%%EOF\n'),
  ]);
  const file = testInfo.outputPath('note-de-service.pdf');
  writeFileSync(file, bytes);
  await amina.page.locator('.composer input[type=file]').setInputFiles(file);
  // Back to an ordinary file for the next one.
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');

  const signedBy = new RegExp(
    `par Amina Ndayishimiye \\(${INSTITUTION}\\), le \\d{1,2}\\s\\S+\\s\\d{4} à \\d\\d:\\d\\d`,
  );
  const ownSeal = amina.page
    .locator('.attachment-signed', { hasText: 'note-de-service.pdf' })
    .getByTestId('document-seal');
  await expect(ownSeal).toContainText('Document signé', { timeout: 30_000 });
  await expect(ownSeal).toContainText(signedBy);

  // Benoît sees the same seal, and the fingerprint on demand.
  await benoit.page.locator('.conversation-row', { hasText: 'Amina' }).click();
  const atBenoit = benoit.page.locator('.attachment-signed', { hasText: 'note-de-service.pdf' });
  const seal = atBenoit.getByTestId('document-seal');
  await expect(seal).toContainText('Document signé', { timeout: 60_000 });
  await expect(seal).toContainText(signedBy);
  await expect(seal).toContainText(
    'Toute copie de ce fichier peut être contrôlée avec « Vérifier un document ».',
  );
  const fingerprint = seal.getByTestId('fingerprint');
  await expect(fingerprint).toBeHidden();
  await seal.getByText('Empreinte SHA-256', { exact: true }).click();
  // Groups of eight for reading; the text itself is the 64 digits, as Windows prints them.
  await expect(fingerprint).toHaveText(sha256(bytes));
  await expect(fingerprint.locator('span')).toHaveCount(8);
  await screenshot(benoit.page, 'document-signed');

  // Downloaded through the usual flow: the engine checks it against the signature.
  const saved = await downloadedBytes(
    benoit.page,
    atBenoit.getByRole('button', { name: 'Télécharger note-de-service.pdf' }),
    testInfo,
  );
  expect(sha256(saved)).toBe(sha256(bytes));
  await expect(atBenoit.locator('.attachment')).toHaveAttribute('data-state', 'available');

  // « Vérifier un document » with a copy (on a USB key, say): the very same bytes.
  const usb = testInfo.outputPath('clé USB');
  mkdirSync(usb, { recursive: true });
  const copy = path.join(usb, 'note-de-service (copie).pdf');
  writeFileSync(copy, saved);
  await benoit.page.getByRole('button', { name: 'Vérifier un document' }).click();
  const dialog = benoit.page.getByRole('dialog', { name: 'Vérifier un document' });
  const picker = dialog.locator('input[type=file]');
  await picker.setInputFiles(copy);
  const match = dialog.getByTestId('verify-match');
  await expect(match).toHaveCount(1);
  await expect(match).toContainText(
    new RegExp(
      `Ce fichier est identique au document signé par Amina Ndayishimiye \\(${INSTITUTION}\\) le \\d{1,2}\\s\\S+\\s\\d{4} à \\d\\d:\\d\\d\\.`,
    ),
  );
  await expect(match).toContainText('note-de-service.pdf');
  await expect(match.getByTestId('fingerprint')).toHaveText(sha256(bytes));
  await expect(dialog).toContainText('Fichier vérifié : note-de-service (copie).pdf');
  await screenshot(benoit.page, 'document-verified');

  // One byte changed: no signed document has this content.
  const altered = Buffer.from(saved);
  altered[20] = altered[20]! ^ 0x01;
  const forged = path.join(usb, 'note-de-service (modifiée).pdf');
  writeFileSync(forged, altered);
  await picker.setInputFiles(forged);
  const none = dialog.getByTestId('verify-none');
  await expect(none).toContainText(
    'Aucun document signé de votre messagerie n’a ce contenu : ce fichier n’est pas une copie exacte d’un document signé que vous avez reçu ou envoyé.',
  );
  await expect(none.getByTestId('fingerprint')).toHaveText(sha256(altered));
  await expect(dialog.getByTestId('verify-match')).toHaveCount(0);
  await screenshot(benoit.page, 'document-not-verified');

  // The genuine copy again: its conversation is one click away.
  await picker.setInputFiles(copy);
  await dialog
    .getByTestId('verify-match')
    .getByRole('button', { name: 'Voir dans la conversation « Amina Ndayishimiye »' })
    .click();
  await expect(dialog).toHaveCount(0);
  await expect(
    benoit.page.getByRole('heading', { level: 2, name: 'Amina Ndayishimiye' }),
  ).toBeVisible();
  await expect(atBenoit).toBeVisible();
});
