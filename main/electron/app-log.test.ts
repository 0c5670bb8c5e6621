import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOG_FILE, MAX_LINE_CHARS, PREVIOUS_LOG_FILE, openAppLog } from './app-log.js';

let folder: string;
beforeEach(() => {
  folder = mkdtempSync(path.join(tmpdir(), 'comgov-app-log-'));
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

const lines = (file = LOG_FILE) =>
  readFileSync(path.join(folder, file), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}

describe('the desktop app log', () => {
  it('writes JSON lines with the time, the level, where from and the sentence', () => {
    rmSync(folder, { recursive: true }); // a first start: the folder is made
    const log = openAppLog(folder);
    log.warn('RelayCaFile: C:\\x.pem cannot be read (ENOENT).', { code: 'POLICY' });
    log.info('update checks off');
    log.flush();
    const [first, second] = lines();
    expect(first).toMatchObject({
      level: 'warn',
      source: 'main',
      code: 'POLICY',
      msg: 'RelayCaFile: C:\\x.pem cannot be read (ENOENT).',
    });
    expect(Date.parse(first!.time as string)).toBeGreaterThan(Date.now() - 60_000);
    expect(second).toMatchObject({ level: 'info', msg: 'update checks off' });
    expect(first).not.toHaveProperty('hostname');
  });

  it('logs each line of the engine’s output, and cuts a runaway one', async () => {
    const log = openAppLog(folder);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    log.follow(stdout, 'engine');
    log.follow(stderr, 'engine', 'warn');
    stdout.write('first line\r\nsecond ');
    stdout.write('line\n\n');
    stderr.write(`${'x'.repeat(MAX_LINE_CHARS + 10)}\n`);
    await until(() => lines().length === 3);
    const [a, b, c] = lines();
    expect(a).toMatchObject({ level: 'info', source: 'engine', msg: 'first line' });
    expect(b).toMatchObject({ msg: 'second line' });
    expect(c).toMatchObject({ level: 'warn', source: 'engine' });
    expect(c!.msg).toBe(`${'x'.repeat(MAX_LINE_CHARS)} [cut]`);
  });

  it('keeps at most two files: past the limit the log starts over, the previous one kept', () => {
    const log = openAppLog(folder, { maxBytes: 4096 });
    for (let i = 0; i < 100; i++) log.info(`line ${i} ${'·'.repeat(40)}`);
    log.flush();
    expect(readdirSync(folder).sort()).toEqual([PREVIOUS_LOG_FILE, LOG_FILE].sort());
    const current = lines();
    const previous = lines(PREVIOUS_LOG_FILE);
    expect(readFileSync(path.join(folder, LOG_FILE)).length).toBeLessThanOrEqual(4096);
    expect(readFileSync(path.join(folder, PREVIOUS_LOG_FILE)).length).toBeLessThanOrEqual(4096);
    // Nothing lost at the turn: the previous file ends where the current one starts.
    const number = (line: Record<string, unknown>) => Number(String(line.msg).split(' ')[1]);
    expect(number(current[0]!)).toBe(number(previous.at(-1)!) + 1);
    expect(number(current.at(-1)!)).toBe(99);
  });

  it('moves a file already over the limit aside when the app starts', () => {
    writeFileSync(path.join(folder, LOG_FILE), `${'{"old":true}\n'.repeat(1000)}`);
    const log = openAppLog(folder, { maxBytes: 4096 });
    log.info('started');
    log.flush();
    expect(lines()).toEqual([expect.objectContaining({ msg: 'started' })]);
    expect(lines(PREVIOUS_LOG_FILE)).toHaveLength(1000);
  });
});
