// Settings: my account (with my clearance, my unit and whom I report to), my absence and
// who stands in for me (« Absence et intérim »), language, notifications (show the text
// or not), the idle lock delay, and the devices of my account.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ApiError } from '../api/types.js';
import { Button } from '../design/Button.js';
import { Icon } from '../design/Icon.js';
import { LANGUAGES, classificationName, currentLanguage, describeError } from '../i18n/i18n.js';
import { useAppState, useController } from '../state/context.js';
import { AbsenceCard } from './AbsenceCard.js';

const LOCK_CHOICES = [1, 5, 15, 30, 60] as const;

interface Device {
  readonly deviceId: number;
  readonly active: boolean;
  readonly current: boolean;
}

export function SettingsPage() {
  const { t } = useTranslation();
  const controller = useController();
  const account = useAppState((s) => s.account);
  const settings = useAppState((s) => s.settings);
  const settingsError = useAppState((s) => s.settingsError);
  const manager = useAppState((s) => {
    const id = s.account?.managerId;
    if (id === null || id === undefined) return null;
    return s.contacts?.find((c) => c.userId === id)?.displayName ?? id;
  });
  const [devices, setDevices] = useState<readonly Device[] | null>(null);
  const [devicesError, setDevicesError] = useState<ApiError | null>(null);
  const language = currentLanguage();

  useEffect(() => {
    void controller.api.ownDevices().then((result) => {
      if (result.ok) setDevices(result.value);
      else setDevicesError(result.error);
    });
  }, [controller]);

  return (
    <div className="settings">
      <h1>{t('settings.title')}</h1>

      <section className="settings-card" aria-labelledby="settings-account">
        <h2 id="settings-account">{t('settings.account')}</h2>
        {account && (
          <dl className="facts">
            <dt>{t('settings.userId')}</dt>
            <dd className="mono">{account.userId}</dd>
            <dt>{t('settings.institution')}</dt>
            <dd>{account.institution}</dd>
            <dt>{t('settings.function')}</dt>
            <dd>{account.title}</dd>
            {account.unit && (
              <>
                <dt>{t('settings.unit')}</dt>
                <dd data-testid="my-unit">{account.unit}</dd>
              </>
            )}
            {manager !== null && (
              <>
                <dt>{t('settings.manager')}</dt>
                <dd data-testid="my-manager">{manager}</dd>
              </>
            )}
            <dt>{t('settings.relay')}</dt>
            <dd className="mono">{account.relayUrl}</dd>
            <dt>{t('settings.clearance')}</dt>
            <dd data-testid="my-clearance">
              {account.clearance === 'none'
                ? t('classification.none')
                : classificationName(account.clearance)}
              <span className="hint">{t('settings.clearanceHint')}</span>
            </dd>
          </dl>
        )}
      </section>

      {account && <AbsenceCard account={account} />}

      <section className="settings-card" aria-labelledby="settings-language">
        <h2 id="settings-language">{t('settings.language')}</h2>
        <div className="radio-row" role="radiogroup" aria-labelledby="settings-language">
          {LANGUAGES.map((l) => (
            <label key={l} className="radio" lang={l}>
              <input
                type="radio"
                name="language"
                checked={language === l}
                onChange={() => void controller.setLanguage(l)}
              />
              {t(`languages.${l}`)}
            </label>
          ))}
        </div>
      </section>

      {settingsError && (
        <div className="alert alert-info" role="status">
          <Icon name="alert" />
          <p>{t('settings.unavailable', { reason: describeError(settingsError) })}</p>
        </div>
      )}

      <section className="settings-card" aria-labelledby="settings-notifications">
        <h2 id="settings-notifications">{t('settings.notifications')}</h2>
        <label className="checkbox">
          <input
            type="checkbox"
            disabled={!settings}
            checked={settings?.notificationsShowText ?? false}
            onChange={(e) =>
              void controller.updateSettings({ notificationsShowText: e.target.checked })
            }
            aria-describedby="show-text-hint"
          />
          <span>
            {t('settings.showText')}
            <span id="show-text-hint" className="hint">
              {t('settings.showTextHint')}
            </span>
          </span>
        </label>
      </section>

      <section className="settings-card" aria-labelledby="settings-lock">
        <h2 id="settings-lock">{t('settings.lock')}</h2>
        <div className="field inline-field">
          <label htmlFor="lock-delay">{t('settings.lockDelay')}</label>
          <select
            id="lock-delay"
            className="input"
            disabled={!settings}
            value={settings?.lockDelayMinutes ?? 15}
            onChange={(e) =>
              void controller.updateSettings({ lockDelayMinutes: Number(e.target.value) })
            }
          >
            {LOCK_CHOICES.map((m) => (
              <option key={m} value={m}>
                {t('settings.minutes', { count: m })}
              </option>
            ))}
          </select>
        </div>
        <Button icon="lock" onClick={() => controller.lock()}>
          {t('settings.lockNow')}
        </Button>
      </section>

      <section className="settings-card" aria-labelledby="settings-devices">
        <h2 id="settings-devices">{t('settings.devices')}</h2>
        {devicesError && (
          <p className="alert alert-error" role="alert">
            {describeError(devicesError)}
          </p>
        )}
        {devices && (
          <ul className="device-list">
            {devices.map((d) => (
              <li key={d.deviceId}>
                <Icon name="shield" />
                <span>{t('settings.device', { id: d.deviceId })}</span>
                {d.current && (
                  <span className="badge badge-success">{t('settings.thisDevice')}</span>
                )}
                <span className="muted">
                  {d.active ? t('settings.active') : t('settings.revoked')}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
