// « Vérifier un document »: is this copy of a file (received by mail, on a USB key)
// exactly a signed document of this messenger? The file's bytes go to the host (a
// staged copy, with progress for a big file); the engine hashes it and names the
// signed documents with the same content, who signed them and when. Nothing is
// sent to anyone.
import { type DragEvent, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ApiError, DocumentCheck, DocumentMatch } from '../api/types.js';
import { Button } from '../design/Button.js';
import { Dialog } from '../design/Dialog.js';
import { Icon } from '../design/Icon.js';
import { ProgressBar } from '../design/ProgressBar.js';
import { formatPercent, formatSize } from '../i18n/format.js';
import { describeError } from '../i18n/i18n.js';
import { useAppState, useController } from '../state/context.js';
import { Fingerprint, signatureParts } from './DocumentSeal.js';

type Step =
  | { readonly kind: 'idle' }
  | {
      readonly kind: 'reading';
      readonly name: string;
      readonly sent: number;
      readonly size: number;
    }
  | { readonly kind: 'checking'; readonly name: string }
  | { readonly kind: 'done'; readonly name: string; readonly check: DocumentCheck }
  | { readonly kind: 'failed'; readonly error: ApiError };

function Match({ match, onOpen }: { match: DocumentMatch; onOpen: () => void }) {
  const { t } = useTranslation();
  const conversation = useAppState((s) =>
    match.conversationId === null
      ? undefined
      : s.conversations.find((c) => c.id === match.conversationId),
  );
  const parts = signatureParts(match);
  return (
    <li className="alert alert-success verify-match" data-testid="verify-match">
      <Icon name="seal" />
      <div className="verify-result-body">
        <p className="verify-verdict">
          {parts.institution ? t('verify.match', parts) : t('verify.matchNoInstitution', parts)}
        </p>
        <dl className="verify-details">
          <dt>{t('verify.document')}</dt>
          <dd>
            {match.name} ({formatSize(match.size)})
          </dd>
          {match.conversationId !== null && (
            <>
              <dt>{t('verify.conversation')}</dt>
              <dd>
                {conversation ? (
                  <Button small variant="ghost" icon="chat" onClick={onOpen}>
                    {t('verify.openConversation', { title: conversation.title })}
                  </Button>
                ) : (
                  t('verify.conversationGone')
                )}
              </dd>
            </>
          )}
          <dt>{t('document.fingerprint')}</dt>
          <dd>
            <Fingerprint sha256={match.sha256} />
          </dd>
        </dl>
      </div>
    </li>
  );
}

export function VerifyDocumentDialog({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const controller = useController();
  const input = useRef<HTMLInputElement>(null);
  const [step, setStep] = useState<Step>({ kind: 'idle' });
  const [dragging, setDragging] = useState(false);
  const busy = step.kind === 'reading' || step.kind === 'checking';

  const check = async (file: File) => {
    const { name, size } = file;
    setStep({ kind: 'reading', name, sent: 0, size });
    const result = await controller.verifyDocument(file, (sent) => {
      setStep(sent >= size ? { kind: 'checking', name } : { kind: 'reading', name, sent, size });
    });
    setStep(
      result.ok
        ? { kind: 'done', name, check: result.value }
        : { kind: 'failed', error: result.error },
    );
  };

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    const file = event.dataTransfer.files[0];
    if (file && !busy) void check(file);
  };

  const open = (match: DocumentMatch) => {
    if (match.conversationId === null) return;
    onClose();
    if (match.messageId) void controller.reveal(match.conversationId, match.messageId);
    else void controller.open(match.conversationId);
  };

  return (
    <Dialog
      title={t('verify.title')}
      closeLabel={t('common.close')}
      onClose={onClose}
      className="verify-dialog"
      actions={<Button onClick={onClose}>{t('common.close')}</Button>}
    >
      <p className="verify-intro">{t('verify.intro')}</p>
      <div
        className={dragging ? 'verify-drop verify-drop-over' : 'verify-drop'}
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
        <Button
          variant="primary"
          icon="fileCheck"
          disabled={busy}
          onClick={() => input.current?.click()}
        >
          {step.kind === 'done' ? t('verify.chooseAnother') : t('verify.choose')}
        </Button>
        <span className="muted">{t('verify.drop')}</span>
        <input
          ref={input}
          type="file"
          hidden
          onChange={(e) => {
            const file = e.target.files?.[0];
            e.target.value = '';
            if (file) void check(file);
          }}
        />
      </div>
      <div className="verify-result" aria-live="polite">
        {step.kind === 'reading' && (
          <div className="verify-progress">
            <span>
              {t('verify.reading', {
                name: step.name,
                percent: formatPercent(step.size ? step.sent / step.size : 1),
              })}
            </span>
            <ProgressBar value={step.sent} max={step.size} label={step.name} />
          </div>
        )}
        {step.kind === 'checking' && (
          <p className="verify-progress">{t('verify.checking', { name: step.name })}</p>
        )}
        {step.kind === 'failed' && (
          <p className="alert alert-error" role="alert">
            {describeError(step.error)}
          </p>
        )}
        {step.kind === 'done' && (
          <>
            <p className="verify-checked">
              {t('verify.checked', { name: step.name, size: formatSize(step.check.size) })}
            </p>
            {step.check.matches.length > 0 ? (
              <ul className="verify-matches">
                {step.check.matches.map((m) => (
                  <Match key={m.attachmentId} match={m} onOpen={() => open(m)} />
                ))}
              </ul>
            ) : (
              <div className="alert alert-error verify-none" data-testid="verify-none">
                <Icon name="alert" />
                <div className="verify-result-body">
                  <p className="verify-verdict">{t('verify.none')}</p>
                  <p className="verify-fingerprint-label">{t('verify.fileFingerprint')}</p>
                  <Fingerprint sha256={step.check.sha256} />
                </div>
              </div>
            )}
          </>
        )}
      </div>
    </Dialog>
  );
}
