// Keeps the installed app current from the agency's signed feed (machine policy:
// UpdateUrl, UpdateChannel, UpdatePublicKey, AutoUpdate). It checks at start and
// every few hours; a verified update downloads in the background and is installed
// when the app quits, or at once when the person chooses "Restart to update" (tray
// menu, notification). Never forced in the middle of work. Errors (relay away,
// refused signature) are logged and the next check tries again.
import { fromHex } from '../../../shared/util/bytes.js';
import type { MachinePolicy } from '../policy/policy-schema.js';
import { SignedNsisUpdater, type SignedUpdaterOptions } from './signed-nsis-updater.js';

export const CHECK_INTERVAL_MS = 4 * 60 * 60 * 1000;

/**
 * The updater's settings, or why there are none: only an installed app whose policy
 * turns updates on and names a feed and at least one signing key checks for updates.
 */
export function updateSettings(
  policy: MachinePolicy,
  installed: boolean,
): { options: SignedUpdaterOptions } | { off: string } {
  if (!installed) return { off: 'not an installed app (development run)' };
  if (!policy.autoUpdate) return { off: 'AutoUpdate is off in the machine policy' };
  if (!policy.updateUrl) return { off: 'no UpdateUrl in the machine policy' };
  if (policy.updatePublicKeys.length === 0) {
    return { off: 'no UpdatePublicKey in the machine policy: updates cannot be verified' };
  }
  return {
    options: {
      updateUrl: policy.updateUrl,
      channel: policy.updateChannel,
      publicKeys: policy.updatePublicKeys.map((key) => fromHex(key)),
    },
  };
}

export interface UpdateChecks {
  /** Quits and runs the verified installer now (silently, then restarts the app). */
  installNow(): void;
  stop(): void;
}

export function startUpdateChecks(
  options: SignedUpdaterOptions,
  events: {
    readonly onReady: (version: string) => void;
    readonly log: (message: string) => void;
  },
): UpdateChecks {
  const updater = new SignedNsisUpdater({
    ...options,
    onSignatureChecked: (version, verdict) => {
      if (verdict !== null) events.log(`update ${version} refused: ${verdict}`);
    },
  });
  let ready = false;
  updater.on('update-downloaded', (info: { version: string }) => {
    ready = true;
    events.onReady(info.version);
  });
  updater.on('error', (error: Error) => events.log(`update check failed: ${error.message}`));
  const check = () => {
    if (ready) return;
    updater.checkForUpdates().catch((error: unknown) => {
      events.log(`update check failed: ${(error as Error).message}`);
    });
  };
  check();
  const timer = setInterval(check, CHECK_INTERVAL_MS);
  timer.unref();
  return {
    installNow: () => {
      if (ready) updater.quitAndInstall(true, true);
    },
    stop: () => clearInterval(timer),
  };
}
