// A group of three: created from the UI (members found by typing a name), messages
// reach everyone with the sender's name shown above them, members listed.
import { expect, message, screenshot, send, test } from './support.js';

test('a group of three', async ({ people }) => {
  const amina = await people.enrolled('amina', 'Amina Ndayishimiye');
  const bernard = await people.enrolled('bernard', 'Bernard Niyonzima');
  const claire = await people.enrolled('claire', 'Claire Irakoze');
  await people.enrolled('denis', 'Denis Hakizimana');

  await amina.page.getByRole('button', { name: 'Nouveau groupe' }).click();
  const dialog = amina.page.getByRole('dialog', { name: 'Nouveau groupe' });
  await dialog.getByRole('button', { name: 'Créer le groupe' }).click();
  await expect(dialog.getByText('Donnez un nom au groupe.')).toBeVisible();
  await dialog.getByLabel('Nom du groupe').fill('Comité budgétaire');
  await dialog.getByRole('checkbox', { name: /Bernard Niyonzima/ }).check();
  // A long directory narrows as a name is typed (accents aside); Bernard stays chosen.
  await dialog.getByRole('searchbox', { name: 'Chercher un collègue' }).fill('irakoze');
  await expect(dialog.getByRole('checkbox', { name: /Denis Hakizimana/ })).toHaveCount(0);
  await expect(dialog.getByRole('checkbox', { name: /Bernard Niyonzima/ })).toBeChecked();
  await dialog.getByRole('checkbox', { name: /Claire Irakoze/ }).check();
  await expect(dialog.locator('legend')).toContainText('2 choisis');
  await dialog.getByRole('button', { name: 'Créer le groupe' }).click();
  await expect(
    amina.page.getByRole('heading', { level: 2, name: 'Comité budgétaire' }),
  ).toBeVisible();

  await send(amina.page, 'Bienvenue dans le comité. Première réunion lundi.');
  for (const person of [bernard, claire]) {
    const row = person.page.locator('.conversation-row', { hasText: 'Comité budgétaire' });
    await row.click();
    await expect(message(person.page, 'Première réunion lundi')).toBeVisible();
  }
  await send(bernard.page, 'Bien reçu, je prépare les chiffres.');
  await send(claire.page, 'Je réserve la salle.');
  await expect(message(amina.page, 'je prépare les chiffres')).toBeVisible();
  await expect(message(amina.page, 'Je réserve la salle')).toBeVisible();
  await expect(message(bernard.page, 'Je réserve la salle')).toBeVisible();
  // Sender names above the messages of others.
  await expect(amina.page.locator('.sender', { hasText: 'Bernard Niyonzima' })).toBeVisible();
  await expect(amina.page.locator('.sender', { hasText: 'Claire Irakoze' })).toBeVisible();
  await screenshot(amina.page, 'group');

  await amina.page.getByRole('button', { name: 'Membres du groupe' }).click();
  const members = amina.page.getByRole('dialog', { name: 'Membres de Comité budgétaire' });
  await expect(members.getByRole('listitem')).toHaveCount(3);
  await expect(members).toContainText('Claire Irakoze');

  // Adding Denis: typing part of his name leaves him alone in the list, chosen.
  await members.getByRole('searchbox', { name: 'Chercher un collègue' }).fill('hakiz');
  await expect(members.getByLabel('Collègue à ajouter')).toHaveValue('denis');
  await screenshot(amina.page, 'group-members-add');
  await members.getByRole('button', { name: 'Ajouter au groupe' }).click();
  await expect(members.getByRole('listitem')).toHaveCount(4);
  await expect(members).toContainText('Denis Hakizimana');
});
