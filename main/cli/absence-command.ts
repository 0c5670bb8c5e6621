// `comgov absence`: « Absence et intérim » from the command line. An official away
// until a date names the colleague who answers for them meanwhile; the relay's
// directory tells their contacts, whose apps offer to write to that colleague.
import type { Command } from 'commander';
import { Engine } from '../engine/engine.js';
import { type Common, UsageError, data, out, passFile, passphrase, value } from './cli-support.js';

/** The end of the day `YYYY-MM-DD` in this machine's time zone (ms since the epoch). */
function endOfDay(text: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  const day = match ? new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : null;
  if (!day || day.getDate() !== Number(match![3])) {
    throw new UsageError(`--until takes a date as YYYY-MM-DD (e.g. 2026-12-05), not "${text}".`);
  }
  day.setHours(23, 59, 59, 999);
  return day.getTime();
}

export function registerAbsenceCommand(program: Command): void {
  program
    .command('absence')
    .description(
      'declare that you are away until a date and who answers for you meanwhile (« intérim »), or end it (--end); without options, show it',
    )
    .addOption(data())
    .addOption(passFile())
    .option('--until <YYYY-MM-DD>', 'the last day of your absence')
    .option('--delegate <userId>', 'the colleague who answers for you')
    .option('--end', 'you are back: end the absence')
    .action(async (options: Common & { until?: string; delegate?: string; end?: boolean }) => {
      if (options.end && (options.until !== undefined || options.delegate !== undefined)) {
        throw new UsageError('Give either --end, or --until with --delegate.');
      }
      if (!options.end && (options.until === undefined) !== (options.delegate === undefined)) {
        throw new UsageError('An absence needs both --until and --delegate.');
      }
      const until = options.until === undefined ? undefined : endOfDay(options.until);
      const engine = await Engine.open({
        dataDir: options.data,
        passphrase: passphrase(options),
      });
      try {
        const account = options.end
          ? value(await engine.setDelegation(null))
          : options.delegate !== undefined
            ? value(await engine.setDelegation(options.delegate, until))
            : value(await engine.account());
        const away = account.delegation;
        out(
          away
            ? `Away until ${new Date(away.until).toISOString()}; ${away.delegateName} (${away.delegateId}) answers for you.`
            : 'No absence declared.',
        );
      } finally {
        await engine.close();
      }
    });
}
