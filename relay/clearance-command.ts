// `comgov-relay clearance`: shows or sets the highest classification label a person
// may receive (shared/api/classification.ts). The apps learn it from the directory
// and refuse to send a labelled message to anyone not cleared for it. Each change is
// an entry of the admin log.
import type { Command, Option } from 'commander';
import {
  CLASSIFICATION_NAMES,
  CLASSIFICATION_WORDS,
  parseClassification,
} from '../shared/api/classification.js';
import { isValidUserId, USER_ID_RULE } from '../shared/wire/index.js';
import { openStore } from './data-dir.js';

/** A level or a user given wrongly: a sentence, exit code 1, no stack. */
export class ClearanceError extends Error {
  readonly code = 'BAD_CLEARANCE';
}

export function registerClearanceCommand(
  program: Command,
  out: (line: string) => void,
  data: () => Option,
  actor: () => string,
): void {
  program
    .command('clearance')
    .description(
      'show or set the highest classification label a user may receive (none, restricted, confidential, secret); the apps refuse to send them a message labelled higher',
    )
    .addOption(data())
    .requiredOption('--user <id>', 'user id')
    .option(
      '--level <label>',
      `the new clearance: ${CLASSIFICATION_WORDS.join(', ')} (without it, the current one is shown)`,
    )
    .action(async (options: { data: string; user: string; level?: string }) => {
      if (!isValidUserId(options.user)) {
        throw new ClearanceError(`"${options.user}" is not a valid user id: use ${USER_ID_RULE}.`);
      }
      const level = options.level === undefined ? undefined : parseClassification(options.level);
      if (level === null) {
        throw new ClearanceError(
          `"${options.level ?? ''}" is not a classification label; use one of: ${CLASSIFICATION_WORDS.join(', ')}.`,
        );
      }
      const store = openStore(options.data);
      try {
        const user = await store.getUser(options.user);
        if (!user) {
          throw new ClearanceError(
            `There is no user "${options.user}"; list them with "comgov-relay users".`,
          );
        }
        const name = (label: keyof typeof CLASSIFICATION_NAMES) =>
          `${label} (${CLASSIFICATION_NAMES[label].fr})`;
        if (level === undefined) {
          out(`${user.userId}: cleared for ${name(user.clearance)}.`);
          return;
        }
        const before = await store.setClearance(user.userId, level, Date.now(), actor());
        out(
          before === level
            ? `${user.userId} was already cleared for ${name(level)}.`
            : `${user.userId}: cleared for ${name(level)} (was ${name(before)}). Their contacts' apps learn it at their next directory refresh.`,
        );
        out(level);
      } finally {
        store.close();
      }
    });
}
