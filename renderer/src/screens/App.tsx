// Which screen to show: enrolment, unlocking, the lock after idle time, or the app.
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { IconButton } from '../design/Button.js';
import { useAppState, useController } from '../state/context.js';
import { Enrolment } from './Enrolment.js';
import { Shell } from './Shell.js';
import { Unlock } from './Unlock.js';

/** Default idle time before the lock, until the engine's settings say otherwise. */
const DEFAULT_LOCK_MINUTES = 15;

function useIdleLock(): void {
  const controller = useController();
  const ready = useAppState((s) => s.host?.phase === 'ready' && !s.idleLocked);
  const minutes = useAppState((s) => s.settings?.lockDelayMinutes ?? DEFAULT_LOCK_MINUTES);
  useEffect(() => {
    if (!ready || minutes <= 0) return;
    let last = Date.now();
    const touch = () => {
      last = Date.now();
    };
    const events = ['keydown', 'pointerdown', 'pointermove', 'wheel'] as const;
    for (const e of events) window.addEventListener(e, touch, { passive: true });
    const timer = setInterval(() => {
      if (Date.now() - last > minutes * 60_000) controller.lock();
    }, 10_000);
    return () => {
      for (const e of events) window.removeEventListener(e, touch);
      clearInterval(timer);
    };
  }, [controller, ready, minutes]);
}

export function Notices() {
  const { t } = useTranslation();
  const controller = useController();
  const notices = useAppState((s) => s.notices);
  return (
    <div className="notices" aria-live="assertive" aria-relevant="additions">
      {notices.map((n) => (
        <div key={n.id} className="notice">
          <p>{n.text}</p>
          <IconButton
            icon="close"
            label={t('common.dismiss')}
            onClick={() => controller.dismiss(n.id)}
          />
        </div>
      ))}
    </div>
  );
}

function Centered({ children }: { children: React.ReactNode }) {
  return <div className="centered">{children}</div>;
}

export function NoTransport() {
  const { t } = useTranslation();
  return (
    <Centered>
      <div className="card">
        <h1>{t('app.name')}</h1>
        <p>{t('app.noTransport')}</p>
      </div>
    </Centered>
  );
}

export function App() {
  const { t } = useTranslation();
  const link = useAppState((s) => s.link);
  const host = useAppState((s) => s.host);
  const idleLocked = useAppState((s) => s.idleLocked);
  useIdleLock();

  let screen: React.ReactNode;
  if (!host) {
    screen = (
      <Centered>
        <p role="status" className="muted">
          {link === 'closed' ? t('app.hostLost') : t('app.connectingHost')}
        </p>
      </Centered>
    );
  } else if (host.phase === 'enrol') {
    screen = <Enrolment status={host} />;
  } else if (host.phase === 'unlock') {
    screen = <Unlock reason={host.unlockReason === 'recovery' ? 'recovery' : 'start'} />;
  } else if (idleLocked) {
    screen = <Unlock reason="idle" />;
  } else {
    screen = <Shell />;
  }
  return (
    <>
      {host && link === 'closed' && (
        <div className="link-lost" role="alert">
          {t('app.hostLost')}
        </div>
      )}
      {screen}
      <Notices />
    </>
  );
}
