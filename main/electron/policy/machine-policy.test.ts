import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readMachinePolicy } from './machine-policy.js';
import { REGISTRY_VALUE_NAMES, SAFE_DEFAULTS } from './policy-schema.js';
import type { CommandRunner } from './registry-policy.js';
import { parseRegQuery } from './registry-policy.js';

const KEY_A = 'a'.repeat(64);
const KEY_B = 'B'.repeat(64);

// `reg.exe query HKLM\SOFTWARE\Policies\COMGOV\Messenger /reg:64` on Windows 11 (CRLF, four-space columns).
const REG_OUTPUT = [
  '',
  'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\COMGOV\\Messenger',
  '    RelayUrl    REG_SZ    https://relay.comgov.intra:8443/',
  `    RelayPublicKey    REG_SZ    ${KEY_A}`,
  '    RelayCaFile    REG_SZ    C:\\ProgramData\\COMGOV\\ca du relais.pem',
  '    AutoUpdate    REG_DWORD    0x1',
  '    LockDelayMinutes    REG_DWORD    0x1e',
  `    UpdatePublicKey    REG_MULTI_SZ    ${KEY_A}\\0${KEY_B}`,
  '',
  '',
].join('\r\n');

const NOT_FOUND = { exitCode: 1, stdout: '' };

function runner(
  result: { exitCode: number; stdout: string },
  calls: string[][] = [],
): CommandRunner {
  return async (file, args) => {
    calls.push([file, ...args]);
    return result;
  };
}

let programData: string;
const env = () => ({ ProgramData: programData, SystemRoot: 'C:\\Windows' });

function writePolicyFile(content: string): void {
  const file = path.join(programData, 'COMGOV', 'policy.json');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

beforeEach(() => {
  programData = mkdtempSync(path.join(tmpdir(), 'comgov-policy-'));
});
afterEach(() => rmSync(programData, { recursive: true, force: true }));

describe('reg.exe output', () => {
  it('parses names, types and data, including REG_MULTI_SZ and empty data', () => {
    const values = parseRegQuery(REG_OUTPUT + '    Empty    REG_SZ    \r\n    Bare    REG_SZ\r\n');
    expect(values.get('RelayUrl')).toEqual({
      type: 'REG_SZ',
      data: 'https://relay.comgov.intra:8443/',
    });
    expect(values.get('LockDelayMinutes')).toEqual({ type: 'REG_DWORD', data: '0x1e' });
    expect(values.get('Bare')).toEqual({ type: 'REG_SZ', data: '' });
    expect(values.get('RelayCaFile')?.data).toBe('C:\\ProgramData\\COMGOV\\ca du relais.pem');
    expect(values.size).toBe(8);
  });
});

describe('machine policy', () => {
  it('uses the safe defaults when nothing is configured, without notices', async () => {
    const result = await readMachinePolicy({ runCommand: runner(NOT_FOUND), env: env() });
    expect(result.policy).toEqual(SAFE_DEFAULTS);
    expect(result.notices).toEqual([]);
    expect(new Set(Object.values(result.sources))).toEqual(new Set(['default']));
  });

  it('runs reg.exe by absolute path on the 64-bit view of the policy key', async () => {
    const calls: string[][] = [];
    await readMachinePolicy({ runCommand: runner(NOT_FOUND, calls), env: env() });
    expect(calls).toEqual([
      [
        'C:\\Windows\\System32\\reg.exe',
        'query',
        'HKLM\\SOFTWARE\\Policies\\COMGOV\\Messenger',
        '/reg:64',
      ],
    ]);
  });

  it('takes registry over policy.json over build defaults, setting by setting', async () => {
    writePolicyFile(
      JSON.stringify({
        relayUrl: 'https://file.example:8443',
        updateUrl: 'https://updates.file.example',
        lockDelayMinutes: 5,
        defaultLanguage: 'en',
        disappearingMessages: false,
      }),
    );
    const result = await readMachinePolicy({
      runCommand: runner({ exitCode: 0, stdout: REG_OUTPUT }),
      env: env(),
      buildDefaults: { updateChannel: 'pilot', defaultLanguage: 'fr', contentProtection: false },
    });
    expect(result.notices).toEqual([]);
    expect(result.policy).toEqual({
      relayUrl: 'https://relay.comgov.intra:8443',
      relayPublicKey: KEY_A,
      relayCaFile: 'C:\\ProgramData\\COMGOV\\ca du relais.pem',
      updateUrl: 'https://updates.file.example',
      updateChannel: 'pilot',
      updatePublicKeys: [KEY_A, KEY_B.toLowerCase()],
      autoUpdate: true,
      lockDelayMinutes: 30,
      contentProtection: false,
      defaultLanguage: 'en',
      disappearingMessages: false,
    });
    expect(result.sources).toMatchObject({
      disappearingMessages: 'file',
      relayUrl: 'registry',
      lockDelayMinutes: 'registry',
      updateUrl: 'file',
      defaultLanguage: 'file',
      updateChannel: 'build',
      contentProtection: 'build',
      autoUpdate: 'registry',
    });
  });

  it('skips an invalid registry value with a notice and falls back to the next source', async () => {
    writePolicyFile(JSON.stringify({ relayUrl: 'https://file.example' }));
    const stdout = [
      'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\COMGOV\\Messenger',
      '    RelayUrl    REG_SZ    http://plain-http.example',
      '    AutoUpdate    REG_SZ    yes',
      '    LockDelayMinutes    REG_DWORD    0x0',
      '    RelayPublicKey    REG_BINARY    00FF',
      '    RelayURLL    REG_SZ    typo',
      '    RelayCaFile    REG_SZ    relay-ca.pem',
    ].join('\r\n');
    const result = await readMachinePolicy({
      runCommand: runner({ exitCode: 0, stdout }),
      env: env(),
    });
    expect(result.policy.relayUrl).toBe('https://file.example');
    expect(result.policy.autoUpdate).toBe(false);
    expect(result.policy.lockDelayMinutes).toBe(15);
    expect(result.policy.relayPublicKey).toBeNull();
    const messages = result.notices.map((n) => `${n.code} ${n.setting ?? '-'} ${n.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^POLICY_VALUE_INVALID relayUrl .*RelayUrl must start with https:\/\//,
        ),
        expect.stringMatching(/^POLICY_VALUE_INVALID autoUpdate .*must be 0 or 1/),
        expect.stringMatching(/^POLICY_VALUE_INVALID lockDelayMinutes .*from 1 to 1440/),
        expect.stringMatching(/^POLICY_VALUE_INVALID relayPublicKey .*REG_BINARY is not supported/),
        expect.stringMatching(/^POLICY_UNKNOWN_SETTING - .*RelayURLL/),
        expect.stringMatching(
          /^POLICY_VALUE_INVALID relayCaFile .*must be the full path of a file/,
        ),
      ]),
    );
    expect(result.notices).toHaveLength(6);
    expect(result.policy.relayCaFile).toBeNull();
  });

  it('ignores a policy.json that is not JSON, with one notice, and still starts', async () => {
    writePolicyFile('{ "relayUrl": "https://x.example", ');
    const result = await readMachinePolicy({ runCommand: runner(NOT_FOUND), env: env() });
    expect(result.policy).toEqual(SAFE_DEFAULTS);
    expect(result.notices).toHaveLength(1);
    expect(result.notices[0]).toMatchObject({ source: 'file', code: 'POLICY_FILE_INVALID' });
  });

  it('reports unknown keys and wrong types in policy.json and keeps the good ones', async () => {
    writePolicyFile(
      '\uFEFF' +
        JSON.stringify({
          updateChannel: 'pilot',
          updatePublicKeys: [KEY_A, 'not-a-key'],
          contentProtection: { yes: true },
          autoUpdates: true,
        }),
    );
    const result = await readMachinePolicy({ runCommand: runner(NOT_FOUND), env: env() });
    expect(result.policy.updateChannel).toBe('pilot');
    expect(result.policy.updatePublicKeys).toEqual([]);
    expect(result.policy.contentProtection).toBe(true);
    expect(result.notices.map((n) => n.code).sort()).toEqual([
      'POLICY_UNKNOWN_SETTING',
      'POLICY_VALUE_INVALID',
      'POLICY_VALUE_INVALID',
    ]);
  });

  it('starts with a notice when reg.exe cannot run (e.g. blocked by AppLocker)', async () => {
    const result = await readMachinePolicy({
      runCommand: async () => {
        throw new Error('spawn EACCES');
      },
      env: env(),
    });
    expect(result.policy).toEqual(SAFE_DEFAULTS);
    expect(result.notices).toEqual([
      expect.objectContaining({ source: 'registry', code: 'POLICY_UNREADABLE' }),
    ]);
  });

  it('does not run reg.exe off Windows unless told to', async () => {
    const result = await readMachinePolicy({ env: env(), platform: 'linux' });
    expect(result.policy).toEqual(SAFE_DEFAULTS);
  });
});

describe('the Group Policy template', () => {
  it('declares every registry value the app reads, in both languages', () => {
    const folder = path.join(import.meta.dirname, '..', '..', '..', 'build', 'policy');
    const admx = readFileSync(path.join(folder, 'comgov-messenger.admx'), 'utf8');
    const declared = new Set([...admx.matchAll(/valueName="([A-Za-z]+)"/g)].map((m) => m[1]));
    expect([...declared].sort()).toEqual(Object.values(REGISTRY_VALUE_NAMES).sort());
    for (const language of ['fr-FR', 'en-US']) {
      const adml = readFileSync(path.join(folder, language, 'comgov-messenger.adml'), 'utf8');
      for (const [policy, name] of admx.matchAll(/<policy name="([A-Za-z]+)"[^>]*>/g)) {
        expect(adml, `${language} ${name}`).toContain(`<string id="${name}_Explain">`);
        const presentation = /presentation="\$\(presentation\.([A-Za-z]+)\)"/.exec(policy)?.[1];
        if (presentation) expect(adml).toContain(`<presentation id="${presentation}">`);
      }
    }
  });
});
