// A broadcast channel in the app: Amina, for her ministry, creates a channel and
// posts a circular that asks for a signed acknowledgement; Bernard, a member, reads
// it, cannot write or react there, and acknowledges it with one button.
import { composer, expect, message, screenshot, send, test } from './support.js';

test('a broadcast channel: the administrator posts, members read and acknowledge', async ({
  people,
}) => {
  const amina = await people.enrolled('amina', 'Amina Ndayishimiye');
  const bernard = await people.enrolled('bernard', 'Bernard Niyonzima');

  await amina.page.getByRole('button', { name: 'Nouveau groupe' }).click();
  const dialog = amina.page.getByRole('dialog', { name: 'Nouveau groupe' });
  await dialog.getByLabel('Nom du groupe').fill('Circulaires du ministère');
  await dialog.getByRole('checkbox', { name: /Canal de diffusion/ }).check();
  await dialog.getByRole('checkbox', { name: /Bernard Niyonzima/ }).check();
  await dialog.getByRole('button', { name: 'Créer le groupe' }).click();
  await expect(amina.page.getByTestId('channel-badge')).toHaveText('Canal de diffusion');
  await expect(composer(amina.page)).toBeEnabled();

  await amina.page
    .getByRole('button', { name: 'Demander une prise de connaissance signée' })
    .click();
  await send(amina.page, 'Circulaire n° 7 : fermeture des bureaux le 1er décembre.');

  const row = bernard.page.locator('.conversation-row', { hasText: 'Circulaires du ministère' });
  await row.click();
  await expect(bernard.page.getByTestId('channel-badge')).toBeVisible();
  await expect(composer(bernard.page)).toBeDisabled();
  await expect(composer(bernard.page)).toHaveAttribute(
    'placeholder',
    'Seuls les administrateurs publient dans ce canal.',
  );
  const circular = message(bernard.page, 'Circulaire n° 7');
  await circular.hover();
  await expect(circular.getByRole('button', { name: 'Répondre' })).toHaveCount(0);
  await expect(circular.getByRole('button', { name: 'Réagir', exact: true })).toHaveCount(0);
  await circular.getByRole('button', { name: 'J’en ai pris connaissance' }).click();
  await expect(circular.getByTestId('acknowledgement')).toContainText(
    'Vous en avez pris connaissance',
  );
  await screenshot(bernard.page, 'channel-member');

  await expect(message(amina.page, 'Circulaire n° 7').getByTestId('acknowledgement')).toContainText(
    'Pris connaissance : Bernard Niyonzima',
  );
});
