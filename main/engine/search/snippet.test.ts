import { describe, expect, it } from 'vitest';
import { parseFrenchQuery } from './french-query.js';
import { MAX_SCANNED_CHARS, SNIPPET_TOKENS, buildSnippet, snippetToString } from './snippet.js';

const snippet = (body: string, query: string) => buildSnippet(body, parseFrenchQuery(query));

describe('buildSnippet', () => {
  it('marks the matched words as written, accents and case kept', () => {
    expect(snippet('Réunion sur la SÉCURITÉ demain', 'securite')).toEqual([
      { text: 'Réunion sur la ', match: false },
      { text: 'SÉCURITÉ', match: true },
      { text: ' demain', match: false },
    ]);
  });

  it('marks the word after an elision, not the article', () => {
    expect(snippetToString(snippet("Devant l’école et l'arbre", 'ecole arbre'))).toBe(
      "Devant l’[école] et l'[arbre]",
    );
  });

  it('marks a phrase as one part and leaves other occurrences of its words alone', () => {
    expect(
      snippetToString(snippet('En œuvre : la mise en œuvre du plan', '"mise en oeuvre"')),
    ).toBe('En œuvre : la [mise en œuvre] du plan');
  });

  it('cuts a long body around the best match, with ellipses', () => {
    const filler = Array.from({ length: 60 }, (_, i) => `mot${i}`);
    const body = [...filler, 'budget', 'annuel', ...filler].join(' ');
    const parts = snippet(body, 'budget');
    expect(parts[0]).toEqual({ text: '…mot56 mot57 mot58 mot59 ', match: false });
    expect(parts[parts.length - 1]?.text.endsWith('…')).toBe(true);
    expect(parts.filter((p) => p.match).map((p) => p.text)).toEqual(['budget']);
    const words = snippetToString(parts).split(/\s+/).length;
    expect(words).toBeLessThanOrEqual(SNIPPET_TOKENS + 2);
  });

  it('prefers the window holding every term', () => {
    const filler = Array.from({ length: 40 }, (_, i) => `mot${i}`).join(' ');
    const body = `budget seul ${filler} rapport et budget ensemble ${filler}`;
    const marked = snippet(body, 'budget rapport')
      .filter((p) => p.match)
      .map((p) => p.text);
    expect(marked).toEqual(['rapport', 'budget']);
  });

  it('keeps markup and in-band markers as inert text, never as a highlight', () => {
    const body = '<b>x</b> \u0002faux\u0003 <script>alert(1)</script> vrai';
    const parts = snippet(body, 'vrai');
    expect(parts.filter((p) => p.match).map((p) => p.text)).toEqual(['vrai']);
    const text = parts.map((p) => p.text).join('');
    expect(text).toContain('<b>x</b>');
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\u0000-\u001F]/);
  });

  it('shortens a giant token or gap and never splits a surrogate pair', () => {
    const body = `${'😀'.repeat(500)} budget ${'x'.repeat(5000)}`;
    const parts = snippet(body, 'budget');
    for (const part of parts) {
      expect(part.text.length).toBeLessThanOrEqual(90);
      expect(part.text).not.toMatch(
        /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/,
      );
    }
    expect(parts.filter((p) => p.match).map((p) => p.text)).toEqual(['budget']);
  });

  it('bounds the work on a huge body, and marks nothing past what it scans', () => {
    const huge = 'de '.repeat(200_000);
    const started = performance.now();
    const parts = snippet(huge, 'de');
    expect(performance.now() - started).toBeLessThan(500);
    expect(parts.filter((p) => p.match).length).toBeGreaterThan(0);
    const late = `${'mot '.repeat(MAX_SCANNED_CHARS)}budget`;
    const lateParts = snippet(late, 'budget');
    expect(lateParts.some((p) => p.match)).toBe(false);
    expect(lateParts[lateParts.length - 1]?.text.endsWith('…')).toBe(true);
  });

  it('shows the start of the body when nothing can be marked', () => {
    expect(snippet('Bonjour à tous', 'absent')).toEqual([{ text: 'Bonjour à tous', match: false }]);
  });
});
