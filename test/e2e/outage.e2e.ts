// The guaranteed outbox seen from the UI: with the relay stopped, messages show
// as waiting and the banner counts them; when the relay comes back they leave,
// arrive once each, in order, and nothing is lost or doubled — even after a reload. A
// reaction made offline waits too, but the banner counts only messages.
import { expect, message, screenshot, send, test, writeTo } from './support.js';

test('relay stopped → waiting → restarted → delivered, nothing lost or doubled', async ({
  people,
  relay,
}) => {
  const amina = await people.enrolled('amina', 'Amina Ndayishimiye');
  const bernard = await people.enrolled('bernard', 'Bernard Niyonzima');
  await writeTo(amina.page, 'Bernard Niyonzima');
  await send(amina.page, 'Avant la coupure');
  await bernard.page.locator('.conversation-row', { hasText: 'Avant la coupure' }).click();
  await expect(message(bernard.page, 'Avant la coupure')).toBeVisible();

  await relay.stop();
  const banner = amina.page.locator('.connection');
  await expect(banner).not.toHaveAttribute('data-connection', 'online');
  await expect(banner).toContainText(/Reconnexion au relais|Hors ligne/);

  const texts = ['Pendant la coupure 1', 'Pendant la coupure 2', 'Pendant la coupure 3'];
  for (const text of texts) await send(amina.page, text);
  for (const text of texts) {
    await expect(message(amina.page, text)).toHaveAttribute('data-status', 'waiting');
  }
  await expect(banner).toContainText('3 messages en attente d’envoi.');
  await expect(banner).toContainText('Rien n’est perdu');
  await screenshot(amina.page, 'offline-waiting');

  // Bernard, cut off too, reacts: the reaction waits, but he wrote no message.
  const bernardBanner = bernard.page.locator('.connection');
  await expect(bernardBanner).not.toHaveAttribute('data-connection', 'online');
  const before = message(bernard.page, 'Avant la coupure');
  await before.hover();
  await before.getByRole('button', { name: 'Réagir', exact: true }).click();
  await bernard.page.getByRole('button', { name: 'Réagir avec 👍' }).click();
  await expect(before.locator('.reaction')).toContainText('1');
  await expect(bernardBanner).toHaveAttribute('data-waiting', '0');
  await expect(bernardBanner).not.toContainText('en attente');

  await relay.start();
  await expect(banner).toHaveAttribute('data-connection', 'online');
  for (const text of texts) {
    await expect(message(amina.page, text)).toHaveAttribute('data-status', /delivered|read/);
    await expect(message(bernard.page, text)).toHaveCount(1);
  }
  await expect(banner).toHaveAttribute('data-waiting', '0');
  await expect(message(amina.page, 'Avant la coupure').locator('.reaction')).toContainText('1');

  // Order kept, nothing doubled, also after Bernard reloads the app.
  const order = async () =>
    (await bernard.page.locator('article.message p.text').allTextContents()).filter((t) =>
      t.includes('coupure'),
    );
  expect(await order()).toEqual(['Avant la coupure', ...texts]);
  await bernard.page.reload();
  await bernard.page.locator('.conversation-row', { hasText: 'Amina' }).click();
  await expect(message(bernard.page, texts[2]!)).toBeVisible();
  expect(await order()).toEqual(['Avant la coupure', ...texts]);
});
