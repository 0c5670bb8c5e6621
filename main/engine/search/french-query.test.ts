import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_QUERY_TERMS,
  MAX_TOKEN_CHARS,
  type QueryTerm,
  frenchQueryToMatch,
  parseFrenchQuery,
} from './french-query.js';
import { foldToken, foldedTokens, tokenize } from './french-tokens.js';

const word = (token: string): QueryTerm => ({ tokens: [token], prefix: token.length > 1 });
const phrase = (text: string): QueryTerm => ({ tokens: text.split(' '), prefix: false });

describe('foldToken', () => {
  it('folds case, accents and ligatures', () => {
    expect(foldToken('Sécurité')).toBe('securite');
    expect(foldToken('MINISTÈRE')).toBe('ministere');
    expect(foldToken('Œuvre')).toBe('oeuvre');
    expect(foldToken('ex æquo')).toBe('ex aequo');
    expect(foldToken('e\u0301cole')).toBe('ecole'); // decomposed input
    expect(foldToken('ÇA')).toBe('ca');
  });
});

describe('tokenize', () => {
  it('splits on both apostrophes, the modifier-letter one, hyphens and punctuation', () => {
    expect(foldedTokens("L'arbre, l’école; lʼété — peut-être !")).toEqual([
      'l',
      'arbre',
      'l',
      'ecole',
      'l',
      'ete',
      'peut',
      'etre',
    ]);
  });

  it('gives offsets into the original text', () => {
    const text = 'Réunion à l’Élysée';
    const tokens = tokenize(text);
    expect(tokens.map((t) => text.slice(t.start, t.end))).toEqual(['Réunion', 'à', 'l', 'Élysée']);
    expect(tokens.map((t) => t.folded)).toEqual(['reunion', 'a', 'l', 'elysee']);
  });
});

describe('parseFrenchQuery', () => {
  it('makes every word a prefix term, folded', () => {
    expect(parseFrenchQuery('Sécurité minist')).toEqual([word('securite'), word('minist')]);
  });

  it('drops elided articles and pronouns, with either apostrophe', () => {
    expect(parseFrenchQuery("l'arbre")).toEqual([word('arbre')]);
    expect(parseFrenchQuery('l’arbre')).toEqual([word('arbre')]);
    expect(parseFrenchQuery('d’école')).toEqual([word('ecole')]);
    expect(parseFrenchQuery("qu'il jusqu’à")).toEqual([word('il'), word('a')]);
    expect(parseFrenchQuery("l'")).toEqual([]);
  });

  it('keeps words that only look elided as phrases of their parts', () => {
    expect(parseFrenchQuery("aujourd'hui")).toEqual([{ tokens: ['aujourd', 'hui'], prefix: true }]);
    expect(parseFrenchQuery('peut-être')).toEqual([{ tokens: ['peut', 'etre'], prefix: true }]);
    expect(parseFrenchQuery('agent·e·s')).toEqual([{ tokens: ['agent', 'e', 's'], prefix: false }]);
  });

  it('matches one-letter words exactly, not as prefixes', () => {
    expect(parseFrenchQuery('à y')).toEqual([
      { tokens: ['a'], prefix: false },
      { tokens: ['y'], prefix: false },
    ]);
  });

  it('reads quoted text as an exact phrase, with any quote marks', () => {
    expect(parseFrenchQuery('"mise en œuvre" budget')).toEqual([
      phrase('mise en oeuvre'),
      word('budget'),
    ]);
    expect(parseFrenchQuery('« ordre du jour »')).toEqual([phrase('ordre du jour')]);
    expect(parseFrenchQuery('“l’arbre”')).toEqual([phrase('l arbre')]);
  });

  it('runs an unclosed quote to the end of the input', () => {
    expect(parseFrenchQuery('rapport "mise en')).toEqual([word('rapport'), phrase('mise en')]);
  });

  it('treats FTS5 operators and syntax as plain words', () => {
    expect(parseFrenchQuery('a NEAR(b) OR NOT c* body:x ^y')).toEqual([
      { tokens: ['a'], prefix: false },
      word('near'),
      { tokens: ['b'], prefix: false },
      word('or'),
      word('not'),
      { tokens: ['c'], prefix: false },
      { tokens: ['body', 'x'], prefix: false },
      { tokens: ['y'], prefix: false },
    ]);
  });

  it('returns nothing for input without any word', () => {
    for (const input of ['', '   ', '"', '""', '***', '()', '😀 🇫🇷', ':', '^', "'", '« »']) {
      expect(parseFrenchQuery(input)).toEqual([]);
      expect(frenchQueryToMatch(input)).toBeNull();
    }
  });

  it('keeps each term once', () => {
    expect(parseFrenchQuery('Budget budget BUDGET')).toEqual([word('budget')]);
  });

  it('applies the length limits', () => {
    const many = Array.from({ length: 30 }, (_, i) => `mot${i}`).join(' ');
    expect(parseFrenchQuery(many)).toHaveLength(MAX_QUERY_TERMS);
    const long = 'a'.repeat(200);
    expect(parseFrenchQuery(long)).toEqual([
      { tokens: ['a'.repeat(MAX_TOKEN_CHARS)], prefix: true },
    ]);
    expect(parseFrenchQuery('x'.repeat(100_000)).length).toBe(1);
  });
});

describe('frenchQueryToMatch', () => {
  it('quotes every token and stars prefixes', () => {
    expect(frenchQueryToMatch('sécurité l’arbre')).toBe('"securite" * AND "arbre" *');
    expect(frenchQueryToMatch('"ordre du jour"')).toBe('"ordre du jour"');
  });

  it('searches both spellings of œ and æ', () => {
    expect(frenchQueryToMatch('oeuvre')).toBe('("oeuvre" * OR "œuvre" *)');
    expect(frenchQueryToMatch('"mise en œuvre"')).toBe('("mise en oeuvre" OR "mise en œuvre")');
  });

  it('only ever produces quoted strings, *, AND, OR and parentheses', () => {
    const fragments = fc.constantFrom(
      '"',
      "'",
      '’',
      '«',
      '»',
      '*',
      '(',
      ')',
      ':',
      '^',
      '{',
      '}',
      '-',
      '+',
      ' ',
      'NEAR',
      'AND',
      'OR',
      'NOT',
      'body',
      'l’',
      'é',
      'œ',
      '😀',
      '\u0000',
      '\u200B',
    );
    const hostile = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.string({ unit: 'grapheme', maxLength: 80 }),
      fc
        .array(fc.oneof(fragments, fc.string({ maxLength: 6 })), { maxLength: 30 })
        .map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(hostile, (input) => {
        const match = frenchQueryToMatch(input);
        if (match === null) return;
        const outsideStrings = match.replace(/"(?:[^"]|"")*"/g, '');
        expect(outsideStrings).toMatch(/^(?:[ *()]|AND|OR)*$/);
      }),
      { numRuns: 2000 },
    );
  });
});
