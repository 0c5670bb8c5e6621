// Forwarding a message: the conversation to send it to, chosen from the list. Its
// files are not sent again (the engine names the same relay blobs).
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { MessageView } from '../api/types.js';
import { Button } from '../design/Button.js';
import { Dialog } from '../design/Dialog.js';
import { useAppState, useController } from '../state/context.js';

export function ForwardDialog({ message, onClose }: { message: MessageView; onClose: () => void }) {
  const { t } = useTranslation();
  const controller = useController();
  const conversations = useAppState((s) => s.conversations);
  const [busy, setBusy] = useState(false);
  const what = message.text || message.attachments?.[0]?.name || '';

  const choose = async (conversationId: string) => {
    setBusy(true);
    const done = await controller.forward(message, conversationId);
    setBusy(false);
    if (done) onClose();
  };

  return (
    <Dialog
      title={t('forward.title')}
      closeLabel={t('common.close')}
      onClose={onClose}
      className="forward-dialog"
      actions={<Button onClick={onClose}>{t('common.cancel')}</Button>}
    >
      <p className="forward-what">{what}</p>
      {conversations.length === 0 ? (
        <p className="muted">{t('forward.none')}</p>
      ) : (
        <ul className="forward-targets" aria-label={t('forward.to')}>
          {conversations.map((c) => (
            <li key={c.id}>
              <Button disabled={busy} onClick={() => void choose(c.id)}>
                {t('forward.toConversation', { title: c.title })}
              </Button>
            </li>
          ))}
        </ul>
      )}
    </Dialog>
  );
}
