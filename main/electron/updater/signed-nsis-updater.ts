// electron-updater's NsisUpdater with the agency's Ed25519 check in place of
// Authenticode. Plain Node (electron-updater loads `electron` only lazily), so the
// tests run it against the relay's real feed.
//
// Three guards, each proven by test/deployment/updater.test.ts:
//  1. verifyUpdateCodeSignature is our check, after electron-updater's SHA-512 check;
//  2. electron-updater runs that hook only when app-update.yml has publisherName
//     (electron-builder.yml sets it); we also run it when that field is missing;
//  3. the installer is checked again, synchronously, right before it is started,
//     because a file from the download cache is not checked again by electron-updater.
import { NsisUpdater } from 'electron-updater';
import type { AppAdapter } from 'electron-updater/out/AppAdapter.js';
import type {
  DownloadExecutorResult,
  DownloadUpdateOptions,
} from 'electron-updater/out/AppUpdater.js';
import type { InstallOptions } from 'electron-updater/out/BaseUpdater.js';
import {
  type FeedRelease,
  type InstallerCheck,
  type InstallerVerdict,
  verifyInstallerFile,
  verifyInstallerFileSync,
} from './installer-signature.js';

export interface SignedUpdaterOptions extends InstallerCheck {
  /** Base URL of the relay's update feed, e.g. https://relay.comgov.intra:8443 */
  readonly updateUrl: string;
  /** Stand-in for Electron's app in tests; default: the real one. */
  readonly app?: AppAdapter;
  /** Called after every signature check, with the verdict (null = accepted). */
  readonly onSignatureChecked?: (version: string, verdict: InstallerVerdict) => void;
  /**
   * Tests only: the HTTP executor (Node https with a test CA instead of Electron's net)
   * and electron-updater's test switches (feed file name of Windows, differential on/off).
   */
  readonly testRuntime?: {
    readonly httpExecutor: unknown;
    readonly differentialDownload: boolean;
  };
}

/** https://host:port + /updates/<channel>/ */
export function channelFeedUrl(updateUrl: string, channel: string): string {
  return `${updateUrl.replace(/\/+$/, '')}/updates/${encodeURIComponent(channel)}/`;
}

export class SignedNsisUpdater extends NsisUpdater {
  private releaseBeingDownloaded: FeedRelease | undefined;
  private verifiedRelease: FeedRelease | undefined;

  constructor(readonly options: SignedUpdaterOptions) {
    super(null, options.app);
    this.verifyUpdateCodeSignature = (_publisherNames: string[], file: string) =>
      this.checkDownloadedInstaller(file);
    // Guard 2: the original runs the hook only when app-update.yml names a publisher.
    (this as unknown as { verifySignature: (file: string) => Promise<string | null> })[
      'verifySignature'
    ] = (file: string) => this.verifyUpdateCodeSignature([], file);
    this.allowDowngrade = false;
    this.allowPrerelease = false;
    this.disableWebInstaller = true;
    this.autoDownload = true;
    // Installed when the user quits, or when they choose "restart now": never forced.
    this.autoInstallOnAppQuit = true;
    if (options.testRuntime) {
      const internals = this as unknown as Record<string, unknown>;
      internals['httpExecutor'] = options.testRuntime.httpExecutor;
      internals['_testOnlyOptions'] = {
        platform: 'win32',
        isUseDifferentialDownload: options.testRuntime.differentialDownload,
      };
    }
    this.setFeedURL({
      provider: 'generic',
      url: channelFeedUrl(options.updateUrl, options.channel),
      // The relay answers one byte range per request.
      useMultipleRangeRequest: false,
    });
  }

  private async checkDownloadedInstaller(file: string): Promise<InstallerVerdict> {
    const release = this.releaseBeingDownloaded;
    const verdict = release
      ? await verifyInstallerFile(file, release, this.options)
      : 'no update is being downloaded';
    if (verdict === null) this.verifiedRelease = release;
    this.options.onSignatureChecked?.(release?.version ?? '?', verdict);
    return verdict;
  }

  protected override doDownloadUpdate(
    downloadUpdateOptions: DownloadUpdateOptions,
  ): Promise<DownloadExecutorResult> {
    this.releaseBeingDownloaded = downloadUpdateOptions.updateInfoAndProvider
      .info as unknown as FeedRelease;
    this.verifiedRelease = undefined;
    return super.doDownloadUpdate(downloadUpdateOptions);
  }

  /** Guard 3: refuse to start an installer that is not the verified one. */
  protected override doInstall(options: InstallOptions): boolean {
    const file = this.installerPath;
    const release = this.verifiedRelease ?? this.releaseBeingDownloaded;
    const verdict =
      file === null || release === undefined
        ? 'no verified update to install'
        : verifyInstallerFileSync(file, release, this.options);
    this.options.onSignatureChecked?.(release?.version ?? '?', verdict);
    if (verdict !== null) {
      this.dispatchError(new Error(`Update not installed: ${verdict}.`));
      return false;
    }
    return super.doInstall(options);
  }
}
