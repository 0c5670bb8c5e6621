// Classification labels in the conversation: the coloured band at the top of a
// labelled message, and the composer's « Mention » picker. The engine enforces the
// rules (shared/api/classification.ts); the UI offers only what it would accept.
import { useTranslation } from 'react-i18next';
import type { Classification } from '../api/types.js';
import { classificationName } from '../i18n/i18n.js';

/** The band at the top of a labelled message's bubble, on both sides. */
export function ClassificationBand({ label }: { label: Exclude<Classification, 'none'> }) {
  const { t } = useTranslation();
  const name = classificationName(label);
  return (
    <p
      className="classification-band"
      data-classification={label}
      data-testid="classification"
      title={t('classification.band', { label: name })}
    >
      {name}
    </p>
  );
}

/** The composer's « Mention » picker: a native select, labelled, coloured by the label. */
export function ClassificationPicker({
  value,
  offered,
  ceiling,
  disabled,
  onChange,
}: {
  value: Classification;
  offered: readonly Classification[];
  ceiling: Classification;
  disabled: boolean;
  onChange: (label: Classification) => void;
}) {
  const { t } = useTranslation();
  const locked = offered.length <= 1;
  const hint =
    ceiling === 'none'
      ? t('classification.pickerLocked')
      : t('classification.pickerHint', { max: classificationName(ceiling) });
  return (
    <select
      className="classification-picker"
      data-classification={value}
      aria-label={t('classification.picker')}
      title={hint}
      value={value}
      disabled={disabled || locked}
      onChange={(e) => onChange(e.target.value as Classification)}
    >
      {offered.map((l) => (
        <option key={l} value={l}>
          {classificationName(l)}
        </option>
      ))}
    </select>
  );
}
