// The list of conversations: a search box that filters them by name and searches
// every message, unread counts, the last message, its time, drafts marked.
import { useDeferredValue, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ConversationView } from '../api/types.js';
import { Avatar } from '../design/Avatar.js';
import { IconButton } from '../design/Button.js';
import { Icon } from '../design/Icon.js';
import { formatDuration, formatListTime } from '../i18n/format.js';
import { NewGroupDialog } from '../groups/NewGroupDialog.js';
import { useAppState, useController } from '../state/context.js';
import { timerNoticeText } from './MessageItem.js';
import { SearchResults } from './SearchResults.js';

function Preview({ conversation }: { conversation: ConversationView }) {
  const { t } = useTranslation();
  const last = conversation.lastMessage;
  if (conversation.draft) {
    return (
      <span className="preview">
        <span className="draft-mark">{t('conversations.draft')}</span> {conversation.draft}
      </span>
    );
  }
  if (!last) return <span className="preview" />;
  const file = last.attachments?.[0];
  if (last.kind === 'timer') {
    return (
      <span className="preview">
        {timerNoticeText(last, (userId) => conversation.title || userId, t)}
      </span>
    );
  }
  const text =
    last.deletedAt !== null
      ? t('conversations.deleted')
      : last.text ||
        (file
          ? t(file.type.startsWith('image/') ? 'conversations.photo' : 'conversations.attachment', {
              name: file.name,
            })
          : '');
  return (
    <span className="preview">
      {last.outgoing && <span className="preview-you">{t('conversations.youPrefix')}</span>}
      {text}
    </span>
  );
}

function Row({ conversation, selected }: { conversation: ConversationView; selected: boolean }) {
  const { t } = useTranslation();
  const controller = useController();
  const time = conversation.lastMessage?.sentAt ?? conversation.lastActivityAt;
  return (
    <li>
      <button
        type="button"
        className="conversation-row"
        aria-current={selected ? 'true' : undefined}
        data-conversation-id={conversation.id}
        data-unread={conversation.unreadCount > 0}
        onClick={() => void controller.open(conversation.id)}
      >
        <Avatar name={conversation.title} group={conversation.kind === 'group'} />
        <span className="row-main">
          <span className="row-top">
            <span className="row-title">
              {conversation.kind === 'group' && <Icon name="group" className="inline-icon" />}
              {conversation.title}
              {conversation.expireSeconds > 0 && (
                <span
                  className="row-timer"
                  title={t('disappearing.buttonOn', {
                    duration: formatDuration(conversation.expireSeconds),
                  })}
                >
                  <Icon name="timer" className="inline-icon" />
                </span>
              )}
            </span>
            <time className="row-time" dateTime={new Date(time).toISOString()}>
              {formatListTime(time)}
            </time>
          </span>
          <span className="row-bottom">
            <Preview conversation={conversation} />
            {conversation.unreadCount > 0 && (
              <span className="badge badge-count">
                <span aria-hidden="true">{conversation.unreadCount}</span>
                <span className="visually-hidden">
                  {t('conversations.unread', { count: conversation.unreadCount })}
                </span>
              </span>
            )}
          </span>
        </span>
      </button>
    </li>
  );
}

export function ConversationList() {
  const { t } = useTranslation();
  const conversations = useAppState((s) => s.conversations);
  const loaded = useAppState((s) => s.conversationsLoaded);
  const selected = useAppState((s) => s.selected);
  const [query, setQuery] = useState('');
  const [newGroup, setNewGroup] = useState(false);
  const deferred = useDeferredValue(query.trim());
  const folded = deferred.toLocaleLowerCase().normalize('NFD').replace(/\p{M}/gu, '');
  const shown = folded
    ? conversations.filter((c) =>
        c.title.toLocaleLowerCase().normalize('NFD').replace(/\p{M}/gu, '').includes(folded),
      )
    : conversations;

  return (
    <section className="list-column" aria-labelledby="conversations-title">
      <div className="list-header">
        <h1 id="conversations-title">{t('conversations.title')}</h1>
        <IconButton
          icon="plus"
          label={t('conversations.newGroup')}
          onClick={() => setNewGroup(true)}
        />
      </div>
      <div className="search-box" role="search">
        <Icon name="search" />
        <input
          type="search"
          className="input"
          aria-label={t('conversations.filter')}
          aria-describedby="search-hint"
          placeholder={t('conversations.filter')}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
        <span id="search-hint" className="visually-hidden">
          {t('conversations.filterHint')}
        </span>
      </div>
      <div className="list-scroll">
        {deferred && <SearchResults query={deferred} />}
        {loaded && conversations.length === 0 && (
          <p className="empty">{t('conversations.empty')}</p>
        )}

        <ul className="conversation-list" aria-label={t('conversations.listLabel')}>
          {shown.map((c) => (
            <Row key={c.id} conversation={c} selected={c.id === selected} />
          ))}
        </ul>
      </div>
      {newGroup && <NewGroupDialog onClose={() => setNewGroup(false)} />}
    </section>
  );
}
