// The printable enrolment slips: one page per person with their code, what to type,
// and nothing a crafted name could turn into markup.
import { describe, expect, it } from 'vitest';
import { groupedKey, renderEnrolmentSlips } from './enrolment-slip.js';

const KEY = 'ab'.repeat(32);
const issued = [
  {
    invitation: {
      userId: 'amina',
      displayName: 'Amina <script>alert(1)</script>',
      institution: 'Ministère "A" & B',
      title: 'Directrice',
    },
    code: 'ABCD-EFGH-IJKL-MNOP-QRST-UVWX',
    expiresAt: Date.UTC(2026, 11, 4, 12, 0),
  },
  {
    invitation: { userId: 'bernard', displayName: 'Bernard', institution: '', title: '' },
    code: 'ZZZZ-YYYY-XXXX-WWWW-VVVV-UUUU',
    expiresAt: Date.UTC(2026, 11, 4, 12, 0),
  },
];
const context = {
  relayUrl: 'https://relay.sante.intra:8443',
  relayKeyHex: KEY,
  issuedAt: Date.UTC(2026, 10, 27, 12, 0),
  issuedBy: 'cli:tic',
  language: 'fr' as const,
};

describe('enrolment slips', () => {
  it('gives each person a page with their code, the relay and its key, in French', () => {
    const html = renderEnrolmentSlips(issued, context);
    expect(html.match(/<section class="slip">/g)).toHaveLength(2);
    expect(html).toContain('<div class="code" data-code>ABCD-EFGH-IJKL-MNOP-QRST-UVWX</div>');
    expect(html).toContain('<div class="code" data-code>ZZZZ-YYYY-XXXX-WWWW-VVVV-UUUU</div>');
    expect(html).toContain('https://relay.sante.intra:8443');
    expect(html).toContain(groupedKey(KEY));
    expect(groupedKey(KEY).split(' ')).toHaveLength(16);
    expect(html).toContain('Fiche d’inscription');
    expect(html).toContain('Valable jusqu’au');
    expect(html).toMatch(/décembre 2026/);
    expect(html).toContain('Délivrée le');
    expect(html).toContain('cli:tic');
  });

  it('escapes every field: a name cannot become markup', () => {
    const html = renderEnrolmentSlips(issued, context);
    expect(html).not.toContain('<script>');
    expect(html).toContain('Amina &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('Ministère &quot;A&quot; &amp; B');
    // No script can run and nothing is fetched, even if opened in a browser.
    expect(html).toContain(`default-src 'none'`);
    expect(html).not.toMatch(/<(script|img|link|iframe)\b/);
  });

  it('says the relay is set by policy when no address is given, and speaks English', () => {
    const html = renderEnrolmentSlips(issued, { ...context, relayUrl: null, language: 'en' });
    expect(html).toContain('Enrolment slip');
    expect(html).toContain('The relay’s address and key are set by your ICT cell');
    expect(html).not.toContain('https://');
    expect(html).toMatch(/December 2026/);
  });
});
