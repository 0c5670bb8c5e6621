import type { FastifyRequest } from 'fastify';
import type { DeviceAddress } from '../store/store.js';

/** Verifies a signed request (body: the raw protobuf body, if any) and returns its device. */
export type Authenticate = (request: FastifyRequest, body?: Uint8Array) => Promise<DeviceAddress>;
