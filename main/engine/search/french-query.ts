// What a person types in the search box, turned into a safe FTS5 MATCH expression.
//
// The expression is never built from the input's own syntax: the input is cut into
// tokens (french-tokens.ts) and every token goes into the expression as a quoted FTS5
// string, so quotes, stars, parentheses, colons, NEAR, AND/OR/NOT and `^` typed by a
// person are plain text, and no input can make FTS5 raise a syntax error.
//
// Meaning, chosen for French:
// - accents and case never matter (`securite` finds `Sécurité`): the index folds them;
// - an elided article or pronoun is dropped (`l'arbre`, `l’arbre` and `arbre` are the
//   same search, `d'école` finds `école`), since the index splits `l'arbre` into `l` +
//   `arbre` and `l` alone would match half the messages;
// - every bare word is a prefix (`minist` finds `ministère`, `rapport` finds
//   `rapports`), except one-letter words, which match exactly (a one-letter prefix would
//   expand to a large part of the vocabulary, and `à` or `y` are words);
// - a word made of parts (`peut-être`, `aujourd'hui`, `agent·e·s`, `jean.dupont@x.fr`)
//   is a phrase of those parts, its last part a prefix;
// - several words = all of them, in any order;
// - text between quotes ("…", “…”, «…») is a phrase matched exactly, word for word;
//   a quote left open runs to the end of the input (so a phrase being typed works);
// - `œ` and `æ` are searched under both spellings (`oeuvre` finds `œuvre`).
import { APOSTROPHES, tokenize } from './french-tokens.js';

/** One thing to find: a word (one token) or a phrase (several, in order). */
export interface QueryTerm {
  /** Folded tokens (see foldToken), in order. Never empty. */
  readonly tokens: readonly string[];
  /** Whether the last token matches as a prefix. */
  readonly prefix: boolean;
}

/** Inputs longer than this are cut (in UTF-16 units). */
export const MAX_QUERY_CHARS = 500;
/** Terms beyond this many are dropped: more words narrow a search, not widen it. */
export const MAX_QUERY_TERMS = 8;
/** A phrase longer than this keeps its first tokens, the last one as a prefix. */
export const MAX_PHRASE_TOKENS = 16;
/** A token longer than this is cut and becomes a prefix. */
export const MAX_TOKEN_CHARS = 48;

/** Articles and pronouns that French elides before a vowel: `l'`, `d'`, `qu'`, `jusqu'`…
 * (`quelqu'un` and `aujourd'hui` are words, not elisions.) */
const ELISIONS: ReadonlySet<string> = new Set([
  'l',
  'd',
  'j',
  'm',
  'n',
  's',
  't',
  'c',
  'qu',
  'jusqu',
  'lorsqu',
  'puisqu',
  'quoiqu',
]);

const QUOTES: ReadonlySet<string> = new Set([
  '"',
  '\u201C', // “
  '\u201D', // ”
  '\u201E', // „
  '\u00AB', // «
  '\u00BB', // »
]);

/**
 * A word: token characters and the characters that join the parts of one word
 * (the apostrophes of french-tokens.ts, hyphens, dots, `@`, `/`, `:` of hours, `_`, and
 * the middle dot of inclusive writing, `agent·e·s`). Anything else separates words.
 */
const WORD = /(?:(?!\u02BC)[\p{L}\p{N}\p{M}\p{Co}]|['’‘ʼ`´′＇‐‑.@/:_·-])+/gu;

/** A prefix shorter than this matches exactly: see the header. */
const MIN_PREFIX_CHARS = 2;

/** Cuts what a person typed into the terms to search for. Never throws. */
export function parseFrenchQuery(input: string): QueryTerm[] {
  const text = cutAt(String(input).normalize('NFC'), MAX_QUERY_CHARS);
  const terms: QueryTerm[] = [];
  const seen = new Set<string>();
  const add = (term: QueryTerm | null) => {
    if (term === null || terms.length >= MAX_QUERY_TERMS) return;
    const key = `${term.tokens.join(' ')}${term.prefix ? '*' : ''}`;
    if (seen.has(key)) return;
    seen.add(key);
    terms.push(term);
  };
  for (const segment of splitQuotes(text)) {
    if (segment.quoted) {
      add(phraseTerm(tokenize(segment.text).map((t) => t.folded)));
    } else {
      for (const word of segment.text.matchAll(WORD)) add(wordTerm(word[0]));
    }
  }
  return terms;
}

/**
 * The FTS5 expression for `terms` (all of them must match), without a column filter,
 * or null when there is nothing to search for. Safe to pass to MATCH: only quoted
 * strings, `*`, `AND`, `OR` and parentheses.
 */
export function termsToMatch(terms: readonly QueryTerm[]): string | null {
  if (terms.length === 0) return null;
  return terms.map(termToMatch).join(' AND ');
}

/** What a person typed, as an FTS5 expression; null when there is nothing to search. */
export function frenchQueryToMatch(input: string): string | null {
  return termsToMatch(parseFrenchQuery(input));
}

/** One term as FTS5 syntax: `"a b" *`, or both spellings of a ligature in parentheses. */
export function termToMatch(term: QueryTerm): string {
  const plain = term.tokens.join(' ');
  const spellings = [plain];
  const ligatured = plain.replace(/oe/g, 'œ').replace(/ae/g, 'æ');
  if (ligatured !== plain) spellings.push(ligatured);
  const star = term.prefix ? ' *' : '';
  const strings = spellings.map((s) => `${ftsString(s)}${star}`);
  return strings.length === 1 ? strings[0]! : `(${strings.join(' OR ')})`;
}

/** An FTS5 string literal: double quotes, inner double quotes doubled, NUL (which would
 * end the expression early for FTS5) replaced by a space. */
export function ftsString(text: string): string {
  return `"${text.replace(/"/g, '""').replace(/\0/g, ' ')}"`;
}

/** A bare word: its parts without a leading elision, a prefix on the last one. */
function wordTerm(word: string): QueryTerm | null {
  const parts = tokenize(word);
  const first = parts[0];
  // `l'` alone (a word still being typed) is dropped too: it says nothing yet.
  if (
    first !== undefined &&
    ELISIONS.has(first.folded) &&
    APOSTROPHES.has(word.charAt(first.end))
  ) {
    parts.shift();
  }
  const tokens = parts.map((t) => t.folded);
  return limitTerm(tokens, true);
}

/** A quoted phrase: its tokens in order, matched exactly. */
function phraseTerm(tokens: string[]): QueryTerm | null {
  return limitTerm(tokens, false);
}

/** Applies the length limits; a cut token or phrase becomes a prefix of itself. */
function limitTerm(tokens: readonly string[], prefix: boolean): QueryTerm | null {
  let kept = tokens.slice(0, MAX_PHRASE_TOKENS);
  let isPrefix = prefix || kept.length < tokens.length;
  const cutIndex = kept.findIndex((t) => t.length > MAX_TOKEN_CHARS);
  if (cutIndex >= 0) {
    kept = kept.slice(0, cutIndex + 1);
    kept[cutIndex] = cutAt(kept[cutIndex]!, MAX_TOKEN_CHARS);
    isPrefix = true;
  }
  const last = kept[kept.length - 1];
  if (last === undefined) return null;
  if ([...last].length < MIN_PREFIX_CHARS) isPrefix = false;
  return { tokens: kept, prefix: isPrefix };
}

interface Segment {
  readonly text: string;
  readonly quoted: boolean;
}

/** Splits on quote marks; every quote mark opens or closes a phrase, and an unclosed
 * phrase runs to the end. */
function splitQuotes(text: string): Segment[] {
  const segments: Segment[] = [];
  let quoted = false;
  let current = '';
  for (const char of text) {
    if (QUOTES.has(char)) {
      segments.push({ text: current, quoted });
      current = '';
      quoted = !quoted;
    } else {
      current += char;
    }
  }
  segments.push({ text: current, quoted });
  return segments;
}

/** `text` cut to at most `max` UTF-16 units without splitting a surrogate pair. */
function cutAt(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}
