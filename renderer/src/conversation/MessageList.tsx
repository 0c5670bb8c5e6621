// The messages of a conversation in a virtual list (react-virtuoso): only what is
// near the viewport is in the DOM, so 10,000 messages scroll smoothly. Older
// pages load when the top is reached, new messages follow when at the bottom.
// Keyboard: the list is one tab stop; arrow keys move between messages, Tab
// reaches the actions of the message that has focus.
import { type KeyboardEvent, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Virtuoso, type VirtuosoHandle } from 'react-virtuoso';
import type { AttachmentView, MessageView } from '../api/types.js';
import { Button } from '../design/Button.js';
import { Dialog } from '../design/Dialog.js';
import type { Thread } from '../state/app-state.js';
import { useAppState, useController } from '../state/context.js';
import { ForwardDialog } from './ForwardDialog.js';
import { MessageItem } from './MessageItem.js';
import { PictureViewer } from './PictureViewer.js';

/** How long after the newest message arrived the list may still be settling its scroll. */
const SETTLE_MS = 500;

export interface MessageListProps {
  conversationId: string;
  title: string;
  isGroup: boolean;
  thread: Thread;
  nameOf: (userId: string) => string;
}

export function MessageList({ conversationId, title, isGroup, thread, nameOf }: MessageListProps) {
  // A broadcast channel where I do not post: messages offer no reply or reaction.
  const readOnly = useAppState(
    (s) => s.conversations.find((c) => c.id === conversationId)?.channel?.mayPost === false,
  );
  const { t } = useTranslation();
  const controller = useController();
  const virtuoso = useRef<VirtuosoHandle>(null);
  const scroller = useRef<HTMLElement | null>(null);
  const myUserId = useAppState((s) => s.account?.userId ?? '');
  const focus = useAppState((s) => s.focus);
  const transfers = useAppState((s) => s.transfers);
  const [activeId, setActiveId] = useState<string | null>(null);
  const [highlightId, setHighlightId] = useState<string | null>(null);
  const [atBottom, setAtBottom] = useState(true);
  // Whether the view keeps up with new messages. Not the same as being at the bottom:
  // in a burst, the list is briefly off the bottom while it measures what arrived, and
  // following only while at the bottom would let go then (react-virtuoso's followOutput
  // in fast updates). So following stops only when the person moves up (below), and
  // starts again at the bottom.
  const following = useRef(true);
  const [isFollowing, setFollowing] = useState(true);
  const follow = useCallback((on: boolean) => {
    following.current = on;
    setFollowing(on);
  }, []);
  const [range, setRange] = useState<{ startIndex: number; endIndex: number } | null>(null);
  const [confirmDelete, setConfirmDelete] = useState<MessageView | null>(null);
  const [forwarding, setForwarding] = useState<MessageView | null>(null);
  const [viewing, setViewing] = useState<{
    message: MessageView;
    attachment: AttachmentView;
  } | null>(null);
  const onAcknowledge = useCallback(
    (message: MessageView) => void controller.acknowledge(message),
    [controller],
  );
  const onView = useCallback(
    (message: MessageView, attachment: AttachmentView) => setViewing({ message, attachment }),
    [],
  );
  const messages = thread.messages;

  const byId = useMemo(() => {
    const map = new Map<string, MessageView>();
    for (const m of messages) map.set(m.id, m);
    return map;
  }, [messages]);

  const messagesRef = useRef(messages);
  messagesRef.current = messages;

  /**
   * Scrolls until a message is in view (the virtual list measures as it goes, so
   * one scroll may not be enough), then optionally focuses it.
   */
  const bringIntoView = useCallback(
    (id: string, align: 'center' | 'start', focusIt: boolean) => {
      let tries = 0;
      let settled = 0;
      // Taken somewhere in the history: what arrives must not pull the view away from it,
      // unless that place is the bottom.
      follow(false);
      const attempt = () => {
        const index = messagesRef.current.findIndex((m) => m.id === id);
        const list = scroller.current;
        if (index < 0) return;
        const element = list?.querySelector<HTMLElement>(`[data-message-id="${id}"]`);
        if (list && element) {
          const box = element.getBoundingClientRect();
          const view = list.getBoundingClientRect();
          if (box.bottom > view.top + 8 && box.top < view.bottom - 8) {
            if (list.scrollHeight - list.scrollTop - list.clientHeight < 4) follow(true);
            if (!focusIt) return;
            // The list may still replace the element while it settles: hold the focus a few frames.
            if (document.activeElement !== element) element.focus({ preventScroll: true });
            if (settled++ < 10) requestAnimationFrame(attempt);
            return;
          }
        }
        virtuoso.current?.scrollToIndex({ index, align });
        if (tries++ < 60) requestAnimationFrame(attempt);
      };
      requestAnimationFrame(attempt);
    },
    [follow],
  );

  /** Scrolls to a message, then focuses it and marks it for a moment. */
  const reveal = useCallback(
    (id: string) => {
      setHighlightId(id);
      setActiveId(id);
      bringIntoView(id, 'center', true);
    },
    [bringIntoView],
  );

  // Another conversation in the same list: it opens at its end, following (the opening
  // below may move it).
  useEffect(() => {
    follow(true);
    setAtBottom(true);
  }, [conversationId, follow]);

  // Opening: at the message asked for (search, quote), else at the first unread, else at the end.
  useEffect(() => {
    if (focus && focus.conversationId === conversationId) reveal(focus.messageId);
    else if (thread.firstUnreadId) bringIntoView(thread.firstUnreadId, 'start', false);
    // Only a new request moves the view.
  }, [focus?.serial]);

  useEffect(() => {
    if (!highlightId) return;
    const timer = setTimeout(() => setHighlightId(null), 2500);
    return () => clearTimeout(timer);
  }, [highlightId]);

  // The person moving up: the wheel, a key, the scrollbar dragged or a finger, at once;
  // any other scroll up (assistive tools, find in page) once it has taken the view more
  // than half a screen from the bottom while nothing new arrived for half a second. The
  // list's own scrolling while it measures what arrives (a catch-up adds hundreds of
  // messages at a time) must not let go.
  const grewAt = useRef(0);
  useEffect(() => {
    const list = scroller.current;
    if (!list) return;
    let holding = false;
    let lastTop = list.scrollTop;
    const onWheel = (event: WheelEvent) => {
      if (event.deltaY < 0) follow(false);
    };
    const onKey = (event: globalThis.KeyboardEvent) => {
      if (event.key === 'PageUp' || event.key === 'Home') follow(false);
    };
    // On the scroller itself, not on a message: its scrollbar.
    const onPointerDown = (event: PointerEvent) => {
      if (event.target === list) holding = true;
    };
    const onTouchStart = () => {
      holding = true;
    };
    const onRelease = () => {
      holding = false;
    };
    const onScroll = () => {
      const top = list.scrollTop;
      const up = top < lastTop - 1;
      lastTop = top;
      if (!up || !following.current) return;
      const fromBottom = list.scrollHeight - list.clientHeight - top;
      const settled = performance.now() - grewAt.current > SETTLE_MS;
      if (holding || (settled && fromBottom > list.clientHeight / 2)) follow(false);
    };
    list.addEventListener('wheel', onWheel, { passive: true });
    list.addEventListener('keydown', onKey);
    list.addEventListener('pointerdown', onPointerDown);
    list.addEventListener('touchstart', onTouchStart, { passive: true });
    window.addEventListener('pointerup', onRelease);
    window.addEventListener('touchend', onRelease);
    window.addEventListener('pointercancel', onRelease);
    list.addEventListener('scroll', onScroll, { passive: true });
    return () => {
      list.removeEventListener('wheel', onWheel);
      list.removeEventListener('keydown', onKey);
      list.removeEventListener('pointerdown', onPointerDown);
      list.removeEventListener('touchstart', onTouchStart);
      window.removeEventListener('pointerup', onRelease);
      window.removeEventListener('touchend', onRelease);
      window.removeEventListener('pointercancel', onRelease);
      list.removeEventListener('scroll', onScroll);
    };
  }, [conversationId, messages.length === 0, follow]);

  // Following, the end stays in view when what arrived is measured: react-virtuoso's
  // followOutput scrolls with the estimated heights, and after hundreds of messages at
  // once (a catch-up) its scroll could stop short of the last one (its issues 1105, 1273).
  const keepAtEnd = useCallback(() => {
    if (!following.current) return;
    requestAnimationFrame(() => {
      const list = scroller.current;
      if (!list || !following.current) return;
      const end = list.scrollHeight - list.clientHeight;
      if (end - list.scrollTop > 1) list.scrollTop = end;
    });
  }, []);

  const lastId = messages[messages.length - 1]?.id;
  useEffect(() => {
    grewAt.current = performance.now();
  }, [lastId]);

  // My own new message always comes into view.
  const lastOutgoing = messages[messages.length - 1]?.outgoing;
  useEffect(() => {
    if (lastOutgoing) virtuoso.current?.scrollToIndex({ index: messages.length - 1, align: 'end' });
  }, [lastId]);

  const onKeyDown = (event: KeyboardEvent<HTMLElement>) => {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    if ((event.target as HTMLElement).closest('.reaction-picker, textarea, input')) return;
    const index = activeId ? messages.findIndex((m) => m.id === activeId) : messages.length;
    const next = Math.max(
      0,
      Math.min(messages.length - 1, index + (event.key === 'ArrowDown' ? 1 : -1)),
    );
    const target = messages[next];
    if (!target) return;
    event.preventDefault();
    setActiveId(target.id);
    bringIntoView(target.id, 'center', true);
  };

  const onReply = useCallback(
    (m: MessageView) => {
      controller.setComposing(conversationId, { replyTo: m.id, editing: null });
      document.getElementById(`composer-${conversationId}`)?.focus();
    },
    [controller, conversationId],
  );
  const onEdit = useCallback(
    (m: MessageView) => {
      controller.setComposing(conversationId, { replyTo: null, editing: m.id });
      document.getElementById(`composer-${conversationId}`)?.focus();
    },
    [controller, conversationId],
  );
  const onReact = useCallback(
    (m: MessageView, emoji: string) => void controller.react(m, emoji),
    [controller],
  );
  const onDownload = useCallback(
    (m: MessageView, a: AttachmentView) =>
      void controller.download(m, a.id, a.name).then((url) => {
        if (!url) return;
        const link = document.createElement('a');
        link.href = url;
        link.download = a.name;
        link.click();
      }),
    [controller],
  );
  const onQuoteClick = useCallback(
    (id: string) => void controller.reveal(conversationId, id),
    [controller, conversationId],
  );
  const transfer = useCallback((id: string) => transfers[id], [transfers]);
  const firstUnreadIndex = thread.firstUnreadId
    ? messages.findIndex((m) => m.id === thread.firstUnreadId)
    : -1;

  if (messages.length === 0) {
    return (
      <div className="message-list message-list-empty">
        <p className="empty">{t('conversation.noMessages')}</p>
      </div>
    );
  }

  return (
    <div className="message-list-wrap">
      <Virtuoso
        key={conversationId}
        ref={virtuoso}
        className="message-list"
        scrollerRef={(el) => {
          scroller.current = el instanceof HTMLElement ? el : null;
        }}
        data={messages}
        firstItemIndex={thread.firstItemIndex}
        initialTopMostItemIndex={{ index: 'LAST', align: 'end' }}
        defaultItemHeight={72}
        alignToBottom
        followOutput={() => (following.current ? 'auto' : false)}
        totalListHeightChanged={keepAtEnd}
        atBottomStateChange={(bottom) => {
          setAtBottom(bottom);
          if (bottom) follow(true);
        }}
        rangeChanged={setRange}
        startReached={() => void controller.loadOlder(conversationId)}
        increaseViewportBy={{ top: 600, bottom: 300 }}
        computeItemKey={(_, m) => m.id}
        role="log"
        aria-label={t('conversation.messagesLabel', { title })}
        tabIndex={0}
        onKeyDown={onKeyDown}
        onFocus={(e) => {
          const id = (e.target as HTMLElement).closest<HTMLElement>('[data-message-id]')?.dataset
            .messageId;
          if (id) setActiveId(id);
        }}
        components={{
          Header: () =>
            thread.loadingOlder ? (
              <p className="loading-older" role="status">
                {t('conversation.loadingOlder')}
              </p>
            ) : (
              <div className="list-top-space" />
            ),
        }}
        itemContent={(index, message) => {
          const local = index - thread.firstItemIndex;
          return (
            <MessageItem
              message={message}
              previous={messages[local - 1]}
              quoted={message.replyTo ? (byId.get(message.replyTo) ?? null) : undefined}
              isGroup={isGroup}
              readOnly={readOnly}
              firstUnread={message.id === thread.firstUnreadId}
              active={message.id === activeId}
              highlighted={message.id === highlightId}
              myUserId={myUserId}
              nameOf={nameOf}
              transfer={transfer}
              onReply={onReply}
              onEdit={onEdit}
              onDelete={setConfirmDelete}
              onForward={setForwarding}
              onReact={onReact}
              onQuoteClick={onQuoteClick}
              onDownload={onDownload}
              onView={onView}
              onAcknowledge={onAcknowledge}
            />
          );
        }}
      />
      <div className="list-jumps">
        {firstUnreadIndex >= 0 &&
          range &&
          (thread.firstItemIndex + firstUnreadIndex < range.startIndex ||
            thread.firstItemIndex + firstUnreadIndex > range.endIndex) && (
            <Button
              small
              variant="secondary"
              onClick={() => bringIntoView(thread.firstUnreadId!, 'start', true)}
            >
              {t('conversation.jumpToUnread')}
            </Button>
          )}
        {!atBottom && !isFollowing && (
          <Button
            small
            variant="secondary"
            icon="arrowDown"
            onClick={() =>
              virtuoso.current?.scrollToIndex({ index: messages.length - 1, align: 'end' })
            }
          >
            {t('conversation.jumpToLatest')}
          </Button>
        )}
      </div>
      {forwarding && <ForwardDialog message={forwarding} onClose={() => setForwarding(null)} />}
      {viewing && (
        <PictureViewer
          attachment={viewing.attachment}
          onDownload={() => onDownload(viewing.message, viewing.attachment)}
          onClose={() => setViewing(null)}
        />
      )}
      {confirmDelete && (
        <Dialog
          title={t('message.deleteTitle')}
          closeLabel={t('common.close')}
          onClose={() => setConfirmDelete(null)}
          actions={
            <>
              <Button onClick={() => setConfirmDelete(null)}>{t('common.cancel')}</Button>
              <Button
                variant="danger"
                onClick={() => {
                  const target = confirmDelete;
                  setConfirmDelete(null);
                  void controller.remove(target.id);
                }}
              >
                {t('message.deleteConfirm')}
              </Button>
            </>
          }
        >
          <p>{t('message.deleteBody')}</p>
        </Dialog>
      )}
    </div>
  );
}
