// `comgov`: the headless client on the engine. The passphrase that unlocks the
// data folder comes from COMGOV_PASSPHRASE or --passphrase-file, never from the
// command line (where other users of the machine could read it).
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { EngineEvent, MessageView } from '../../shared/api/contract.js';
import { EngineError, type Result } from '../../shared/api/errors.js';
import {
  CLASSIFICATION_WORDS,
  type Classification,
  DEFAULT_CLEARANCE,
  parseClassification,
} from '../../shared/api/classification.js';
import { fromHex, toHex } from '../../shared/util/bytes.js';
import { Engine } from '../engine/engine.js';
import {
  type Common,
  NegativeAnswer,
  UsageError,
  data,
  out,
  passFile,
  passphrase,
  value,
  writeNewFile,
} from './cli-support.js';
import { registerDocumentCommands } from './document-commands.js';
import { registerAbsenceCommand } from './absence-command.js';
import { renderAcknowledgementReport } from '../engine/acknowledgements/acknowledgement-report.js';

function relayKey(text: string): Uint8Array {
  const trimmed = text.trim();
  let key: Uint8Array | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) key = fromHex(trimmed);
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed))
    key = new Uint8Array(Buffer.from(trimmed, 'base64'));
  if (!key || key.length !== 32) {
    throw new UsageError(
      'The relay key must be the 64 hexadecimal characters printed by "comgov-relay init".',
    );
  }
  return key;
}

function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(onTimeout()), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Waits until the relay has acknowledged a message (or refused it: an error), at most
 * `timeout` seconds (else `fallbackSeconds`); `notYet` says what happens to it then.
 */
async function sentOrRefused(
  engine: Engine,
  messageId: string,
  timeout: string,
  fallbackSeconds: number,
  notYet: string,
): Promise<MessageView> {
  const seconds = Number(timeout);
  const final = await withTimeout(
    engine.whenSent(messageId),
    (Number.isFinite(seconds) && seconds > 0 ? seconds : fallbackSeconds) * 1000,
    () => new EngineError('RELAY_UNREACHABLE', notYet),
  );
  if (final.status === 'refused') {
    throw new EngineError(
      'NOT_ALLOWED',
      `The relay refused the message for good: ${final.refusalReason ?? ''}`,
    );
  }
  return final;
}

/** `--label`: a classification label, in English or French (shared/api/classification.ts). */
function labelOption(): Option {
  return new Option(
    '--label <label>',
    `classification label: ${CLASSIFICATION_WORDS.join(', ')} (refused above the clearance of anyone in the conversation)`,
  ).argParser((word: string) => {
    const label = parseClassification(word);
    if (label === null) {
      throw new InvalidArgumentError(
        `"${word}" is not a classification label; use one of: ${CLASSIFICATION_WORDS.join(', ')}.`,
      );
    }
    return label;
  });
}

function messageJson(m: MessageView): string {
  return JSON.stringify({
    id: m.id,
    from: m.senderId,
    conversation: m.conversationId,
    kind: m.kind,
    text: m.text,
    sentAt: m.sentAt,
    replyTo: m.replyTo,
    outgoing: m.outgoing,
    ...(m.expireSeconds !== undefined ? { expireSeconds: m.expireSeconds } : {}),
    ...(m.expiresAt !== undefined ? { expiresAt: m.expiresAt } : {}),
    ...(m.acknowledgement ? { acknowledgement: m.acknowledgement } : {}),
    ...(m.classification ? { classification: m.classification } : {}),
    attachments: (m.attachments ?? []).map((a) => ({
      id: a.id,
      name: a.name,
      size: a.size,
      type: a.type,
      ...(a.document ? { document: a.document } : {}),
    })),
  });
}

/** The printable record of a message's acknowledgements (never overwriting a file). */
async function writeAcknowledgementReport(
  engine: Engine,
  evidence: ReturnType<Engine['acknowledgementEvidence']>,
  file: string,
  language: 'fr' | 'en',
): Promise<void> {
  const contacts = value(await engine.contacts());
  const account = value(await engine.account());
  const nameOf = (userId: string) =>
    userId === account.userId
      ? account.displayName
      : (contacts.find((c) => c.userId === userId)?.displayName ?? userId);
  const message = engine.messages.message(evidence.messageId)!;
  const html = renderAcknowledgementReport({
    message: {
      id: message.id,
      authorName: nameOf(evidence.author),
      sentAt: message.sentAt,
      text: message.text ?? '',
      files: (message.attachments ?? []).map((a) => a.name),
      digestHex: toHex(evidence.digest),
    },
    relayKeyHex: toHex(evidence.relayPublicKey),
    acknowledgements: evidence.acknowledgements.map((a) => ({
      name: nameOf(a.userId),
      userId: a.userId,
      deviceId: a.deviceId,
      at: a.at,
      signatureHex: toHex(a.signature),
      valid: a.valid,
    })),
    generatedAt: Date.now(),
    language,
  });
  writeNewFile(file, html, 'record');
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** "off" or 0, or a number with a unit (s, m, h, d, w): seconds. */
function parseDuration(text: string): number {
  if (text === 'off' || text === '0') return 0;
  const match = /^(\d+)([smhdw])$/.exec(text.trim());
  if (!match) {
    throw new UsageError(
      `"${text}" is not a duration: write a number and a unit (s, m, h, d or w), e.g. 1d or 8h, or "off".`,
    );
  }
  return Number(match[1]) * DURATION_UNITS[match[2]!]!;
}

export function buildProgram(): Command {
  const program = new Command('comgov')
    .description('COMGOV Messenger headless client')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('enroll')
    .description('enrol this device with a code from the ICT cell')
    .addOption(data())
    .addOption(passFile())
    .requiredOption('--relay <url>', 'relay address, e.g. https://relay.comgov.local:8443')
    .requiredOption('--relay-key <key>', 'relay public key printed by "comgov-relay init"')
    .requiredOption('--code <code>', 'enrolment code')
    .action(async (options: Common & { relay: string; relayKey: string; code: string }) => {
      let url: URL;
      try {
        url = new URL(options.relay);
      } catch {
        throw new UsageError(
          `"${options.relay}" is not a relay address; use e.g. https://relay.example:8443.`,
        );
      }
      const engine = await Engine.enrol(
        { dataDir: options.data, passphrase: passphrase(options) },
        {
          relayUrl: url.toString(),
          relayPublicKey: relayKey(options.relayKey),
          code: options.code,
        },
      );
      const me = value(await engine.account());
      await engine.close();
      out(`Enrolled ${me.displayName} (${me.userId}), device ${me.deviceId}.`);
    });

  program
    .command('send')
    .description('send a message; exits once the relay has acknowledged it')
    .addOption(data())
    .addOption(passFile())
    .requiredOption('--to <userId>', 'recipient')
    .option('--no-wait', 'leave the message in the outbox and exit at once')
    .option('--timeout <seconds>', 'how long to wait for the relay', '60')
    .option('--ack', 'ask each recipient for a signed acknowledgement ("pris connaissance")')
    .addOption(labelOption())
    .argument('<text...>', 'the message')
    .action(
      async (
        words: string[],
        options: Common & {
          to: string;
          wait: boolean;
          timeout: string;
          ack?: boolean;
          label?: Classification;
        },
      ) => {
        const engine = await Engine.open({
          dataDir: options.data,
          passphrase: passphrase(options),
        });
        try {
          if (options.wait) engine.start();
          const message = value(
            await engine.sendText(options.to, words.join(' '), {
              requestAcknowledgement: options.ack === true,
              ...(options.label ? { classification: options.label } : {}),
            }),
          );
          if (!options.wait) {
            out(`Queued ${message.id}: it leaves at the next "comgov send" or "comgov sync".`);
            return;
          }
          await sentOrRefused(
            engine,
            message.id,
            options.timeout,
            60,
            'The relay did not acknowledge in time. The message waits in the outbox and leaves at the next send or sync.',
          );
          out(`Sent ${message.id}.`);
        } finally {
          await engine.close();
        }
      },
    );

  program
    .command('sync')
    .description('connect, receive everything pending, send what waits, then exit')
    .addOption(data())
    .addOption(passFile())
    .option('--json', 'one JSON object per new message per line')
    .option('--timeout <seconds>', 'how long to wait for the relay', '120')
    .action(async (options: Common & { json?: boolean; timeout: string }) => {
      const engine = await Engine.open({ dataDir: options.data, passphrase: passphrase(options) });
      const fresh: MessageView[] = [];
      engine.on('event', (event: EngineEvent) => {
        if (event.type === 'message') fresh.push(event.message);
        if (event.type === 'catchUp' && !options.json && process.stderr.isTTY) {
          process.stderr.write(
            `\rReceiving… ${event.processed} processed, ${event.remaining} left   `,
          );
        }
      });
      try {
        engine.start();
        const seconds = Number(options.timeout);
        const limit = (Number.isFinite(seconds) && seconds > 0 ? seconds : 120) * 1000;
        await withTimeout(engine.whenCaughtUp(), limit, () => new EngineError('RELAY_UNREACHABLE'));
        // Receipts and queued messages leave too, within a short grace period.
        await withTimeout(engine.whenOutboxEmpty(), 10_000, () => new Error('outbox')).catch(
          () => undefined,
        );
        if (process.stderr.isTTY && !options.json) process.stderr.write('\n');
        for (const m of fresh) {
          if (options.json) out(messageJson(m));
          else
            out(
              `[${new Date(m.sentAt).toISOString()}] ${m.outgoing ? `→ ${m.conversationId}` : m.senderId}: ${m.text ?? ''}`,
            );
        }
        if (!options.json) out(`${fresh.length} new message${fresh.length === 1 ? '' : 's'}.`);
      } finally {
        await engine.close();
      }
    });

  program
    .command('contacts')
    .description('list the directory, by institution')
    .addOption(data())
    .addOption(passFile())
    .option('--json', 'one JSON object per contact per line')
    .action(async (options: Common & { json?: boolean }) => {
      const engine = await Engine.open({ dataDir: options.data, passphrase: passphrase(options) });
      try {
        const contacts = value(await engine.contacts());
        for (const c of contacts) {
          if (options.json) out(JSON.stringify(c));
          else
            out(
              `${c.userId}\t${c.displayName}\t${c.institution}${c.unit ? ` / ${c.unit}` : ''}\t${c.title}${c.managerId ? ` (reports to ${c.managerId})` : ''}${c.delegation ? `\taway until ${new Date(c.delegation.until).toISOString().slice(0, 10)}, ${c.delegation.delegateId} answers` : ''}\t${c.devices.filter((d) => d.active).length} device(s)${c.clearance === DEFAULT_CLEARANCE ? '' : `\tcleared: ${c.clearance}`}${c.identityChanged ? '\tKEY CHANGED' : ''}${c.verified ? '\tverified' : ''}`,
            );
        }
        if (!options.json && contacts.length === 0) out('No contacts yet.');
      } finally {
        await engine.close();
      }
    });

  program
    .command('safety-number')
    .description('show the safety number to compare with a contact')
    .addOption(data())
    .addOption(passFile())
    .requiredOption('--with <userId>', 'the contact')
    .action(async (options: Common & { with: string }) => {
      const engine = await Engine.open({ dataDir: options.data, passphrase: passphrase(options) });
      try {
        const number = value(await engine.safetyNumber(options.with));
        for (let i = 0; i < 12; i += 4) out(number.groups.slice(i, i + 4).join(' '));
        out(
          number.verified
            ? 'Verified.'
            : 'Not verified yet: compare these digits with the contact.',
        );
      } finally {
        await engine.close();
      }
    });

  program
    .command('devices')
    .description("list this account's devices")
    .addOption(data())
    .addOption(passFile())
    .action(async (options: Common) => {
      const engine = await Engine.open({ dataDir: options.data, passphrase: passphrase(options) });
      try {
        const me = value(await engine.account());
        for (const d of await engine.ownDevices()) {
          out(
            `${d.deviceId}${d.deviceId === me.deviceId ? '\t(this device)' : ''}${d.active ? '' : '\trevoked'}`,
          );
        }
      } finally {
        await engine.close();
      }
    });

  program
    .command('send-file')
    .description(
      'send a file; exits once it is uploaded and the relay has acknowledged the message',
    )
    .addOption(data())
    .addOption(passFile())
    .requiredOption('--to <userId|group:id>', 'recipient')
    .option('--timeout <seconds>', 'how long to wait', '600')
    .argument('<path>', 'the file')
    .option('--ack', 'ask each recipient for a signed acknowledgement ("pris connaissance")')
    .addOption(labelOption())
    .option(
      '--sign',
      "sign it as a document (attestation d'intégrité): recipients can prove later that a copy is this very file",
    )
    .action(
      async (
        file: string,
        options: Common & {
          to: string;
          timeout: string;
          ack?: boolean;
          label?: Classification;
          sign?: boolean;
        },
      ) => {
        const engine = await Engine.open({
          dataDir: options.data,
          passphrase: passphrase(options),
        });
        try {
          engine.start();
          let lastShown = 0;
          engine.on('event', (event: EngineEvent) => {
            if (event.type === 'transfer' && process.stderr.isTTY && Date.now() - lastShown > 200) {
              lastShown = Date.now();
              process.stderr.write(
                `\rUploading… ${Math.floor((event.transferred / Math.max(1, event.size)) * 100)} %   `,
              );
            }
          });
          const message = value(
            await engine.sendFile(options.to, file, {
              requestAcknowledgement: options.ack === true,
              ...(options.label ? { classification: options.label } : {}),
              signDocument: options.sign === true,
            }),
          );
          const final = await sentOrRefused(
            engine,
            message.id,
            options.timeout,
            600,
            'The file is not sent yet. It resumes where it stopped at the next send, send-file or sync.',
          ).finally(() => {
            if (process.stderr.isTTY) process.stderr.write('\n');
          });
          const attachment = final.attachments?.[0];
          out(
            `Sent ${attachment?.name ?? file} (${attachment?.size ?? 0} bytes) as ${message.id}.`,
          );
        } finally {
          await engine.close();
        }
      },
    );

  program
    .command('forward')
    .description(
      'forward a message (its text and files, not uploaded again) to a user or a group; exits once the relay has acknowledged it',
    )
    .addOption(data())
    .addOption(passFile())
    .requiredOption('--id <messageId>', 'the message (its "id" in "sync --json")')
    .requiredOption('--to <userId|group:id>', 'recipient')
    .option('--timeout <seconds>', 'how long to wait', '60')
    .action(async (options: Common & { id: string; to: string; timeout: string }) => {
      const engine = await Engine.open({ dataDir: options.data, passphrase: passphrase(options) });
      try {
        engine.start();
        const message = value(await engine.forwardMessage(options.id, options.to));
        await sentOrRefused(
          engine,
          message.id,
          options.timeout,
          60,
          'The message is not sent yet. It leaves at the next send, send-file or sync.',
        );
        out(`Forwarded ${options.id} as ${message.id}.`);
      } finally {
        await engine.close();
      }
    });

  program
    .command('acknowledge')
    .description(
      'sign that you took note of a message that asked for it ("pris connaissance"); exits once the relay has it',
    )
    .addOption(data())
    .addOption(passFile())
    .requiredOption('--id <messageId>', 'the message (its "id" in "sync --json")')
    .option('--timeout <seconds>', 'how long to wait', '60')
    .action(async (options: Common & { id: string; timeout: string }) => {
      const engine = await Engine.open({ dataDir: options.data, passphrase: passphrase(options) });
      try {
        engine.start();
        value(await engine.acknowledge(options.id));
        await withTimeout(
          engine.whenOutboxEmpty(),
          (Number(options.timeout) > 0 ? Number(options.timeout) : 60) * 1000,
          () =>
            new EngineError(
              'RELAY_UNREACHABLE',
              'The acknowledgement is signed and waits in the outbox; it leaves at the next send or sync.',
            ),
        );
        out(`Acknowledged ${options.id}.`);
      } finally {
        await engine.close();
      }
    });

  program
    .command('acknowledgements')
    .description(
      "who acknowledged a message, with each signature and the signer device's relay certificate, checked again",
    )
    .addOption(data())
    .addOption(passFile())
    .requiredOption('--id <messageId>', 'the message')
    .option('--json', 'one JSON object per acknowledgement per line (hex fields)')
    .option('--html <file>', 'also write a printable record (a new file)')
    .addOption(
      new Option('--lang <language>', 'language of the record').choices(['fr', 'en']).default('fr'),
    )
    .action(
      async (
        options: Common & { id: string; json?: boolean; html?: string; lang: 'fr' | 'en' },
      ) => {
        const engine = await Engine.open({
          dataDir: options.data,
          passphrase: passphrase(options),
        });
        try {
          const evidence = engine.acknowledgementEvidence(options.id);
          if (options.html !== undefined) {
            await writeAcknowledgementReport(engine, evidence, options.html, options.lang);
            process.stderr.write(`Record written to ${options.html}.\n`);
          }
          if (evidence.acknowledgements.length === 0 && !options.json) {
            out(`Nobody has acknowledged ${options.id} yet.`);
          }
          for (const a of evidence.acknowledgements) {
            if (options.json) {
              out(
                JSON.stringify({
                  messageId: evidence.messageId,
                  author: evidence.author,
                  userId: a.userId,
                  deviceId: a.deviceId,
                  at: a.at,
                  digest: toHex(a.digest),
                  signature: toHex(a.signature),
                  certificate: toHex(a.certificate),
                  relayPublicKey: toHex(evidence.relayPublicKey),
                  valid: a.valid,
                }),
              );
            } else {
              out(
                `${a.userId} (device ${a.deviceId}) on ${new Date(a.at).toISOString()}: ${a.valid ? 'signature valid' : 'SIGNATURE INVALID'}`,
              );
            }
          }
        } finally {
          await engine.close();
        }
      },
    );

  program
    .command('disappearing')
    .description(
      'sets how long new messages of a conversation live (30s, 5m, 1h, 8h, 1d, 1w, 4w…; "off" keeps them); exits once the relay has acknowledged the change',
    )
    .addOption(data())
    .addOption(passFile())
    .requiredOption('--to <userId|group:id>', 'the conversation: a colleague or a group')
    .option('--timeout <seconds>', 'how long to wait', '60')
    .argument('<duration>', 'e.g. 1d, 8h, 30m, 45s, 2w, or off')
    .action(async (duration: string, options: Common & { to: string; timeout: string }) => {
      const seconds = parseDuration(duration);
      const conversationId = options.to.startsWith('group:') ? options.to : `direct:${options.to}`;
      const engine = await Engine.open({ dataDir: options.data, passphrase: passphrase(options) });
      try {
        engine.start();
        const notice = value(await engine.setExpireTimer(conversationId, seconds));
        await sentOrRefused(
          engine,
          notice.id,
          options.timeout,
          60,
          'The change is not sent yet. It leaves at the next send, send-file or sync.',
        );
        out(
          seconds === 0
            ? `Disappearing messages turned off in ${conversationId}.`
            : `New messages in ${conversationId} now disappear ${seconds} s after they are read.`,
        );
      } finally {
        await engine.close();
      }
    });

  const attachment = program.command('attachment').description('received files');
  attachment
    .command('save')
    .description('write a received file (checked and decrypted) to a path')
    .addOption(data())
    .addOption(passFile())
    .requiredOption('--id <id>', 'attachment id (from "sync --json")')
    .requiredOption('--out <path>', 'where to write it')
    .action(async (options: Common & { id: string; out: string }) => {
      const engine = await Engine.open({ dataDir: options.data, passphrase: passphrase(options) });
      try {
        value(await engine.saveAttachment(options.id, options.out));
        out(`Saved ${options.out}.`);
      } finally {
        await engine.close();
      }
    });

  program
    .command('search')
    .description('search all conversations (or one) in the local store')
    .addOption(data())
    .addOption(passFile())
    .option('--conversation <id>', 'only this conversation (e.g. direct:alice or group:<id>)')
    .option('--limit <n>', 'how many results', '20')
    .option('--json', 'one JSON object per result per line')
    .argument('<query...>', 'words; "quoted words" for a phrase')
    .action(
      async (
        words: string[],
        options: Common & { conversation?: string; limit: string; json?: boolean },
      ) => {
        const engine = await Engine.open({
          dataDir: options.data,
          passphrase: passphrase(options),
        });
        try {
          const hits = value(
            await engine.search(words.join(' '), {
              ...(options.conversation ? { conversationId: options.conversation } : {}),
              limit: Number(options.limit) || 20,
            }),
          );
          for (const h of hits) {
            const snippet = h.snippet.map((p) => (p.match ? `[${p.text}]` : p.text)).join('');
            if (options.json) {
              out(
                JSON.stringify({
                  id: h.id,
                  conversation: h.conversationId,
                  from: h.senderId,
                  sentAt: h.sentAt,
                  snippet,
                }),
              );
            } else {
              out(
                `[${new Date(h.sentAt).toISOString()}] ${h.conversationId} ${h.senderId}: ${snippet}`,
              );
            }
          }
          if (!options.json && hits.length === 0) out('No result.');
        } finally {
          await engine.close();
        }
      },
    );

  const group = program.command('group').description('create groups and manage their members');
  const groupConversation = (id: string) => {
    const hex = id.startsWith('group:') ? id.slice(6) : id;
    if (!/^[0-9a-f]{32}$/.test(hex))
      throw new UsageError(`"${id}" is not a group id (32 hexadecimal characters).`);
    return `group:${hex}`;
  };
  /** Runs a group change, then waits until the relay has taken it (like `send`). */
  const groupChange = async (
    options: Common,
    change: (engine: Engine) => Promise<Result<unknown>>,
  ) => {
    const engine = await Engine.open({ dataDir: options.data, passphrase: passphrase(options) });
    try {
      engine.start();
      const result = value(await change(engine));
      await withTimeout(
        engine.whenOutboxEmpty(),
        60_000,
        () =>
          new EngineError(
            'RELAY_UNREACHABLE',
            'The relay did not take the change in time; it waits in the outbox and leaves at the next send or sync.',
          ),
      );
      return result;
    } finally {
      await engine.close();
    }
  };
  group
    .command('create')
    .description('create a group; prints its id on the last line')
    .addOption(data())
    .addOption(passFile())
    .requiredOption('--name <name>', 'the group name')
    .requiredOption('--members <ids>', 'comma-separated user ids')
    .option('--broadcast', 'a broadcast channel: only its administrators post')
    .action(async (options: Common & { name: string; members: string; broadcast?: boolean }) => {
      const members = options.members
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean);
      const conversation = (await groupChange(options, (e) =>
        e.createGroup(options.name, members, { broadcast: options.broadcast === true }),
      )) as {
        id: string;
      };
      const what = options.broadcast ? `the channel "${options.name}"` : `"${options.name}"`;
      out(`Created ${what} with ${members.join(', ')}.`);
      out(conversation.id.slice('group:'.length));
    });
  for (const action of ['add', 'remove'] as const) {
    group
      .command(action)
      .description(
        action === 'add' ? 'add a member (admins only)' : 'remove a member (admins only)',
      )
      .addOption(data())
      .addOption(passFile())
      .requiredOption('--group <id>', 'group id')
      .requiredOption('--member <userId>', 'the member')
      .action(async (options: Common & { group: string; member: string }) => {
        const id = groupConversation(options.group);
        await groupChange(options, (e) =>
          action === 'add'
            ? e.addGroupMember(id, options.member)
            : e.removeGroupMember(id, options.member),
        );
        out(`${action === 'add' ? 'Added' : 'Removed'} ${options.member}.`);
      });
  }

  registerDocumentCommands(program);
  registerAbsenceCommand(program);

  return program;
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof NegativeAnswer) return error.exitCode;
    if (error instanceof UsageError) {
      process.stderr.write(`comgov: ${error.message}\n`);
      return 2;
    }
    if (error instanceof EngineError) {
      process.stderr.write(`comgov: ${error.message} [${error.code}]\n`);
      return 1;
    }
    process.stderr.write(`comgov: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
