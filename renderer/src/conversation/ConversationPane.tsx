// The open conversation: its header (safety number or members), a warning when
// the peer's key changed, a banner when the peer is away (who stands in for them, and a
// button to write to that colleague), the messages, who is typing, and the composer. Files can
// be dropped anywhere on it; they leave with the options chosen in the composer
// (acknowledgement, « Mention », signed document).
import { type DragEvent, useCallback, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { DelegationView } from '../api/types.js';
import { useCurrentAbsence } from '../contacts/absence.js';
import { WriteToDelegate } from '../contacts/WriteToDelegate.js';
import { Avatar } from '../design/Avatar.js';
import { Button } from '../design/Button.js';
import { Icon } from '../design/Icon.js';
import { GroupMembersDialog } from '../groups/GroupMembersDialog.js';
import { useAppState, useController } from '../state/context.js';
import { formatDayMonth, formatDuration } from '../i18n/format.js';
import { Composer, type DropTarget } from './Composer.js';
import { DisappearingDialog } from './DisappearingDialog.js';
import { MessageList } from './MessageList.js';

/**
 * « Amina est absent(e) jusqu'au 5 décembre. Intérim : Jean Dupont. » with « Écrire à Jean
 * Dupont »; gone once the date has passed (the engine stops giving it too).
 */
function AbsenceBanner({ name, declared }: { name: string; declared: DelegationView }) {
  const { t } = useTranslation();
  const me = useAppState((s) => s.account?.userId);
  const delegate = useAppState(
    (s) =>
      s.contacts?.find((c) => c.userId === declared.delegateId)?.displayName ??
      declared.delegateName,
  );
  const absence = useCurrentAbsence(declared);
  if (!absence) return null;
  const date = formatDayMonth(absence.until, 'long');
  const mine = absence.delegateId === me;
  return (
    <div className="alert alert-info absence-banner" data-testid="absence-banner">
      <Icon name="clock" />
      <p>
        {mine
          ? t('conversation.absenceYou', { name, date })
          : t('conversation.absence', { name, date, delegate })}
      </p>
      {!mine && <WriteToDelegate delegateId={absence.delegateId} name={delegate} />}
    </div>
  );
}

export function ConversationPane() {
  const { t } = useTranslation();
  const controller = useController();
  const selected = useAppState((s) => s.selected);
  const conversation = useAppState((s) => s.conversations.find((c) => c.id === s.selected));
  const pending = useAppState((s) => (s.selected ? s.pendingDirect[s.selected] : undefined));
  const thread = useAppState((s) => (s.selected ? s.threads[s.selected] : undefined));
  const contacts = useAppState((s) => s.contacts);
  const account = useAppState((s) => s.account);
  const changedKeys = useAppState((s) => s.changedKeys);
  const typing = useAppState((s) => (s.selected ? s.typing[s.selected] : undefined));
  const [dragging, setDragging] = useState(false);
  const [members, setMembers] = useState(false);
  const [timer, setTimer] = useState(false);
  const dropTarget: DropTarget = useRef(null);

  // Depends on the conversation's peer and title only: the conversation itself is a new
  // object at each refresh of the list (its last message, its unread count), and a new
  // `nameOf` would draw every message in view again.
  const directPeer = conversation?.kind === 'direct' ? conversation.peerUserId : null;
  const conversationTitle = conversation?.title;
  const nameOf = useCallback(
    (userId: string) => {
      if (userId === account?.userId) return account.displayName;
      return (
        contacts?.find((c) => c.userId === userId)?.displayName ??
        (directPeer === userId && conversationTitle !== undefined ? conversationTitle : userId)
      );
    },
    [contacts, account, directPeer, conversationTitle],
  );

  if (!selected || (!conversation && !pending)) {
    return (
      <div className="pane-placeholder">
        <Icon name="chat" className="placeholder-icon" />
        <p>{t('conversation.placeholder')}</p>
      </div>
    );
  }
  const title = conversation?.title ?? pending!.title;
  const isGroup = conversation?.kind === 'group';
  const peer =
    conversation?.kind === 'direct' ? conversation.peerUserId : (pending?.userId ?? null);
  const contact = peer ? contacts?.find((c) => c.userId === peer) : undefined;
  const keyChanged =
    peer !== null && (changedKeys.includes(peer) || contact?.identityChanged === true);
  // The engine says whether the peer of a 1:1 is away; before the conversation exists,
  // the directory does.
  const absence =
    conversation?.kind === 'direct'
      ? conversation.absence
      : pending
        ? contact?.delegation
        : undefined;

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    const toComposer = dropTarget.current;
    if (toComposer) toComposer(event.dataTransfer.files);
    else for (const file of event.dataTransfer.files) void controller.sendFile(selected, file);
  };

  return (
    <section
      className="conversation"
      aria-labelledby="conversation-title"
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes('Files')) {
          e.preventDefault();
          setDragging(true);
        }
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setDragging(false);
      }}
      onDrop={onDrop}
    >
      <header className="conversation-header">
        <Avatar name={title} group={isGroup} />
        <div className="conversation-heading">
          <h2 id="conversation-title">{title}</h2>
          {contact && (
            <p className="subtitle">
              {contact.title}
              {contact.title && contact.institution ? ' · ' : ''}
              {contact.institution}
            </p>
          )}
        </div>
        {conversation?.channel && (
          <span className="badge" data-testid="channel-badge">
            <Icon name="group" className="badge-icon" />
            {t('groups.channel')}
          </span>
        )}
        {contact?.verified && !keyChanged && (
          <span className="badge badge-success">
            <Icon name="shieldCheck" className="badge-icon" />
            {t('contacts.verified')}
          </span>
        )}
        {peer && (
          <Button small variant="ghost" icon="shield" onClick={() => controller.openSafety(peer)}>
            {t('conversation.contactCard')}
          </Button>
        )}
        {conversation && (
          <Button
            small
            variant="ghost"
            icon="timer"
            className={conversation.expireSeconds > 0 ? 'timer-on' : ''}
            onClick={() => setTimer(true)}
          >
            {conversation.expireSeconds > 0
              ? t('disappearing.buttonOn', { duration: formatDuration(conversation.expireSeconds) })
              : t('disappearing.button')}
          </Button>
        )}
        {isGroup && (
          <Button small variant="ghost" icon="group" onClick={() => setMembers(true)}>
            {t('conversation.members')}
          </Button>
        )}
      </header>
      {keyChanged && peer && (
        <div className="alert alert-warning key-warning" role="alert">
          <Icon name="alert" />
          <p>{t('conversation.keyChanged', { name: title })}</p>
          <Button small onClick={() => controller.openSafety(peer)}>
            {t('conversation.verifyNow')}
          </Button>
        </div>
      )}
      {absence && <AbsenceBanner key={peer} name={title} declared={absence} />}
      {thread ? (
        <MessageList
          conversationId={selected}
          title={title}
          isGroup={isGroup}
          thread={thread}
          nameOf={nameOf}
        />
      ) : (
        <div className="message-list message-list-empty" aria-busy="true" />
      )}
      <p className="typing" aria-live="polite">
        {typing && typing.length > 0
          ? t('conversation.typing', { name: typing.map(nameOf).join(', ') })
          : ''}
      </p>
      <Composer
        key={selected}
        conversationId={selected}
        messages={thread?.messages ?? []}
        nameOf={nameOf}
        dropTarget={dropTarget}
      />
      {dragging && (
        <div className="drop-overlay" aria-hidden="true">
          <Icon name="attach" />
          <p>{t('composer.dropHere')}</p>
        </div>
      )}
      {timer && conversation && (
        <DisappearingDialog conversation={conversation} onClose={() => setTimer(false)} />
      )}
      {members && conversation && (
        <GroupMembersDialog conversation={conversation} onClose={() => setMembers(false)} />
      )}
    </section>
  );
}
