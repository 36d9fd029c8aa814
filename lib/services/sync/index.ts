/**
 * Weight-snapshot sync over NATS JetStream: the student publishes versioned, checksummed
 * snapshots of its weights; the teacher pulls the newest and applies the EMA. See
 * weight-store.ts for the protocol, snapshot.ts for the payload format, staleness.ts for the
 * staleness bound.
 */
export * from './errors.js';
export * from './snapshot.js';
export * from './staleness.js';
export * from './observer.js';
export { connectNats, natsConnectionOptions, type NatsCredentials, type SyncConnectionOptions } from './connection.js';
export { isCasConflict, isTransient } from './retry.js';
export * from './weight-store.js';
