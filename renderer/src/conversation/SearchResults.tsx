// Messages found by the engine's full-text search, with the words found marked;
// choosing one opens its conversation at that message.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ApiError, SearchHit } from '../api/types.js';
import { formatListTime } from '../i18n/format.js';
import { describeError } from '../i18n/i18n.js';
import { useAppState, useController } from '../state/context.js';

const SEARCH_DELAY_MS = 150;

export function SearchResults({ query }: { query: string }) {
  const { t } = useTranslation();
  const controller = useController();
  const conversations = useAppState((s) => s.conversations);
  const [hits, setHits] = useState<readonly SearchHit[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    let cancelled = false;
    setHits(null);
    const timer = setTimeout(() => {
      void controller.api.search(query, { limit: 50 }).then((result) => {
        if (cancelled) return;
        if (result.ok) {
          setHits(result.value);
          setError(null);
        } else {
          setHits([]);
          setError(result.error);
        }
      });
    }, SEARCH_DELAY_MS);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [controller, query]);

  const titleOf = (id: string) => conversations.find((c) => c.id === id)?.title ?? '';
  return (
    <section
      className="search-results"
      aria-labelledby="search-results-title"
      aria-busy={hits === null}
    >
      <h2 id="search-results-title" className="list-subtitle">
        {t('search.heading')}
      </h2>
      <p role="status" className="search-status">
        {hits === null
          ? t('search.searching')
          : error
            ? describeError(error)
            : hits.length === 0
              ? t('search.none', { query })
              : t('search.results', { count: hits.length })}
      </p>
      {hits && hits.length > 0 && (
        <ul className="hit-list">
          {hits.map((hit) => (
            <li key={hit.id}>
              <button
                type="button"
                className="hit"
                data-message-id={hit.id}
                onClick={() => void controller.reveal(hit.conversationId, hit.id)}
              >
                <span className="row-top">
                  <span className="row-title">{titleOf(hit.conversationId)}</span>
                  <time className="row-time">{formatListTime(hit.sentAt)}</time>
                </span>
                <span className="hit-snippet">
                  {hit.snippet.map((piece, i) =>
                    piece.match ? (
                      <mark key={i}>{piece.text}</mark>
                    ) : (
                      <span key={i}>{piece.text}</span>
                    ),
                  )}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
