// The update feed, read-only:
//   GET|HEAD /updates/{channel}/latest.yml                  (never cached)
//   GET|HEAD /updates/{channel}/{installer}.exe[.blockmap]  [Range: bytes=a-b] → 200 / 206
// Files come from <data>/updates/<channel>/, written by `comgov-relay release
// publish`. No authentication: installers are not secret, and every desktop
// checks the agency's Ed25519 signature before installing (docs/deployment.md).
// One range per request, as for blobs: the app asks electron-updater for
// separate range requests (useMultipleRangeRequest: false).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  LATEST_FILE,
  isValidChannel,
  isValidFeedFileName,
  updatesRoot,
} from '../release/feed-layout.js';
import { RelayError } from '../relay-error.js';
import { parseRange } from './blob-routes.js';

const SERVED = /\.(yml|exe|blockmap)$/;

function notFound(): RelayError {
  return new RelayError(
    'NOT_FOUND',
    'There is no such file in the update feed; check the channel name in the update URL.',
  );
}

/** Serves <dataDir>/updates/. Fastify answers HEAD with the GET handler (exposeHeadRoutes). */
export function registerUpdateRoutes(app: FastifyInstance, dataDir: string): void {
  const updatesDir = updatesRoot(dataDir);
  const serve = async (
    request: FastifyRequest<{ Params: { channel: string; file: string } }>,
    reply: FastifyReply,
  ) => {
    const { channel, file } = request.params;
    if (!isValidChannel(channel) || !isValidFeedFileName(file) || !SERVED.test(file)) {
      throw notFound();
    }
    const filePath = path.join(updatesDir, channel, file);
    let length: number;
    try {
      const info = await stat(filePath);
      if (!info.isFile()) throw notFound();
      length = info.size;
    } catch {
      throw notFound();
    }
    const isFeed = file === LATEST_FILE;
    reply
      .header('content-type', isFeed ? 'text/yaml; charset=utf-8' : 'application/octet-stream')
      .header('accept-ranges', 'bytes')
      // latest.yml changes in place; installers and blockmaps never change under a name.
      .header('cache-control', isFeed ? 'no-cache' : 'public, max-age=86400, immutable');
    const range = length === 0 ? undefined : parseRange(request.headers.range, length);
    if (range === 'unsatisfiable') {
      reply.header('content-range', `bytes */${length}`);
      throw new RelayError(
        'RANGE_NOT_SATISFIABLE',
        `The requested range is outside the file (${length} bytes).`,
      );
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? length - 1;
    reply.status(range ? 206 : 200).header('content-length', String(end - start + 1));
    if (range) reply.header('content-range', `bytes ${start}-${end}/${length}`);
    if (request.method === 'HEAD' || length === 0) return reply.send();
    return reply.send(createReadStream(filePath, { start, end, highWaterMark: 256 * 1024 }));
  };
  app.get('/updates/:channel/:file', serve);
}
