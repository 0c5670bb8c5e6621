// The excerpt of a message shown under a search result, with the matched words marked.
//
// A snippet is a list of parts `{ text, match }`, never markup: the UI renders each part
// as text (a matched part inside <mark>), so a message body cannot inject HTML, and it
// cannot forge a highlight either, as it could with in-band markers such as \u0002.
// It is built here from the body rather than by FTS5's snippet(), which returns such
// in-band markers, and so that what is marked is exactly what the query parser meant
// (elisions, ligatures, phrases).
import type { QueryTerm } from './french-query.js';
import { type TextToken, tokenize } from './french-tokens.js';

/** A piece of a snippet: plain text, or text that matched the query. */
export interface SnippetPart {
  readonly text: string;
  readonly match: boolean;
}

/** Tokens of the message shown around the best match. */
export const SNIPPET_TOKENS = 24;
/** A run of text between tokens, or a single token, longer than this is shortened. */
const MAX_PART_CHARS = 80;
/** Tokens kept before the first match, for context. */
const LEAD_TOKENS = 4;
/** Occurrences tried as the start of the window: enough for any real message, and a
 * bound on the work for a huge one. */
const MAX_WINDOW_CANDIDATES = 64;
/** Only the start of a longer body is tokenized (search-index.ts scores the same). */
export const MAX_SCANNED_CHARS = 20_000;
const ELLIPSIS = '…';

/** Control characters (C0, DEL, C1) become spaces: a snippet is one line of text. */
// eslint-disable-next-line no-control-regex
const CONTROL_OR_SPACE_RUN = /[\s\u0000-\u001F\u007F-\u009F]+/g;

/** Where each term occurs in `tokens`: token index ranges [first, last]. */
export function findOccurrences(
  tokens: readonly string[],
  terms: readonly QueryTerm[],
): { term: number; first: number; last: number }[] {
  const found: { term: number; first: number; last: number }[] = [];
  terms.forEach((term, termIndex) => {
    const length = term.tokens.length;
    for (let i = 0; i + length <= tokens.length; i++) {
      if (matchesAt(tokens, i, term))
        found.push({ term: termIndex, first: i, last: i + length - 1 });
    }
  });
  return found;
}

/** Whether `term` occurs in `tokens` starting at `at`. */
export function matchesAt(tokens: readonly string[], at: number, term: QueryTerm): boolean {
  const last = term.tokens.length - 1;
  for (let k = 0; k <= last; k++) {
    const token = tokens[at + k];
    const wanted = term.tokens[k]!;
    if (token === undefined) return false;
    const ok = k === last && term.prefix ? token.startsWith(wanted) : token === wanted;
    if (!ok) return false;
  }
  return true;
}

/** The snippet of `body` for `terms`: the window of tokens holding the most matched
 * terms, ellipses where the body was cut. */
export function buildSnippet(body: string, terms: readonly QueryTerm[]): SnippetPart[] {
  const text = body.length > MAX_SCANNED_CHARS ? body.slice(0, MAX_SCANNED_CHARS) : body;
  const tokens = tokenize(text);
  const occurrences = findOccurrences(
    tokens.map((t) => t.folded),
    terms,
  );
  const start = bestWindowStart(tokens.length, occurrences);
  const end = Math.min(tokens.length, start + SNIPPET_TOKENS); // exclusive, in tokens
  const from = start === 0 ? 0 : tokens[start]!.start;
  const to = end >= tokens.length ? text.length : tokens[end - 1]!.end;

  const marked = markedRanges(tokens, occurrences, start, end);
  const parts: SnippetPart[] = [];
  if (from > 0) parts.push({ text: ELLIPSIS, match: false });
  let cursor = from;
  for (const [markFrom, markTo] of marked) {
    if (markFrom > cursor) parts.push(plain(text.slice(cursor, markFrom), cursor === from, false));
    parts.push({ text: shorten(text.slice(markFrom, markTo)), match: true });
    cursor = markTo;
  }
  if (to > cursor) parts.push(plain(text.slice(cursor, to), cursor === from, true));
  if (to < body.length) parts.push({ text: ELLIPSIS, match: false });
  return merge(parts);
}

/** Writes a snippet as one string, matched parts between `open` and `close`: for the
 * CLI and logs. The UI renders the parts instead. */
export function snippetToString(parts: readonly SnippetPart[], open = '[', close = ']'): string {
  return parts.map((p) => (p.match ? `${open}${p.text}${close}` : p.text)).join('');
}

/** The first token of the window that holds the most distinct terms, then the most
 * occurrences; the earliest such window, starting a few tokens before its first match. */
function bestWindowStart(
  tokenCount: number,
  occurrences: readonly { term: number; first: number; last: number }[],
): number {
  let best = 0;
  let bestTerms = -1;
  let bestCount = -1;
  const lastStart = Math.max(0, tokenCount - SNIPPET_TOKENS);
  const candidates = [...occurrences]
    .sort((a, b) => a.first - b.first)
    .slice(0, MAX_WINDOW_CANDIDATES);
  for (const occurrence of candidates) {
    const start = Math.min(lastStart, Math.max(0, occurrence.first - LEAD_TOKENS));
    const end = start + SNIPPET_TOKENS;
    const inside = occurrences.filter((o) => o.first >= start && o.last < end);
    const distinct = new Set(inside.map((o) => o.term)).size;
    if (
      distinct > bestTerms ||
      (distinct === bestTerms && inside.length > bestCount) ||
      (distinct === bestTerms && inside.length === bestCount && start < best)
    ) {
      best = start;
      bestTerms = distinct;
      bestCount = inside.length;
    }
  }
  return best;
}

/** Character ranges to mark, sorted and merged: a matched phrase is one range, from its
 * first token to its last, spaces included. */
function markedRanges(
  tokens: readonly TextToken[],
  occurrences: readonly { first: number; last: number }[],
  start: number,
  end: number,
): [number, number][] {
  const ranges = occurrences
    .filter((o) => o.first >= start && o.last < end)
    .map((o): [number, number] => [tokens[o.first]!.start, tokens[o.last]!.end])
    .sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const range of ranges) {
    const previous = merged[merged.length - 1];
    if (previous !== undefined && range[0] <= previous[1]) {
      previous[1] = Math.max(previous[1], range[1]);
    } else {
      merged.push([range[0], range[1]]);
    }
  }
  return merged;
}

/** A plain part, whitespace collapsed, shortened on the side away from the matches. */
function plain(text: string, isFirst: boolean, isLast: boolean): SnippetPart {
  const flat = text.replace(CONTROL_OR_SPACE_RUN, ' ');
  if (flat.length <= MAX_PART_CHARS) return { text: flat, match: false };
  // The first part ends at a match: keep its end. A part after the last match, or the
  // whole window when nothing was marked, keeps its start. A part between two matches
  // keeps both ends.
  if (isFirst && !isLast) return { text: ELLIPSIS + tail(flat, MAX_PART_CHARS), match: false };
  if (isLast) return { text: head(flat, MAX_PART_CHARS) + ELLIPSIS, match: false };
  const half = MAX_PART_CHARS / 2;
  return { text: head(flat, half) + ELLIPSIS + tail(flat, half), match: false };
}

function shorten(text: string): string {
  const flat = text.replace(CONTROL_OR_SPACE_RUN, ' ');
  return flat.length <= MAX_PART_CHARS ? flat : head(flat, MAX_PART_CHARS) + ELLIPSIS;
}

/** The first `count` UTF-16 units of `text`, without half a surrogate pair. */
function head(text: string, count: number): string {
  return text.slice(0, count).replace(/[\uD800-\uDBFF]$/, '');
}

/** The last `count` UTF-16 units of `text`, without half a surrogate pair. */
function tail(text: string, count: number): string {
  return text.slice(-count).replace(/^[\uDC00-\uDFFF]/, '');
}

/** Joins neighbouring parts of the same kind and drops empty ones. */
function merge(parts: readonly SnippetPart[]): SnippetPart[] {
  const out: SnippetPart[] = [];
  for (const part of parts) {
    if (part.text.length === 0) continue;
    const previous = out[out.length - 1];
    if (previous !== undefined && previous.match === part.match) {
      out[out.length - 1] = { text: previous.text + part.text, match: part.match };
    } else {
      out.push(part);
    }
  }
  return out;
}
