// A relay whose TLS certificate comes from the ministry's own authority. A computer
// the authority was not deployed to cannot enrol, and says why; one it was deployed to
// enrols. When the relay's certificate is renewed by an authority this computer does
// not know, the banner says so instead of a bare "offline"; once the relay serves a
// trusted certificate again, the app is back online.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeCertificate } from '../relay/certificate.js';
import { E2eRelay, PASSPHRASE, People, enrolInUi, expect, screenshot, test } from './support.js';

test('a relay certificate of the ministry’s authority: refused, then trusted, then renewed by another', async ({
  browser,
}) => {
  const certificates = mkdtempSync(path.join(tmpdir(), 'comgov-e2e-certificates-'));
  const ministry = makeCertificate(path.join(certificates, 'ministry'), 'IGC du ministère');
  const other = makeCertificate(path.join(certificates, 'other'), 'Autre autorité');
  const relay = await E2eRelay.create({ tls: ministry });
  const untrusting = new People(browser, relay);
  const trusting = new People(browser, relay, [readFileSync(ministry.cert, 'utf8')]);
  try {
    // The authority not deployed to this computer: enrolment is refused, with the reason.
    const carole = await untrusting.open('carole', 'Carole Hakizimana');
    await carole.page.getByLabel('Code d’inscription').fill(await relay.invite('carole', 'Carole'));
    await carole.page.getByLabel('Phrase secrète', { exact: true }).fill(PASSPHRASE);
    await carole.page.getByLabel('Confirmez la phrase secrète').fill(PASSPHRASE);
    await carole.page.getByRole('button', { name: 'Inscrire l’appareil' }).click();
    await expect(carole.page.getByRole('alert')).toContainText(
      'Cet ordinateur ne fait pas confiance au certificat du relais.',
    );

    // Deployed (RelayCaFile): enrolment, and online.
    const amina = await trusting.open('amina', 'Amina Ndayishimiye');
    await enrolInUi(amina.page, await relay.invite('amina', 'Amina Ndayishimiye'));
    const banner = amina.page.locator('.connection');
    await expect(banner).toHaveAttribute('data-connection', 'online');

    // The relay's certificate renewed by an authority this computer does not know.
    await relay.stop();
    relay.tls = other;
    await relay.start();
    await expect(banner).not.toHaveAttribute('data-connection', 'online');
    await expect(banner).toContainText(
      'Cet ordinateur ne fait pas confiance au certificat du relais. Contactez votre cellule TIC',
    );
    await screenshot(amina.page, 'relay-certificate-untrusted');

    // Back to a certificate of the ministry's authority: online, nothing more said.
    await relay.stop();
    relay.tls = ministry;
    await relay.start();
    await expect(banner).toHaveAttribute('data-connection', 'online');
    await expect(banner).not.toContainText('certificat');
  } finally {
    const problems = [...(await untrusting.close()), ...(await trusting.close())];
    await relay.close();
    rmSync(certificates, { recursive: true, force: true });
    expect(problems, 'console errors, exceptions or CSP violations on the pages').toEqual([]);
  }
});
