// Sends bytes [start, end] of a blob file as a response body, reading into the same
// few buffers from start to end: a buffer is read into again once the socket has
// written it (the write's callback).
//
// A file stream allocates a fresh buffer per read; for a 256 MiB download that is
// 256 MiB of buffers counted as external memory until the collector frees them, and
// the relay ran a full mark-compact every few dozen MiB of it, on both cores
// (docs/benchmarks.md, ninth session). Reads of 512 KiB, three buffers: 1.5 MiB per
// download in flight, whatever the file's size.
//
// A client that goes away stops the reading at once; a read that fails cuts the
// response (the client sees a cut and resumes from what it has).
import type { ServerResponse } from 'node:http';
import type { FileHandle } from 'node:fs/promises';

const READ_BYTES = 512 * 1024;
const BUFFERS = 3;

export async function sendFileRange(
  response: ServerResponse,
  file: FileHandle,
  start: number,
  end: number,
): Promise<void> {
  const free = Array.from({ length: BUFFERS }, () => Buffer.allocUnsafe(READ_BYTES));
  let wake: (() => void) | undefined;
  const nudge = () => {
    const waiting = wake;
    wake = undefined;
    waiting?.();
  };
  // Whatever the loop waits for, the end of the response wakes it too.
  response.once('close', nudge);
  response.on('drain', nudge);
  const gone = () => response.destroyed || response.writableEnded;
  try {
    for (let position = start; position <= end;) {
      while (free.length === 0 && !gone()) await new Promise<void>((resolve) => (wake = resolve));
      if (gone()) return;
      const buffer = free.pop()!;
      const { bytesRead } = await file.read(
        buffer,
        0,
        Math.min(READ_BYTES, end + 1 - position),
        position,
      );
      if (bytesRead === 0) throw new Error('The blob file is shorter than its record.');
      position += bytesRead;
      const more = response.write(buffer.subarray(0, bytesRead), () => {
        free.push(buffer);
        nudge();
      });
      if (!more) {
        while (response.writableNeedDrain && !gone()) {
          await new Promise<void>((resolve) => (wake = resolve));
        }
      }
    }
    response.end();
  } catch {
    response.destroy();
  } finally {
    response.off('close', nudge);
    response.off('drain', nudge);
  }
}
