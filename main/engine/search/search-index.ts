// Searching the messages: what a person typed → ranked results with snippets.
//
// Ranking, and why it is not FTS5's own `ORDER BY rank`:
// FTS5's bm25() scores every row that matches, and before the first score it reads each
// term's whole list to count the rows that hold it. On the bench's 1,000,000 messages,
// `ORDER BY rank LIMIT 20` took 300–850 ms for a word present in 30–60 % of them, and
// bm25() cost up to 35 ms even when only 1,000 rows were scored, for those counts.
// Reading matches newest first and stopping early costs under a millisecond. So:
// 1. take the newest RANK_WINDOW matching messages, which FTS5 reads straight from its
//    lists (`ORDER BY rowid DESC LIMIT`), joined to `messages` for their bodies;
// 2. score them with BM25 (k1 = 1.2, b = 0.75), computed here from their bodies, each
//    term's document frequency estimated from a bounded read (see estimateDocs);
// 3. order them by score, then by recency (sent_at, then local order).
// A search with fewer matches than the window ranks all of them: plain BM25. One with
// more (a very common word) ranks the newest RANK_WINDOW and, past them, goes on with
// older matches newest first: for such words recency is what a person wants, and the
// cost stays bounded whatever the size of the store.
// Why 500: a search's cost is mostly reading those rows (each page decrypted) and
// tokenizing their bodies. On the bench's store, with 200 mixed queries, a window of
// 1,000 gave a CPU p50 of about 20 ms, 500 about 8 ms, 300 about 5 ms, with the same
// tail (phrases of very common words, long prefixes that FTS5 expands in full).
import type Database from 'better-sqlite3-multiple-ciphers';
import { type QueryTerm, ftsString, parseFrenchQuery, termToMatch } from './french-query.js';
import { foldedTokens } from './french-tokens.js';
import { MAX_SCANNED_CHARS, type SnippetPart, buildSnippet, matchesAt } from './snippet.js';

export type { SnippetPart } from './snippet.js';

/** One search result. */
export interface SearchHit {
  /** The message's stable id (`messages.id`). */
  readonly id: string;
  /** Its conversation (`messages.conversation_id`). */
  readonly conversation: string;
  /** Its sender (`messages.sender_id`). */
  readonly from: string;
  /** When it was sent, milliseconds since the epoch. */
  readonly sentAt: number;
  /** An excerpt of the body, matched words marked (see snippet.ts). */
  readonly snippet: SnippetPart[];
}

export interface SearchOptions {
  /** Search this conversation only; all conversations when absent. */
  readonly conversationId?: string;
  /** Results wanted, 1 to MAX_SEARCH_LIMIT; default DEFAULT_SEARCH_LIMIT. */
  readonly limit?: number;
  /** Results to skip, for the next page; at most MAX_SEARCH_OFFSET. */
  readonly offset?: number;
}

export const DEFAULT_SEARCH_LIMIT = 20;
export const MAX_SEARCH_LIMIT = 100;
export const MAX_SEARCH_OFFSET = 10_000;
/** How many of the newest matches are ranked by relevance (see the header). */
export const RANK_WINDOW = 500;

const K1 = 1.2;
const B = 0.75;
/** Matches read to estimate how common a term is (see estimateDocs). */
const DOC_COUNT_SAMPLE = 2000;
/** Larger than any rowid: "no upper bound" for the match statement. */
const NO_BOUND = Number.MAX_SAFE_INTEGER;

/** A matching message, as read for ranking: only what ranking needs. */
interface MatchRow {
  seq: number;
  sentAt: number;
  body: string;
}

/** What a hit shows besides its snippet, read for the page of results only. */
interface HitRow {
  id: string;
  conversation: string;
  sender: string;
}

interface Statements {
  matches: Database.Statement<[MatchParams], MatchRow>;
  hit: Database.Statement<[number], HitRow>;
  conversationKey: Database.Statement<[string], string>;
  sample: Database.Statement<[string, number], { n: number; oldest: number | null }>;
  span: Database.Statement<[], { newest: number | null; oldest: number | null }>;
}

interface MatchParams {
  match: string;
  conversation: string | null;
  before: number;
  limit: number;
  offset: number;
}

const prepared = new WeakMap<Database.Database, Statements>();

function statements(db: Database.Database): Statements {
  let found = prepared.get(db);
  if (found === undefined) {
    found = {
      // FTS5 drives the loop newest first and stops at LIMIT (the plan reads
      // `SCAN messages_fts VIRTUAL TABLE`, then `SEARCH m USING INTEGER PRIMARY KEY`). The
      // join and `m.body IS NOT NULL` hide entries a bypassed trigger would leave (see
      // search-schema.ts); the conversation test on `m` is a safeguard, the MATCH on the
      // conversation key does the narrowing.
      matches: db.prepare<[MatchParams], MatchRow>(`
        SELECT m.seq, m.sent_at AS sentAt, m.body
        FROM messages_fts JOIN messages AS m ON m.seq = messages_fts.rowid
        WHERE messages_fts MATCH :match AND messages_fts.rowid < :before
          AND m.body IS NOT NULL
          AND (:conversation IS NULL OR m.conversation_id = :conversation)
        ORDER BY messages_fts.rowid DESC
        LIMIT :limit OFFSET :offset`),
      hit: db.prepare<[number], HitRow>(`
        SELECT id, conversation_id AS conversation, sender_id AS sender
        FROM messages WHERE seq = ?`),
      sample: db.prepare<[string, number], { n: number; oldest: number | null }>(`
        SELECT count(*) AS n, min(rowid) AS oldest FROM (
          SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?
          ORDER BY rowid DESC LIMIT ?)`),
      // The key as the triggers compute it, so that it agrees whatever the encoding.
      conversationKey: db.prepare<[string], string>(`SELECT hex(?)`).pluck(),
      span: db.prepare<[], { newest: number | null; oldest: number | null }>(`
        SELECT (SELECT max(seq) FROM messages) AS newest,
               (SELECT min(seq) FROM messages) AS oldest`),
    };
    prepared.set(db, found);
  }
  return found;
}

/**
 * Searches message bodies for what a person typed (see french-query.ts for what it
 * means), in all conversations or in `conversationId`. Returns at most `limit` hits,
 * best first (see the header), from `offset` on. Nothing to search for (empty input,
 * only punctuation) gives no hits. Never throws because of the query text or options;
 * throws only if the database itself fails.
 */
export function search(
  db: Database.Database,
  query: string,
  options: SearchOptions = {},
): SearchHit[] {
  const terms = parseFrenchQuery(query);
  if (terms.length === 0) return [];
  const limit = clampInteger(options.limit, 1, MAX_SEARCH_LIMIT, DEFAULT_SEARCH_LIMIT);
  const offset = clampInteger(options.offset, 0, MAX_SEARCH_OFFSET, 0);
  const conversation = options.conversationId ?? null;
  const { matches, hit, conversationKey } = statements(db);
  const key = conversation === null ? null : conversationKey.get(conversation);
  const match = matchExpression(terms, key ?? null);

  const window = matches.all({
    match,
    conversation,
    before: NO_BOUND,
    limit: RANK_WINDOW,
    offset: 0,
  });
  const ranked = rank(db, window, terms);
  const page = ranked.slice(offset, offset + limit);
  const oldest = window[window.length - 1];
  if (page.length < limit && window.length === RANK_WINDOW && oldest !== undefined) {
    page.push(
      ...matches.all({
        match,
        conversation,
        before: oldest.seq,
        limit: limit - page.length,
        offset: Math.max(0, offset - window.length),
      }),
    );
  }
  return page.flatMap((row) => {
    const shown = hit.get(row.seq);
    if (shown === undefined) return [];
    return [
      {
        id: shown.id,
        conversation: shown.conversation,
        from: shown.sender,
        sentAt: row.sentAt,
        snippet: buildSnippet(row.body, terms),
      },
    ];
  });
}

/** The MATCH expression: the terms in the body, and the conversation's key (see
 * search-schema.ts) if one is given. An empty id has an empty key: the join filters. */
function matchExpression(terms: readonly QueryTerm[], conversationKey: string | null): string {
  const body = `{body} : (${terms.map(termToMatch).join(' AND ')})`;
  if (conversationKey === null || conversationKey === '') return body;
  return `${body} AND {conversation_key} : ${ftsString(conversationKey)}`;
}

/** Orders rows by BM25 over `terms`, then newest first. */
function rank(db: Database.Database, rows: MatchRow[], terms: readonly QueryTerm[]): MatchRow[] {
  if (rows.length === 0) return rows;
  const weights = termWeights(db, terms);
  const tokenLists = rows.map((row) =>
    foldedTokens(
      row.body.length > MAX_SCANNED_CHARS ? row.body.slice(0, MAX_SCANNED_CHARS) : row.body,
    ),
  );
  const averageLength = Math.max(1, tokenLists.reduce((sum, t) => sum + t.length, 0) / rows.length);
  const scores = new Map<MatchRow, number>();
  rows.forEach((row, i) => {
    const tokens = tokenLists[i]!;
    const norm = K1 * (1 - B + (B * tokens.length) / averageLength);
    let score = 0;
    terms.forEach((term, t) => {
      const frequency = termFrequency(tokens, term);
      if (frequency > 0) score += (weights[t]! * (frequency * (K1 + 1))) / (frequency + norm);
    });
    scores.set(row, score);
  });
  return [...rows].sort(
    (a, b) => scores.get(b)! - scores.get(a)! || b.sentAt - a.sentAt || b.seq - a.seq,
  );
}

function termFrequency(tokens: readonly string[], term: QueryTerm): number {
  let count = 0;
  for (let i = 0; i + term.tokens.length <= tokens.length; i++) {
    if (matchesAt(tokens, i, term)) count++;
  }
  return count;
}

/** BM25's inverse document frequency of each term. With one term it would only scale
 * every score alike, so it is not computed. */
function termWeights(db: Database.Database, terms: readonly QueryTerm[]): number[] {
  if (terms.length === 1) return [1];
  const { sample, span } = statements(db);
  const bounds = span.get();
  const newest = bounds?.newest ?? 0;
  const total = Math.max(1, newest - (bounds?.oldest ?? newest) + 1);
  return terms.map((term) => {
    const docs = estimateDocs(sample, term, newest, total);
    return Math.log(1 + (total - docs + 0.5) / (docs + 0.5));
  });
}

/**
 * How many messages hold `term`, without counting them all: reads its newest
 * DOC_COUNT_SAMPLE matches; if there are fewer, that is the count, else the count is
 * extrapolated from how far back in the store the sample reaches. Messages are spread
 * evenly enough over time for a weight that only has to tell rare from common.
 */
function estimateDocs(
  sample: Statements['sample'],
  term: QueryTerm,
  newest: number,
  total: number,
): number {
  const found = sample.get(`{body} : ${termToMatch(term)}`, DOC_COUNT_SAMPLE);
  const n = found?.n ?? 0;
  if (n < DOC_COUNT_SAMPLE || found?.oldest === null || found?.oldest === undefined) {
    return Math.max(n, 1);
  }
  const reach = Math.max(1, newest - found.oldest + 1);
  return Math.min(total, Math.max(n, (n * total) / reach));
}

function clampInteger(
  value: number | undefined,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === undefined || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.trunc(value)));
}
