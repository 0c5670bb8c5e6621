// The directory by institution, the safety number (the same digits on both sides),
// the "verified" mark, and the warning when a colleague's key changes.
import { expect, screenshot, send, test, writeTo } from './support.js';

test('safety numbers match, verified mark, key-change warning', async ({ people }) => {
  const amina = await people.enrolled('amina', 'Amina Ndayishimiye');
  const bernard = await people.enrolled('bernard', 'Bernard Niyonzima');

  await amina.page.getByRole('button', { name: 'Annuaire' }).click();
  await expect(
    amina.page.getByRole('heading', { name: 'Ministère de la Fonction publique' }),
  ).toBeVisible();
  await amina.page.getByRole('button', { name: 'Numéro de sécurité de Bernard Niyonzima' }).click();
  const dialog = amina.page.getByRole('dialog', {
    name: 'Numéro de sécurité avec Bernard Niyonzima',
  });
  const digits = dialog.getByRole('list', { name: /Numéro de sécurité/ }).getByRole('listitem');
  await expect(digits).toHaveCount(12);
  const aminaSees = await digits.allTextContents();

  await bernard.page.getByRole('button', { name: 'Annuaire' }).click();
  await bernard.page
    .getByRole('button', { name: 'Numéro de sécurité de Amina Ndayishimiye' })
    .click();
  const bernardDigits = bernard.page.getByRole('dialog').getByRole('listitem');
  await expect(bernardDigits).toHaveCount(12);
  expect(await bernardDigits.allTextContents()).toEqual(aminaSees);
  await bernard.page.keyboard.press('Escape');
  await expect(bernard.page.getByRole('dialog')).toHaveCount(0);

  await screenshot(amina.page, 'safety-number');
  await dialog.getByRole('button', { name: 'Marquer comme vérifié' }).click();
  await expect(dialog.getByText('Vous avez vérifié ce numéro.')).toBeVisible();
  await dialog.getByRole('button', { name: 'Fermer' }).first().click();
  const row = amina.page.locator('.contact-row', { hasText: 'Bernard Niyonzima' });
  await expect(row.getByText('Vérifié')).toBeVisible();

  // Bernard enrols a second device: his set of keys changes, and Amina is warned.
  await people.enrolled('bernard', 'Bernard Niyonzima');
  await amina.page.getByRole('button', { name: 'Conversations' }).click();
  await amina.page.getByRole('button', { name: 'Annuaire' }).click();
  await expect(row.getByText('Clé changée')).toBeVisible();
  await expect(row.getByText('Vérifié')).toHaveCount(0);
  await writeTo(amina.page, 'Bernard Niyonzima');
  const warning = amina.page.getByRole('alert').filter({ hasText: 'a changé' });
  await expect(warning).toContainText('La clé de sécurité de Bernard Niyonzima a changé');
  await send(amina.page, 'Bernard, avez-vous ajouté un appareil ?');
  await screenshot(amina.page, 'key-change-warning');
  await warning.getByRole('button', { name: 'Vérifier' }).click();
  await amina.page
    .getByRole('dialog')
    .getByRole('button', { name: 'Marquer comme vérifié' })
    .click();
  await expect(
    amina.page.getByRole('dialog').getByText('Vous avez vérifié ce numéro.'),
  ).toBeVisible();
  await amina.page.keyboard.press('Escape');
  await expect(warning).toHaveCount(0);
});
