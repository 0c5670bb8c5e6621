// The relay's health dashboard in Chromium, as an ICT cell opens it on the server
// (through an SSH tunnel): the figures of a relay in use and of a device wiped, and
// nothing the page's strict policy refuses.
import { expect, send, screenshot, test, writeTo } from './support.js';

test('the health dashboard shows a relay in use and a device wiped, in French', async ({
  people,
  relay,
  browser,
}) => {
  const amina = await people.enrolled('amina', 'Amina Ndayishimiye');
  await people.enrolled('bernard', 'Bernard Niyonzima');
  const claire = await people.enrolled('claire', 'Claire Hakizimana');
  await writeTo(amina.page, 'Bernard Niyonzima');
  await send(amina.page, 'Le relais se porte bien ?');
  await relay.revoke('claire', 1, { wipe: true });
  await expect(claire.page.locator('.device-wiped')).toBeVisible();

  const context = await browser.newContext({ locale: 'fr-FR' });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${relay.url}/dashboard`);
  await expect(page.locator('#state')).toHaveText('En service');
  await expect(page.locator('[data-card="connected"] .value')).toHaveText('2');
  await expect(page.locator('[data-card="directory"] .value')).toHaveText('3 utilisateurs');
  await expect(page.locator('[data-card="wipes"] .detail')).toHaveText(
    '0 en attente de connexion, 1 effectués',
  );
  await expect(page.locator('#alerts li')).toHaveCount(0);
  await expect(page.locator('[data-card="delivery"] .detail')).toContainText('remis en direct');
  await screenshot(page, 'relay-dashboard');

  // The relay stops: the page says so instead of showing old figures as current.
  await relay.stop();
  await page.clock.install();
  await page.clock.runFor(11_000);
  await expect(page.locator('#state')).toHaveText('Injoignable');
  await relay.start();
  expect(problems.filter((p) => !p.includes('Failed to load resource'))).toEqual([]);
  await context.close();
});
