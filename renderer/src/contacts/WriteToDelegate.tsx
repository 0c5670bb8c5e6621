// « Écrire à Jean Dupont »: opens (or starts) the conversation with the colleague who
// answers for someone away, from the directory or from the absent person's conversation.
import { useTranslation } from 'react-i18next';
import { Button } from '../design/Button.js';
import { useController } from '../state/context.js';

export function WriteToDelegate({ delegateId, name }: { delegateId: string; name: string }) {
  const { t } = useTranslation();
  const controller = useController();
  return (
    <Button small icon="chat" onClick={() => void controller.openDirect(delegateId, name)}>
      {t('contacts.write', { name })}
    </Button>
  );
}
