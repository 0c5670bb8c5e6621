// The members of a group: who is in it, adding and removing members, leaving.
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ApiError, ConversationView, GroupMemberView } from '../api/types.js';
import { Button, IconButton } from '../design/Button.js';
import { Dialog } from '../design/Dialog.js';
import { FilterInput } from '../design/FilterInput.js';
import { matchesFilter } from '../contacts/fold.js';
import { describeError } from '../i18n/i18n.js';
import { useAppState, useController } from '../state/context.js';

export function GroupMembersDialog({
  conversation,
  onClose,
}: {
  conversation: ConversationView;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const controller = useController();
  const contacts = useAppState((s) => s.contacts);
  const me = useAppState((s) => s.account?.userId);
  const [members, setMembers] = useState<readonly GroupMemberView[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [adding, setAdding] = useState('');
  // The whole directory is too long to scroll through: typing a name narrows the list.
  const [filter, setFilter] = useState('');

  const load = useCallback(async () => {
    const result = await controller.api.groupMembers(conversation.id);
    if (result.ok) setMembers(result.value);
    else setError(result.error);
  }, [controller, conversation.id]);

  useEffect(() => {
    void load();
  }, [load]);

  const act = async (action: Promise<{ ok: boolean; error?: ApiError }>) => {
    const result = await action;
    if (!result.ok && result.error) controller.notify(result.error);
    await load();
  };

  const candidates = (contacts ?? []).filter((c) => !members?.some((m) => m.userId === c.userId));
  const shown = candidates.filter((c) => c.userId === adding || matchesFilter(filter, c));
  const iAmAdmin = members?.some((m) => m.userId === me && m.admin) ?? false;
  return (
    <Dialog
      title={t('groups.membersTitle', { title: conversation.title })}
      closeLabel={t('common.close')}
      onClose={onClose}
      actions={
        <>
          <Button
            variant="danger"
            onClick={() => void act(controller.api.leaveGroup(conversation.id)).then(onClose)}
          >
            {t('groups.leave')}
          </Button>
          <Button onClick={onClose}>{t('common.close')}</Button>
        </>
      }
    >
      {error && (
        <p className="alert alert-error" role="alert">
          {describeError(error)}
        </p>
      )}
      {members && (
        <ul className="member-list">
          {members.map((m) => (
            <li key={m.userId}>
              <span>
                {m.displayName}{' '}
                {m.admin && <span className="badge badge-success">{t('groups.admin')}</span>}
              </span>
              {iAmAdmin && m.userId !== me && (
                <IconButton
                  icon="close"
                  label={t('groups.remove', { name: m.displayName })}
                  onClick={() =>
                    void act(controller.api.removeGroupMember(conversation.id, m.userId))
                  }
                />
              )}
            </li>
          ))}
        </ul>
      )}
      {members && iAmAdmin && candidates.length > 0 && (
        <div className="add-member">
          <FilterInput
            label={t('groups.filterMembers')}
            value={filter}
            onChange={(value) => {
              setFilter(value);
              // One colleague left: chosen at once.
              const left = candidates.filter((c) => matchesFilter(value, c));
              setAdding(left.length === 1 ? left[0]!.userId : '');
            }}
          />
          <label className="field">
            <span>{t('groups.addWho')}</span>
            <select className="input" value={adding} onChange={(e) => setAdding(e.target.value)}>
              <option value="" />
              {shown.map((c) => (
                <option key={c.userId} value={c.userId}>
                  {c.displayName}
                </option>
              ))}
            </select>
          </label>
          <Button
            disabled={!adding}
            onClick={() =>
              void act(controller.api.addGroupMember(conversation.id, adding)).then(() => {
                setAdding('');
                setFilter('');
              })
            }
          >
            {t('groups.add')}
          </Button>
        </div>
      )}
    </Dialog>
  );
}
