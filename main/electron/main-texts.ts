// The few texts main shows itself (tray, notifications, dialogs), in French and English.
import { CLASSIFICATION_NAMES, type Classification } from '../../shared/api/index.js';

const FR_NUMBER = new Intl.NumberFormat('fr-FR');
const EN_NUMBER = new Intl.NumberFormat('en-GB');

export const MAIN_TEXTS = {
  fr: {
    open: 'Ouvrir COMGOV',
    quit: 'Quitter COMGOV',
    tooltip: 'COMGOV Messagerie',
    newMessage: 'Nouveau message',
    /** Several messages at once (notification-batcher.ts). */
    newMessages: (count: number, conversations: number) =>
      `${FR_NUMBER.format(count)} nouveaux messages` +
      (conversations > 1 ? ` dans ${FR_NUMBER.format(conversations)} conversations` : ''),
    senders: (names: readonly string[]) =>
      names.length <= 2
        ? names.join(' et ')
        : `${names[0]} et ${FR_NUMBER.format(names.length - 1)} autres`,
    /** A labelled message: « Message Confidentiel ». */
    classifiedMessage: (label: Classification) => `Message ${CLASSIFICATION_NAMES[label].fr}`,
    engineStopped:
      'Le moteur de la messagerie s’est arrêté. Vos messages sont en sécurité ; l’application va redémarrer.',
    saveTitle: 'Enregistrer la pièce jointe',
    updateReady: 'Mise à jour prête',
    updateReadyBody: 'Elle sera installée à la fermeture de COMGOV, ou maintenant depuis l’icône.',
    restartToUpdate: 'Redémarrer pour mettre à jour',
    storageProblem: 'COMGOV ne peut plus enregistrer',
    deviceRevoked: 'Appareil révoqué',
    deviceWiped: 'Données de l’appareil effacées',
  },
  en: {
    open: 'Open COMGOV',
    quit: 'Quit COMGOV',
    tooltip: 'COMGOV Messenger',
    newMessage: 'New message',
    newMessages: (count: number, conversations: number) =>
      `${EN_NUMBER.format(count)} new messages` +
      (conversations > 1 ? ` in ${EN_NUMBER.format(conversations)} conversations` : ''),
    senders: (names: readonly string[]) =>
      names.length <= 2
        ? names.join(' and ')
        : `${names[0]} and ${EN_NUMBER.format(names.length - 1)} others`,
    /** A labelled message: "Confidential message". */
    classifiedMessage: (label: Classification) => `${CLASSIFICATION_NAMES[label].en} message`,
    engineStopped: 'The messenger’s engine stopped. Your messages are safe; the app will restart.',
    saveTitle: 'Save the attachment',
    updateReady: 'Update ready',
    updateReadyBody: 'It will be installed when COMGOV closes, or now from the tray icon.',
    restartToUpdate: 'Restart to update',
    storageProblem: 'COMGOV cannot store anything',
    deviceRevoked: 'Device revoked',
    deviceWiped: 'Device data erased',
  },
} as const;

export type MainLanguage = keyof typeof MAIN_TEXTS;
export type MainTexts = (typeof MAIN_TEXTS)[MainLanguage];

/**
 * A notification's title and body; the text is left out unless the person chose to show
 * it, and always for a labelled message, whose label is said instead.
 */
export function notificationContent(
  texts: MainTexts,
  senderName: string,
  text: string | null,
  showText: boolean,
  classification?: Classification,
): { title: string; body: string } {
  if (classification && classification !== 'none') {
    return { title: senderName, body: texts.classifiedMessage(classification) };
  }
  if (showText && text) return { title: senderName, body: text };
  return { title: senderName, body: texts.newMessage };
}
