// The machine policy: for each setting, the first valid value among
//   1. HKLM\SOFTWARE\Policies\COMGOV\Messenger   (Group Policy, reg.exe)
//   2. %ProgramData%\COMGOV\policy.json           (folder writable by administrators only: the installer sets its ACL)
//   3. the build defaults                          (electron-builder.yml extraMetadata, then SAFE_DEFAULTS)
// Never from a place the user can write. A bad value never stops the app: it is
// skipped with a notice (logged by the app for the ICT cell), and the next source wins.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type MachinePolicy,
  POLICY_SETTINGS,
  type PolicySetting,
  REGISTRY_VALUE_NAMES,
  type RawValue,
  SAFE_DEFAULTS,
  validateSetting,
} from './policy-schema.js';
import {
  type CommandRunner,
  POLICY_REGISTRY_KEY,
  readRegistryPolicy,
  registryRawValue,
} from './registry-policy.js';

export type PolicySource = 'registry' | 'file' | 'build' | 'default';

export interface PolicyNotice {
  readonly source: PolicySource;
  /** The setting concerned, or undefined for the whole source. */
  readonly setting?: PolicySetting;
  /** English sentence for the log and the ICT cell; the UI translates by `code`. */
  readonly message: string;
  readonly code:
    'POLICY_VALUE_INVALID' | 'POLICY_FILE_INVALID' | 'POLICY_UNKNOWN_SETTING' | 'POLICY_UNREADABLE';
}

export interface PolicyResult {
  readonly policy: MachinePolicy;
  readonly sources: Readonly<Record<PolicySetting, PolicySource>>;
  readonly notices: readonly PolicyNotice[];
}

export interface PolicyReadOptions {
  /** Windows only; elsewhere (tests, CI) the registry is skipped unless a runner is given. */
  readonly runCommand?: CommandRunner;
  readonly env?: NodeJS.ProcessEnv;
  /** Values baked into the build (validated like the others). */
  readonly buildDefaults?: Partial<Record<PolicySetting, RawValue>>;
  readonly platform?: NodeJS.Platform;
}

export function policyFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.ProgramData ?? 'C:\\ProgramData', 'COMGOV', 'policy.json');
}

const JSON_KEYS = new Set<string>(POLICY_SETTINGS);

const defaultRunner: CommandRunner = (file, args) =>
  new Promise((resolve, reject) => {
    execFile(file, [...args], { windowsHide: true, timeout: 10_000 }, (error, stdout) => {
      if (error && typeof error.code !== 'number') reject(error);
      else resolve({ exitCode: error ? Number(error.code) : 0, stdout: String(stdout) });
    });
  });

export async function readMachinePolicy(options: PolicyReadOptions = {}): Promise<PolicyResult> {
  const env = options.env ?? process.env;
  const notices: PolicyNotice[] = [];
  const layers: { source: PolicySource; values: Map<PolicySetting, RawValue> }[] = [];

  // 1. Registry (Group Policy).
  const platform = options.platform ?? process.platform;
  if (options.runCommand || platform === 'win32') {
    const registry = await readRegistryPolicy(options.runCommand ?? defaultRunner, env);
    const values = new Map<PolicySetting, RawValue>();
    if (registry.found) {
      for (const [setting, value] of registry.values) {
        const raw = registryRawValue(value);
        if (typeof raw === 'object' && raw !== null && 'wrongType' in raw) {
          notices.push({
            source: 'registry',
            setting,
            code: 'POLICY_VALUE_INVALID',
            message: `${POLICY_REGISTRY_KEY}\\${REGISTRY_VALUE_NAMES[setting]}: ${raw.wrongType}; ignored.`,
          });
        } else {
          values.set(setting, raw);
        }
      }
      for (const name of registry.unknown) {
        notices.push({
          source: 'registry',
          code: 'POLICY_UNKNOWN_SETTING',
          message: `${POLICY_REGISTRY_KEY}\\${name} is not a COMGOV setting; ignored (check the spelling against the ADMX template).`,
        });
      }
    } else if (registry.error) {
      notices.push({
        source: 'registry',
        code: 'POLICY_UNREADABLE',
        message: `${registry.error}; Group Policy settings were not read.`,
      });
    }
    layers.push({ source: 'registry', values });
  }

  // 2. %ProgramData%\COMGOV\policy.json
  const file = policyFilePath(env);
  const fileValues = new Map<PolicySetting, RawValue>();
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      notices.push({
        source: 'file',
        code: 'POLICY_UNREADABLE',
        message: `${file} cannot be read (${(error as Error).message}); ignored.`,
      });
    }
  }
  if (text !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
    } catch (error) {
      notices.push({
        source: 'file',
        code: 'POLICY_FILE_INVALID',
        message: `${file} is not valid JSON (${(error as Error).message}); the whole file is ignored.`,
      });
    }
    if (parsed !== undefined) {
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        notices.push({
          source: 'file',
          code: 'POLICY_FILE_INVALID',
          message: `${file} must hold one JSON object; the whole file is ignored.`,
        });
      } else {
        for (const [key, value] of Object.entries(parsed)) {
          if (!JSON_KEYS.has(key)) {
            notices.push({
              source: 'file',
              code: 'POLICY_UNKNOWN_SETTING',
              message: `"${key}" in ${file} is not a COMGOV setting; ignored (see docs/deployment.md).`,
            });
          } else if (value === null) {
            continue; // explicit "not set here"
          } else if (
            ['string', 'number', 'boolean'].includes(typeof value) ||
            (Array.isArray(value) && value.every((v) => typeof v === 'string'))
          ) {
            fileValues.set(key as PolicySetting, value as RawValue);
          } else {
            notices.push({
              source: 'file',
              setting: key as PolicySetting,
              code: 'POLICY_VALUE_INVALID',
              message: `"${key}" in ${file} has the wrong type; ignored.`,
            });
          }
        }
      }
    }
  }
  layers.push({ source: 'file', values: fileValues });

  // 3. Build defaults.
  layers.push({
    source: 'build',
    values: new Map(Object.entries(options.buildDefaults ?? {}) as [PolicySetting, RawValue][]),
  });

  const policy: Record<string, unknown> = { ...SAFE_DEFAULTS };
  const sources = {} as Record<PolicySetting, PolicySource>;
  for (const setting of POLICY_SETTINGS) {
    sources[setting] = 'default';
    for (const layer of layers) {
      const raw = layer.values.get(setting);
      if (raw === undefined) continue;
      const checked = validateSetting(setting, raw);
      if (checked.ok) {
        policy[setting] = checked.value;
        sources[setting] = layer.source;
        break;
      }
      const where =
        layer.source === 'registry'
          ? `${POLICY_REGISTRY_KEY}\\${REGISTRY_VALUE_NAMES[setting]}`
          : layer.source === 'file'
            ? `"${setting}" in ${file}`
            : `build default "${setting}"`;
      notices.push({
        source: layer.source,
        setting,
        code: 'POLICY_VALUE_INVALID',
        message: `${where} ${checked.reason}; ignored.`,
      });
    }
  }
  return { policy: policy as unknown as MachinePolicy, sources, notices };
}
