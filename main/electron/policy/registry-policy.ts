// Reads HKLM\SOFTWARE\Policies\COMGOV\Messenger through reg.exe (no native module).
// Only administrators (and Group Policy) can write under HKLM\SOFTWARE\Policies.
import { REGISTRY_VALUE_NAMES, type PolicySetting, type RawValue } from './policy-schema.js';

export const POLICY_REGISTRY_KEY = 'HKLM\\SOFTWARE\\Policies\\COMGOV\\Messenger';

export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
}

/** Runs a program with arguments, no shell (tests pass a fake). */
export type CommandRunner = (file: string, args: readonly string[]) => Promise<CommandResult>;

/** Absolute path, so a reg.exe planted in the working folder or PATH is never run. */
export function regExePath(env: NodeJS.ProcessEnv = process.env): string {
  return `${env.SystemRoot ?? env.windir ?? 'C:\\Windows'}\\System32\\reg.exe`;
}

export interface RegistryValue {
  readonly type: string;
  readonly data: string;
}

/** Parses `reg.exe query <key>` output: "    Name    REG_TYPE    data" lines under the key line. */
export function parseRegQuery(stdout: string): Map<string, RegistryValue> {
  const values = new Map<string, RegistryValue>();
  for (const line of stdout.split(/\r?\n/)) {
    const match = /^ {4}(.+?) {4}(REG_[A-Z_]+)(?: {4}(.*))?$/.exec(line);
    if (!match) continue;
    values.set(match[1]!, { type: match[2]!, data: match[3] ?? '' });
  }
  return values;
}

/** Converts a registry value to the raw value the validators take; a string with the reason if the type is wrong. */
export function registryRawValue(value: RegistryValue): RawValue | { wrongType: string } {
  switch (value.type) {
    case 'REG_SZ':
    case 'REG_EXPAND_SZ':
      return value.data;
    case 'REG_DWORD':
      return /^0x[0-9a-f]{1,8}$/i.test(value.data)
        ? Number.parseInt(value.data.slice(2), 16)
        : { wrongType: `unreadable REG_DWORD "${value.data}"` };
    case 'REG_MULTI_SZ':
      // reg.exe prints the strings joined by the two characters "\0".
      return value.data.split('\\0').filter((part) => part !== '');
    default:
      return { wrongType: `type ${value.type} is not supported here` };
  }
}

export type RegistryReadResult =
  | {
      readonly found: true;
      readonly values: Map<PolicySetting, RegistryValue>;
      readonly unknown: string[];
    }
  | { readonly found: false; readonly error?: string };

export async function readRegistryPolicy(
  run: CommandRunner,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RegistryReadResult> {
  let result: CommandResult;
  try {
    result = await run(regExePath(env), ['query', POLICY_REGISTRY_KEY, '/reg:64']);
  } catch (error) {
    return { found: false, error: `reg.exe could not run: ${(error as Error).message}` };
  }
  // Exit code 1 with nothing on stdout: the key does not exist (no Group Policy set).
  if (result.exitCode !== 0) return { found: false };
  const raw = parseRegQuery(result.stdout);
  const byName = new Map(
    Object.entries(REGISTRY_VALUE_NAMES).map(([setting, name]) => [name.toLowerCase(), setting]),
  );
  const values = new Map<PolicySetting, RegistryValue>();
  const unknown: string[] = [];
  for (const [name, value] of raw) {
    const setting = byName.get(name.toLowerCase()) as PolicySetting | undefined;
    if (setting) values.set(setting, value);
    else unknown.push(name);
  }
  return { found: true, values, unknown };
}
