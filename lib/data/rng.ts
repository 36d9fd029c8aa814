/** The seeded generator lives in lib/util/rng.ts (shared by the engine's initialisers and the data pipeline). */
export * from '../util/rng.js';
