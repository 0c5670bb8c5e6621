// A burst of messages into the conversation a person has open (a catch-up, a busy
// group): the view keeps up with the newest one. Once the person scrolls up to read,
// the view stays where they read, and « Aller aux derniers messages » brings them back.
import { expect, message, send, test, writeTo } from './support.js';

test('a burst into the open conversation is followed; scrolled up, the view stays put', async ({
  people,
}) => {
  const amina = await people.enrolled('amina', 'Amina Ndayishimiye');
  const bernard = await people.enrolled('bernard', 'Bernard Niyonzima');
  await writeTo(amina.page, 'Bernard Niyonzima');
  await send(amina.page, 'Bonjour Bernard');
  await bernard.page.locator('.conversation-row', { hasText: 'Bonjour Bernard' }).click();
  await expect(message(bernard.page, 'Bonjour Bernard')).toBeVisible();
  const jump = bernard.page.getByRole('button', { name: 'Aller aux derniers messages' });

  // As fast as Amina's app can send them: a few hundred, one after the other.
  const BURST = 150;
  for (let i = 1; i <= BURST; i++) {
    const sent = await amina.host.call('sendText', ['bernard', `Point ${i} de l’ordre du jour`]);
    expect(sent.ok).toBe(true);
  }
  await expect(message(bernard.page, `Point ${BURST} de l’ordre du jour`)).toBeInViewport({
    timeout: 30_000,
  });
  await expect(jump).toHaveCount(0);

  // Bernard scrolls up to read; what comes next does not pull him down.
  const list = bernard.page.getByRole('log');
  await list.hover();
  await bernard.page.mouse.wheel(0, -1500);
  await expect(jump).toBeVisible();
  const reading = await list.evaluate((el) => el.querySelector('[data-message-id]')?.textContent);
  for (let i = 1; i <= 20; i++) {
    await amina.host.call('sendText', ['bernard', `Complément ${i}`]);
  }
  await expect(
    bernard.page.locator('.conversation-row', { hasText: 'Complément 20' }),
  ).toBeVisible();
  await expect(message(bernard.page, 'Complément 20')).not.toBeInViewport();
  expect(await list.evaluate((el) => el.querySelector('[data-message-id]')?.textContent)).toBe(
    reading,
  );

  // The button brings him to the newest, and the view follows again.
  await jump.click();
  await expect(message(bernard.page, 'Complément 20')).toBeInViewport();
  await expect(jump).toHaveCount(0);
  await amina.host.call('sendText', ['bernard', 'Dernier point']);
  await expect(message(bernard.page, 'Dernier point')).toBeInViewport();
});
