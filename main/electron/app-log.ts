// The desktop app's log, for the ICT cell: a file of JSON lines in the profile's logs
// folder (%APPDATA%\COMGOV Messenger\logs\comgov.log on Windows), where main writes
// what a person never sees (a policy setting skipped, a CA file that cannot serve,
// update checks, the engine stopping) and where the engine's output goes. Never
// message content: neither process logs any.
//
// Bounded: past `maxBytes` the file becomes comgov.1.log (the previous one dropped), so
// an app left open for months keeps at most twice that. Plain Node (no 'electron'), so
// that it is tested as it runs.
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { type DestinationStream, type Logger, pino } from 'pino';

export const LOG_FILE = 'comgov.log';
export const PREVIOUS_LOG_FILE = 'comgov.1.log';
const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;
/** A line longer than this, from the engine's output, is cut (with a mark). */
export const MAX_LINE_CHARS = 8192;

export interface AppLog {
  readonly file: string;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** Logs each line of a child's output (stderr as warnings), as `source`. */
  follow(stream: NodeJS.ReadableStream, source: string, level?: 'info' | 'warn'): void;
  /** Writes what is buffered; the log may still be used afterwards. */
  flush(): void;
}

/** A file destination that moves itself aside past `maxBytes` and starts a new one. */
class RotatingFile implements DestinationStream {
  private readonly destination: ReturnType<typeof pino.destination>;
  private size: number;

  constructor(
    readonly file: string,
    private readonly maxBytes: number,
    private readonly echo: boolean,
  ) {
    mkdirSync(path.dirname(file), { recursive: true });
    this.size = existsSync(file) ? statSync(file).size : 0;
    if (this.size >= maxBytes) this.rotate(false);
    // Synchronous writes: the lines before a crash are the ones that matter.
    this.destination = pino.destination({ dest: file, sync: true, mkdir: true });
  }

  write(line: string): void {
    const bytes = Buffer.byteLength(line);
    if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate(true);
    this.destination.write(line);
    this.size += bytes;
    if (this.echo) process.stdout.write(line);
  }

  flushSync(): void {
    this.destination.flushSync();
  }

  private rotate(open: boolean): void {
    try {
      renameSync(this.file, path.join(path.dirname(this.file), PREVIOUS_LOG_FILE));
    } catch {
      // Not movable (held open by a reader on Windows): the file goes on growing
      // until the next try rather than losing lines.
      return;
    }
    this.size = 0;
    if (open) this.destination.reopen();
  }
}

export function openAppLog(
  folder: string,
  options: {
    maxBytes?: number;
    /** Also on this process's output (development, `npm start`). */
    echo?: boolean;
  } = {},
): AppLog {
  const destination = new RotatingFile(
    path.join(folder, LOG_FILE),
    options.maxBytes ?? DEFAULT_MAX_BYTES,
    options.echo ?? false,
  );
  const logger: Logger = pino(
    {
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  const at =
    (level: 'info' | 'warn' | 'error') =>
    (message: string, fields: Record<string, unknown> = {}) =>
      logger[level]({ source: 'main', ...fields }, message);
  return {
    file: destination.file,
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    follow(stream, source, level = 'info') {
      const lines = createInterface({ input: stream, crlfDelay: Infinity });
      lines.on('line', (line) => {
        if (line.trim() === '') return;
        const text = line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)} [cut]` : line;
        logger[level]({ source }, text);
      });
    },
    flush: () => destination.flushSync(),
  };
}
