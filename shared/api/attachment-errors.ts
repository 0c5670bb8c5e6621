// The attachment layer's errors (main/engine/attachments/errors.ts) as the engine API
// reports them: a code, and a sentence a person can act on in French and English.
// Part of ERROR_TEXTS (errors.ts), so the app shows "this file is no longer on the
// relay" rather than a generic failure.

export const ATTACHMENT_ERROR_TEXTS = {
  ATTACHMENT_TOO_LARGE: {
    en: 'This file is larger than the relay accepts. Send a smaller file or share it another way.',
    fr: 'Ce fichier dépasse la taille acceptée par le relais. Envoyez un fichier plus petit ou partagez-le autrement.',
  },
  ATTACHMENT_QUOTA_EXCEEDED: {
    en: 'Your space for attachments on the relay is full. Wait for old files to expire or ask your ICT cell.',
    fr: 'Votre espace pour les pièces jointes sur le relais est plein. Attendez l’expiration des anciens fichiers ou contactez votre cellule TIC.',
  },
  ATTACHMENT_CORRUPT: {
    en: 'This file arrived damaged or altered and was refused. Nothing was saved; ask the sender to send it again.',
    fr: 'Ce fichier est arrivé endommagé ou modifié et a été refusé. Rien n’a été enregistré ; demandez à l’expéditeur de le renvoyer.',
  },
  ATTACHMENT_UNAVAILABLE: {
    en: 'This file is no longer on the relay (it may have expired). Ask the sender to send it again.',
    fr: 'Ce fichier n’est plus sur le relais (il a peut-être expiré). Demandez à l’expéditeur de le renvoyer.',
  },
  ATTACHMENT_SOURCE_CHANGED: {
    en: 'The file changed or disappeared before it was completely sent. Send it again.',
    fr: 'Le fichier a été modifié ou supprimé avant la fin de l’envoi. Envoyez-le de nouveau.',
  },
  ATTACHMENT_SOURCE_UNREADABLE: {
    en: 'This file cannot be read. Check that it exists and that you may open it.',
    fr: 'Ce fichier ne peut pas être lu. Vérifiez qu’il existe et que vous pouvez l’ouvrir.',
  },
  ATTACHMENT_NOT_READY: {
    en: 'This file has not been received completely yet. It will be available once the download ends.',
    fr: 'Ce fichier n’est pas encore entièrement reçu. Il sera disponible à la fin du téléchargement.',
  },
  ATTACHMENT_BAD_DESCRIPTOR: {
    en: 'This message describes its attachment in a way this app cannot use. Update the app or ask the sender to send it again.',
    fr: 'Ce message décrit sa pièce jointe d’une façon que l’application ne peut pas utiliser. Mettez l’application à jour ou demandez un nouvel envoi.',
  },
  ATTACHMENT_WRITE_FAILED: {
    en: 'The file could not be written there. Check the folder and the free space, then try again.',
    fr: 'Le fichier n’a pas pu être écrit à cet endroit. Vérifiez le dossier et l’espace libre, puis réessayez.',
  },
  ATTACHMENT_STOPPED: {
    en: 'The transfer was paused. It goes on from where it stopped when resumed.',
    fr: 'Le transfert a été interrompu. Il reprendra là où il s’est arrêté.',
  },
  ATTACHMENT_RELAY_REFUSED: {
    en: 'The relay refused this transfer. Try again later, and tell your ICT cell if it happens again.',
    fr: 'Le relais a refusé ce transfert. Réessayez plus tard et prévenez votre cellule TIC si cela se reproduit.',
  },
  ATTACHMENT_NOT_VIEWABLE: {
    en: 'This file cannot be shown in the app (not a picture, or too large). Download it to open it.',
    fr: 'Ce fichier ne peut pas être affiché dans l’application (ce n’est pas une image, ou elle est trop grande). Téléchargez-le pour l’ouvrir.',
  },
  UNKNOWN_ATTACHMENT: {
    en: 'This attachment does not exist.',
    fr: 'Cette pièce jointe n’existe pas.',
  },
} as const satisfies Record<string, { en: string; fr: string }>;
