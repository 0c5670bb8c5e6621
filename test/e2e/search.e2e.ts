// Search across conversations, French-aware: a query without accents finds an
// accented message; choosing the result opens the conversation at that message.
import { expect, message, screenshot, send, test, writeTo } from './support.js';

test('an accent-free query finds an accented message and opens it', async ({ people }) => {
  const amina = await people.enrolled('amina', 'Amina Ndayishimiye');
  const bernard = await people.enrolled('bernard', 'Bernard Niyonzima');
  await writeTo(bernard.page, 'Amina Ndayishimiye');
  await send(bernard.page, 'Le décret sur la fonction publique est publié.');
  for (let i = 1; i <= 40; i++) await send(bernard.page, `Point ${i} de l’ordre du jour`);
  await expect(
    amina.page.locator('.conversation-row', { hasText: 'Point 40 de l’ordre du jour' }),
  ).toBeVisible();

  await amina.page.getByRole('searchbox', { name: 'Rechercher' }).fill('decret publie');
  const hit = amina.page.locator('.hit', { hasText: 'fonction publique' });
  await expect(hit).toBeVisible();
  await expect(hit.locator('mark').first()).toHaveText(/décret/i);
  await screenshot(amina.page, 'search-results');
  await hit.click();
  const found = message(amina.page, 'Le décret sur la fonction publique est publié.');
  await expect(found).toBeInViewport();
  await expect(found).toBeFocused();
});
