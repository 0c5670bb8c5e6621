// The printable record of acknowledgements: every acknowledgement with its check, the
// method and the relay key, nothing a crafted text could turn into markup.
import { describe, expect, it } from 'vitest';
import { renderAcknowledgementReport } from './acknowledgement-report.js';

const report = {
  message: {
    id: 'a'.repeat(32),
    authorName: 'Amina Ndayishimiye',
    sentAt: Date.UTC(2026, 10, 27, 9, 0),
    text: 'Circulaire <b>n° 7</b> & annexes',
    files: ['annexe "A".pdf'],
    digestHex: 'cd'.repeat(32),
  },
  relayKeyHex: 'ef'.repeat(32),
  acknowledgements: [
    {
      name: 'Bernard Niyonzima',
      userId: 'bernard',
      deviceId: 1,
      at: Date.UTC(2026, 10, 27, 10, 0),
      signatureHex: '12'.repeat(64),
      valid: true,
    },
    {
      name: 'Claire <script>',
      userId: 'claire',
      deviceId: 2,
      at: Date.UTC(2026, 10, 27, 11, 0),
      signatureHex: '34'.repeat(64),
      valid: false,
    },
  ],
  generatedAt: Date.UTC(2026, 10, 28, 8, 0),
  language: 'fr' as const,
};

describe('acknowledgement record', () => {
  it('lists each acknowledgement with its check, the digest and the relay key', () => {
    const html = renderAcknowledgementReport(report);
    expect(html).toContain('Relevé des prises de connaissance');
    expect(html).toContain('Bernard Niyonzima');
    expect(html.match(/<tr>\s*<td>/g)).toHaveLength(2);
    expect(html).toContain('>valide<');
    expect(html).toContain('class="invalid">INVALIDE<');
    expect(html).toContain('cd'.repeat(32));
    expect(html).toContain('ef'.repeat(32));
    expect(html).toContain(`${'12'.repeat(16)}…`);
    expect(html).toMatch(/novembre 2026/);
  });

  it('escapes the text, the names and the files', () => {
    const html = renderAcknowledgementReport(report);
    expect(html).toContain('Circulaire &lt;b&gt;n° 7&lt;/b&gt; &amp; annexes');
    expect(html).toContain('Claire &lt;script&gt;');
    expect(html).toContain('annexe &quot;A&quot;.pdf');
    expect(html).not.toMatch(/<(script|b|img)\b/);
  });

  it('says when nobody has acknowledged yet, in English too', () => {
    const html = renderAcknowledgementReport({ ...report, acknowledgements: [], language: 'en' });
    expect(html).toContain('Nobody has acknowledged it yet.');
    expect(html).toContain('Record of acknowledgements');
  });
});
