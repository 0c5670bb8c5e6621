// The directory, grouped by institution: each colleague with their position, a
// "verified" mark, a warning when their key changed, their clearance when it is not
// the default one, and ways to write to them or compare the safety number.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { DEFAULT_CLEARANCE } from '../../../shared/api/index.js';
import type { ContactView } from '../api/types.js';
import { Avatar } from '../design/Avatar.js';
import { IconButton } from '../design/Button.js';
import { Icon } from '../design/Icon.js';
import { classificationName, describeError } from '../i18n/i18n.js';
import { useAppState, useController } from '../state/context.js';

function fold(text: string): string {
  return text.toLocaleLowerCase().normalize('NFD').replace(/\p{M}/gu, '');
}

function ContactRow({ contact, keyChanged }: { contact: ContactView; keyChanged: boolean }) {
  const { t } = useTranslation();
  const controller = useController();
  return (
    <li className="contact-row" data-user-id={contact.userId}>
      <Avatar name={contact.displayName} />
      <div className="row-main">
        <span className="row-title">{contact.displayName}</span>
        <span className="preview">{contact.title}</span>
        <span className="contact-badges">
          {contact.verified && !keyChanged && (
            <span className="badge badge-success">
              <Icon name="shieldCheck" className="badge-icon" />
              {t('contacts.verified')}
            </span>
          )}
          {keyChanged && (
            <span className="badge badge-warning">
              <Icon name="alert" className="badge-icon" />
              {t('contacts.keyChanged')}
            </span>
          )}
          {/* Most people have the default clearance: only the others are marked. */}
          {contact.clearance !== DEFAULT_CLEARANCE && (
            <span
              className="badge badge-clearance"
              data-classification={contact.clearance}
              data-testid="clearance"
              title={t('classification.clearanceHint')}
            >
              {contact.clearance === 'none'
                ? t('classification.noClearance')
                : t('classification.clearance', { label: classificationName(contact.clearance) })}
            </span>
          )}
        </span>
      </div>
      <IconButton
        icon="shield"
        label={t('contacts.safetyNumber', { name: contact.displayName })}
        onClick={() => controller.openSafety(contact.userId)}
      />
      <IconButton
        icon="chat"
        label={t('contacts.write', { name: contact.displayName })}
        onClick={() => void controller.openDirect(contact.userId, contact.displayName)}
      />
    </li>
  );
}

export function ContactsPane() {
  const { t } = useTranslation();
  const contacts = useAppState((s) => s.contacts);
  const error = useAppState((s) => s.contactsError);
  const changedKeys = useAppState((s) => s.changedKeys);
  const [filter, setFilter] = useState('');
  const wanted = fold(filter.trim());
  const shown = (contacts ?? []).filter(
    (c) => !wanted || fold(`${c.displayName} ${c.title} ${c.institution}`).includes(wanted),
  );
  const institutions = new Map<string, ContactView[]>();
  for (const c of shown)
    institutions.set(c.institution, [...(institutions.get(c.institution) ?? []), c]);

  return (
    <section className="list-column" aria-labelledby="contacts-title">
      <div className="list-header">
        <h1 id="contacts-title">{t('contacts.title')}</h1>
      </div>
      <div className="search-box" role="search">
        <Icon name="search" />
        <input
          type="search"
          className="input"
          aria-label={t('contacts.filter')}
          placeholder={t('contacts.filter')}
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
        />
      </div>
      <div className="list-scroll" aria-label={t('contacts.institutionsLabel')} role="region">
        {error && (
          <p className="alert alert-error" role="alert">
            {describeError(error)}
          </p>
        )}
        {contacts === null && !error && <p className="empty">{t('common.loading')}</p>}
        {contacts?.length === 0 && <p className="empty">{t('contacts.empty')}</p>}
        {contacts && contacts.length > 0 && shown.length === 0 && (
          <p className="empty">{t('contacts.noMatch')}</p>
        )}
        {[...institutions].map(([institution, people]) => (
          <section
            key={institution}
            className="institution"
            aria-labelledby={`inst-${institution}`}
          >
            <h2 className="list-subtitle" id={`inst-${institution}`}>
              {institution}
            </h2>
            <ul className="contact-list">
              {people.map((c) => (
                <ContactRow
                  key={c.userId}
                  contact={c}
                  keyChanged={c.identityChanged || changedKeys.includes(c.userId)}
                />
              ))}
            </ul>
          </section>
        ))}
      </div>
    </section>
  );
}
