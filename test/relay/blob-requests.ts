// The relay's blob routes as the tests call them, through a signed TestDevice.
import { expect } from 'vitest';
import {
  BlobFinaliseSchema,
  BlobInfoSchema,
  decodeStrict,
  encode,
} from '../../shared/wire/index.js';
import type { TestDevice } from './harness.js';

export const UPLOAD = 'application/offset+octet-stream';

/** POST /v1/blobs: a new blob of `length` bytes; its id. */
export async function create(device: TestDevice, length: number): Promise<string> {
  const result = await device.request('POST', '/v1/blobs', {
    headers: { 'upload-length': String(length) },
  });
  expect(result.status).toBe(201);
  const info = decodeStrict(BlobInfoSchema, result.body, 1024);
  expect(result.headers.get('location')).toBe(`/v1/blobs/${info.blobId}`);
  return info.blobId;
}

/** HEAD: how many bytes the relay holds. */
export async function offsetOf(device: TestDevice, id: string): Promise<number> {
  const head = await device.request('HEAD', `/v1/blobs/${id}`);
  expect(head.status).toBe(200);
  return Number(head.headers.get('upload-offset'));
}

export const patch = (device: TestDevice, id: string, offset: number, bytes: Uint8Array) =>
  device.request('PATCH', `/v1/blobs/${id}`, {
    body: bytes,
    contentType: UPLOAD,
    headers: { 'upload-offset': String(offset) },
  });

export const finalise = (device: TestDevice, id: string, hash: Uint8Array) =>
  device.request('POST', `/v1/blobs/${id}/finalise`, {
    body: encode(BlobFinaliseSchema, { blake2b: hash }),
  });
