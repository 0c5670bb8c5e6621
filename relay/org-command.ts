// `comgov-relay org`: a user's place in the org chart, as the ICT cell records it: the
// unit within the institution (direction, service) and the person they report to. The
// apps' directory reads like the administration's organisation chart. Each change is an
// entry of the admin log.
import type { Command, Option } from 'commander';
import { USER_ID_RULE, WIRE_LIMITS, isValidUserId } from '../shared/wire/index.js';
import { openStore } from './data-dir.js';

/** A user or a value given wrongly: a sentence, exit code 1, no stack. */
export class OrgError extends Error {
  readonly code = 'BAD_ORG';
}

export function registerOrgCommand(
  program: Command,
  out: (line: string) => void,
  data: () => Option,
  actor: () => string,
): void {
  program
    .command('org')
    .description(
      "show or set a user's unit and manager in the org chart (the apps' directory groups people by unit and says whom each reports to)",
    )
    .addOption(data())
    .requiredOption('--user <id>', 'user id')
    .option('--unit <unit>', 'their unit within the institution ("" for none)')
    .option('--manager <userId>', 'whom they report to ("none" for nobody)')
    .action(async (options: { data: string; user: string; unit?: string; manager?: string }) => {
      if (!isValidUserId(options.user)) {
        throw new OrgError(`"${options.user}" is not a valid user id: use ${USER_ID_RULE}.`);
      }
      const unit = options.unit?.trim();
      if (unit !== undefined && unit.length > WIRE_LIMITS.maxProfileFieldChars) {
        throw new OrgError(
          `The unit is longer than ${WIRE_LIMITS.maxProfileFieldChars} characters; shorten it.`,
        );
      }
      const managerWord = options.manager?.trim();
      const manager =
        managerWord === undefined ? undefined : managerWord === 'none' ? null : managerWord;
      if (typeof manager === 'string' && (!isValidUserId(manager) || manager === options.user)) {
        throw new OrgError(
          `"${manager}" cannot be the manager: give the user id of someone else, or "none".`,
        );
      }
      const store = openStore(options.data);
      try {
        const user = await store.getUser(options.user);
        if (!user) {
          throw new OrgError(
            `There is no user "${options.user}"; list them with "comgov-relay users".`,
          );
        }
        if (unit !== undefined || manager !== undefined) {
          if (typeof manager === 'string' && !(await store.getUser(manager))) {
            throw new OrgError(
              `There is no user "${manager}" to report to; list them with "comgov-relay users".`,
            );
          }
          await store.setOrg(
            user.userId,
            {
              ...(unit !== undefined ? { unit } : {}),
              ...(manager !== undefined ? { manager } : {}),
            },
            Date.now(),
            actor(),
          );
        }
        const now = (await store.getUser(user.userId))!;
        out(
          `${now.userId}: unit "${now.unit}", ${now.manager === null ? 'reports to nobody' : `reports to ${now.manager}`}.`,
        );
      } finally {
        store.close();
      }
    });
}
