// Protobuf bodies over HTTP: strict decoding of requests, typed replies, and the
// JSON error body every failed request gets ({ code, message }).
import type { DescMessage, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { blake2b } from '../../shared/crypto/index.js';
import { toHex } from '../../shared/util/bytes.js';
import { WIRE_LIMITS, decodeStrict, encode } from '../../shared/wire/index.js';
import { RelayError } from '../relay-error.js';

export const PROTOBUF = 'application/x-protobuf';

/** The raw body of a protobuf request (empty for bodiless requests). */
export function rawBody(request: FastifyRequest): Uint8Array {
  const body = request.body;
  if (body === undefined || body === null) return new Uint8Array(0);
  if (body instanceof Uint8Array) return body;
  throw new RelayError('BAD_REQUEST', `Send the body as ${PROTOBUF}.`);
}

export function decodeBody<Desc extends DescMessage>(
  schema: Desc,
  body: Uint8Array,
): MessageShape<Desc> {
  try {
    return decodeStrict(schema, body, WIRE_LIMITS.maxHttpBodyBytes, 'BAD_REQUEST');
  } catch (error) {
    const e = error as RelayError;
    throw new RelayError(e.code, e.message);
  }
}

/**
 * Like sendProto, for a reply the client may already hold: tagged with a hash of its
 * bytes (ETag); a request carrying that tag (If-None-Match) gets 304 and no body. The
 * apps ask for some replies often while they seldom change (the directory), on links
 * where every kilobyte counts.
 */
export function sendProtoUnlessUnchanged<Desc extends DescMessage>(
  request: FastifyRequest,
  reply: FastifyReply,
  schema: Desc,
  init: MessageInitShape<Desc>,
): FastifyReply {
  const bytes = encode(schema, init);
  const etag = `"${toHex(blake2b(bytes, 16))}"`;
  reply.header('etag', etag).header('cache-control', 'no-store');
  if (request.headers['if-none-match'] === etag) return reply.status(304).send();
  return reply.status(200).header('content-type', PROTOBUF).send(Buffer.from(bytes));
}

export function sendProto<Desc extends DescMessage>(
  reply: FastifyReply,
  schema: Desc,
  init: MessageInitShape<Desc>,
  status = 200,
): FastifyReply {
  return reply
    .status(status)
    .header('content-type', PROTOBUF)
    .header('cache-control', 'no-store')
    .send(Buffer.from(encode(schema, init)));
}
