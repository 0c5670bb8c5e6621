// `comgov verify-document` and `comgov attestation`: signed documents (« attestation
// d'intégrité », main/engine/documents/README.md) from the command line. A document is
// signed when it is sent (`send-file --sign`); these check a copy against the signed
// documents of the store, and print the evidence of one, or a printable attestation.
import { type Command, Option } from 'commander';
import { toHex } from '../../shared/util/bytes.js';
import { renderAttestationReport } from '../engine/documents/attestation-report.js';
import { Engine } from '../engine/engine.js';
import {
  type Common,
  NegativeAnswer,
  data,
  out,
  passFile,
  passphrase,
  value,
  writeNewFile,
} from './cli-support.js';

export function registerDocumentCommands(program: Command): void {
  program
    .command('verify-document')
    .description(
      'check whether a file (a copy received by mail, on a USB key…) is exactly a signed document of this store, and who signed it when; exit code 3 when it is none of them',
    )
    .addOption(data())
    .addOption(passFile())
    .option('--json', 'one JSON object')
    .argument('<path>', 'the file to check')
    .action(async (file: string, options: Common & { json?: boolean }) => {
      const engine = await Engine.open({ dataDir: options.data, passphrase: passphrase(options) });
      let found: number;
      try {
        const check = value(await engine.verifyDocument(file));
        found = check.matches.length;
        if (options.json) {
          out(JSON.stringify(check));
        } else if (found === 0) {
          out(
            `No signed document of this store has this content (SHA-256 ${check.sha256}): the file is not an exact copy of one.`,
          );
        } else {
          for (const m of check.matches) {
            const who = [m.signerName, m.signerInstitution].filter(Boolean).join(', ');
            out(
              `Identical to "${m.name}", signed by ${who} (${m.signerId}) on ${new Date(m.signedAt).toISOString()} (SHA-256 ${m.sha256}).`,
            );
          }
        }
      } finally {
        await engine.close();
      }
      if (found === 0) throw new NegativeAnswer(3);
    });

  program
    .command('attestation')
    .description(
      "the evidence of a signed document (its SHA-256, the signer device's relay certificate and signature, checked again), or a printable attestation d'intégrité",
    )
    .addOption(data())
    .addOption(passFile())
    .requiredOption('--id <attachmentId>', 'the signed file (its id in "sync --json")')
    .option('--json', 'one JSON object (hex fields)')
    .option('--html <file>', 'also write a printable attestation (a new file)')
    .addOption(
      new Option('--lang <language>', 'language of the attestation')
        .choices(['fr', 'en'])
        .default('fr'),
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
          const evidence = engine.documentEvidence(options.id);
          if (options.html !== undefined) {
            const html = renderAttestationReport(evidence, {
              language: options.lang,
              generatedAt: Date.now(),
            });
            writeNewFile(options.html, html, 'attestation');
            process.stderr.write(`Attestation written to ${options.html}.\n`);
          }
          if (options.json) {
            out(
              JSON.stringify({
                ...evidence,
                certificate: toHex(evidence.certificate),
                signature: toHex(evidence.signature),
                relayPublicKey: toHex(evidence.relayPublicKey),
              }),
            );
          } else {
            out(
              `${evidence.name} (${evidence.size} bytes), SHA-256 ${evidence.sha256}: signed by ${evidence.signerName} (${evidence.signerId}, device ${evidence.signerDevice}) on ${new Date(evidence.signedAt).toISOString()}; ${evidence.valid ? 'signature valid' : 'SIGNATURE INVALID'}.`,
            );
          }
        } finally {
          await engine.close();
        }
      },
    );
}
