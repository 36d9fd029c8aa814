/** The shared gRPC infrastructure of the teacher, student and orchestrator services. */
export * from './auth.js';
export * from './call-hook.js';
export * from './client.js';
export * from './credentials.js';
export * from './errors.js';
export * from './handlers.js';
export * from './proto.js';
export * from './server.js';
export * from './tensor-codec.js';
export * from './validate.js';
