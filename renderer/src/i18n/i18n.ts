// i18next set up with French first, English second; the language chosen is kept
// on this computer (and in the engine's settings once they exist).
import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import {
  type ApiError,
  CLASSIFICATION_NAMES,
  type Classification,
  errorText,
} from '../../../shared/api/index.js';
import { en } from './en.js';
import { type Translation, fr } from './fr.js';

export type Language = 'fr' | 'en';
export const LANGUAGES: readonly Language[] = ['fr', 'en'];
const LANGUAGE_KEY = 'comgov.language';

declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'translation';
    resources: { translation: Translation };
  }
}

export function savedLanguage(): Language {
  const saved = localStorage.getItem(LANGUAGE_KEY);
  return saved === 'en' ? 'en' : 'fr';
}

export async function setupI18n(): Promise<typeof i18next> {
  await i18next.use(initReactI18next).init({
    resources: { fr: { translation: fr }, en: { translation: en } },
    lng: savedLanguage(),
    fallbackLng: 'fr',
    interpolation: { escapeValue: false }, // React escapes.
    returnNull: false,
  });
  document.documentElement.lang = i18next.language;
  return i18next;
}

export async function changeLanguage(language: Language): Promise<void> {
  localStorage.setItem(LANGUAGE_KEY, language);
  await i18next.changeLanguage(language);
  document.documentElement.lang = language;
}

export function currentLanguage(): Language {
  return i18next.language === 'en' ? 'en' : 'fr';
}

/** The sentence to show for an API error, in the current language. */
export function describeError(error: ApiError): string {
  if (error.code === 'NOT_ALLOWED' && error.message === 'not available yet') {
    return i18next.t('errors.notAvailable');
  }
  return errorText(error.code, currentLanguage());
}

/** How a classification label is written (« Confidentiel »), in the current language. */
export function classificationName(label: Classification): string {
  return CLASSIFICATION_NAMES[label][currentLanguage()];
}
