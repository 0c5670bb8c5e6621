// Errors that cross the engine API: a stable code for programs, and a sentence a
// person can act on, in French (the default) and English. The engine raises
// `EngineError`; the API layer turns it into `{ ok: false, error }`.

import { ATTACHMENT_ERROR_TEXTS } from './attachment-errors.js';

export const ERROR_TEXTS = {
  BAD_REQUEST: {
    en: 'The request was malformed; nothing was changed.',
    fr: "La demande est mal formée ; rien n'a été modifié.",
  },
  BAD_PASSPHRASE: {
    en: 'This passphrase does not unlock the store. Check it and try again.',
    fr: 'Cette phrase secrète ne déverrouille pas le coffre. Vérifiez-la et réessayez.',
  },
  WEAK_PASSPHRASE: {
    en: 'Choose a passphrase of at least 8 characters.',
    fr: 'Choisissez une phrase secrète d’au moins 8 caractères.',
  },
  STORE_UNREADABLE: {
    en: 'The message store could not be opened with this key: the key is wrong or the file is damaged. Nothing was changed.',
    fr: 'Le coffre des messages n’a pas pu être ouvert avec cette clé : la clé est fausse ou le fichier est endommagé. Rien n’a été modifié.',
  },
  STORE_TOO_NEW: {
    en: 'This message store was written by a newer version of the app. Update the app.',
    fr: 'Ce coffre a été écrit par une version plus récente de l’application. Mettez l’application à jour.',
  },
  DEVICE_REVOKED: {
    en: 'Your ICT cell has revoked this device: it no longer sends or receives messages. Ask them for a new enrolment code.',
    fr: 'Votre cellule TIC a révoqué cet appareil : il n’envoie et ne reçoit plus de messages. Demandez-lui un nouveau code d’inscription.',
  },
  DEVICE_WIPED: {
    en: 'At the request of your ICT cell (a device lost or stolen), the messages, files and keys of this device have been erased. To use it again, ask them for a new enrolment code.',
    fr: 'À la demande de votre cellule TIC (appareil perdu ou volé), les messages, fichiers et clés de cet appareil ont été effacés. Pour l’utiliser de nouveau, demandez-lui un nouveau code d’inscription.',
  },
  NOT_ENROLLED: {
    en: 'This device is not enrolled yet. Enrol it with the code given by your ICT cell.',
    fr: 'Cet appareil n’est pas encore inscrit. Inscrivez-le avec le code remis par votre cellule TIC.',
  },
  ALREADY_ENROLLED: {
    en: 'This data folder already holds an enrolled device.',
    fr: 'Ce dossier contient déjà un appareil inscrit.',
  },
  ENROLMENT_REFUSED: {
    en: 'The relay refused the enrolment code. Ask your ICT cell for a new code.',
    fr: 'Le relais a refusé le code d’inscription. Demandez un nouveau code à votre cellule TIC.',
  },
  RELAY_UNREACHABLE: {
    en: 'The relay cannot be reached right now. Messages wait in the outbox and leave as soon as it answers.',
    fr: 'Le relais est injoignable pour le moment. Les messages attendent dans la boîte d’envoi et partiront dès qu’il répondra.',
  },
  RELAY_CERTIFICATE_UNTRUSTED: {
    en: 'This computer does not trust the relay’s certificate. Contact your ICT cell: the authority that issued it must be deployed to this computer (RelayCaFile setting).',
    fr: 'Cet ordinateur ne fait pas confiance au certificat du relais. Contactez votre cellule TIC : l’autorité qui l’a émis doit être déployée sur ce poste (paramètre RelayCaFile).',
  },
  RELAY_KEY_MISMATCH: {
    en: 'The relay did not prove the identity configured for it. Contact your ICT cell; do not continue.',
    fr: 'Le relais n’a pas prouvé l’identité configurée. Contactez votre cellule TIC ; ne continuez pas.',
  },
  UNKNOWN_USER: {
    en: 'No such person in the directory. Check the identifier.',
    fr: 'Cette personne est absente de l’annuaire. Vérifiez l’identifiant.',
  },
  UNKNOWN_CONVERSATION: {
    en: 'This conversation does not exist.',
    fr: 'Cette conversation n’existe pas.',
  },
  UNKNOWN_MESSAGE: {
    en: 'This message does not exist.',
    fr: 'Ce message n’existe pas.',
  },
  NOT_ALLOWED: {
    en: 'You are not allowed to do this.',
    fr: 'Vous n’êtes pas autorisé à faire cela.',
  },
  CLASSIFICATION_NOT_CLEARED: {
    en: 'Someone in this conversation is not cleared for this label. Choose a lower label or other recipients, or ask your ICT cell to review their clearance.',
    fr: 'Une personne de cette conversation n’est pas habilitée pour cette mention. Choisissez une mention plus basse ou d’autres destinataires, ou demandez à votre cellule TIC de revoir son habilitation.',
  },
  CLASSIFICATION_DOWNGRADE: {
    en: 'A reply carries at least the label of the message it answers. Choose that label or a higher one.',
    fr: 'Une réponse porte au moins la mention du message auquel elle répond. Choisissez cette mention ou une mention plus haute.',
  },
  DISK_FULL: {
    en: 'The disk of this computer is full. Free some space (empty the recycle bin, delete large files you no longer need); messages that arrive meanwhile wait on the relay and come in once there is room.',
    fr: 'Le disque de cet ordinateur est plein. Libérez de la place (videz la corbeille, supprimez les gros fichiers inutiles) ; les messages qui arrivent entre-temps attendent sur le relais et entreront dès qu’il y aura de la place.',
  },
  STORE_WRITE_FAILED: {
    en: 'The message store could not be written. Nothing was lost: messages that arrive wait on the relay. Restart the app, and tell your ICT cell if it happens again.',
    fr: 'Le coffre des messages n’a pas pu être écrit. Rien n’a été perdu : les messages reçus attendent sur le relais. Redémarrez l’application et prévenez votre cellule TIC si cela se reproduit.',
  },
  INTERNAL: {
    en: 'Something went wrong inside the app. Nothing was lost; try again, and tell your ICT cell if it happens again.',
    fr: 'Une erreur interne est survenue. Rien n’a été perdu ; réessayez et prévenez votre cellule TIC si cela se reproduit.',
  },
  ...ATTACHMENT_ERROR_TEXTS,
} as const satisfies Record<string, { en: string; fr: string }>;

export type ErrorCode = keyof typeof ERROR_TEXTS;

export interface ApiError {
  readonly code: ErrorCode;
  /** English sentence with the details of this occurrence (logs, CLI). */
  readonly message: string;
}

export type Result<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ApiError };

export class EngineError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string = ERROR_TEXTS[code].en) {
    super(message);
    this.name = 'EngineError';
    this.code = code;
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_TEXTS, value);
}

/** The sentence to show a person, in their language. */
export function errorText(code: ErrorCode, language: 'fr' | 'en'): string {
  return ERROR_TEXTS[code][language];
}
