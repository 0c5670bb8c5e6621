// The main window: navigation rail (with « Vérifier un document », one click from
// anywhere), connection banner, the list column and the conversation (or settings)
// pane.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ContactsPane } from '../contacts/ContactsPane.js';
import { SafetyDialog } from '../contacts/SafetyDialog.js';
import { ConversationList } from '../conversation/ConversationList.js';
import { ConversationPane } from '../conversation/ConversationPane.js';
import { Icon, type IconName } from '../design/Icon.js';
import { VerifyDocumentDialog } from '../documents/VerifyDocumentDialog.js';
import { SettingsPage } from '../settings/SettingsPage.js';
import type { View } from '../state/app-state.js';
import { useAppState, useController } from '../state/context.js';
import { ConnectionBanner } from './ConnectionBanner.js';

const NAV: readonly {
  view: View;
  icon: IconName;
  label: 'nav.conversations' | 'nav.contacts' | 'nav.settings';
}[] = [
  { view: 'conversations', icon: 'chat', label: 'nav.conversations' },
  { view: 'contacts', icon: 'contacts', label: 'nav.contacts' },
  { view: 'settings', icon: 'settings', label: 'nav.settings' },
];

function Rail({ onVerify }: { onVerify: () => void }) {
  const { t } = useTranslation();
  const controller = useController();
  const view = useAppState((s) => s.view);
  const unread = useAppState((s) => s.conversations.reduce((n, c) => n + c.unreadCount, 0));
  return (
    <nav className="rail" aria-label={t('nav.label')}>
      <span className="rail-brand" aria-hidden="true">
        <Icon name="shield" />
      </span>
      <ul>
        {NAV.map((item) => (
          <li key={item.view}>
            <button
              type="button"
              className="rail-item"
              aria-current={view === item.view ? 'page' : undefined}
              onClick={() => controller.show(item.view)}
            >
              <Icon name={item.icon} />
              <span>{t(item.label)}</span>
              {item.view === 'conversations' && unread > 0 && (
                <span className="badge badge-count rail-badge">
                  <span className="visually-hidden">
                    {t('conversations.unread', { count: unread })}
                  </span>
                  <span aria-hidden="true">{unread}</span>
                </span>
              )}
            </button>
          </li>
        ))}
        <li>
          <button type="button" className="rail-item rail-verify" onClick={onVerify}>
            <Icon name="fileCheck" />
            <span>{t('nav.verifyDocument')}</span>
          </button>
        </li>
      </ul>
      <button type="button" className="rail-item rail-lock" onClick={() => controller.lock()}>
        <Icon name="lock" />
        <span>{t('nav.lock')}</span>
      </button>
    </nav>
  );
}

export function Shell() {
  const { t } = useTranslation();
  const view = useAppState((s) => s.view);
  const safetyFor = useAppState((s) => s.safetyFor);
  const [verifying, setVerifying] = useState(false);
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        {t('app.skipToContent')}
      </a>
      <Rail onVerify={() => setVerifying(true)} />
      <div className="shell-body">
        <ConnectionBanner />
        {view === 'settings' ? (
          <main id="main" className="settings-main" tabIndex={-1}>
            <SettingsPage />
          </main>
        ) : (
          <div className="panes">
            {view === 'contacts' ? <ContactsPane /> : <ConversationList />}
            <main id="main" className="conversation-main" tabIndex={-1}>
              <ConversationPane />
            </main>
          </div>
        )}
      </div>
      {safetyFor && <SafetyDialog userId={safetyFor} />}
      {verifying && <VerifyDocumentDialog onClose={() => setVerifying(false)} />}
    </div>
  );
}
