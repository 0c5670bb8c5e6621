// Stand-in Electron main entry for `npm run package:check` while main/electron/main.ts
// does not exist yet (desktop-app stage). It pulls in the real policy reader and
// updater so their bundle is what gets checked; it is never shipped.
import { readMachinePolicy } from '../../main/electron/policy/machine-policy.js';
import { SignedNsisUpdater } from '../../main/electron/updater/signed-nsis-updater.js';

export async function start(): Promise<void> {
  const { policy } = await readMachinePolicy();
  if (policy.updateUrl && policy.autoUpdate) {
    new SignedNsisUpdater({
      updateUrl: policy.updateUrl,
      channel: policy.updateChannel,
      publicKeys: [],
    });
  }
}
