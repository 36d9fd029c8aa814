/**
 * Evaluating predictions against a labelled dataset: one streaming confusion matrix over all
 * images. `predict` returns a train-id map per image (e.g. a model, or files on disk).
 */
import { join } from 'node:path';
import { readLabel } from '../data/io/label.js';
import { ImageFileError } from '../data/io/errors.js';
import { cityscapesIdMap } from '../data/datasets/mappings.js';
import { applyIdMap } from '../data/datasets/id-map.js';
import type { LabelledDataset, TrainIdLabel } from '../data/datasets/types.js';
import { createConfusion, updateConfusion, type ConfusionMatrix } from './confusion.js';
import { summarize, type EvaluationResult } from './results.js';

export type Predictor = (index: number, name: string) => Promise<TrainIdLabel>;

export interface Evaluation {
  readonly confusion: ConfusionMatrix;
  readonly result: EvaluationResult;
}

/** Runs `predict` over every sample of `ds` and accumulates one confusion matrix. */
export async function evaluateDataset(ds: LabelledDataset, predict: Predictor): Promise<Evaluation> {
  const p = ds.protocol;
  const cm = createConfusion(p.numClasses, p.ignoreIndex);
  for (let i = 0; i < ds.size; i++) {
    const name = ds.name(i);
    const [pred, label] = await Promise.all([predict(i, name), ds.readLabel(i)]);
    if (pred.width !== label.width || pred.height !== label.height) {
      throw new Error(`${ds.id} ${name}: prediction ${pred.width}x${pred.height} differs from label ${label.width}x${label.height}`);
    }
    updateConfusion(cm, pred.data, label.data);
  }
  return { confusion: cm, result: summarize(cm, p.id, p.classes, ds.size) };
}

export type PredictionFormat = 'trainid' | 'cityscapes-labelid';

/**
 * Predictions stored as PNG files `<dir>/<name>.png`: train ids of the dataset's protocol
 * ('trainid') or Cityscapes labelIds ('cityscapes-labelid'; ignored labelIds become invalid
 * predictions, i.e. misses, as in cityscapesScripts).
 */
export function predictionFolder(dir: string, ds: LabelledDataset, format: PredictionFormat): Predictor {
  const map = format === 'cityscapes-labelid' ? cityscapesIdMap(ds.protocol.id) : undefined;
  return async (_i, name) => {
    const path = join(dir, `${name}.png`);
    const raw = await readLabel(path);
    if (raw.bitDepth === 16) throw new ImageFileError(path, 'a prediction must be an 8-bit PNG');
    const data = raw.data as Uint8Array;
    if (!map) return { width: raw.width, height: raw.height, data };
    const out = new Uint8Array(data.length);
    applyIdMap(data, map, out);
    return { width: raw.width, height: raw.height, data: out };
  };
}
