// Forwarding a message: the conversation to send it to, chosen from the list. Its
// files are not sent again (the engine names the same relay blobs). The copy keeps
// its classification label, so a conversation not cleared for it is offered disabled,
// with the reason; should the engine refuse all the same, its sentence is shown here.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { clearedFor } from '../../../shared/api/index.js';
import type { ApiError, MessageView } from '../api/types.js';
import { Button } from '../design/Button.js';
import { Dialog } from '../design/Dialog.js';
import { classificationName, describeError } from '../i18n/i18n.js';
import { useAppState, useController } from '../state/context.js';
import { ClassificationBand } from './Classification.js';
import { labelOf } from './labels.js';

export function ForwardDialog({ message, onClose }: { message: MessageView; onClose: () => void }) {
  const { t } = useTranslation();
  const controller = useController();
  const conversations = useAppState((s) => s.conversations);
  const [busy, setBusy] = useState(false);
  const [refused, setRefused] = useState<ApiError | null>(null);
  const what = message.text || message.attachments?.[0]?.name || '';
  const label = labelOf(message);

  const choose = async (conversationId: string) => {
    setBusy(true);
    setRefused(null);
    const error = await controller.forward(message, conversationId);
    setBusy(false);
    if (error) setRefused(error);
    else onClose();
  };

  return (
    <Dialog
      title={t('forward.title')}
      closeLabel={t('common.close')}
      onClose={onClose}
      className="forward-dialog"
      actions={<Button onClick={onClose}>{t('common.cancel')}</Button>}
    >
      {label && <ClassificationBand label={label} />}
      <p className="forward-what">{what}</p>
      {refused && (
        <p className="alert alert-error forward-refused" role="alert">
          {describeError(refused)}
        </p>
      )}
      {conversations.length === 0 ? (
        <p className="muted">{t('forward.none')}</p>
      ) : (
        <ul className="forward-targets" aria-label={t('forward.to')}>
          {conversations.map((c) => {
            const cleared = label === null || clearedFor(c.clearance, label);
            const reasonId = `forward-reason-${c.id}`;
            return (
              <li key={c.id}>
                <Button
                  disabled={busy || !cleared}
                  aria-describedby={cleared ? undefined : reasonId}
                  onClick={() => void choose(c.id)}
                >
                  {t('forward.toConversation', { title: c.title })}
                </Button>
                {!cleared && (
                  <span className="forward-reason" id={reasonId}>
                    {t('classification.notCleared', { label: classificationName(label) })}
                  </span>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </Dialog>
  );
}
