// The directory, read as the organisation chart: by institution, then by unit (direction,
// service), each unit's head first. Each colleague with their position, whom they report
// to, a "verified" mark, a warning when their key changed, their clearance when it is not
// the default one, and ways to write to them or compare the safety number. Someone away
// shows until when and who stands in for them (« intérim »), with a button to write to
// that colleague instead.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { DEFAULT_CLEARANCE } from '../../../shared/api/index.js';
import type { ContactView, DelegationView } from '../api/types.js';
import { Avatar } from '../design/Avatar.js';
import { IconButton } from '../design/Button.js';
import { Icon } from '../design/Icon.js';
import { FilterInput } from '../design/FilterInput.js';
import { formatDayMonth } from '../i18n/format.js';
import { classificationName, currentLanguage, describeError } from '../i18n/i18n.js';
import { useAppState, useController } from '../state/context.js';
import { useCurrentAbsence } from './absence.js';
import { WriteToDelegate } from './WriteToDelegate.js';
import { matchesFilter } from './fold.js';
import { orgChart } from './org-chart.js';

/** A name as the directory has it: a contact's, mine, or the id when unknown. */
function useNameOf(): (userId: string, fallback?: string) => string {
  const contacts = useAppState((s) => s.contacts);
  const account = useAppState((s) => s.account);
  return (userId, fallback) => {
    if (userId === account?.userId) return account.displayName;
    return contacts?.find((c) => c.userId === userId)?.displayName ?? fallback ?? userId;
  };
}

/** « Absent(e) jusqu'au 5 déc. — intérim : Jean Dupont », and a button to write to Jean. */
function AbsenceNote({ absence }: { absence: DelegationView }) {
  const { t } = useTranslation();
  const me = useAppState((s) => s.account?.userId);
  const nameOf = useNameOf();
  const delegate = nameOf(absence.delegateId, absence.delegateName);
  const date = formatDayMonth(absence.until);
  const mine = absence.delegateId === me;
  return (
    <div className="absence-note" data-testid="absence">
      <Icon name="clock" className="badge-icon" />
      <span className="absence-text">
        {mine ? t('contacts.awayYou', { date }) : t('contacts.away', { date, delegate })}
      </span>
      {!mine && <WriteToDelegate delegateId={absence.delegateId} name={delegate} />}
    </div>
  );
}

function ContactRow({ contact, keyChanged }: { contact: ContactView; keyChanged: boolean }) {
  const { t } = useTranslation();
  const controller = useController();
  const nameOf = useNameOf();
  const absence = useCurrentAbsence(contact.delegation);
  return (
    <li
      className="contact-row"
      data-user-id={contact.userId}
      data-away={absence ? 'true' : undefined}
    >
      <Avatar name={contact.displayName} />
      <div className="row-main">
        <span className="row-title">{contact.displayName}</span>
        {contact.title && <span className="preview">{contact.title}</span>}
        {contact.managerId !== null && (
          <span className="preview reports-to" data-testid="reports-to">
            {t('contacts.reportsTo', { name: nameOf(contact.managerId) })}
          </span>
        )}
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
      {absence && <AbsenceNote absence={absence} />}
    </li>
  );
}

function People({ people }: { people: readonly ContactView[] }) {
  const changedKeys = useAppState((s) => s.changedKeys);
  return (
    <ul className="contact-list">
      {people.map((c) => (
        <ContactRow
          key={c.userId}
          contact={c}
          keyChanged={c.identityChanged || changedKeys.includes(c.userId)}
        />
      ))}
    </ul>
  );
}

export function ContactsPane() {
  const { t } = useTranslation();
  const contacts = useAppState((s) => s.contacts);
  const error = useAppState((s) => s.contactsError);
  const [filter, setFilter] = useState('');
  const shown = (contacts ?? []).filter((c) => matchesFilter(filter, c));
  const chart = orgChart(shown, contacts ?? [], currentLanguage());

  return (
    <section className="list-column" aria-labelledby="contacts-title">
      <div className="list-header">
        <h1 id="contacts-title">{t('contacts.title')}</h1>
      </div>
      <div className="search-box" role="search">
        <Icon name="search" />
        <FilterInput label={t('contacts.filter')} value={filter} onChange={setFilter} />
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
        {chart.map((group, i) => (
          <section key={group.institution} className="institution" aria-labelledby={`inst-${i}`}>
            <h2 className="list-subtitle" id={`inst-${i}`}>
              {group.institution}
            </h2>
            {group.people.length > 0 && <People people={group.people} />}
            {group.units.map((unit, j) => (
              <section
                key={unit.unit}
                className="unit"
                aria-labelledby={`inst-${i}-unit-${j}`}
                data-unit={unit.unit}
              >
                <h3 className="unit-title" id={`inst-${i}-unit-${j}`}>
                  {unit.unit}
                </h3>
                <People people={unit.people} />
              </section>
            ))}
          </section>
        ))}
      </div>
    </section>
  );
}
