// Français / English, available from the first screen.
import { useTranslation } from 'react-i18next';
import { LANGUAGES, type Language, currentLanguage } from '../i18n/i18n.js';
import { useController } from '../state/context.js';

export function LanguageSwitch() {
  const { t } = useTranslation();
  const controller = useController();
  const active = currentLanguage();
  return (
    <div className="language-switch" role="group" aria-label={t('settings.language')}>
      {LANGUAGES.map((language: Language) => (
        <button
          key={language}
          type="button"
          lang={language}
          aria-pressed={language === active}
          onClick={() => void controller.setLanguage(language)}
        >
          {t(`languages.${language}`)}
        </button>
      ))}
    </div>
  );
}
