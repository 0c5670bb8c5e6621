// The safety number with a colleague, in groups of five digits to read aloud, the
// "verified" mark, and the warning when their key changed.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ApiError, SafetyNumberView } from '../api/types.js';
import { Button } from '../design/Button.js';
import { Dialog } from '../design/Dialog.js';
import { Icon } from '../design/Icon.js';
import { describeError } from '../i18n/i18n.js';
import { useAppState, useController } from '../state/context.js';

export function SafetyDialog({ userId }: { userId: string }) {
  const { t } = useTranslation();
  const controller = useController();
  const contact = useAppState((s) => s.contacts?.find((c) => c.userId === userId));
  const changed = useAppState((s) => s.changedKeys.includes(userId));
  const [number, setNumber] = useState<SafetyNumberView | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const name = contact?.displayName ?? userId;
  const keyChanged = changed || contact?.identityChanged === true;

  useEffect(() => {
    void controller.api.safetyNumber(userId).then((result) => {
      if (result.ok) setNumber(result.value);
      else setError(result.error);
    });
  }, [controller, userId]);

  const verify = async () => {
    if (await controller.markVerified(userId)) {
      const again = await controller.api.safetyNumber(userId);
      if (again.ok) setNumber(again.value);
    }
  };

  return (
    <Dialog
      title={t('safety.title', { name })}
      closeLabel={t('common.close')}
      onClose={() => controller.openSafety(null)}
      className="safety-dialog"
      actions={
        <>
          <Button onClick={() => controller.openSafety(null)}>{t('common.close')}</Button>
          {number && (!number.verified || keyChanged) && (
            <Button variant="primary" icon="shieldCheck" onClick={() => void verify()}>
              {t('safety.markVerified')}
            </Button>
          )}
        </>
      }
    >
      {keyChanged && (
        <div className="alert alert-warning" role="alert">
          <Icon name="alert" />
          <div>
            <strong>{t('safety.keyChangedTitle', { name })}</strong>
            <p>{t('safety.keyChangedBody', { name })}</p>
          </div>
        </div>
      )}
      <p>{t('safety.explain', { name })}</p>
      {error && (
        <p className="alert alert-error" role="alert">
          {describeError(error)}
        </p>
      )}
      {number && (
        <ol className="safety-digits" aria-label={t('safety.digitsLabel')}>
          {number.groups.map((group, i) => (
            <li key={i} className="mono">
              {group}
            </li>
          ))}
        </ol>
      )}
      {number?.verified && !keyChanged && (
        <p className="verified-line">
          <Icon name="shieldCheck" /> {t('safety.verified')}
        </p>
      )}
    </Dialog>
  );
}
