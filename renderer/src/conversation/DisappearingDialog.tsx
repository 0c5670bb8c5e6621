// Disappearing messages: how long new messages of a conversation live, chosen from
// the usual delays (a delay set from the CLI is shown too). In a group only an
// administrator may change it; the others see the setting and why they cannot. Where
// the ICT cell's policy keeps every message, the timer can only be turned off.
import { useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { EXPIRE_TIMER_CHOICES } from '../../../shared/api/contract.js';
import type { ConversationView } from '../api/types.js';
import { Button } from '../design/Button.js';
import { Dialog } from '../design/Dialog.js';
import { Icon } from '../design/Icon.js';
import { formatDuration } from '../i18n/format.js';
import { useAppState, useController } from '../state/context.js';

export function DisappearingDialog({
  conversation,
  onClose,
}: {
  conversation: ConversationView;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const controller = useController();
  const me = useAppState((s) => s.account?.userId);
  const allowed = useAppState((s) => s.host?.disappearingMessagesAllowed ?? true);
  const labelId = useId();
  const [choice, setChoice] = useState(conversation.expireSeconds);
  const [busy, setBusy] = useState(false);
  // Direct conversations: either person. Groups: administrators (null while asking).
  const [mayChange, setMayChange] = useState<boolean | null>(
    conversation.kind === 'direct' ? true : null,
  );

  useEffect(() => {
    if (conversation.kind !== 'group') return;
    let current = true;
    void controller.api.groupMembers(conversation.id).then((result) => {
      if (current) setMayChange(result.ok && result.value.some((m) => m.userId === me && m.admin));
    });
    return () => {
      current = false;
    };
  }, [controller, conversation.id, conversation.kind, me]);

  const choices = [0, ...EXPIRE_TIMER_CHOICES] as number[];
  if (!choices.includes(conversation.expireSeconds)) choices.push(conversation.expireSeconds);

  const apply = async () => {
    setBusy(true);
    const done = await controller.setExpireTimer(conversation.id, choice);
    setBusy(false);
    if (done) onClose();
  };

  return (
    <Dialog
      title={t('disappearing.title')}
      closeLabel={t('common.close')}
      onClose={onClose}
      className="disappearing-dialog"
      actions={
        <>
          <Button onClick={onClose}>{t('common.cancel')}</Button>
          <Button
            variant="primary"
            disabled={busy || mayChange !== true || choice === conversation.expireSeconds}
            onClick={() => void apply()}
          >
            {t('disappearing.apply')}
          </Button>
        </>
      }
    >
      <p>{t('disappearing.explain')}</p>
      <p className="muted">{t('disappearing.records')}</p>
      {!allowed && (
        <div className="alert alert-info" role="status">
          <Icon name="alert" />
          <p>{t('disappearing.policyOff')}</p>
        </div>
      )}
      {mayChange === false && (
        <div className="alert alert-info" role="status">
          <Icon name="alert" />
          <p>{t('disappearing.adminOnly')}</p>
        </div>
      )}
      <p id={labelId} className="timer-choices-label">
        {t('disappearing.choices')}
      </p>
      <div className="timer-choices" role="radiogroup" aria-labelledby={labelId}>
        {choices.map((seconds) => (
          <label key={seconds} className="radio">
            <input
              type="radio"
              name="expire-timer"
              checked={choice === seconds}
              disabled={mayChange !== true || (!allowed && seconds !== 0)}
              onChange={() => setChoice(seconds)}
            />
            {seconds === 0 ? t('disappearing.off') : formatDuration(seconds)}
          </label>
        ))}
      </div>
    </Dialog>
  );
}
