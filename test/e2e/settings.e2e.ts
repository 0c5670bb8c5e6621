// Settings: the account, the language (English, then back to French), the lock
// with the passphrase (a wrong one is refused with a clear sentence).
import { PASSPHRASE, expect, screenshot, test } from './support.js';

test('settings, language and the app lock', async ({ people }) => {
  const amina = await people.enrolled('amina', 'Amina Ndayishimiye');
  const page = amina.page;
  await page.getByRole('button', { name: 'Paramètres' }).click();
  await expect(page.getByRole('heading', { name: 'Paramètres', level: 1 })).toBeVisible();
  await expect(page.getByText('amina', { exact: true })).toBeVisible();
  await expect(page.getByText('Appareil n° 1')).toBeVisible();
  await expect(page.getByText('cet appareil')).toBeVisible();
  await screenshot(page, 'settings');

  await page.getByRole('radio', { name: 'English' }).check();
  await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Directory' })).toBeVisible();
  await page.reload();
  await expect(page.getByRole('button', { name: 'Directory' })).toBeVisible();
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('radio', { name: 'Français' }).check();
  await expect(page.getByRole('button', { name: 'Annuaire' })).toBeVisible();

  // The lock: nothing of the app shows until the passphrase is given.
  await page.getByRole('button', { name: 'Verrouiller', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Déverrouiller la messagerie' })).toBeVisible();
  await expect(page.getByRole('navigation')).toHaveCount(0);
  await page.getByLabel('Phrase secrète').fill('mauvaise phrase');
  await page.getByRole('button', { name: 'Déverrouiller' }).click();
  await expect(page.getByRole('alert')).toContainText(
    'Cette phrase secrète ne déverrouille pas le coffre',
  );
  await page.getByLabel('Phrase secrète').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Déverrouiller' }).click();
  await expect(page.getByRole('heading', { name: 'Paramètres', level: 1 })).toBeVisible();
});
