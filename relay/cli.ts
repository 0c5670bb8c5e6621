// `comgov-relay`: the relay's admin command line. Every command takes the data
// folder; invite, revoke, users and stats work while `serve` runs (SQLite WAL:
// the running relay notices revocations within externalChangePollMs).
import { userInfo } from 'node:os';
import { Command, CommanderError, Option } from 'commander';
import { DEFAULT_CLEARANCE } from '../shared/api/classification.js';
import { ready } from '../shared/crypto/index.js';
import { toHex } from '../shared/util/bytes.js';
import { USER_ID_RULE, isValidDeviceId, isValidUserId } from '../shared/wire/index.js';
import { backupDataDir } from './backup.js';
import { registerAuditCommand } from './audit-command.js';
import { registerClearanceCommand } from './clearance-command.js';
import { registerOrgCommand } from './org-command.js';
import { loadConfig } from './config.js';
import { initDataDir, loadRelayKey, openStore } from './data-dir.js';
import { registerReleaseCommands } from './release/release-commands.js';
import type { SlipLanguage } from './enrolment/enrolment-slip.js';
import {
  checkRelayUrl,
  codeLifetimeMs,
  issueWithSlips,
  registerInviteBatchCommand,
  slipOptions,
} from './enrolment/invite-commands.js';
import { checkInvitation, issueInvitations } from './enrolment/invitations.js';
import { startRelay } from './server.js';

/** A failure the operator can fix; printed without a stack trace. */
class UsageError extends Error {}

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function checkUserId(userId: string): string {
  if (!isValidUserId(userId)) {
    throw new UsageError(`"${userId}" is not a valid user id: use ${USER_ID_RULE}.`);
  }
  return userId;
}

/** Who runs this command, as the admin log records it. */
function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

function formatTime(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString();
}

export function buildProgram(): Command {
  const program = new Command('comgov-relay')
    .description('COMGOV relay server and its administration')
    .showHelpAfterError()
    .exitOverride();
  const data = () => new Option('--data <dir>', 'relay data folder').makeOptionMandatory();

  program
    .command('init')
    .description('create a data folder: database, relay key, default settings')
    .addOption(data())
    .action(async (options: { data: string }) => {
      const publicKey = await initDataDir(options.data);
      out(`Relay initialised in ${options.data}.`);
      out('Give this public key to clients (installer policy) so they can pin it:');
      out(toHex(publicKey));
    });

  program
    .command('serve')
    .description('run the relay until SIGTERM or SIGINT (SIGHUP reloads the TLS certificate)')
    .addOption(data())
    .option('--host <host>', 'address to listen on (default from relay.json, 127.0.0.1)')
    .option('--port <n>', 'port; 0 picks a free one (default from relay.json, 8443)')
    .option('--tls-cert <file>', 'PEM certificate chain (with --tls-key: serve HTTPS/WSS)')
    .option('--tls-key <file>', 'PEM private key')
    .option('--log-level <level>', 'fatal, error, warn, info, debug')
    .action(
      async (options: {
        data: string;
        host?: string;
        port?: string;
        tlsCert?: string;
        tlsKey?: string;
        logLevel?: string;
      }) => {
        const config = loadConfig(options.data);
        if (options.port !== undefined) {
          const port = Number(options.port);
          if (!Number.isInteger(port) || port < 0 || port > 65535) {
            throw new UsageError('--port must be a whole number from 0 to 65535.');
          }
          config.port = port;
        }
        if (options.host !== undefined) config.host = options.host;
        if (options.tlsCert !== undefined) config.tlsCertFile = options.tlsCert;
        if (options.tlsKey !== undefined) config.tlsKeyFile = options.tlsKey;
        if (options.logLevel !== undefined) config.logLevel = options.logLevel;
        if (Boolean(config.tlsCertFile) !== Boolean(config.tlsKeyFile)) {
          throw new UsageError('Give both --tls-cert and --tls-key, or neither.');
        }
        const relay = await startRelay({ dataDir: options.data, config });
        out(`listening ${relay.url}`);
        // SIGHUP (systemctl reload): a renewed TLS certificate is served from now on.
        const reload = () => {
          try {
            const { validTo } = relay.reloadTls();
            out(`TLS certificate reloaded; valid until ${validTo.toISOString()}`);
          } catch (error) {
            process.stderr.write(
              `comgov-relay: the TLS certificate was not reloaded: ${(error as Error).message}\n`,
            );
          }
        };
        process.on('SIGHUP', reload);
        await new Promise<void>((resolve) => {
          const stop = () => {
            process.off('SIGTERM', stop);
            process.off('SIGINT', stop);
            process.off('SIGHUP', reload);
            relay.close().then(resolve, resolve);
          };
          process.on('SIGTERM', stop);
          process.on('SIGINT', stop);
        });
      },
    );

  const invite = program
    .command('invite')
    .description('create a one-time enrolment code for a user (adds the user if new)')
    .addOption(data())
    .requiredOption('--user <id>', `user id (${USER_ID_RULE})`)
    .requiredOption('--name <display name>', 'display name')
    .option('--institution <name>', 'ministry or institution', '')
    .option('--title <t>', 'job title', '')
    .option('--unit <unit>', 'their unit within the institution (direction, service)')
    .option('--manager <userId>', 'the user id of the person they report to')
    .option(
      '--clearance <label>',
      'highest classification label they may receive: none, restricted (the default), confidential, secret',
    )
    .option('--expires-hours <h>', 'hours before the code expires (default from relay.json: 168)')
    .option('--slip <file.html>', 'also write a printable enrolment slip (a new file)');
  for (const option of slipOptions()) invite.addOption(option);
  invite.action(
    async (options: {
      data: string;
      user: string;
      name: string;
      institution: string;
      title: string;
      clearance?: string;
      unit?: string;
      manager?: string;
      expiresHours?: string;
      slip?: string;
      relayUrl?: string;
      lang: SlipLanguage;
    }) => {
      await ready();
      const invitation = checkInvitation({
        user: options.user,
        name: options.name,
        institution: options.institution,
        title: options.title,
        ...(options.clearance !== undefined ? { clearance: options.clearance } : {}),
        ...(options.unit !== undefined ? { unit: options.unit } : {}),
        ...(options.manager !== undefined ? { manager: options.manager } : {}),
      });
      const ttlMs = codeLifetimeMs(options.data, options.expiresHours);
      const relayUrl = checkRelayUrl(options.relayUrl);
      await loadRelayKey(options.data);
      const store = openStore(options.data);
      try {
        const now = Date.now();
        const actor = cliActor();
        const issue = () => issueInvitations(store, [invitation], { ttlMs, actor, now });
        const [issued] =
          options.slip === undefined
            ? await issue()
            : await issueWithSlips(options.slip, issue, {
                dataDir: options.data,
                relayUrl,
                language: options.lang,
                actor,
                now,
              });
        if (options.slip !== undefined) out(`Enrolment slip written to ${options.slip}.`);
        out(
          `Enrolment code for ${invitation.userId} (${invitation.displayName}), valid until ${formatTime(issued!.expiresAt)}:`,
        );
        out(issued!.code);
      } finally {
        store.close();
      }
    },
  );

  program
    .command('revoke')
    .description(
      'revoke a user (all devices) or one device; their sockets are closed. With --wipe, the devices also erase their data the next time they connect (a lost or stolen computer)',
    )
    .addOption(data())
    .requiredOption('--user <id>', 'user id')
    .option('--device <id>', 'device number (default: the whole user)')
    .option('--wipe', 'order the devices to erase their messages, files and keys')
    .action(async (options: { data: string; user: string; device?: string; wipe?: boolean }) => {
      const userId = checkUserId(options.user);
      const deviceId = options.device === undefined ? undefined : Number(options.device);
      if (deviceId !== undefined && !isValidDeviceId(deviceId)) {
        throw new UsageError('--device must be a device number (1, 2, …) as shown by "users".');
      }
      const store = openStore(options.data);
      try {
        const user = await store.getUser(userId);
        if (!user) {
          throw new UsageError(
            `There is no user "${userId}"; list them with "comgov-relay users".`,
          );
        }
        if (deviceId !== undefined && !(await store.getDevice(userId, deviceId))) {
          throw new UsageError(
            `User "${userId}" has no device ${deviceId}; list them with "comgov-relay users".`,
          );
        }
        const revoked = await store.revoke(userId, deviceId, Date.now(), cliActor(), {
          wipe: options.wipe === true,
        });
        const what = deviceId === undefined ? `user ${userId}` : `device ${userId}/${deviceId}`;
        out(
          revoked.length === 0 && deviceId !== undefined
            ? `${what} was already revoked.`
            : `Revoked ${what} (${revoked.length} device${revoked.length === 1 ? '' : 's'}).`,
        );
        if (options.wipe) {
          const all = (await store.listUsers()).find((u) => u.user.userId === userId)?.devices;
          const waiting = (all ?? []).filter(
            (d) =>
              (deviceId === undefined || d.deviceId === deviceId) &&
              d.wipeRequestedAt !== null &&
              d.wipeDeliveredAt === null,
          );
          const names = waiting.map((d) => `device ${d.deviceId}`).join(', ');
          out(
            waiting.length === 0
              ? 'Every device concerned has already received its wipe order.'
              : `Wipe ordered (${names}): erases messages, files and keys at the next connection; "comgov-relay users" shows when.`,
          );
        }
      } finally {
        store.close();
      }
    });

  program
    .command('users')
    .description('list users and their devices')
    .addOption(data())
    .option('--json', 'one JSON document')
    .action(async (options: { data: string; json?: boolean }) => {
      const store = openStore(options.data);
      try {
        const users = await store.listUsers();
        if (options.json) {
          out(
            JSON.stringify(
              users.map(({ user, devices }) => ({
                ...user,
                devices: devices.map((d) => ({
                  deviceId: d.deviceId,
                  identityKey: toHex(d.identityKey),
                  createdAt: d.createdAt,
                  revokedAt: d.revokedAt,
                  wipeRequestedAt: d.wipeRequestedAt,
                  wipeDeliveredAt: d.wipeDeliveredAt,
                  lastSeenAt: d.lastSeenAt,
                })),
              })),
            ),
          );
          return;
        }
        if (users.length === 0) out('No users yet. Add one with "comgov-relay invite".');
        for (const { user, devices } of users) {
          const state = user.revokedAt === null ? '' : ` [revoked ${formatTime(user.revokedAt)}]`;
          const clearance = user.clearance === DEFAULT_CLEARANCE ? '' : `  [${user.clearance}]`;
          const org = [
            user.unit !== '' ? `unit: ${user.unit}` : '',
            user.manager !== null ? `reports to ${user.manager}` : '',
          ]
            .filter(Boolean)
            .join(', ');
          out(
            `${user.userId}  ${user.displayName}  ${user.institution}  ${user.title}${org ? `  (${org})` : ''}${clearance}${state}`,
          );
          for (const d of devices) {
            const wipe =
              d.wipeDeliveredAt !== null
                ? `, wiped ${formatTime(d.wipeDeliveredAt)}`
                : d.wipeRequestedAt !== null
                  ? ', wipe ordered (not connected since)'
                  : '';
            const dState =
              d.revokedAt === null ? 'active' : `revoked ${formatTime(d.revokedAt)}${wipe}`;
            out(
              `  device ${d.deviceId}  ${dState}  enrolled ${formatTime(d.createdAt)}  ${d.lastSeenAt === null ? 'never connected' : `last seen ${formatTime(d.lastSeenAt)}`}  key ${toHex(d.identityKey).slice(0, 16)}…`,
            );
          }
        }
      } finally {
        store.close();
      }
    });

  program
    .command('stats')
    .description('counts of users, devices, queued envelopes and blobs (no content)')
    .addOption(data())
    .option('--json', 'one JSON object')
    .action(async (options: { data: string; json?: boolean }) => {
      const store = openStore(options.data);
      try {
        const stats = await store.stats();
        if (options.json) {
          out(JSON.stringify(stats));
          return;
        }
        const width = Math.max(...Object.keys(stats).map((k) => k.length));
        for (const [key, value] of Object.entries(stats)) out(`${key.padEnd(width)}  ${value}`);
      } finally {
        store.close();
      }
    });

  program
    .command('backup')
    .description(
      'copy the database (online, consistent), the blobs, relay.pub and relay.json into a new folder under --out; works while serve runs',
    )
    .addOption(data())
    .requiredOption('--out <dir>', 'folder that receives the backup folder')
    .option('--with-key', 'also copy relay.key (the private key; better kept offline, once)')
    .action(async (options: { data: string; out: string; withKey?: boolean }) => {
      const result = await backupDataDir(options.data, options.out, {
        withKey: options.withKey === true,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      if (!options.withKey) {
        process.stderr.write(
          'relay.key was not copied: keep the copy you made at installation (see docs/relay.md, Backups).\n',
        );
      }
      out(result.folder);
    });

  registerInviteBatchCommand(program, out, data, cliActor);
  registerAuditCommand(program, out, data);
  registerClearanceCommand(program, out, data, cliActor);
  registerOrgCommand(program, out, data, cliActor);
  registerReleaseCommands(program, out);

  return program;
}

/** Runs the CLI; returns the exit code. Errors go to stderr with a sentence saying what to do. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed its message (and help) to stderr.
      return error.exitCode === 0 ? 0 : 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`comgov-relay: ${message}\n`);
    if (!(error instanceof UsageError) && !(error as { code?: string }).code) {
      process.stderr.write(`${(error as Error).stack ?? ''}\n`);
    }
    return 1;
  }
}
