// Signed acknowledgements in the app: Amina asks Bernard to take note of a service
// note; Bernard signs that he did with one button; Amina sees who did and when. Such a
// message offers no "Modifier". Real engines, relay and Chromium.
import { composer, expect, message, screenshot, send, test, writeTo } from './support.js';

test('a message asks for a signed acknowledgement, given with one button', async ({ people }) => {
  const amina = await people.enrolled('amina', 'Amina Ndayishimiye');
  const bernard = await people.enrolled('bernard', 'Bernard Niyonzima');
  await writeTo(amina.page, 'Bernard Niyonzima');
  await send(amina.page, 'Bonjour Bernard.');

  const toggle = amina.page.getByRole('button', {
    name: 'Demander une prise de connaissance signée',
  });
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  await expect(amina.page.locator('.composer-foot')).toContainText(
    'Prise de connaissance demandée',
  );
  await send(amina.page, 'Note de service : réunion de cabinet lundi à 9 h.');
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  const sent = message(amina.page, 'Note de service : réunion de cabinet lundi à 9 h.');
  await expect(sent.getByTestId('acknowledgement')).toContainText(
    'Personne n’en a encore pris connaissance.',
  );
  await sent.hover();
  await expect(sent.getByRole('button', { name: 'Modifier' })).toHaveCount(0);
  await expect(sent.getByRole('button', { name: 'Supprimer' })).toBeVisible();

  await bernard.page.locator('.conversation-row', { hasText: 'Amina' }).click();
  const received = message(bernard.page, 'Note de service : réunion de cabinet lundi à 9 h.');
  await received.getByRole('button', { name: 'J’en ai pris connaissance' }).click();
  await expect(received.getByTestId('acknowledgement')).toContainText(
    /Vous en avez pris connaissance \(\d\d:\d\d\), signé\./,
  );
  await expect(received.getByRole('button', { name: 'J’en ai pris connaissance' })).toHaveCount(0);

  await expect(sent.getByTestId('acknowledgement')).toContainText(
    /Pris connaissance : Bernard Niyonzima \(\d\d:\d\d\)/,
  );
  await screenshot(amina.page, 'acknowledgement');
  // The next message is an ordinary one again.
  await composer(amina.page).fill('Merci.');
  await composer(amina.page).press('Enter');
  await expect(message(amina.page, 'Merci.').getByTestId('acknowledgement')).toHaveCount(0);
});
