// Drafts are kept per conversation by the engine: switching conversations and
// reloading the app keep what was typed.
import { composer, expect, message, screenshot, send, test, writeTo } from './support.js';

test('drafts survive switching conversations and reloading the app', async ({ people }) => {
  const amina = await people.enrolled('amina', 'Amina Ndayishimiye');
  const bernard = await people.enrolled('bernard', 'Bernard Niyonzima');
  const claire = await people.enrolled('claire', 'Claire Irakoze');

  await writeTo(bernard.page, 'Amina Ndayishimiye');
  await send(bernard.page, 'Le courrier du ministère est arrivé.');
  await writeTo(claire.page, 'Amina Ndayishimiye');
  await send(claire.page, 'La salle de réunion est réservée pour 10 h.');
  await send(claire.page, 'Je prépare l’ordre du jour.');

  const list = amina.page.locator('.conversation-row');
  await expect(list).toHaveCount(2);
  await list.filter({ hasText: 'Bernard' }).click();
  await composer(amina.page).fill('Merci, je passe le chercher');
  await expect(amina.page.locator('.composer')).toHaveAttribute('data-draft-state', 'saved');

  // Another conversation has its own, empty composer.
  await list.filter({ hasText: 'Claire' }).click();
  await expect(composer(amina.page)).toHaveValue('');
  await list.filter({ hasText: 'Bernard' }).click();
  await expect(composer(amina.page)).toHaveValue('Merci, je passe le chercher');
  await list.filter({ hasText: 'Claire' }).click();
  await expect(message(amina.page, 'ordre du jour')).toBeVisible();
  await amina.page.getByRole('button', { name: 'Conversations' }).focus();
  await screenshot(amina.page, 'conversation-list-draft');

  await amina.page.reload();
  const bernardRow = amina.page.locator('.conversation-row', { hasText: 'Bernard' });
  await expect(bernardRow).toContainText('Brouillon');
  await expect(bernardRow).toContainText('Merci, je passe le chercher');
  await bernardRow.click();
  await expect(composer(amina.page)).toHaveValue('Merci, je passe le chercher');

  // Sending clears the draft, also after a reload.
  await composer(amina.page).press('Enter');
  await expect(message(bernard.page, 'Merci, je passe le chercher')).toBeVisible();
  await amina.page.reload();
  await expect(amina.page.locator('.conversation-row', { hasText: 'Bernard' })).not.toContainText(
    'Brouillon',
  );
});
