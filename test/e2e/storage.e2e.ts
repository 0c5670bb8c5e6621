// A full disk seen from the UI: the person is told what to do, nothing that arrives
// is lost, and the warning goes away by itself once there is room. The disk is made
// full the way SQLite sees it: `max_page_count` caps Bernard's real encrypted store.
import type { Engine } from '../../main/engine/engine.js';
import type { Person } from './support.js';
import { expect, message, screenshot, send, test, writeTo } from './support.js';

/** The engine behind a person's app (a test reaches into the host for it). */
function engineOf(person: Person): Engine {
  const engine = (person.host as unknown as { engine: Engine | null }).engine;
  if (!engine) throw new Error(`${person.userId} has no engine running`);
  return engine;
}

test('a full disk: a clear warning, then the message once there is room', async ({ people }) => {
  const amina = await people.enrolled('amina', 'Amina Ndayishimiye');
  const bernard = await people.enrolled('bernard', 'Bernard Niyonzima');
  await writeTo(amina.page, 'Bernard Niyonzima');
  await send(amina.page, 'Avant le disque plein');
  await bernard.page.locator('.conversation-row', { hasText: 'Avant le disque plein' }).click();
  await expect(message(bernard.page, 'Avant le disque plein')).toBeVisible();

  const store = engineOf(bernard).db;
  store.exec('VACUUM');
  store.pragma(`max_page_count = ${store.pragma('page_count', { simple: true }) as number}`);
  const long = `Rapport complet : ${'é'.repeat(20_000)}`;
  await send(amina.page, long);
  const warning = bernard.page.locator('.storage-problem');
  await expect(warning).toHaveAttribute('role', 'alert');
  await expect(warning).toContainText('Le disque de cet ordinateur est plein');
  await expect(warning).toContainText('attendent sur le relais');
  await screenshot(bernard.page, 'disk-full');

  store.pragma('max_page_count = 1073741823');
  await expect(warning).toHaveCount(0);
  await expect(message(bernard.page, long)).toBeVisible();
});
