// Creating a group: a name and members chosen from the directory; or a broadcast
// channel, where only its administrators post (members read and acknowledge).
import { type FormEvent, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Button } from '../design/Button.js';
import { Dialog } from '../design/Dialog.js';
import { Field } from '../design/Field.js';
import { FilterInput } from '../design/FilterInput.js';
import { matchesFilter } from '../contacts/fold.js';
import { useAppState, useController } from '../state/context.js';

export function NewGroupDialog({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const controller = useController();
  const contacts = useAppState((s) => s.contacts);
  const [name, setName] = useState('');
  const [members, setMembers] = useState<readonly string[]>([]);
  // A ministry's directory lists thousands: the list narrows as a name is typed; those
  // already chosen stay chosen when the filter hides them.
  const [filter, setFilter] = useState('');
  const shown = (contacts ?? []).filter(
    (c) => members.includes(c.userId) || matchesFilter(filter, c),
  );
  const [broadcast, setBroadcast] = useState(false);
  const [errors, setErrors] = useState<{ name?: string; members?: string }>({});
  const [busy, setBusy] = useState(false);

  // The directory may have grown since it was last read.
  useEffect(() => {
    void controller.loadContacts();
  }, [controller]);

  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    const found: { name?: string; members?: string } = {};
    if (name.trim() === '') found.name = t('groups.invalid.name');
    if (members.length === 0) found.members = t('groups.invalid.members');
    setErrors(found);
    if (found.name || found.members) return;
    setBusy(true);
    const group = await controller.createGroup(name.trim(), members, { broadcast });
    setBusy(false);
    if (group) onClose();
  };

  return (
    <Dialog
      title={t('groups.newTitle')}
      closeLabel={t('common.close')}
      onClose={onClose}
      actions={
        <>
          <Button onClick={onClose}>{t('common.cancel')}</Button>
          <Button variant="primary" disabled={busy} onClick={() => void submit()}>
            {t('groups.create')}
          </Button>
        </>
      }
    >
      <form onSubmit={(e) => void submit(e)} className="stack">
        <Field
          label={t('groups.name')}
          value={name}
          error={errors.name}
          onChange={(e) => setName(e.target.value)}
          autoFocus
        />
        <label className="checkbox">
          <input
            type="checkbox"
            checked={broadcast}
            onChange={(e) => setBroadcast(e.target.checked)}
          />
          <span>
            {t('groups.broadcast')} <span className="muted">{t('groups.broadcastHint')}</span>
          </span>
        </label>
        <fieldset
          className="member-picker"
          aria-describedby={errors.members ? 'members-error' : undefined}
        >
          <legend>
            {t('groups.pickMembers')}
            {members.length > 0 && (
              <span className="muted"> · {t('groups.chosen', { count: members.length })}</span>
            )}
          </legend>
          {contacts !== null && contacts.length > 0 && (
            <FilterInput label={t('groups.filterMembers')} value={filter} onChange={setFilter} />
          )}
          {contacts?.length === 0 && <p className="muted">{t('contacts.empty')}</p>}
          {shown.map((c) => (
            <label key={c.userId} className="checkbox">
              <input
                type="checkbox"
                checked={members.includes(c.userId)}
                onChange={(e) =>
                  setMembers((now) =>
                    e.target.checked ? [...now, c.userId] : now.filter((u) => u !== c.userId),
                  )
                }
              />
              <span>
                {c.displayName} <span className="muted">{c.institution}</span>
              </span>
            </label>
          ))}
          {errors.members && (
            <span id="members-error" className="error">
              {errors.members}
            </span>
          )}
        </fieldset>
      </form>
    </Dialog>
  );
}
