// Protobuf bodies over HTTP: strict decoding of requests, typed replies, and the
// JSON error body every failed request gets ({ code, message }).
import type { DescMessage, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import type { FastifyReply, FastifyRequest } from 'fastify';
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
