// A device the ICT cell revokes, with or without a wipe order (comgov-relay revoke
// [--wipe]), while the app is open: wiped, it erases its data and returns to the
// enrolment screen saying why, and can be enrolled again with a new code; only
// revoked, it keeps its messages and says why it no longer sends or receives.
import { readdirSync } from 'node:fs';
import {
  type People,
  enrolInUi,
  expect,
  message,
  screenshot,
  send,
  test,
  writeTo,
} from './support.js';

/** Amina and Bernard enrolled; Bernard has read `text` from Amina. */
async function bernardReads(people: People, text: string) {
  const amina = await people.enrolled('amina', 'Amina Ndayishimiye');
  const bernard = await people.enrolled('bernard', 'Bernard Niyonzima');
  await writeTo(amina.page, 'Bernard Niyonzima');
  await send(amina.page, text);
  await bernard.page.locator('.conversation-row', { hasText: 'Amina' }).click();
  await expect(message(bernard.page, text)).toBeVisible();
  return { amina, bernard };
}

test('a device wiped by the ICT cell erases itself, says why, and can be enrolled again', async ({
  people,
  relay,
}) => {
  const { amina, bernard } = await bernardReads(
    people,
    'Le compte rendu confidentiel de la réunion.',
  );

  // Bernard's laptop is reported lost: the ICT cell revokes it and orders a wipe.
  await relay.revoke('bernard', 1, { wipe: true });
  const notice = bernard.page.locator('.device-wiped');
  await expect(notice).toContainText(
    'À la demande de votre cellule TIC (appareil perdu ou volé), les messages, fichiers et clés de cet appareil ont été effacés.',
  );
  await expect(bernard.page.getByLabel('Code d’inscription')).toBeVisible();
  await expect(bernard.page.getByText('Le compte rendu confidentiel')).toHaveCount(0);
  expect(readdirSync(bernard.host.options.dataDir)).toEqual([]);
  await screenshot(bernard.page, 'device-wiped');

  // With a new code from the ICT cell, the same app works again (as a new device).
  await enrolInUi(bernard.page, await relay.invite('bernard', 'Bernard Niyonzima'));
  await expect(bernard.page.locator('.device-wiped')).toHaveCount(0);
  await send(amina.page, 'Bienvenue sur votre nouvel appareil.');
  await bernard.page.locator('.conversation-row', { hasText: 'Amina' }).click();
  await expect(message(bernard.page, 'Bienvenue sur votre nouvel appareil.')).toBeVisible();
});

test('a device only revoked keeps its messages and says why it is cut off', async ({
  people,
  relay,
}) => {
  const { bernard } = await bernardReads(people, 'Merci pour votre contribution.');

  await relay.revoke('bernard', 1);
  await expect(bernard.page.locator('.device-revoked')).toContainText(
    'Votre cellule TIC a révoqué cet appareil',
  );
  await expect(message(bernard.page, 'Merci pour votre contribution.')).toBeVisible();
  await expect(bernard.page.getByLabel('Votre message')).toBeDisabled();
  await expect(bernard.page.locator('.composer-input')).toHaveAttribute(
    'placeholder',
    'Cet appareil ne peut plus envoyer de messages.',
  );
  await screenshot(bernard.page, 'device-revoked');
});
