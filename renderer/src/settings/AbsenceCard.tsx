// « Absence et intérim » in the settings: while none is declared, a form (the last day of
// the absence, at most MAX_DELEGATION_DAYS ahead, and the colleague who stands in); once
// declared, what my contacts see and a button to end it. The engine's refusal is shown
// in the person's language.
import { type FormEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { MAX_DELEGATION_DAYS } from '../../../shared/api/index.js';
import type { AccountView, ApiError, ContactView } from '../api/types.js';
import {
  absenceDayRange,
  absenceEnd,
  dayAfter,
  isoDay,
  useCurrentAbsence,
} from '../contacts/absence.js';
import { Button } from '../design/Button.js';
import { Icon } from '../design/Icon.js';
import { formatDayMonth } from '../i18n/format.js';
import { currentLanguage, describeError } from '../i18n/i18n.js';
import { useAppState, useController } from '../state/context.js';

/** The absence suggested: a week. */
const DEFAULT_DAYS = 7;

function useRefusalText(): (error: ApiError) => string {
  const { t } = useTranslation();
  return (error) => {
    // The engine's detail is in English for logs: the person reads why, in their language.
    if (error.code === 'BAD_REQUEST') {
      return t('absence.refused.BAD_REQUEST', { days: MAX_DELEGATION_DAYS });
    }
    if (error.code === 'UNKNOWN_USER') return t('absence.refused.UNKNOWN_USER');
    return describeError(error);
  };
}

/** The last day as a person reads it (« 21 novembre 2027 »), from a date input's value. */
function readableDay(day: string): string {
  const [year, month, date] = day.split('-').map(Number);
  return formatDayMonth(new Date(year!, month! - 1, date!).getTime(), 'long');
}

function DeclareForm({ account }: { account: AccountView }) {
  const { t } = useTranslation();
  const controller = useController();
  const contacts = useAppState((s) => s.contacts);
  const refusalText = useRefusalText();
  const id = useId();
  const [range] = useState(() => absenceDayRange());
  const [day, setDay] = useState(() => isoDay(dayAfter(Date.now(), DEFAULT_DAYS)));
  const [delegateId, setDelegateId] = useState('');
  const [invalid, setInvalid] = useState<{ day?: string; delegate?: string }>({});
  const [refused, setRefused] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  const colleagues = (contacts ?? []).filter((c) => c.userId !== account.userId);
  const byInstitution = new Map<string, ContactView[]>();
  for (const c of colleagues) {
    byInstitution.set(c.institution, [...(byInstitution.get(c.institution) ?? []), c]);
  }
  const collator = new Intl.Collator(currentLanguage(), { sensitivity: 'base' });
  const max = readableDay(range.max);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setRefused(null);
    const until = absenceEnd(day);
    const problems = {
      ...(until === null ? { day: t('absence.invalid.date', { max }) } : {}),
      ...(delegateId === '' ? { delegate: t('absence.invalid.delegate') } : {}),
    };
    setInvalid(problems);
    if (until === null || delegateId === '') return;
    setSaving(true);
    const error = await controller.setDelegation(delegateId, until);
    setSaving(false);
    if (error) setRefused(refusalText(error));
  };

  if (contacts !== null && colleagues.length === 0) {
    return <p className="hint">{t('absence.noColleague')}</p>;
  }
  return (
    <form className="absence-form" noValidate onSubmit={(e) => void submit(e)}>
      <div className="field">
        <label htmlFor={`${id}-until`}>{t('absence.until')}</label>
        <input
          id={`${id}-until`}
          type="date"
          className="input"
          min={range.min}
          max={range.max}
          value={day}
          required
          aria-invalid={invalid.day ? true : undefined}
          aria-describedby={`${id}-until-hint${invalid.day ? ` ${id}-until-error` : ''}`}
          onChange={(e) => setDay(e.target.value)}
        />
        <span id={`${id}-until-hint`} className="hint">
          {t('absence.untilHint', { max })}
        </span>
        {invalid.day && (
          <span id={`${id}-until-error`} className="error">
            {invalid.day}
          </span>
        )}
      </div>
      <div className="field">
        <label htmlFor={`${id}-delegate`}>{t('absence.delegate')}</label>
        <select
          id={`${id}-delegate`}
          className="input"
          value={delegateId}
          required
          aria-invalid={invalid.delegate ? true : undefined}
          aria-describedby={`${id}-delegate-hint${invalid.delegate ? ` ${id}-delegate-error` : ''}`}
          onChange={(e) => setDelegateId(e.target.value)}
        >
          <option value="">{t('absence.choose')}</option>
          {[...byInstitution].map(([institution, people]) => (
            <optgroup key={institution} label={institution}>
              {[...people]
                .sort((a, b) => collator.compare(a.displayName, b.displayName))
                .map((c) => (
                  <option key={c.userId} value={c.userId}>
                    {c.title ? `${c.displayName} — ${c.title}` : c.displayName}
                  </option>
                ))}
            </optgroup>
          ))}
        </select>
        <span id={`${id}-delegate-hint`} className="hint">
          {t('absence.delegateHint')}
        </span>
        {invalid.delegate && (
          <span id={`${id}-delegate-error`} className="error">
            {invalid.delegate}
          </span>
        )}
      </div>
      {refused && (
        <p className="alert alert-error" role="alert">
          {refused}
        </p>
      )}
      <Button type="submit" variant="primary" icon="clock" disabled={saving}>
        {saving ? t('absence.saving') : t('absence.declare')}
      </Button>
    </form>
  );
}

function Declared({ until, delegate }: { until: number; delegate: string }) {
  const { t } = useTranslation();
  const controller = useController();
  const refusalText = useRefusalText();
  const [refused, setRefused] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const end = async () => {
    setRefused(null);
    setSaving(true);
    const error = await controller.setDelegation(null);
    setSaving(false);
    if (error) setRefused(refusalText(error));
  };
  return (
    <>
      <div className="alert alert-warning absence-declared" data-testid="my-absence">
        <Icon name="clock" />
        <p>
          {t('absence.declared', { date: formatDayMonth(until, 'long'), delegate })}
          <span className="hint">{t('absence.declaredHint')}</span>
        </p>
      </div>
      {refused && (
        <p className="alert alert-error" role="alert">
          {refused}
        </p>
      )}
      <Button onClick={() => void end()} disabled={saving}>
        {saving ? t('absence.saving') : t('absence.end')}
      </Button>
    </>
  );
}

export function AbsenceCard({ account }: { account: AccountView }) {
  const { t } = useTranslation();
  const contacts = useAppState((s) => s.contacts);
  const absence = useCurrentAbsence(account.delegation);
  const delegate = absence
    ? (contacts?.find((c) => c.userId === absence.delegateId)?.displayName ?? absence.delegateName)
    : '';
  return (
    <section className="settings-card" aria-labelledby="settings-absence">
      <h2 id="settings-absence">{t('absence.title')}</h2>
      <p className="hint">{t('absence.intro')}</p>
      {absence ? (
        <Declared until={absence.until} delegate={delegate} />
      ) : (
        <DeclareForm account={account} />
      )}
    </section>
  );
}
