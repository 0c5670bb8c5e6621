// First run: the relay typed by hand, clear French errors for what is wrong, the
// code from the ICT cell, a passphrase; then the app. English is one click away.
import { PASSPHRASE, expect, screenshot, test } from './support.js';

test('enrolment with a code: field errors, a refused code, then success', async ({
  people,
  relay,
}) => {
  const amina = await people.open('amina', 'Amina Ndayishimiye', false);
  const page = amina.page;
  await expect(page.getByRole('heading', { name: 'Inscrire cet appareil' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'fr');

  // Nothing filled in: each field says what to do.
  await page.getByRole('button', { name: 'Inscrire l’appareil' }).click();
  await expect(page.getByText('Corrigez les 4 champs signalés.')).toBeVisible();
  await expect(page.getByText('Saisissez une adresse qui commence par https://')).toBeVisible();
  await expect(page.getByLabel('Adresse du relais')).toHaveAttribute('aria-invalid', 'true');

  await page.getByLabel('Adresse du relais').fill(relay.url);
  await page.getByLabel('Clé du relais').fill(relay.keyHex);
  await page.getByLabel('Code d’inscription').fill('ABCD-EFGH-JKLM-NPQR-STUV-WXYZ');
  await page.getByLabel('Phrase secrète', { exact: true }).fill(PASSPHRASE);
  await page.getByLabel('Confirmez la phrase secrète').fill('autre chose');
  await page.getByRole('button', { name: 'Inscrire l’appareil' }).click();
  await expect(page.getByText('Les deux phrases secrètes ne sont pas identiques.')).toBeVisible();

  // A code the relay does not know: its refusal, in French.
  await page.getByLabel('Confirmez la phrase secrète').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Inscrire l’appareil' }).click();
  await expect(page.getByRole('alert')).toContainText('Le relais a refusé le code d’inscription');

  // English, and back.
  await page.getByRole('button', { name: 'English' }).click();
  await expect(page.getByRole('heading', { name: 'Enrol this device' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await page.getByRole('button', { name: 'Français' }).click();

  const code = await relay.invite('amina', 'Amina Ndayishimiye');
  await page.getByLabel('Code d’inscription').fill(code);
  await screenshot(page, 'enrolment');
  await page.getByRole('button', { name: 'Inscrire l’appareil' }).click();
  await expect(page.getByRole('heading', { name: 'Conversations' })).toBeVisible();
  await expect(page.getByText('Aucune conversation pour l’instant.')).toBeVisible();
});
