/**
 * Where loader samples come from, as a serialisable spec (it is sent to every worker, which
 * opens its own copy): a SynthStreet generator (frames made on the fly), or a dataset on disk
 * opened through the dataset readers (labelled: image + train-id label; unlabelled: image).
 */
import { openDataset, type DatasetSpec } from '../datasets/index.js';
import { SynthStreet } from '../synthstreet/index.js';
import type { StyleKnobs } from '../synthstreet/styles.js';
import type { Sample } from '../transforms/types.js';

export type SourceSpec =
  | {
    readonly kind: 'synthstreet';
    /** Dataset seed: frame i is renderFrame(frameSeed(seed, i)). */
    readonly seed: number;
    /** Number of frames in the (virtual) dataset. */
    readonly count: number;
    readonly style?: string | StyleKnobs;
    readonly width?: number;
    readonly height?: number;
  }
  | { readonly kind: 'dataset'; readonly dataset: DatasetSpec; readonly labels: boolean };

export interface SampleSource {
  readonly size: number;
  get(index: number): Promise<Sample>;
}

export async function openSource(spec: SourceSpec): Promise<SampleSource> {
  if (spec.kind === 'synthstreet') {
    if (!Number.isInteger(spec.count) || spec.count < 1) throw new Error(`loader source: 'count' must be a positive integer, got ${spec.count}`);
    if (!Number.isInteger(spec.seed)) throw new Error(`loader source: 'seed' must be an integer, got ${spec.seed}`);
    const gen = new SynthStreet(spec.seed, {
      ...(spec.style !== undefined ? { style: spec.style } : {}),
      ...(spec.width !== undefined ? { width: spec.width } : {}),
      ...(spec.height !== undefined ? { height: spec.height } : {}),
    });
    return {
      size: spec.count,
      get: async (i) => {
        const f = gen.frame(i);
        return { image: { width: f.width, height: f.height, channels: 3, data: f.image }, label: { width: f.width, height: f.height, data: f.label } };
      },
    };
  }
  if (spec.kind === 'dataset') {
    if (spec.labels) {
      const ds = await openDataset({ ...spec.dataset, labels: true });
      return { size: ds.size, get: async (i) => { const s = await ds.readSample(i); return { image: s.image, label: s.label }; } };
    }
    const ds = await openDataset({ ...spec.dataset, labels: false });
    return { size: ds.size, get: async (i) => ({ image: await ds.readImage(i) }) };
  }
  throw new Error(`loader source: unknown kind '${(spec as { kind: unknown }).kind}' (synthstreet | dataset)`);
}
