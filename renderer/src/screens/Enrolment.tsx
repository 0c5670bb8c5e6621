// First run: the relay (prefilled from machine policy), the enrolment code from
// the ICT cell, and a passphrase. Fields are checked here first, with sentences
// that say what to do; the engine's refusals are shown in the same way.
import { type FormEvent, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ApiError } from '../api/types.js';
import type { HostStatus } from '../../../shared/api/host.js';
import { Button } from '../design/Button.js';
import { Field } from '../design/Field.js';
import { Icon } from '../design/Icon.js';
import { describeError } from '../i18n/i18n.js';
import { useController } from '../state/context.js';
import { LanguageSwitch } from './LanguageSwitch.js';

type FieldName = 'relayUrl' | 'relayKey' | 'code' | 'passphrase' | 'confirm';

export function Enrolment({ status }: { status: HostStatus }) {
  const { t } = useTranslation();
  const controller = useController();
  const [relayUrl, setRelayUrl] = useState(status.relayUrl ?? '');
  const [relayKey, setRelayKey] = useState(status.relayKey ?? '');
  const [editRelay, setEditRelay] = useState(!status.relayUrl || !status.relayKey);
  const [code, setCode] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [confirm, setConfirm] = useState('');
  const [errors, setErrors] = useState<Partial<Record<FieldName, string>>>({});
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const summaryRef = useRef<HTMLDivElement>(null);
  const fixed = status.relayFixedByPolicy;

  const validate = (): Partial<Record<FieldName, string>> => {
    const found: Partial<Record<FieldName, string>> = {};
    if (!/^https?:\/\/[^\s/]+/.test(relayUrl.trim())) found.relayUrl = t('enrol.invalid.relayUrl');
    if (!/^[0-9a-fA-F]{64}$/.test(relayKey.trim())) found.relayKey = t('enrol.invalid.relayKey');
    if (code.trim() === '') found.code = t('enrol.invalid.code');
    if (passphrase.length < 8) found.passphrase = t('enrol.invalid.passphraseShort');
    else if (confirm !== passphrase) found.confirm = t('enrol.invalid.passphraseMismatch');
    return found;
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = validate();
    setErrors(found);
    setFailure(null);
    if (Object.keys(found).length > 0) {
      if (found.relayUrl || found.relayKey) setEditRelay(true);
      requestAnimationFrame(() => summaryRef.current?.focus());
      return;
    }
    setBusy(true);
    const result = await controller.enrol({
      relayUrl: relayUrl.trim(),
      relayKey: relayKey.trim(),
      code: code.trim(),
      passphrase,
    });
    setBusy(false);
    if (!result.ok) {
      setFailure(result.error);
      requestAnimationFrame(() => summaryRef.current?.focus());
    }
  };

  const errorCount = Object.keys(errors).length;
  return (
    <main className="centered" id="main">
      <form className="card enrol" onSubmit={submit} noValidate aria-labelledby="enrol-title">
        <div className="card-top">
          <span className="brand-mark" aria-hidden="true">
            <Icon name="shield" />
          </span>
          <LanguageSwitch />
        </div>
        <h1 id="enrol-title">{t('enrol.title')}</h1>
        {status.wiped && (
          <div className="alert alert-warning device-wiped" role="alert">
            <Icon name="alert" />
            <p>{describeError({ code: 'DEVICE_WIPED', message: '' })}</p>
          </div>
        )}
        <p className="muted">{t('enrol.intro')}</p>
        <div ref={summaryRef} tabIndex={-1} className="summary-anchor">
          {failure && (
            <div className="alert alert-error" role="alert">
              <Icon name="alert" />
              <p>{describeError(failure)}</p>
            </div>
          )}
          {errorCount > 0 && (
            <div className="alert alert-error" role="alert">
              <Icon name="alert" />
              <p>{t('enrol.fixErrors', { count: errorCount })}</p>
            </div>
          )}
        </div>
        <fieldset className="relay-box">
          <legend>{t('enrol.relaySection')}</legend>
          {editRelay && !fixed ? (
            <>
              <Field
                label={t('enrol.relayUrl')}
                hint={t('enrol.relayUrlHint')}
                error={errors.relayUrl}
                value={relayUrl}
                onChange={(e) => setRelayUrl(e.target.value)}
                inputMode="url"
                autoComplete="off"
                spellCheck={false}
              />
              <Field
                label={t('enrol.relayKey')}
                hint={t('enrol.relayKeyHint')}
                error={errors.relayKey}
                value={relayKey}
                onChange={(e) => setRelayKey(e.target.value)}
                className="mono-field"
                autoComplete="off"
                spellCheck={false}
              />
            </>
          ) : (
            <div className="relay-summary">
              <p className="mono">{relayUrl}</p>
              {fixed ? (
                <p className="hint">{t('enrol.relayFixed')}</p>
              ) : (
                <Button variant="ghost" small onClick={() => setEditRelay(true)}>
                  {t('enrol.changeRelay')}
                </Button>
              )}
            </div>
          )}
        </fieldset>
        <Field
          label={t('enrol.code')}
          hint={t('enrol.codeHint')}
          error={errors.code}
          value={code}
          onChange={(e) => setCode(e.target.value)}
          autoComplete="one-time-code"
          spellCheck={false}
          className="mono-field"
          autoFocus
          name="code"
        />
        <Field
          label={t('enrol.passphrase')}
          hint={t('enrol.passphraseHint')}
          error={errors.passphrase}
          type="password"
          value={passphrase}
          onChange={(e) => setPassphrase(e.target.value)}
          autoComplete="new-password"
          name="passphrase"
        />
        <Field
          label={t('enrol.passphraseConfirm')}
          error={errors.confirm}
          type="password"
          value={confirm}
          onChange={(e) => setConfirm(e.target.value)}
          autoComplete="new-password"
          name="confirm"
        />
        <Button type="submit" variant="primary" disabled={busy} aria-busy={busy}>
          {busy ? t('enrol.submitting') : t('enrol.submit')}
        </Button>
      </form>
    </main>
  );
}
