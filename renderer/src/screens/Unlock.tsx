// The passphrase: at start (no OS key store), for recovery (the OS key store could
// not unwrap the key), or after the idle lock.
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ApiError } from '../api/types.js';
import { Button } from '../design/Button.js';
import { Field } from '../design/Field.js';
import { Icon } from '../design/Icon.js';
import { describeError } from '../i18n/i18n.js';
import { useController } from '../state/context.js';
import { LanguageSwitch } from './LanguageSwitch.js';

export function Unlock({ reason }: { reason: 'start' | 'recovery' | 'idle' }) {
  const { t } = useTranslation();
  const controller = useController();
  const [passphrase, setPassphrase] = useState('');
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setFailure(null);
    const result = await controller.unlock(passphrase);
    setBusy(false);
    if (!result.ok) setFailure(result.error);
    else setPassphrase('');
  };

  const explanation =
    reason === 'recovery'
      ? t('unlock.recovery')
      : reason === 'idle'
        ? t('unlock.idle')
        : t('unlock.intro');
  return (
    <main className="centered" id="main">
      <form className="card unlock" onSubmit={submit} aria-labelledby="unlock-title">
        <div className="card-top">
          <span className="brand-mark" aria-hidden="true">
            <Icon name="lock" />
          </span>
          <LanguageSwitch />
        </div>
        <h1 id="unlock-title">{t('unlock.title')}</h1>
        <p className={reason === 'recovery' ? 'alert alert-warning' : 'muted'}>{explanation}</p>
        {failure && (
          <div className="alert alert-error" role="alert">
            <Icon name="alert" />
            <p>{describeError(failure)}</p>
          </div>
        )}
        <Field
          label={t('unlock.passphrase')}
          type="password"
          value={passphrase}
          onChange={(e) => setPassphrase(e.target.value)}
          autoComplete="current-password"
          autoFocus
          name="passphrase"
        />
        <Button type="submit" variant="primary" disabled={busy || passphrase === ''}>
          {busy ? t('unlock.submitting') : t('unlock.submit')}
        </Button>
      </form>
    </main>
  );
}
