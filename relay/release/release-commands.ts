// `comgov-relay release keygen|publish`: the update-signing side of the relay's
// admin CLI. keygen runs once on the signing machine; publish runs for every
// release (it needs the private key, so it runs there too, against a copy of the
// relay's data folder or on the relay itself if that is where the key lives).
import { type Command, Option } from 'commander';
import { toHex } from '../../shared/util/bytes.js';
import { publishRelease } from './publish.js';
import { ReleaseError } from './release-error.js';
import { UPDATE_PRIVATE_KEY_FILE, UPDATE_PUBLIC_KEY_FILE, generateUpdateKey } from './update-key.js';

export function registerReleaseCommands(program: Command, out: (line: string) => void): void {
  const release = program
    .command('release')
    .description('update feed: make the update signing key, publish signed installers');

  release
    .command('keygen')
    .description("make the agency's Ed25519 update signing key pair (once, on the signing machine)")
    .requiredOption('--out <dir>', 'folder for the key files (created with mode 0700)')
    .action(async (options: { out: string }) => {
      const publicKey = await generateUpdateKey(options.out);
      out(`Private key: ${options.out}/${UPDATE_PRIVATE_KEY_FILE} (keep it on this machine, offline copy in a safe).`);
      out(`Public key:  ${options.out}/${UPDATE_PUBLIC_KEY_FILE}`);
      out('Put this public key in electron-builder.yml (extraMetadata.comgovUpdatePublicKeys) or in the machine policy (UpdatePublicKey):');
      out(toHex(publicKey));
    });

  release
    .command('publish')
    .description('publish a signed installer to a channel of the update feed served under /updates/<channel>/')
    .addOption(new Option('--data <dir>', 'relay data folder').makeOptionMandatory())
    .requiredOption('--file <installer.exe>', 'installer built by electron-builder')
    .requiredOption('--version <semver>', 'version of the installer, e.g. 1.4.0')
    .addOption(new Option('--channel <name>', 'stable, pilot, …').default('stable'))
    .option('--staging <percent>', 'offer it to this percentage of desktops only (0–100)')
    .requiredOption('--key <file>', 'update private key file made by "release keygen"')
    .option('--blockmap <file>', 'blockmap for differential downloads (default: <file>.blockmap if present)')
    .option('--force', 'replace a newer version, or the same version with another file')
    .option('--json', 'print the result as one JSON object')
    .action(
      async (options: {
        data: string;
        file: string;
        version: string;
        channel: string;
        staging?: string;
        key: string;
        blockmap?: string;
        force?: boolean;
        json?: boolean;
      }) => {
        let stagingPercentage: number | undefined;
        if (options.staging !== undefined) {
          stagingPercentage = /^\d{1,3}$/.test(options.staging) ? Number(options.staging) : NaN;
          if (!(stagingPercentage >= 0 && stagingPercentage <= 100)) {
            throw new ReleaseError('BAD_ARGUMENT', '--staging must be a whole percentage from 0 to 100.');
          }
        }
        const result = await publishRelease({
          dataDir: options.data,
          file: options.file,
          version: options.version,
          channel: options.channel,
          keyFile: options.key,
          ...(stagingPercentage !== undefined ? { stagingPercentage } : {}),
          ...(options.blockmap !== undefined ? { blockmap: options.blockmap } : {}),
          force: options.force === true,
        });
        if (options.json) {
          const { latestYml: _latestYml, ...summary } = result;
          out(JSON.stringify(summary));
          return;
        }
        const who =
          result.stagingPercentage === undefined ? 'every desktop' : `${result.stagingPercentage} % of desktops`;
        out(
          `Published ${result.fileName} (${result.version}, ${result.size} bytes${result.blockmap ? ', with blockmap' : ', no blockmap: full downloads only'}) to channel ${result.channel} for ${who}.`,
        );
        if (result.previousVersion !== undefined) out(`It replaces ${result.previousVersion}.`);
        out(`Served at /updates/${result.channel}/latest.yml`);
      },
    );
}
