// Public surface of the relay wire protocol (docs/relay.md).
export * from './gen/relay_pb.js';
export * from './codec.js';
export * from './errors.js';
export * from './ids.js';
export * from './limits.js';
export * from './signed-bytes.js';
export * from './certificate.js';
export * from './client-auth.js';
export * from './enrolment-code.js';
export * from './fast-encode.js';
