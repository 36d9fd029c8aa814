/**
 * Loader worker (compiled to worker.js beside loader.js; started with
 * new Worker(new URL('./worker.js', import.meta.url))). Messages in: {type:'init', source,
 * augment} once, then {type:'task', id, seed, epoch, index}. Messages out: {type:'ready'},
 * {type:'result', id, result} (image/label buffers transferred) or {type:'error', id, message}.
 */
import { parentPort } from 'node:worker_threads';
import type { AugmentSpec } from '../transforms/pipeline.js';
import { openSource, type SampleSource, type SourceSpec } from './source.js';
import { computeSample } from './task.js';

type InMsg =
  | { type: 'init'; source: SourceSpec; augment: AugmentSpec }
  | { type: 'task'; id: number; seed: number; epoch: number; index: number };

if (parentPort === null) throw new Error('loader worker.js must be started as a worker thread');
const port = parentPort;
let source: Promise<SampleSource> | undefined;
let aug: AugmentSpec = {};

port.on('message', (m: InMsg) => {
  if (m.type === 'init') {
    aug = m.augment;
    source = openSource(m.source);
    source.then(() => port.postMessage({ type: 'ready' }), (e: unknown) => port.postMessage({ type: 'error', id: -1, message: (e as Error).message }));
    return;
  }
  const { id, seed, epoch, index } = m;
  (async () => {
    if (source === undefined) throw new Error('worker not initialised');
    const r = await computeSample(await source, aug, seed, epoch, index);
    const transfer: ArrayBuffer[] = [r.image.buffer as ArrayBuffer];
    if (r.label) transfer.push(r.label.buffer as ArrayBuffer);
    port.postMessage({ type: 'result', id, result: r }, transfer);
  })().catch((e: unknown) => port.postMessage({ type: 'error', id, message: `sample ${index}: ${(e as Error).message}` }));
});
