// What every `comgov` command shares: the data folder and passphrase options, how the
// passphrase is read (never from the command line, where other users of the machine
// could read it), output, and errors a person can act on.
import { readFileSync, writeFileSync } from 'node:fs';
import { Option } from 'commander';
import { EngineError, type Result } from '../../shared/api/errors.js';

/**
 * A command that ran well but answers "no" (e.g. a file that is not a signed document):
 * what it printed stands, and the process exits with `exitCode`, for scripts.
 */
export class NegativeAnswer extends Error {
  constructor(readonly exitCode: number) {
    super('negative answer');
  }
}

/** A mistake in how the command was typed: its sentence, exit code 2. */
export class UsageError extends Error {}

export function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

export interface Common {
  data: string;
  passphraseFile?: string;
}

export function passphrase(options: Common): string {
  if (options.passphraseFile) {
    try {
      return readFileSync(options.passphraseFile, 'utf8').replace(/\r?\n$/, '');
    } catch {
      throw new UsageError(`The passphrase file ${options.passphraseFile} cannot be read.`);
    }
  }
  const fromEnv = process.env.COMGOV_PASSPHRASE;
  if (!fromEnv) {
    throw new UsageError(
      'Set COMGOV_PASSPHRASE, or pass --passphrase-file <file>, to unlock the data folder.',
    );
  }
  return fromEnv;
}

/** The answer of an engine call, or its error (with its code) thrown. */
export function value<T>(result: Result<T>): T {
  if (!result.ok) throw new EngineError(result.error.code, result.error.message);
  return result.value;
}

export const data = () =>
  new Option('--data <dir>', 'data folder of this device').makeOptionMandatory();

export const passFile = () =>
  new Option('--passphrase-file <file>', 'file holding the passphrase (else COMGOV_PASSPHRASE)');

/** Writes a page the person asked for (`what`: "record", "attestation") to a new file. */
export function writeNewFile(file: string, content: string, what: string): void {
  try {
    writeFileSync(file, content, { flag: 'wx' });
  } catch (error) {
    throw new UsageError(
      (error as NodeJS.ErrnoException).code === 'EEXIST'
        ? `${file} already exists; choose another file name.`
        : `The ${what} cannot be written to ${file}: ${(error as Error).message}`,
    );
  }
}
