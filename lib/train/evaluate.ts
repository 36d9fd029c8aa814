/**
 * Evaluating a model (any BatchPredictor) over a LabelledDataset: images are read, optionally
 * resized, normalised and batched; predictions are brought back to the label size (nearest)
 * and accumulated in one streaming confusion matrix (lib/eval), which gives per-class IoU and
 * mIoU. Optionally writes prediction PNGs (train ids) and a few colour overlays.
 *
 * Resize policy: without `resize` the model sees every image at its own size (consecutive
 * images of one size share a batch); with `resize: [w, h]` every image is resized (bilinear)
 * to w×h and the prediction resized back (nearest) to the label's size. A model with a fixed
 * input size (`inputSize`, e.g. an ONNX file) that does not match the images is an error
 * unless `resize` is given.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LabelledDataset, TrainIdLabel } from '../data/datasets/types.js';
import type { RgbImage } from '../data/io/types.js';
import type { ImageU8 } from '../data/transforms/types.js';
import { writeLabelPng } from '../data/io/label.js';
import { resizeImage, resizeLabel } from '../data/transforms/resize.js';
import { toBatch } from '../model/to-batch.js';
import { writeOverlayPng } from '../eval/colorize.js';
import { createConfusion, updateConfusion } from '../eval/confusion.js';
import { summarize } from '../eval/results.js';
import type { Evaluation } from '../eval/evaluate.js';
import type { TensorData } from '../engine/ir/tensor.js';
import type { BatchPredictor } from '../model/predictor.js';
import type { Normalization } from '../model/model-file.js';

export type { Evaluation } from '../eval/evaluate.js';

export interface EvaluateOptions {
  /** The model's input normalisation (from its model file / sidecar). */
  readonly normalize: Normalization;
  /** Images per predictor call (default 4). The last batch may be smaller. */
  readonly batch?: number;
  /** Resize every image to [width, height] before predicting (see the file comment). */
  readonly resize?: readonly [number, number];
  /** The model's class count; must equal the dataset protocol's (checked first). */
  readonly numClasses?: number;
  /** The model's fixed input [width, height], if it has one (ONNX models). */
  readonly inputSize?: readonly [number, number];
  /** Evaluate only the first `limit` samples. */
  readonly limit?: number;
  /** Write `<dir>/pred/<name>.png` (train ids) and/or `<dir>/overlay/<name>.png` for the first `overlays` images. */
  readonly export?: { readonly dir: string; readonly predictions?: boolean; readonly overlays?: number };
  /** Called after each batch. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** A model that does not fit the data it is asked to predict (class count, input size). */
export class ModelFitError extends Error {
  constructor(msg: string) {
    super(msg);
    this.name = 'ModelFitError';
  }
}

/** Checks that a model fits a dataset (class count); throws a ModelFitError otherwise. */
export function checkModelFits(ds: LabelledDataset, numClasses: number | undefined): void {
  if (numClasses !== undefined && numClasses !== ds.protocol.numClasses) {
    throw new ModelFitError(`the model predicts ${numClasses} classes but dataset ${ds.id} uses protocol ${ds.protocol.id} with ${ds.protocol.numClasses} classes`);
  }
}

interface Pending { index: number; name: string; image: RgbImage; label: TrainIdLabel }

export async function evaluatePredictor(predict: BatchPredictor, ds: LabelledDataset, opts: EvaluateOptions): Promise<Evaluation> {
  checkModelFits(ds, opts.numClasses);
  const B = opts.batch ?? 4;
  if (!Number.isInteger(B) || B < 1) throw new Error(`evaluate: batch must be a positive integer (got ${B})`);
  const total = Math.min(ds.size, opts.limit ?? ds.size);
  const p = ds.protocol;
  const cm = createConfusion(p.numClasses, p.ignoreIndex);
  const ex = opts.export;
  if (ex?.predictions) fs.mkdirSync(path.join(ex.dir, 'pred'), { recursive: true });
  if (ex?.overlays) fs.mkdirSync(path.join(ex.dir, 'overlay'), { recursive: true });
  let done = 0;

  const flush = async (group: Pending[]): Promise<void> => {
    if (group.length === 0) return;
    const inputs = group.map((s) => (opts.resize ? resizeImage(s.image, opts.resize[0], opts.resize[1]) : s.image));
    const { width: w, height: h } = inputs[0]!;
    if (opts.inputSize && (opts.inputSize[0] !== w || opts.inputSize[1] !== h)) {
      throw new ModelFitError(`the model's input size is ${opts.inputSize[0]}x${opts.inputSize[1]} but ${ds.id} image '${group[0]!.name}' is ${w}x${h}${opts.resize ? ' after resizing' : ''}: pass a resize policy of ${opts.inputSize[0]}x${opts.inputSize[1]}`);
    }
    const pred = await predict(toBatch(inputs, opts.normalize));
    if (pred.length !== group.length * w * h) throw new Error(`evaluate: the predictor returned ${pred.length} labels for ${group.length}x${h}x${w}`);
    for (let n = 0; n < group.length; n++) {
      const s = group[n]!;
      let lab: TrainIdLabel = { width: w, height: h, data: pred.subarray(n * w * h, (n + 1) * w * h) };
      if (w !== s.label.width || h !== s.label.height) lab = resizeLabel(lab, s.label.width, s.label.height);
      updateConfusion(cm, lab.data, s.label.data);
      if (ex?.predictions) await writeLabelPng(path.join(ex.dir, 'pred', `${s.name}.png`), { width: lab.width, height: lab.height, data: new Uint8Array(lab.data) });
      if (ex?.overlays && s.index < ex.overlays) await writeOverlayPng(path.join(ex.dir, 'overlay', `${s.name}.png`), s.image, lab, p.palette);
    }
    done += group.length;
    opts.onProgress?.(done, total);
  };

  let group: Pending[] = [];
  for (let i = 0; i < total; i++) {
    const s = await ds.readSample(i);
    const sized = opts.resize ? opts.resize : [s.image.width, s.image.height];
    const g0 = group[0];
    const groupSize = g0 ? (opts.resize ? opts.resize : [g0.image.width, g0.image.height]) : sized;
    if (group.length === B || (g0 && (groupSize[0] !== sized[0] || groupSize[1] !== sized[1]))) {
      await flush(group);
      group = [];
    }
    group.push({ index: i, name: s.name, image: s.image, label: s.label });
  }
  await flush(group);
  return { confusion: cm, result: summarize(cm, p.id, p.classes, total) };
}
