/**
 * SynthStreet as a dataset: frames rendered on the fly (deterministic from the dataset seed),
 * labelled (source training, evaluation, oracles) or images only (adaptation). Classes are
 * CamVid's 11 (protocol camvid11), void = 255. A small cache keeps recently rendered frames so
 * that readImage + readLabel of one index renders once.
 *
 * Split convention used by configs and gates (seeds of disjoint virtual datasets):
 * train seed 1, validation seed 1001 (the style picks the domain), see SYNTH_SEEDS.
 */
import type { LabelledDataset, LabelledSample, TrainIdLabel, UnlabelledDataset } from '../data/datasets/types.js';
import type { RgbImage } from '../data/io/types.js';
import { PROTOCOLS } from '../data/datasets/protocols.js';
import { SynthStreet, type SynthFrame } from '../data/synthstreet/index.js';
import type { StyleKnobs } from '../data/synthstreet/styles.js';

export const SYNTH_SEEDS = { train: 1, val: 1001 } as const;

export interface SynthDatasetSpec {
  readonly seed: number;
  readonly count: number;
  readonly style?: string | StyleKnobs;
  readonly width?: number;
  readonly height?: number;
}

class SynthFrames {
  private readonly gen: SynthStreet;
  private readonly cache = new Map<number, SynthFrame>();
  constructor(readonly spec: SynthDatasetSpec) {
    if (!Number.isInteger(spec.count) || spec.count < 1) throw new Error(`synthstreet dataset: count must be a positive integer (got ${spec.count})`);
    this.gen = new SynthStreet(spec.seed, {
      ...(spec.style !== undefined ? { style: spec.style } : {}),
      ...(spec.width !== undefined ? { width: spec.width } : {}),
      ...(spec.height !== undefined ? { height: spec.height } : {}),
    });
  }
  frame(i: number): SynthFrame {
    if (!Number.isInteger(i) || i < 0 || i >= this.spec.count) throw new Error(`synthstreet dataset: index ${i} outside 0..${this.spec.count - 1}`);
    let f = this.cache.get(i);
    if (!f) {
      f = this.gen.frame(i);
      this.cache.set(i, f);
      if (this.cache.size > 8) this.cache.delete(this.cache.keys().next().value!);
    }
    return f;
  }
}

const styleName = (s: SynthDatasetSpec) => (typeof s.style === 'string' ? s.style : s.style ? 'custom' : 'source');
const image = (f: SynthFrame): RgbImage => ({ width: f.width, height: f.height, channels: 3, data: f.image });

function unlabelled(fr: SynthFrames, id: string): UnlabelledDataset {
  return {
    labelled: false, id, size: fr.spec.count,
    name: (i) => `s${fr.spec.seed}_${String(i).padStart(5, '0')}`,
    readImage: async (i) => image(fr.frame(i)),
  };
}

/** A labelled SynthStreet dataset (protocol camvid11). */
export function synthStreetDataset(spec: SynthDatasetSpec): LabelledDataset {
  const fr = new SynthFrames(spec);
  const id = `synthstreet/${styleName(spec)}/s${spec.seed}`;
  const name = (i: number) => `s${spec.seed}_${String(i).padStart(5, '0')}`;
  const label = (f: SynthFrame): TrainIdLabel => ({ width: f.width, height: f.height, data: f.label });
  return {
    labelled: true, id, size: spec.count, protocol: PROTOCOLS.camvid11, name,
    readImage: async (i) => image(fr.frame(i)),
    readLabel: async (i) => label(fr.frame(i)),
    readSample: async (i): Promise<LabelledSample> => { const f = fr.frame(i); return { name: name(i), image: image(f), label: label(f) }; },
    outOfTableCounts: () => new Map(),
    imagesOnly: () => unlabelled(new SynthFrames(spec), id),
  };
}

/** Images only (adaptation). */
export function synthStreetImages(spec: SynthDatasetSpec): UnlabelledDataset {
  return unlabelled(new SynthFrames(spec), `synthstreet/${styleName(spec)}/s${spec.seed}`);
}
