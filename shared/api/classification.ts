// Classification labels (MISSION, official use: "classification labels with enforced
// rules"). A message carries one label; each person has a clearance, set by their ICT
// cell in the relay's directory. The rules, enforced by the sending engine
// (docs/protocol.md §13):
//   - a label above the clearance of anyone in the conversation (the sender included)
//     is refused, naming who is not cleared;
//   - a reply carries at least the label of the message it answers;
//   - a forward keeps its label, so it may only go where everyone is cleared for it;
//   - an edit keeps the label of the message it edits.
// The labels are ordered; their index is the level that travels on the wire.

export const CLASSIFICATIONS = ['none', 'restricted', 'confidential', 'secret'] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

/** A person's clearance until their ICT cell sets another: « Diffusion restreinte ». */
export const DEFAULT_CLEARANCE: Classification = 'restricted';

/** The level that travels on the wire (0 for none … 3 for secret). */
export function classificationLevel(label: Classification): number {
  return CLASSIFICATIONS.indexOf(label);
}

/** The label of a wire level; null for a level this version does not know. */
export function classificationOfLevel(level: number): Classification | null {
  return Number.isInteger(level) && level >= 0 && level < CLASSIFICATIONS.length
    ? CLASSIFICATIONS[level]!
    : null;
}

export function isClassification(value: unknown): value is Classification {
  return typeof value === 'string' && (CLASSIFICATIONS as readonly string[]).includes(value);
}

/** The higher of two labels. */
export function higherClassification(a: Classification, b: Classification): Classification {
  return classificationLevel(a) >= classificationLevel(b) ? a : b;
}

/** True when someone cleared for `clearance` may see what is labelled `label`. */
export function clearedFor(clearance: Classification, label: Classification): boolean {
  return classificationLevel(clearance) >= classificationLevel(label);
}

/** Words an ICT cell may type for a label (English, French, French abbreviations). */
const WORDS: Record<string, Classification> = {
  none: 'none',
  aucune: 'none',
  'non-protege': 'none',
  restricted: 'restricted',
  dr: 'restricted',
  'diffusion-restreinte': 'restricted',
  confidential: 'confidential',
  confidentiel: 'confidential',
  secret: 'secret',
};

/** Reads a label typed on a command line (case, accents and spaces ignored); null if unknown. */
export function parseClassification(word: string): Classification | null {
  const key = word
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '-');
  return WORDS[key] ?? null;
}

/** The words accepted by parseClassification, for help texts and error sentences. */
export const CLASSIFICATION_WORDS = Object.keys(WORDS);

/** How the label is written, in the app, on printed records and in notifications. */
export const CLASSIFICATION_NAMES: Record<Classification, { fr: string; en: string }> = {
  none: { fr: 'Non protégé', en: 'Unmarked' },
  restricted: { fr: 'Diffusion restreinte', en: 'Restricted' },
  confidential: { fr: 'Confidentiel', en: 'Confidential' },
  secret: { fr: 'Secret', en: 'Secret' },
};
