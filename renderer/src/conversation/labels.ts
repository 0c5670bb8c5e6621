// What the composer may offer as a message's classification label, from the rules the
// engine enforces (shared/api/classification.ts): no label above the conversation's
// clearance, no reply below the label of what it answers.
import {
  CLASSIFICATIONS,
  type Classification,
  classificationLevel,
} from '../../../shared/api/index.js';

/** A message's label; unmarked (absent or 'none') gives null. */
export function labelOf(message: {
  readonly classification?: Classification;
}): Exclude<Classification, 'none'> | null {
  const label = message.classification;
  return label && label !== 'none' ? label : null;
}

/**
 * The labels the composer offers: from the floor (the label of the message answered)
 * up to the ceiling (the conversation's clearance). When the floor is above the
 * ceiling nothing fits; the floor alone is offered and the engine says why it refuses.
 */
export function offeredLabels(
  floor: Classification,
  ceiling: Classification,
): readonly Classification[] {
  const offered = CLASSIFICATIONS.filter(
    (l) =>
      classificationLevel(l) >= classificationLevel(floor) &&
      classificationLevel(l) <= classificationLevel(ceiling),
  );
  return offered.length > 0 ? offered : [floor];
}

/** The label chosen, brought within what is offered. */
export function fitLabel(
  chosen: Classification,
  offered: readonly Classification[],
): Classification {
  if (offered.includes(chosen)) return chosen;
  const lowest = offered[0]!;
  return classificationLevel(chosen) < classificationLevel(lowest)
    ? lowest
    : offered[offered.length - 1]!;
}
