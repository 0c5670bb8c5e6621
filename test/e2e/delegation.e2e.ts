// The organisation chart and « Absence et intérim ». The ICT cell puts Amina in the
// « Direction des ressources humaines », reporting to Benoît, and Chantal in the same
// unit, reporting to Amina: the directory reads as the chart. Benoît declares in his
// settings that he is away, Chantal standing in: Amina's directory and her conversation
// with Benoît say so, and « Écrire à Chantal Irakoze » opens the conversation with her.
// Benoît ends his absence: the badge and the banner go. Real engines, relay and Chromium.
import type { Page } from '@playwright/test';
import { type Person, expect, message, screenshot, send, test, writeTo } from './support.js';

const DRH = 'Direction des ressources humaines';
const INSTITUTION = 'Ministère de la Fonction publique';

/** "2026-12-05" plus `days` days (calendar days, as a date input counts them). */
function isoPlus(day: string, days: number): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y!, m! - 1, d! + days)).toISOString().slice(0, 10);
}

/**
 * « 5 déc. » or « 5 décembre »: how the app writes that day, with the year when it is not
 * the year of `today`.
 */
function frenchDay(day: string, today: string, month: 'short' | 'long'): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Intl.DateTimeFormat('fr', {
    day: 'numeric',
    month,
    ...(day.slice(0, 4) === today.slice(0, 4) ? {} : { year: 'numeric' }),
    timeZone: 'UTC',
  }).format(Date.UTC(y!, m! - 1, d!));
}

function row(page: Page, userId: string) {
  return page.locator(`.contact-row[data-user-id="${userId}"]`);
}

async function openDirectory(person: Person): Promise<void> {
  // Each opening asks the engine for the directory, which asks the relay.
  await person.page.getByRole('button', { name: 'Conversations' }).click();
  await person.page.getByRole('button', { name: 'Annuaire' }).click();
  await expect(person.page.getByRole('heading', { name: INSTITUTION })).toBeVisible();
}

test('org chart in the directory; an absence with a deputy shown to contacts, then ended', async ({
  people,
  relay,
}) => {
  const amina = await people.enrolled('amina', 'Amina Ndayishimiye');
  const benoit = await people.enrolled('benoit', 'Benoît Nkurunziza');
  const chantal = await people.enrolled('chantal', 'Chantal Irakoze');
  await relay.setOrg('amina', { unit: DRH, managerId: 'benoit' });
  await relay.setOrg('chantal', { unit: DRH, managerId: 'amina' });

  // Chantal's directory: Benoît (no unit) under the institution, Amina under her unit.
  await openDirectory(chantal);
  const chantalsDrh = chantal.page.getByRole('region', { name: DRH });
  await expect(row(chantal.page, 'amina')).toBeVisible();
  await expect(chantalsDrh.locator('.contact-row[data-user-id="amina"]')).toBeVisible();
  await expect(row(chantal.page, 'amina').getByTestId('reports-to')).toHaveText(
    'Rend compte à Benoît Nkurunziza',
  );
  await expect(row(chantal.page, 'benoit')).toBeVisible();
  await expect(chantalsDrh.locator('.contact-row[data-user-id="benoit"]')).toHaveCount(0);
  await expect(row(chantal.page, 'benoit').getByTestId('reports-to')).toHaveCount(0);
  // The filter finds people by their unit too.
  await chantal.page.getByRole('searchbox', { name: 'Filtrer l’annuaire' }).fill('ressources');
  await expect(row(chantal.page, 'benoit')).toHaveCount(0);
  await expect(row(chantal.page, 'amina')).toBeVisible();
  await chantal.page.getByRole('searchbox', { name: 'Filtrer l’annuaire' }).fill('');
  await expect(row(chantal.page, 'benoit')).toBeVisible();

  // Amina's own place, in her settings.
  await amina.page.getByRole('button', { name: 'Paramètres' }).click();
  await expect(amina.page.getByTestId('my-unit')).toHaveText(DRH);
  await expect(amina.page.getByTestId('my-manager')).toHaveText('Benoît Nkurunziza');

  // Amina and Benoît have a conversation.
  await writeTo(amina.page, 'Benoît Nkurunziza');
  await send(amina.page, 'Benoît, le tableau des effectifs est prêt.');
  await expect(message(amina.page, 'tableau des effectifs')).toHaveAttribute(
    'data-status',
    'delivered',
  );

  // Benoît declares his absence, Chantal standing in.
  await benoit.page.getByRole('button', { name: 'Paramètres' }).click();
  const absence = benoit.page.getByRole('region', { name: 'Absence et intérim' });
  const until = absence.getByLabel('Absent(e) jusqu’au');
  const today = await until.getAttribute('min');
  expect(await until.getAttribute('max')).toBe(isoPlus(today!, 366));
  await expect(until).toHaveValue(isoPlus(today!, 7));
  const lastDay = isoPlus(today!, 10);
  const shortDate = frenchDay(lastDay, today!, 'short');
  const longDate = frenchDay(lastDay, today!, 'long');
  await until.fill(lastDay);
  const delegate = absence.getByLabel('Intérim assuré par');
  // Himself is not offered.
  await expect(delegate.locator('option[value="benoit"]')).toHaveCount(0);
  await absence.getByRole('button', { name: 'Déclarer mon absence' }).click();
  await expect(absence.getByText('Choisissez le collègue qui assure votre intérim.')).toBeVisible();
  await delegate.selectOption('chantal');
  await absence.getByRole('button', { name: 'Déclarer mon absence' }).click();
  await expect(benoit.page.getByTestId('my-absence')).toContainText(
    `Vous êtes déclaré(e) absent(e) jusqu’au ${longDate}`,
  );
  await expect(benoit.page.getByTestId('my-absence')).toContainText('intérim : Chantal Irakoze.');
  await expect(absence.getByRole('button', { name: 'Mettre fin à mon absence' })).toBeVisible();
  await screenshot(benoit.page, 'absence-settings');

  // Amina's directory shows it, with a button to write to Chantal.
  await openDirectory(amina);
  const benoitRow = row(amina.page, 'benoit');
  await expect(benoitRow.getByTestId('absence')).toContainText(`Absent(e) jusqu’au ${shortDate}`);
  await expect(benoitRow.getByTestId('absence')).toContainText('intérim : Chantal Irakoze');
  await expect(
    benoitRow.getByTestId('absence').getByRole('button', { name: 'Écrire à Chantal Irakoze' }),
  ).toBeVisible();
  await expect(amina.page.getByRole('region', { name: DRH })).toContainText(
    'Rend compte à Amina Ndayishimiye',
  );
  await screenshot(amina.page, 'directory-org');

  // Chantal's shows that she stands in, with nothing to write to herself.
  await openDirectory(chantal);
  await expect(row(chantal.page, 'benoit').getByTestId('absence')).toContainText('intérim : vous');
  await expect(row(chantal.page, 'benoit').getByTestId('absence').getByRole('button')).toHaveCount(
    0,
  );

  // Amina's conversation with Benoît: the banner, and the way to Chantal.
  await amina.page.getByRole('button', { name: 'Conversations' }).click();
  await amina.page.locator('.conversation-row[data-conversation-id="direct:benoit"]').click();
  await expect(
    amina.page.getByRole('heading', { level: 2, name: 'Benoît Nkurunziza' }),
  ).toBeVisible();
  const banner = amina.page.getByTestId('absence-banner');
  await expect(banner).toContainText(
    `Benoît Nkurunziza est absent(e) jusqu’au ${longDate}. Intérim : Chantal Irakoze.`,
  );
  await screenshot(amina.page, 'absence-banner');
  await banner.getByRole('button', { name: 'Écrire à Chantal Irakoze' }).click();
  await expect(
    amina.page.getByRole('heading', { level: 2, name: 'Chantal Irakoze' }),
  ).toBeVisible();
  await expect(amina.page.getByTestId('absence-banner')).toHaveCount(0);
  await send(amina.page, 'Chantal, Benoît est absent : pouvez-vous valider le tableau ?');
  await chantal.page.getByRole('button', { name: 'Conversations' }).click();
  await chantal.page.locator('.conversation-row', { hasText: 'Amina' }).click();
  await expect(message(chantal.page, 'pouvez-vous valider le tableau')).toBeVisible();

  // Benoît is back and ends his absence.
  await absence.getByRole('button', { name: 'Mettre fin à mon absence' }).click();
  await expect(absence.getByRole('button', { name: 'Déclarer mon absence' })).toBeVisible();
  await expect(benoit.page.getByTestId('my-absence')).toHaveCount(0);

  // Amina's app learns it with the directory: the badge and the banner go.
  await openDirectory(amina);
  await expect(row(amina.page, 'benoit')).toBeVisible();
  await expect(row(amina.page, 'benoit').getByTestId('absence')).toHaveCount(0);
  await amina.page.getByRole('button', { name: 'Conversations' }).click();
  await amina.page.locator('.conversation-row[data-conversation-id="direct:benoit"]').click();
  await expect(message(amina.page, 'tableau des effectifs')).toBeVisible();
  await expect(amina.page.getByTestId('absence-banner')).toHaveCount(0);
});
