// Tokens as the search index sees them, reproduced in JavaScript.
//
// The index uses SQLite's `unicode61` tokenizer with `remove_diacritics 2`: a token is a
// run of letters, digits, marks and private-use characters; everything else (spaces,
// punctuation, both apostrophes ' and ’, emoji) separates tokens; case and accents are
// folded. The modifier-letter apostrophe ʼ (U+02BC) is a letter in Unicode but a
// separator in our index (see search-schema.ts), since some keyboards type it for ’.
//
// The query parser needs the same tokens to build a MATCH expression that means what
// the person typed, and the ranking and snippet code need them to find the matched
// words inside a message body. The index stays the authority on what matches: these
// functions only have to agree with it closely enough to score and highlight.

/** One token of a text, with where it sits in the original string. */
export interface TextToken {
  /** Index of the first UTF-16 unit of the token in the original text. */
  readonly start: number;
  /** Index just past the token in the original text. */
  readonly end: number;
  /** The token folded for comparison (see {@link foldToken}). */
  readonly folded: string;
}

/** A character that is part of a token: letter, digit, mark, private use; not ʼ. */
const TOKEN_CHAR = /^[\p{L}\p{N}\p{M}\p{Co}]$/u;
const MARKS = /\p{M}+/gu;

/**
 * Ligatures that French writes but nobody types: `œuvre` is typed `oeuvre`. unicode61
 * keeps œ and æ as letters of their own, so the query side searches both spellings
 * (see french-query.ts) while JavaScript comparisons fold them to two letters.
 */
const LIGATURES: Readonly<Record<string, string>> = { œ: 'oe', æ: 'ae' };

/** Apostrophes a French text may contain: ASCII, typographic, modifier letter, and the
 * look-alikes people type for them. All of them separate tokens in the index. */
export const APOSTROPHES: ReadonlySet<string> = new Set([
  "'",
  '\u2019', // ’ right single quotation mark (typographic apostrophe)
  '\u2018', // ‘ left single quotation mark (autocorrect mistakes)
  '\u02BC', // ʼ modifier letter apostrophe
  '\u0060', // ` grave accent
  '\u00B4', // ´ acute accent
  '\u2032', // ′ prime
  '\uFF07', // ＇ fullwidth apostrophe
]);

// Tokenizing is on the hot path of every search (the bodies of up to a thousand
// candidate messages are tokenized to rank them), and Unicode property regexes are slow
// in V8 (about 3 ms per thousand messages for a `\p{L}+` match alone). So each code
// point is classified and folded once, then looked up: about 1.5 ms per thousand.
const NOT_SEEN = 0;
const SEPARATOR = 1;
const TOKEN = 2;
const bmpClass = new Uint8Array(0x10000);
const bmpFold: string[] = new Array<string>(0x10000).fill('');
const astralClass = new Map<number, number>();
const astralFold = new Map<number, string>();

function foldCodePoint(char: string): string {
  const folded = char.normalize('NFD').toLowerCase().replace(MARKS, '');
  return LIGATURES[folded] ?? folded;
}

function classOf(codePoint: number): number {
  if (codePoint < 0x10000) {
    let found = bmpClass[codePoint]!;
    if (found === NOT_SEEN) {
      const char = String.fromCharCode(codePoint);
      found = codePoint !== 0x02bc && TOKEN_CHAR.test(char) ? TOKEN : SEPARATOR;
      bmpClass[codePoint] = found;
      bmpFold[codePoint] = foldCodePoint(char);
    }
    return found;
  }
  let found = astralClass.get(codePoint);
  if (found === undefined) {
    const char = String.fromCodePoint(codePoint);
    found = TOKEN_CHAR.test(char) ? TOKEN : SEPARATOR;
    astralClass.set(codePoint, found);
    astralFold.set(codePoint, foldCodePoint(char));
  }
  return found;
}

/** The folded form of a code point already classified. */
function foldOf(codePoint: number): string {
  return (codePoint < 0x10000 ? bmpFold[codePoint] : astralFold.get(codePoint)) ?? '';
}

/** The code point at `index` (a lone surrogate stands for itself). */
function codePointAt(text: string, index: number): number {
  const unit = text.charCodeAt(index);
  if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < text.length) {
    const next = text.charCodeAt(index + 1);
    if (next >= 0xdc00 && next <= 0xdfff)
      return (unit - 0xd800) * 0x400 + (next - 0xdc00) + 0x10000;
  }
  return unit;
}

/**
 * Folds a token for comparison: lower case, accents removed, ligatures expanded.
 * `Sécurité` → `securite`, `Œuvre` → `oeuvre`. Folds code point by code point, exactly
 * as tokenize() does.
 */
export function foldToken(token: string): string {
  let folded = '';
  for (let i = 0; i < token.length;) {
    const codePoint = codePointAt(token, i);
    classOf(codePoint);
    folded += foldOf(codePoint);
    i += codePoint > 0xffff ? 2 : 1;
  }
  return folded;
}

/** The tokens of `text` with their positions, folded; tokens that fold to nothing are
 * skipped (a run of combining marks alone). */
export function tokenize(text: string): TextToken[] {
  const tokens: TextToken[] = [];
  let start = -1;
  let folded = '';
  for (let i = 0; i < text.length;) {
    const codePoint = codePointAt(text, i);
    const width = codePoint > 0xffff ? 2 : 1;
    if (classOf(codePoint) === TOKEN) {
      if (start < 0) start = i;
      folded += foldOf(codePoint);
    } else if (start >= 0) {
      if (folded.length > 0) tokens.push({ start, end: i, folded });
      start = -1;
      folded = '';
    }
    i += width;
  }
  if (start >= 0 && folded.length > 0) tokens.push({ start, end: text.length, folded });
  return tokens;
}

/** The folded tokens of `text` alone: what ranking compares. Same result as
 * tokenize(), without positions; the loop is tokenize's, kept apart for speed. */
export function foldedTokens(text: string): string[] {
  const tokens: string[] = [];
  let folded = '';
  let inToken = false;
  for (let i = 0; i < text.length; i++) {
    let codePoint = text.charCodeAt(i);
    if (codePoint >= 0xd800 && codePoint <= 0xdbff) {
      codePoint = codePointAt(text, i);
      if (codePoint > 0xffff) i++;
    }
    const kind =
      codePoint < 0x10000 ? bmpClass[codePoint] || classOf(codePoint) : classOf(codePoint);
    if (kind === TOKEN) {
      folded += codePoint < 0x10000 ? bmpFold[codePoint] : foldOf(codePoint);
      inToken = true;
    } else if (inToken) {
      if (folded.length > 0) tokens.push(folded);
      folded = '';
      inToken = false;
    }
  }
  if (folded.length > 0) tokens.push(folded);
  return tokens;
}
