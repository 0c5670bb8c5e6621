// Connected / reconnecting / offline, with the number of messages waiting in the
// outbox, the progress of a catch-up after a long absence, a store that cannot be
// written (full disk): what to do about it, until the engine says it is over; a relay
// whose certificate this computer does not trust; and a device revoked by the ICT cell,
// for good.
import { useTranslation } from 'react-i18next';
import { Icon } from '../design/Icon.js';
import { ProgressBar } from '../design/ProgressBar.js';
import { formatNumber } from '../i18n/format.js';
import { describeError } from '../i18n/i18n.js';
import { useAppState } from '../state/context.js';

export function ConnectionBanner() {
  const { t } = useTranslation();
  const connection = useAppState((s) => s.connection);
  const problem = useAppState((s) => s.connectionProblem);
  const waiting = useAppState((s) => Math.max(s.waiting, s.waitingMessages));
  const catchUp = useAppState((s) => s.catchUp);
  const storageProblem = useAppState((s) => s.storageProblem);
  const revoked = useAppState((s) => s.revoked);
  const online = connection === 'online';
  const stateText =
    connection === 'online'
      ? t('banner.online')
      : connection === 'stopped'
        ? t('banner.stopped')
        : connection === 'offline'
          ? t('banner.offline')
          : t('banner.connecting');
  return (
    <div className="banners">
      {revoked && (
        <div className="device-revoked" role="alert">
          <p>
            <Icon name="alert" /> {describeError({ code: 'DEVICE_REVOKED', message: '' })}
          </p>
        </div>
      )}
      {storageProblem && (
        <div className="storage-problem" role="alert" data-problem={storageProblem}>
          <p>
            <Icon name="alert" /> {describeError({ code: storageProblem, message: '' })}
          </p>
        </div>
      )}
      <div
        className={online ? 'connection connection-online' : 'connection connection-offline'}
        role="status"
        data-connection={connection ?? 'connecting'}
        data-waiting={waiting}
      >
        {online ? (
          waiting > 0 && (
            <p>
              <Icon name="clock" /> {t('banner.waiting', { count: waiting })}
            </p>
          )
        ) : (
          <p>
            <Icon name="wifiOff" />
            <strong>{stateText}</strong>{' '}
            {problem && (
              <span className="connection-problem">
                {describeError({ code: problem, message: '' })}{' '}
              </span>
            )}
            {waiting > 0 && (
              <span>
                {t('banner.waiting', { count: waiting })} {t('banner.reassure')}
              </span>
            )}
          </p>
        )}
        {online && waiting === 0 && <span className="visually-hidden">{stateText}</span>}
      </div>
      {catchUp && (
        <div className="catch-up" role="status">
          <p>
            {t('banner.catchUp', {
              processed: formatNumber(catchUp.processed),
              remaining: formatNumber(catchUp.remaining),
            })}
          </p>
          <ProgressBar
            value={catchUp.processed}
            max={catchUp.processed + catchUp.remaining}
            label={t('banner.catchUpLabel')}
          />
        </div>
      )}
    </div>
  );
}
