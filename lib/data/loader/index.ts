/** Background data loading: worker threads, prefetch, deterministic batches. */
export { DataLoader } from './loader.js';
export type { LoaderOptions, Batch } from './loader.js';
export type { SourceSpec, SampleSource } from './source.js';
export { openSource } from './source.js';
export { computeSample, sampleRng } from './task.js';
export type { SampleResult } from './task.js';
