// One message: day separator and "new messages" marker when due, the sender in
// groups, its classification band, the quote of a reply, the text (or its
// deletion), files (with the seal of a signed document), time, edit
// mark, delivery state, reactions, and the actions of a message (reply, react,
// edit, delete) reachable by mouse and keyboard.
import { memo, useState } from 'react';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import type { AttachmentView, MessageView } from '../api/types.js';
import { Button, IconButton } from '../design/Button.js';
import { Icon } from '../design/Icon.js';
import { ProgressBar } from '../design/ProgressBar.js';
import { DocumentSeal } from '../documents/DocumentSeal.js';
import {
  dayLabel,
  formatDuration,
  formatMoment,
  formatSize,
  formatTime,
  startOfDay,
} from '../i18n/format.js';
import { classificationName, describeError } from '../i18n/i18n.js';
import { ClassificationBand } from './Classification.js';
import { labelOf } from './labels.js';

export const REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'] as const;

export interface MessageItemProps {
  message: MessageView;
  previous: MessageView | undefined;
  quoted: MessageView | null | undefined;
  isGroup: boolean;
  /** A broadcast channel where I do not post: no reply, no reaction. */
  readOnly: boolean;
  firstUnread: boolean;
  active: boolean;
  highlighted: boolean;
  myUserId: string;
  nameOf: (userId: string) => string;
  transfer: ((attachmentId: string) => { transferred: number; size: number } | undefined) | null;
  onReply: (message: MessageView) => void;
  onEdit: (message: MessageView) => void;
  onDelete: (message: MessageView) => void;
  onForward: (message: MessageView) => void;
  onReact: (message: MessageView, emoji: string) => void;
  onQuoteClick: (messageId: string) => void;
  onDownload: (message: MessageView, attachment: AttachmentView) => void;
  onView: (message: MessageView, attachment: AttachmentView) => void;
  onAcknowledge: (message: MessageView) => void;
}

function StatusMark({ message }: { message: MessageView }) {
  const { t } = useTranslation();
  const label =
    message.status === 'refused' && message.refusalReason
      ? t('message.refusedBecause', { reason: message.refusalReason })
      : t(`message.status.${message.status}`);
  const icon =
    message.status === 'waiting'
      ? 'clock'
      : message.status === 'sent'
        ? 'check'
        : message.status === 'refused'
          ? 'alert'
          : 'checks';
  return (
    <span className={`status status-${message.status}`} title={label} data-testid="status">
      <Icon name={icon} />
      <span className="visually-hidden">{label}</span>
    </span>
  );
}

/** The hourglass of a disappearing message: when it goes, or how long after it is read. */
function ExpiryMark({ message }: { message: MessageView }) {
  const { t } = useTranslation();
  if (message.expireSeconds === undefined) return null;
  const label =
    message.expiresAt !== undefined
      ? t('disappearing.goesAt', { time: formatMoment(message.expiresAt) })
      : t('disappearing.afterRead', { duration: formatDuration(message.expireSeconds) });
  return (
    <span className="expiry" title={label} data-testid="expiry">
      <Icon name="timer" />
      <span className="visually-hidden">{label}</span>
    </span>
  );
}

/**
 * "Pris connaissance": on a message that asked for it, who acknowledged it (signed,
 * checked by the engine), and for a recipient who has not yet, the button to do so.
 */
function AcknowledgementBlock({
  message,
  myUserId,
  nameOf,
  onAcknowledge,
  tabIndex,
}: {
  message: MessageView;
  myUserId: string;
  nameOf: (userId: string) => string;
  onAcknowledge: () => void;
  tabIndex: number;
}) {
  const { t } = useTranslation();
  const ack = message.acknowledgement;
  if (!ack) return null;
  const mine = ack.by.find((b) => b.userId === myUserId);
  const others = ack.by.filter((b) => b.userId !== myUserId);
  return (
    <div
      className="acknowledgement"
      data-testid="acknowledgement"
      title={t('acknowledgement.signedHint')}
    >
      <p className="acknowledgement-title">
        <Icon name="shieldCheck" /> {t('acknowledgement.requested')}
      </p>
      {message.outgoing &&
        (others.length === 0 ? (
          <p className="acknowledgement-list">{t('acknowledgement.none')}</p>
        ) : (
          <p className="acknowledgement-list">
            {t('acknowledgement.by', {
              list: others
                .map((b) =>
                  t('acknowledgement.entry', { name: nameOf(b.userId), time: formatMoment(b.at) }),
                )
                .join(', '),
            })}
          </p>
        ))}
      {!message.outgoing &&
        (mine ? (
          <p className="acknowledgement-done">
            {t('acknowledgement.done', { time: formatMoment(mine.at) })}
          </p>
        ) : (
          message.deletedAt === null && (
            <Button small variant="primary" tabIndex={tabIndex} onClick={onAcknowledge}>
              {t('acknowledgement.acknowledge')}
            </Button>
          )
        ))}
    </div>
  );
}

/** "Amina set disappearing messages to 1 day.": a timer change, in the flow of messages. */
export function timerNoticeText(
  message: MessageView,
  nameOf: (userId: string) => string,
  t: TFunction,
): string {
  const seconds = message.expireSeconds ?? 0;
  const duration = formatDuration(seconds);
  if (message.outgoing) {
    return seconds === 0 ? t('disappearing.youOff') : t('disappearing.youSet', { duration });
  }
  const name = message.senderName ?? nameOf(message.senderId);
  return seconds === 0
    ? t('disappearing.theyOff', { name })
    : t('disappearing.theySet', { name, duration });
}

function Attachment({
  attachment,
  incoming,
  progress,
  onDownload,
  onView,
  tabIndex,
}: {
  attachment: AttachmentView;
  incoming: boolean;
  progress: { transferred: number; size: number } | undefined;
  onDownload: () => void;
  onView: () => void;
  tabIndex: number;
}) {
  const { t } = useTranslation();
  const transferred = Math.max(progress?.transferred ?? 0, attachment.transferred);
  // The engine says "downloading" for a received file not fetched yet: it moves only once asked.
  const moving =
    (attachment.state === 'uploading' || attachment.state === 'downloading') &&
    transferred > 0 &&
    transferred < attachment.size;
  const state =
    incoming && attachment.state === 'downloading' && !moving ? 'ready' : attachment.state;
  const row = (
    <div className="attachment" data-attachment-id={attachment.id} data-state={attachment.state}>
      <Icon name="file" />
      <div className="attachment-main">
        <span className="attachment-name">{attachment.name}</span>
        <span className="attachment-meta">
          {moving
            ? t('message.transfer', {
                done: formatSize(transferred),
                size: formatSize(attachment.size),
              })
            : formatSize(attachment.size)}{' '}
          ·{' '}
          {attachment.state === 'failed' && attachment.failure
            ? describeError({ code: attachment.failure, message: '' })
            : t(`message.attachmentState.${state}`)}
        </span>
        {(moving || attachment.state === 'uploading') && (
          <ProgressBar
            value={transferred}
            max={attachment.size}
            label={t(`message.attachmentState.${state}`)}
          />
        )}
      </div>
      {incoming && attachment.state !== 'uploading' && (
        <IconButton
          icon="download"
          label={t('message.download', { name: attachment.name })}
          onClick={onDownload}
          tabIndex={tabIndex}
        />
      )}
    </div>
  );
  // A signed document: its seal under the file, on both sides.
  const seal = attachment.document ? (
    <DocumentSeal document={attachment.document} tabIndex={tabIndex} />
  ) : null;
  if (!attachment.preview) {
    return seal ? (
      <div className="attachment-signed">
        {row}
        {seal}
      </div>
    ) : (
      row
    );
  }
  // The picture sent with the file: seen at once, before the file is fetched; a click
  // shows the whole picture in the app (fetched then, if it has not arrived yet).
  const picture = (
    <img
      className="attachment-preview"
      src={attachment.preview}
      alt={t('message.previewOf', { name: attachment.name })}
      draggable={false}
    />
  );
  const viewable =
    attachment.state !== 'uploading' && attachment.state !== 'failed' && attachment.size > 0;
  return (
    <figure className="attachment-with-preview">
      {viewable ? (
        <button
          type="button"
          className="attachment-preview-button"
          onClick={onView}
          tabIndex={tabIndex}
          title={t('message.view', { name: attachment.name })}
          aria-label={t('message.view', { name: attachment.name })}
        >
          {picture}
        </button>
      ) : (
        picture
      )}
      {row}
      {seal}
    </figure>
  );
}

export const MessageItem = memo(function MessageItem(props: MessageItemProps) {
  const { t } = useTranslation();
  const { message, previous, quoted, isGroup, active, myUserId, nameOf } = props;
  const [picking, setPicking] = useState(false);
  const newDay = !previous || startOfDay(previous.sentAt) !== startOfDay(message.sentAt);
  const showSender =
    isGroup && !message.outgoing && (newDay || previous?.senderId !== message.senderId);
  const deleted = message.deletedAt !== null;
  const own = message.outgoing && message.senderId === myUserId;
  const label = deleted ? null : labelOf(message);
  const tab = active ? 0 : -1;
  const grouped = new Map<string, string[]>();
  for (const r of message.reactions)
    grouped.set(r.emoji, [...(grouped.get(r.emoji) ?? []), r.userId]);

  const separators = (
    <>
      {newDay && (
        <div className="day-separator" role="separator">
          <span>
            {dayLabel(message.sentAt, t('conversation.today'), t('conversation.yesterday'))}
          </span>
        </div>
      )}
      {props.firstUnread && (
        <div className="unread-marker" role="separator" id="first-unread">
          <span>{t('conversation.newMessages')}</span>
        </div>
      )}
    </>
  );
  if (message.kind === 'timer') {
    return (
      <div className="message-slot">
        {separators}
        <p className="timer-notice" tabIndex={tab} data-message-id={message.id}>
          <Icon name="timer" /> {timerNoticeText(message, nameOf, t)}{' '}
          <time dateTime={new Date(message.sentAt).toISOString()}>
            {formatTime(message.sentAt)}
          </time>
        </p>
      </div>
    );
  }

  return (
    <div className="message-slot">
      {separators}
      <article
        className={[
          'message',
          message.outgoing ? 'message-out' : 'message-in',
          props.highlighted ? 'message-highlight' : '',
          deleted ? 'message-deleted' : '',
        ].join(' ')}
        tabIndex={tab}
        data-message-id={message.id}
        data-status={message.status}
        data-outgoing={message.outgoing}
        data-classification={label ?? undefined}
        aria-label={[
          message.outgoing ? t('common.you') : nameOf(message.senderId),
          formatTime(message.sentAt),
          ...(label ? [classificationName(label)] : []),
        ].join(', ')}
      >
        {showSender && (
          <span className="sender">{message.senderName ?? nameOf(message.senderId)}</span>
        )}
        <div className="bubble">
          {label && <ClassificationBand label={label} />}
          {message.forwarded && !deleted && (
            <p className="forwarded">
              <Icon name="forward" /> {t('message.forwarded')}
            </p>
          )}
          {message.replyTo && !deleted && (
            <button
              type="button"
              className="quote"
              tabIndex={tab}
              onClick={() => props.onQuoteClick(message.replyTo!)}
            >
              <span className="quote-author">
                {t('message.replyTo', {
                  name: quoted
                    ? quoted.outgoing
                      ? t('common.you')
                      : nameOf(quoted.senderId)
                    : '…',
                })}
              </span>
              <span className="quote-text">
                {quoted
                  ? quoted.deletedAt !== null
                    ? t('message.deleted')
                    : quoted.text || quoted.attachments?.[0]?.name
                  : t('message.originalNotLoaded')}
              </span>
            </button>
          )}
          {deleted ? (
            <p className="text text-deleted">{t('message.deleted')}</p>
          ) : (
            message.text && <p className="text">{message.text}</p>
          )}
          {!deleted &&
            message.attachments?.map((a) => (
              <Attachment
                key={a.id}
                attachment={a}
                incoming={!message.outgoing}
                progress={props.transfer?.(a.id)}
                onDownload={() => props.onDownload(message, a)}
                onView={() => props.onView(message, a)}
                tabIndex={tab}
              />
            ))}
          <AcknowledgementBlock
            message={message}
            myUserId={myUserId}
            nameOf={nameOf}
            onAcknowledge={() => props.onAcknowledge(message)}
            tabIndex={tab}
          />
          <span className="meta">
            {message.editedAt !== null && !deleted && (
              <span className="edited">{t('message.edited')}</span>
            )}
            <time dateTime={new Date(message.sentAt).toISOString()}>
              {formatTime(message.sentAt)}
            </time>
            <ExpiryMark message={message} />
            {message.outgoing && <StatusMark message={message} />}
          </span>
        </div>
        {grouped.size > 0 && (
          <div className="reactions">
            {[...grouped].map(([emoji, users]) => {
              const mine = users.includes(myUserId);
              const names = users
                .map((u) => (u === myUserId ? t('common.you') : nameOf(u)))
                .join(', ');
              return (
                <button
                  key={emoji}
                  type="button"
                  className={mine ? 'reaction reaction-mine' : 'reaction'}
                  aria-pressed={mine}
                  tabIndex={tab}
                  title={t('message.reactionLabel', { emoji, names })}
                  aria-label={t('message.reactionLabel', { emoji, names })}
                  onClick={() => props.onReact(message, emoji)}
                >
                  <span className="emoji" aria-hidden="true">
                    {emoji}
                  </span>
                  <span aria-hidden="true">{users.length}</span>
                </button>
              );
            })}
          </div>
        )}
        {!deleted && (
          <div className="message-actions" role="toolbar" aria-label={t('message.actions')}>
            {!props.readOnly && (
              <>
                <IconButton
                  icon="reply"
                  label={t('message.reply')}
                  tabIndex={tab}
                  onClick={() => props.onReply(message)}
                />
                <IconButton
                  icon="smile"
                  label={t('message.react')}
                  tabIndex={tab}
                  aria-expanded={picking}
                  onClick={() => setPicking((p) => !p)}
                />
              </>
            )}
            <IconButton
              icon="forward"
              label={t('message.forward')}
              tabIndex={tab}
              onClick={() => props.onForward(message)}
            />
            {own && (
              <>
                {/* What was asked to be acknowledged stays as it was sent. */}
                {!message.acknowledgement && (
                  <IconButton
                    icon="edit"
                    label={t('message.edit')}
                    tabIndex={tab}
                    onClick={() => props.onEdit(message)}
                  />
                )}
                <IconButton
                  icon="trash"
                  label={t('message.delete')}
                  tabIndex={tab}
                  onClick={() => props.onDelete(message)}
                />
              </>
            )}
          </div>
        )}
        {picking && (
          <div
            className="reaction-picker"
            role="group"
            aria-label={t('message.react')}
            onKeyDown={(e) => {
              if (e.key === 'Escape') {
                e.stopPropagation();
                setPicking(false);
              }
            }}
          >
            {REACTIONS.map((emoji, i) => (
              <button
                key={emoji}
                type="button"
                className="emoji-choice"
                aria-label={t('message.addReaction', { emoji })}
                autoFocus={i === 0}
                onClick={() => {
                  setPicking(false);
                  props.onReact(message, emoji);
                }}
              >
                <span className="emoji" aria-hidden="true">
                  {emoji}
                </span>
              </button>
            ))}
          </div>
        )}
      </article>
    </div>
  );
});
