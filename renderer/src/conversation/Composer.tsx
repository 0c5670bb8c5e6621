// Writing: multi-line, Enter sends, Shift+Enter starts a new line, the draft is
// kept per conversation (saved by the engine, so it survives a restart), replies
// and edits, files by button, drag and drop or paste, the signed acknowledgement
// toggle, the classification label (« Mention ») of the next message, and the
// « Signer le document » toggle of the next file.
import {
  type ClipboardEvent,
  type KeyboardEvent,
  type MutableRefObject,
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
} from 'react';
import { useTranslation } from 'react-i18next';
import type { Classification, MessageView } from '../api/types.js';
import { IconButton } from '../design/Button.js';
import { Icon } from '../design/Icon.js';
import { ProgressBar } from '../design/ProgressBar.js';
import { formatPercent } from '../i18n/format.js';
import { classificationName } from '../i18n/i18n.js';
import { clearanceOf } from '../state/app-state.js';
import { useAppState, useController } from '../state/context.js';
import { ClassificationPicker } from './Classification.js';
import { fitLabel, labelOf, offeredLabels } from './labels.js';

const MAX_ROWS_PX = 200;

type DraftState = 'idle' | 'typing' | 'saved';

/** How the conversation hands files dropped on it to the composer (which knows the options). */
export type DropTarget = MutableRefObject<((files: FileList) => void) | null>;

export function Composer({
  conversationId,
  messages,
  nameOf,
  dropTarget,
}: {
  conversationId: string;
  messages: readonly MessageView[];
  nameOf: (userId: string) => string;
  dropTarget?: DropTarget;
}) {
  const { t } = useTranslation();
  const controller = useController();
  const composing = useAppState((s) => s.composing[conversationId]);
  const staging = useAppState((s) => s.staging);
  // A device the ICT cell revoked can no longer send: the box says so instead.
  const revokedDevice = useAppState((s) => s.revoked);
  // In a broadcast channel only its administrators post: the others read.
  const readOnly = useAppState(
    (s) => s.conversations.find((c) => c.id === conversationId)?.channel?.mayPost === false,
  );
  const revoked = revokedDevice || readOnly;
  const [text, setText] = useState(() => controller.draftOf(conversationId));
  const [draftState, setDraftState] = useState<DraftState>(text ? 'saved' : 'idle');
  // The next message (or file) asks each recipient for a signed acknowledgement.
  const [askAck, setAskAck] = useState(false);
  // The label chosen for the next message (or file); what is sent is fitted below.
  const [chosenLabel, setChosenLabel] = useState<Classification>('none');
  // The next file is signed as a document (« attestation d'intégrité »); text ignores it.
  const [signDocument, setSignDocument] = useState(false);
  const ceiling = useAppState((s) => clearanceOf(conversationId, s));
  const area = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const replyTo = composing?.replyTo ? messages.find((m) => m.id === composing.replyTo) : undefined;
  const editing = composing?.editing ? messages.find((m) => m.id === composing.editing) : undefined;
  // A reply carries at least the label of what it answers: preselected, nothing lower offered.
  const floor = (replyTo && labelOf(replyTo)) ?? 'none';
  const offered = offeredLabels(floor, ceiling);
  const label = fitLabel(chosenLabel, offered);
  const labelOption = label !== 'none' ? { classification: label } : {};

  // Save what was typed when leaving the conversation.
  useEffect(() => () => void controller.saveDraft(conversationId), [controller, conversationId]);

  // Editing puts the message's text in the box.
  useEffect(() => {
    if (editing) {
      setText(editing.text ?? '');
      area.current?.focus();
    }
  }, [editing]);

  useLayoutEffect(() => {
    const el = area.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, MAX_ROWS_PX)}px`;
  }, [text]);

  const change = (value: string) => {
    setText(value);
    if (editing) return;
    setDraftState('typing');
    controller.typeDraft(conversationId, value, (saved) => {
      if (saved) setDraftState(value ? 'saved' : 'idle');
    });
  };

  const cancel = () => {
    if (editing) setText(controller.draftOf(conversationId));
    controller.setComposing(conversationId, { replyTo: null, editing: null });
  };

  const send = async () => {
    const value = text;
    if (value.trim() === '') return;
    setText('');
    setDraftState('idle');
    // An edit keeps the acknowledgement request and the label of the message it edits.
    const ok = await controller.submit(
      conversationId,
      value,
      editing ? {} : { ...(askAck ? { requestAcknowledgement: true } : {}), ...labelOption },
    );
    if (!ok) setText((now) => (now === '' ? value : now));
    else {
      setAskAck(false);
      setChosenLabel('none');
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void send();
    } else if (event.key === 'Escape' && (composing?.replyTo || composing?.editing)) {
      event.preventDefault();
      cancel();
    } else if (event.key === 'ArrowUp' && text === '') {
      const mine = [...messages]
        .reverse()
        .find((m) => m.outgoing && m.deletedAt === null && m.text);
      if (mine) {
        event.preventDefault();
        controller.setComposing(conversationId, { replyTo: null, editing: mine.id });
      }
    }
  };

  const sendFiles = (files: FileList | readonly File[] | null) => {
    const options = {
      ...(askAck ? { requestAcknowledgement: true } : {}),
      ...labelOption,
      ...(signDocument ? { signDocument: true } : {}),
    };
    for (const file of files ?? []) void controller.sendFile(conversationId, file, options);
    if ((files?.length ?? 0) > 0) {
      setAskAck(false);
      setChosenLabel('none');
      setSignDocument(false);
    }
  };

  // Files dropped on the conversation leave with the options chosen here.
  useEffect(() => {
    if (!dropTarget) return;
    dropTarget.current = sendFiles;
    return () => {
      dropTarget.current = null;
    };
  });

  const onPaste = (event: ClipboardEvent<HTMLTextAreaElement>) => {
    if (event.clipboardData.files.length > 0) {
      event.preventDefault();
      sendFiles(event.clipboardData.files);
    }
  };

  // What the next message will carry, said under the box (and read with it).
  const hints = editing
    ? [...(signDocument ? [t('composer.documentSigned')] : []), t('composer.keysHint')]
    : [
        ...(signDocument ? [t('composer.documentSigned')] : []),
        ...(askAck ? [t('composer.acknowledgementAsked')] : []),
        ...(label !== 'none'
          ? [t('classification.chosen', { label: classificationName(label) })]
          : []),
        ...(floor !== 'none'
          ? [t('classification.replyFloor', { label: classificationName(floor) })]
          : []),
      ];
  if (hints.length === 0) hints.push(t('composer.keysHint'));

  return (
    <div className="composer" data-draft-state={draftState}>
      {(replyTo || editing) && (
        <div className="composer-context">
          <Icon name={editing ? 'edit' : 'reply'} />
          <div className="composer-context-text">
            <strong>
              {editing
                ? t('composer.editing')
                : t('composer.replyingTo', {
                    name: replyTo!.outgoing ? t('common.you') : nameOf(replyTo!.senderId),
                  })}
            </strong>
            {replyTo && (
              <span className="quote-text">{replyTo.text || replyTo.attachments?.[0]?.name}</span>
            )}
          </div>
          <IconButton
            icon="close"
            label={editing ? t('composer.cancelEdit') : t('composer.cancelReply')}
            onClick={cancel}
          />
        </div>
      )}
      {staging && (
        <div className="composer-staging" role="status">
          <span>
            {t('composer.staging', {
              name: staging.name,
              percent: formatPercent(staging.size ? staging.sent / staging.size : 1),
            })}
          </span>
          <ProgressBar value={staging.sent} max={staging.size} label={staging.name} />
        </div>
      )}
      <div className="composer-row">
        <IconButton
          icon="attach"
          label={t('composer.attach')}
          disabled={revoked}
          onClick={() => fileInput.current?.click()}
        />
        <input
          ref={fileInput}
          type="file"
          multiple
          hidden
          onChange={(e) => {
            sendFiles(e.target.files);
            e.target.value = '';
          }}
        />
        {/* Files can be attached while editing too: this toggle stays. */}
        <IconButton
          icon="seal"
          label={t('composer.signDocument')}
          className={signDocument ? 'sign-toggle sign-toggle-on' : 'sign-toggle'}
          aria-pressed={signDocument}
          disabled={revoked}
          onClick={() => setSignDocument((on) => !on)}
        />
        {!editing && (
          <IconButton
            icon="shieldCheck"
            label={t('composer.askAcknowledgement')}
            className={askAck ? 'ack-toggle ack-toggle-on' : 'ack-toggle'}
            aria-pressed={askAck}
            disabled={revoked}
            onClick={() => setAskAck((on) => !on)}
          />
        )}
        {!editing && (
          <ClassificationPicker
            value={label}
            offered={offered}
            ceiling={ceiling}
            disabled={revoked}
            onChange={setChosenLabel}
          />
        )}
        <textarea
          ref={area}
          id={`composer-${conversationId}`}
          className="composer-input"
          rows={1}
          value={text}
          aria-label={t('composer.label')}
          aria-describedby={`composer-hint-${conversationId}`}
          placeholder={
            revokedDevice
              ? t('composer.revoked')
              : readOnly
                ? t('groups.readOnly')
                : t('composer.placeholder')
          }
          disabled={revoked}
          onChange={(e) => change(e.target.value)}
          onKeyDown={onKeyDown}
          onPaste={onPaste}
          autoFocus
        />
        <IconButton
          icon="send"
          label={t('composer.send')}
          className="send-btn"
          disabled={revoked || text.trim() === ''}
          onClick={() => void send()}
        />
      </div>
      <div className="composer-foot">
        <span id={`composer-hint-${conversationId}`}>{hints.join(' ')}</span>
        <span role="status" className="draft-state">
          {draftState === 'saved' && text !== '' ? t('composer.draftSaved') : ''}
        </span>
      </div>
    </div>
  );
}
