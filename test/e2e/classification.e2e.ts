// Classification labels in the app: Amina and Benoît are cleared for « Confidentiel »
// by their ICT cell, Chantal keeps the default « Diffusion restreinte ». The composer's
// « Mention » offers only what everyone in the conversation is cleared for; a labelled
// message carries its band on both sides; a reply starts at the label of what it
// answers; the forward dialog will not send a « Confidentiel » message to Chantal.
// Real engines, relay and Chromium.
import { writeFileSync } from 'node:fs';
import { type Person, expect, message, screenshot, send, test, writeTo } from './support.js';

function picker(person: Person) {
  return person.page.getByRole('combobox', { name: 'Mention' });
}

test('labels up to the conversation’s clearance, bands on both sides, forward refused where not cleared', async ({
  people,
}, testInfo) => {
  const amina = await people.enrolled('amina', 'Amina Ndayishimiye', {
    clearance: 'confidential',
  });
  const benoit = await people.enrolled('benoit', 'Benoît Nkurunziza', {
    clearance: 'confidential',
  });
  const chantal = await people.enrolled('chantal', 'Chantal Irakoze');

  // The directory marks the clearances that are not the default one.
  await amina.page.getByRole('button', { name: 'Annuaire' }).click();
  const benoitRow = amina.page.locator('.contact-row', { hasText: 'Benoît Nkurunziza' });
  const chantalRow = amina.page.locator('.contact-row', { hasText: 'Chantal Irakoze' });
  await expect(benoitRow.getByTestId('clearance')).toHaveText('Habilitation : Confidentiel');
  await expect(chantalRow).toBeVisible();
  await expect(chantalRow.getByTestId('clearance')).toHaveCount(0);

  // With Chantal, « Diffusion restreinte » at most.
  await writeTo(amina.page, 'Chantal Irakoze');
  await expect(picker(amina).locator('option')).toHaveText(['Non protégé', 'Diffusion restreinte']);
  await send(amina.page, 'Bonjour Chantal, voici le planning de la semaine.');
  await expect(message(amina.page, 'voici le planning')).toHaveAttribute(
    'data-status',
    'delivered',
  );
  // Once the conversation exists, the engine's clearance for it says the same.
  await expect(picker(amina).locator('option')).toHaveText(['Non protégé', 'Diffusion restreinte']);
  await picker(amina).selectOption({ label: 'Diffusion restreinte' });
  await send(amina.page, 'Liste des participants à la réunion de lundi.');
  await expect(picker(amina)).toHaveValue('none');
  const restricted = message(amina.page, 'Liste des participants');
  await expect(restricted.getByTestId('classification')).toHaveText('DIFFUSION RESTREINTE', {
    useInnerText: true,
  });
  await chantal.page.locator('.conversation-row', { hasText: 'Amina' }).click();
  await expect(
    message(chantal.page, 'Liste des participants').getByTestId('classification'),
  ).toHaveText('Diffusion restreinte');
  await expect(
    message(chantal.page, 'voici le planning').getByTestId('classification'),
  ).toHaveCount(0);

  // With Benoît, « Confidentiel » too.
  await writeTo(amina.page, 'Benoît Nkurunziza');
  await expect(picker(amina).locator('option')).toHaveText([
    'Non protégé',
    'Diffusion restreinte',
    'Confidentiel',
  ]);
  await picker(amina).selectOption({ label: 'Confidentiel' });
  await expect(amina.page.locator('.composer-foot')).toContainText('Mention « Confidentiel »');
  await send(amina.page, 'Note confidentielle : le projet de réorganisation des services.');
  // Back to none for the next message, as the acknowledgement toggle.
  await expect(picker(amina)).toHaveValue('none');
  const sent = message(amina.page, 'Note confidentielle');
  await expect(sent.getByTestId('classification')).toHaveText('CONFIDENTIEL', {
    useInnerText: true,
  });
  await expect(sent).toHaveAttribute('data-classification', 'confidential');

  await benoit.page.locator('.conversation-row', { hasText: 'Amina' }).click();
  const received = message(benoit.page, 'Note confidentielle');
  await expect(received.getByTestId('classification')).toHaveText('CONFIDENTIEL', {
    useInnerText: true,
  });

  // A reply starts at the label of what it answers, nothing lower offered.
  await received.hover();
  await received.getByRole('button', { name: 'Répondre' }).click();
  await expect(picker(benoit)).toHaveValue('confidential');
  await expect(picker(benoit).locator('option')).toHaveText(['Confidentiel']);
  await expect(benoit.page.locator('.composer-foot')).toContainText(
    'Une réponse porte au moins la mention du message auquel elle répond',
  );
  await send(benoit.page, 'Bien reçu, je la garde pour moi.');
  await expect(picker(benoit)).toHaveValue('none');
  const reply = message(amina.page, 'Bien reçu, je la garde pour moi.');
  await expect(reply.getByTestId('classification')).toHaveText('Confidentiel');
  await expect(reply.locator('.quote')).toContainText('Note confidentielle');
  await screenshot(amina.page, 'classification');

  // A file carries its label as a message does.
  await picker(amina).selectOption({ label: 'Confidentiel' });
  const file = testInfo.outputPath('organigramme.txt');
  writeFileSync(file, 'Organigramme prévu au 1er janvier.\n');
  await amina.page.locator('.composer input[type=file]').setInputFiles(file);
  await expect(picker(amina)).toHaveValue('none');
  const fileAtBenoit = benoit.page.locator('article.message', {
    has: benoit.page.locator('.attachment', { hasText: 'organigramme.txt' }),
  });
  await expect(fileAtBenoit.getByTestId('classification')).toHaveText('Confidentiel');

  // Forwarding it: Chantal's conversation is not cleared for it.
  await sent.hover();
  await sent.getByRole('button', { name: 'Transférer' }).click();
  const dialog = amina.page.getByRole('dialog', { name: 'Transférer le message' });
  await expect(dialog.getByTestId('classification')).toHaveText('Confidentiel');
  const toChantal = dialog.getByRole('button', { name: 'À Chantal Irakoze' });
  await expect(toChantal).toBeDisabled();
  await expect(toChantal).toHaveAccessibleDescription('Pas habilité pour « Confidentiel »');
  await expect(dialog.getByRole('button', { name: 'À Benoît Nkurunziza' })).toBeEnabled();
  await screenshot(amina.page, 'classification-forward');
  await dialog.getByRole('button', { name: 'Annuler' }).click();
  await expect(dialog).toHaveCount(0);
  // The engine refuses it anyway, whatever the app offers.
  const refused = await amina.host.call('forwardMessage', [
    await sent.getAttribute('data-message-id'),
    'chantal',
  ]);
  expect(refused).toMatchObject({ ok: false, error: { code: 'CLASSIFICATION_NOT_CLEARED' } });

  // My own clearance, in the settings.
  await amina.page.getByRole('button', { name: 'Paramètres' }).click();
  await expect(amina.page.getByTestId('my-clearance')).toContainText('Confidentiel');
  await chantal.page.getByRole('button', { name: 'Paramètres' }).click();
  await expect(chantal.page.getByTestId('my-clearance')).toContainText('Diffusion restreinte');
});
