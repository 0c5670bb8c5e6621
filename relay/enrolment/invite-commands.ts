// `comgov-relay invite-batch`, and the enrolment slips both invite commands can
// print: an ICT cell enrols a whole service from one CSV file and hands each official
// a printed slip, instead of dictating codes one by one.
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { ready } from '../../shared/crypto/index.js';
import { toHex } from '../../shared/util/bytes.js';
import { loadConfig } from '../config.js';
import { loadRelayKey, openStore } from '../data-dir.js';
import { type SlipLanguage, renderEnrolmentSlips } from './enrolment-slip.js';
import {
  type IssuedInvitation,
  InvitationError,
  issueInvitations,
  parseInvitationsCsv,
} from './invitations.js';

/** The options that make a slip, shared by `invite` and `invite-batch`. */
export function slipOptions(): Option[] {
  return [
    new Option(
      '--relay-url <url>',
      'relay address printed on the slip (leave out where machine policy sets it)',
    ),
    new Option('--lang <language>', 'language of the slip').choices(['fr', 'en']).default('fr'),
  ];
}

/** Checks --relay-url: the address the app is to be given (https, or http on a test bench). */
export function checkRelayUrl(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvitationError(
      `--relay-url "${raw}" is not an address such as https://relay.ministere.intra:8443.`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InvitationError('--relay-url must start with https://.');
  }
  return url.origin;
}

/**
 * Creates the slips file before any code is issued (never overwriting one; readable by
 * its owner only, as it will hold codes): a name that cannot be used stops the command
 * before it changes anything.
 */
export function createSlipsFile(file: string): number {
  try {
    return openSync(file, 'wx', 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InvitationError(
      code === 'EEXIST'
        ? `${file} already exists; choose another file name (slips are never overwritten).`
        : `The slips cannot be written to ${file} (${code ?? (error as Error).message}); choose a folder you can write to.`,
    );
  }
}

/**
 * Issues the codes and writes their slips into the file made by createSlipsFile; the
 * file is removed again if issuing fails.
 */
export async function issueWithSlips(
  file: string,
  issue: () => Promise<IssuedInvitation[]>,
  options: {
    readonly dataDir: string;
    readonly relayUrl: string | null;
    readonly language: SlipLanguage;
    readonly actor: string;
    readonly now: number;
  },
): Promise<IssuedInvitation[]> {
  const relayKey = await loadRelayKey(options.dataDir);
  const fd = createSlipsFile(file);
  try {
    const issued = await issue();
    writeFileSync(
      fd,
      renderEnrolmentSlips(issued, {
        relayUrl: options.relayUrl,
        relayKeyHex: toHex(relayKey.publicKey),
        issuedAt: options.now,
        issuedBy: options.actor,
        language: options.language,
      }),
    );
    return issued;
  } catch (error) {
    rmSync(file, { force: true });
    throw error;
  } finally {
    closeSync(fd);
  }
}

/** Hours given on the command line, or the relay's default code lifetime. */
export function codeLifetimeMs(dataDir: string, expiresHours: string | undefined): number {
  if (expiresHours === undefined) return loadConfig(dataDir).limits.enrolmentCodeTtlMs;
  const hours = Number(expiresHours);
  if (!Number.isFinite(hours) || hours <= 0) {
    throw new InvitationError('--expires-hours must be a positive number.');
  }
  return hours * 3_600_000;
}

export function registerInviteBatchCommand(
  program: Command,
  out: (line: string) => void,
  data: () => Option,
  actor: () => string,
): void {
  const command = program
    .command('invite-batch')
    .description(
      'invite everyone listed in a CSV file (columns user;name;institution;title) and write their printable enrolment slips',
    )
    .addOption(data())
    .requiredOption('--csv <file>', 'the people to invite, one per line after the header line')
    .requiredOption('--slips <file.html>', 'where to write the slips to print (a new file)')
    .option('--expires-hours <h>', 'hours before the codes expire (default from relay.json: 168)');
  for (const option of slipOptions()) command.addOption(option);
  command.action(
    async (options: {
      data: string;
      csv: string;
      slips: string;
      expiresHours?: string;
      relayUrl?: string;
      lang: SlipLanguage;
    }) => {
      await ready();
      let text: string;
      try {
        text = readFileSync(options.csv, 'utf8');
      } catch (error) {
        throw new InvitationError(
          `${options.csv} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
        );
      }
      const invitations = parseInvitationsCsv(text);
      const ttlMs = codeLifetimeMs(options.data, options.expiresHours);
      const relayUrl = checkRelayUrl(options.relayUrl);
      await loadRelayKey(options.data);
      const store = openStore(options.data);
      const now = Date.now();
      const who = actor();
      try {
        const issued = await issueWithSlips(
          options.slips,
          () => issueInvitations(store, invitations, { ttlMs, actor: who, now }),
          { dataDir: options.data, relayUrl, language: options.lang, actor: who, now },
        );
        for (const { invitation } of issued) {
          out(`invited ${invitation.userId} (${invitation.displayName})`);
        }
        out(
          `${issued.length} enrolment slip(s) written to ${options.slips}, valid until ${new Date(now + ttlMs).toISOString()}: print them, hand them over, then delete the file.`,
        );
      } finally {
        store.close();
      }
    },
  );
}
