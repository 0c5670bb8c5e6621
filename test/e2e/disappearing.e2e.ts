// Disappearing messages in the app: one person sets a timer from the conversation's
// header; both see the notice and the hourglass on new messages; the message goes
// from the sender's screen after the delay from sending, and from the reader's after
// the delay from reading; what was said before stays. Real engines, relay, Chromium.
import { expect, message, screenshot, send, test, writeTo } from './support.js';

test('a timer set in a conversation erases new messages on both sides', async ({ people }) => {
  const amina = await people.enrolled('amina', 'Amina Ndayishimiye');
  const bernard = await people.enrolled('bernard', 'Bernard Niyonzima');
  await writeTo(amina.page, 'Bernard Niyonzima');
  await send(amina.page, 'Bonjour Bernard, échange ordinaire.');
  await bernard.page.locator('.conversation-row', { hasText: 'Amina' }).click();
  await expect(message(bernard.page, 'échange ordinaire')).toBeVisible();

  // Amina opens the setting from the header and picks 30 seconds.
  await amina.page.getByRole('button', { name: 'Messages éphémères' }).click();
  const dialog = amina.page.getByRole('dialog', { name: 'Messages éphémères' });
  await expect(dialog).toContainText('s’effacent de tous les appareils');
  const apply = dialog.getByRole('button', { name: 'Appliquer' });
  await expect(apply).toBeDisabled(); // nothing changed yet
  await dialog.getByRole('radio', { name: '30 secondes' }).check();
  await screenshot(amina.page, 'disappearing-dialog');
  await apply.click();
  await expect(dialog).toBeHidden();
  await expect(amina.page.locator('.timer-notice')).toContainText(
    'Vous avez réglé les messages éphémères sur 30 secondes.',
  );
  await expect(amina.page.getByRole('button', { name: 'Éphémères : 30 secondes' })).toBeVisible();
  // Bernard sees who set it, and his header shows it too.
  await expect(bernard.page.locator('.timer-notice')).toContainText(
    'Amina Ndayishimiye a réglé les messages éphémères sur 30 secondes.',
  );
  await expect(bernard.page.getByRole('button', { name: 'Éphémères : 30 secondes' })).toBeVisible();
  // The conversation list shows the hourglass too.
  await expect(
    bernard.page.locator('.conversation-row', { hasText: 'Amina' }).locator('.row-timer'),
  ).toHaveAttribute('title', /^Éphémères : 30\ssecondes$/);

  // A new message carries the hourglass on both sides; Bernard has it open, so it is read.
  await send(amina.page, 'Note provisoire à effacer.');
  const sent = message(amina.page, 'Note provisoire à effacer.');
  await expect(sent).toHaveAttribute('data-status', 'read');
  await expect(sent.getByTestId('expiry')).toHaveAttribute('title', /^S’efface à \d\d:\d\d$/);
  const read = message(bernard.page, 'Note provisoire à effacer.');
  await expect(read.getByTestId('expiry')).toHaveAttribute('title', /^S’efface à \d\d:\d\d$/);
  await screenshot(bernard.page, 'disappearing-notice');
  await expect(bernard.page.locator('.conversation-row', { hasText: 'Amina' })).toContainText(
    'Note provisoire à effacer.',
  );

  // Both copies go by themselves; what was said before the timer stays.
  await expect(sent).toHaveCount(0, { timeout: 60_000 });
  await expect(read).toHaveCount(0, { timeout: 60_000 });
  await expect(message(bernard.page, 'échange ordinaire')).toBeVisible();
  await expect(bernard.page.locator('.conversation-row', { hasText: 'Amina' })).not.toContainText(
    'Note provisoire',
  );

  // Turned off by Bernard: Amina's next message has no hourglass.
  await bernard.page.getByRole('button', { name: 'Éphémères : 30 secondes' }).click();
  const bernardDialog = bernard.page.getByRole('dialog', { name: 'Messages éphémères' });
  await bernardDialog.getByRole('radio', { name: 'Désactivés' }).check();
  await bernardDialog.getByRole('button', { name: 'Appliquer' }).click();
  await expect(amina.page.locator('.timer-notice').last()).toContainText(
    'Bernard Niyonzima a désactivé les messages éphémères.',
  );
  await send(amina.page, 'Ce message reste.');
  await expect(message(amina.page, 'Ce message reste.')).toHaveAttribute('data-status', 'read');
  await expect(message(amina.page, 'Ce message reste.').getByTestId('expiry')).toHaveCount(0);
});

test('where the ICT cell keeps every message, the timer can only be turned off', async ({
  people,
}) => {
  const amina = await people.enrolled('amina', 'Amina Ndayishimiye', {
    allowDisappearingMessages: false,
  });
  await people.enrolled('bernard', 'Bernard Niyonzima');
  await writeTo(amina.page, 'Bernard Niyonzima');
  await send(amina.page, 'Note pour archives.');
  await amina.page.getByRole('button', { name: 'Messages éphémères' }).click();
  const dialog = amina.page.getByRole('dialog', { name: 'Messages éphémères' });
  await expect(dialog).toContainText('Votre cellule informatique conserve tous les messages');
  await expect(dialog.getByRole('radio', { name: '30 secondes' })).toBeDisabled();
  await expect(dialog.getByRole('radio', { name: 'Désactivés' })).toBeChecked();
  await expect(dialog.getByRole('button', { name: 'Appliquer' })).toBeDisabled();
});
