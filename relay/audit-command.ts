// `comgov-relay audit`: prints the admin log (store/admin-log.ts), checks that no entry
// was altered, removed or inserted, and prints its head signed by the relay key, which
// the ICT cell copies into a register kept away from the server; `--head` checks such
// a copy later.
import type { Command, Option } from 'commander';
import { sign } from '../shared/crypto/index.js';
import { toHex } from '../shared/util/bytes.js';
import { loadRelayKey, openStore } from './data-dir.js';
import { type AdminLogEntry, adminLogHeadBytes, verifyAdminLog } from './store/admin-log.js';

/** A log that does not hold, or a head given wrongly: a sentence, exit code 1, no stack. */
export class AuditError extends Error {
  readonly code = 'AUDIT_FAILED';
}

function formatTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** `<seq>:<hash>` as printed by `audit` (the head an ICT cell keeps in its register). */
function parseHead(text: string): { seq: number; hash: string } {
  const match = /^(\d+):([0-9a-f]{64})$/.exec(text.trim().toLowerCase());
  if (!match) {
    throw new AuditError(
      '--head takes the head as "audit" printed it: the entry number, a colon, and 64 hexadecimal digits.',
    );
  }
  return { seq: Number(match[1]), hash: match[2]! };
}

export function registerAuditCommand(
  program: Command,
  out: (line: string) => void,
  data: () => Option,
): void {
  program
    .command('audit')
    .description(
      'print the admin log (invitations, enrolments, revocations), check that no entry was altered, removed or inserted, and print its head signed by the relay key',
    )
    .addOption(data())
    .option('--json', 'one JSON document')
    .option('--head <seq:hash>', 'a head kept in your register: check that the log still holds it')
    .action(async (options: { data: string; json?: boolean; head?: string }) => {
      const expected = options.head === undefined ? undefined : parseHead(options.head);
      const relayKey = await loadRelayKey(options.data);
      const store = openStore(options.data);
      let entries: AdminLogEntry[];
      try {
        entries = await store.adminLog();
      } finally {
        store.close();
      }
      const verdict = verifyAdminLog(entries);
      const head = verdict.ok ? verdict.head : undefined;
      const headSignature = head
        ? toHex(sign(relayKey.secretKey, adminLogHeadBytes(head.seq, head.hash)))
        : undefined;
      if (options.json) {
        out(
          JSON.stringify({
            intact: verdict.ok,
            ...(verdict.ok ? {} : { alteredAt: verdict.seq, reason: verdict.reason }),
            head: head ? { seq: head.seq, hash: toHex(head.hash), signature: headSignature } : null,
            entries: entries.map((e) => ({
              seq: e.seq,
              at: e.at,
              actor: e.actor,
              action: e.action,
              subject: e.subject,
              details: JSON.parse(e.details) as unknown,
              hash: toHex(e.hash),
            })),
          }),
        );
      } else {
        if (entries.length === 0) out('The admin log is empty: nobody has been invited yet.');
        for (const e of entries) {
          out(
            `#${e.seq}  ${formatTime(e.at)}  ${e.actor}  ${e.action}  ${e.subject}  ${e.details}`,
          );
        }
      }
      if (!verdict.ok) {
        throw new AuditError(
          `The admin log was altered at entry ${verdict.seq}: ${verdict.reason}. Leave the data folder as it is, compare with the heads in your register, and tell your security officer.`,
        );
      }
      if (expected) {
        const kept = entries[expected.seq - 1];
        if (!kept || toHex(kept.hash) !== expected.hash) {
          throw new AuditError(
            kept
              ? `Entry ${expected.seq} of the admin log is not the one in your register: the log was rewritten. Leave the data folder as it is and tell your security officer.`
              : `The admin log has no entry ${expected.seq} any more (it ends at ${entries.length}): entries were removed. Leave the data folder as it is and tell your security officer.`,
          );
        }
      }
      if (!options.json && head) {
        out(
          `Intact: ${entries.length} entries.${expected ? ` Entry ${expected.seq} matches your register.` : ''}`,
        );
        out(`Head (copy it into your register): ${head.seq}:${toHex(head.hash)}`);
        out(`Head signed by the relay key: ${headSignature}`);
      }
    });
}
