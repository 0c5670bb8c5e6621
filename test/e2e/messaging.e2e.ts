// Two officials in separate browser contexts, each with their own engine, through
// a real relay: send and receive, delivered then read, reply, edit, delete, react.
import { composer, expect, message, screenshot, send, test, writeTo } from './support.js';

test('two people exchange messages: ticks, reply, edit, delete, reactions', async ({ people }) => {
  const amina = await people.enrolled('amina', 'Amina Ndayishimiye');
  const bernard = await people.enrolled('bernard', 'Bernard Niyonzima');

  // Amina writes first, from the directory.
  await writeTo(amina.page, 'Bernard Niyonzima');
  await send(amina.page, 'Bonjour Bernard, la note sur le budget est prête.');
  const first = message(amina.page, 'la note sur le budget est prête');
  // Bernard's engine receives it: delivered, not read (his conversation is not open).
  await expect(first).toHaveAttribute('data-status', 'delivered');
  const row = bernard.page.locator('.conversation-row', { hasText: 'Amina Ndayishimiye' });
  await expect(row).toContainText('la note sur le budget est prête');
  await expect(row.getByText('1 message non lu')).toBeAttached();
  await screenshot(bernard.page, 'conversation-list');

  // Bernard opens it: read.
  await row.click();
  await expect(message(bernard.page, 'la note sur le budget est prête')).toBeVisible();
  await expect(first).toHaveAttribute('data-status', 'read');

  // Bernard replies to that message.
  const received = message(bernard.page, 'la note sur le budget est prête');
  await received.hover();
  await received.getByRole('button', { name: 'Répondre' }).click();
  await expect(bernard.page.getByText('Réponse à Amina Ndayishimiye')).toBeVisible();
  await send(bernard.page, 'Merci Amina, je la relis cet après-midi.');
  const reply = message(amina.page, 'je la relis cet après-midi');
  await expect(reply).toBeVisible();
  await expect(reply.locator('.quote')).toContainText('la note sur le budget est prête');

  // Bernard reacts to Amina's message; Amina sees it.
  await received.hover();
  await received.getByRole('button', { name: 'Réagir', exact: true }).click();
  await bernard.page.getByRole('button', { name: 'Réagir avec 👍' }).click();
  await expect(first.locator('.reaction')).toContainText('1');
  await expect(first.getByRole('button', { name: /👍 : Bernard Niyonzima/ })).toBeVisible();

  // Amina reacts back to the reply.
  await reply.hover();
  await reply.getByRole('button', { name: 'Réagir', exact: true }).click();
  await amina.page.getByRole('button', { name: 'Réagir avec 🙏' }).click();
  await expect(
    message(bernard.page, 'je la relis cet après-midi').getByRole('button', { name: /🙏 : Amina/ }),
  ).toBeVisible();

  // Amina edits her first message; Bernard sees the new text, marked as edited.
  await first.hover();
  await first.getByRole('button', { name: 'Modifier' }).click();
  await expect(amina.page.getByText('Modification du message')).toBeVisible();
  await expect(composer(amina.page)).toHaveValue(
    'Bonjour Bernard, la note sur le budget est prête.',
  );
  await composer(amina.page).fill('Bonjour Bernard, la note sur le budget 2027 est prête.');
  await composer(amina.page).press('Enter');
  const edited = message(bernard.page, 'la note sur le budget 2027 est prête');
  await expect(edited).toBeVisible();
  await expect(edited).toContainText('modifié');

  // Amina sends a message by mistake and deletes it for everyone.
  await send(amina.page, 'Message envoyé par erreur');
  await expect(message(bernard.page, 'Message envoyé par erreur')).toBeVisible();
  const mistake = message(amina.page, 'Message envoyé par erreur');
  await mistake.hover();
  await mistake.getByRole('button', { name: 'Supprimer' }).click();
  await amina.page.getByRole('button', { name: 'Supprimer pour tous' }).click();
  await expect(message(bernard.page, 'Message envoyé par erreur')).toHaveCount(0);
  await expect(bernard.page.getByText('Ce message a été supprimé.')).toBeVisible();

  // One more exchange so the picture shows a conversation with some life in it.
  await send(bernard.page, 'Pouvez-vous me la transmettre avant la réunion de jeudi ?');
  await expect(message(amina.page, 'avant la réunion de jeudi')).toBeVisible();
  await send(amina.page, 'Oui, je vous l’envoie demain matin.');
  await expect(message(amina.page, 'je vous l’envoie demain matin')).toHaveAttribute(
    'data-status',
    'read',
  );
  await screenshot(amina.page, 'conversation-replies-reactions');

  // Typing is shown to the other side.
  await composer(bernard.page).fill('Très bien');
  await expect(amina.page.getByText('Bernard Niyonzima écrit…')).toBeVisible();
});
