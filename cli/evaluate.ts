#!/usr/bin/env node
/**
 * evaluate: mIoU of a trained model (model file or ONNX) on a labelled dataset split.
 *
 *   node dist/cli/evaluate.js --model runs/source-synth/model.ckpt --synth-style dusk
 *   node dist/cli/evaluate.js --model runs/source-camvid-day/model.onnx --kind camvid --root ../shared/data/camvid --split train --sequences 0001TP
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseFlags, UsageError, type CommandSpec, type ParsedFlags } from '../lib/cli/args.js';
import { runCommand } from '../lib/cli/command-errors.js';
import { openLabelledDataset } from '../lib/data/datasets/index.js';
import type { LabelledDataset } from '../lib/data/datasets/types.js';
import { resultToJson, resultToMarkdown } from '../lib/eval/results.js';
import { evaluatePredictor } from '../lib/train/evaluate.js';
import { IMAGENET_NORMALIZATION } from '../lib/model/model-file.js';
import { openModel } from '../lib/model/model-predictor.js';
import { SYNTH_SEEDS, synthStreetDataset } from '../lib/train/synth-dataset.js';

const SPEC: CommandSpec = {
  name: 'evaluate',
  summary: 'evaluate a segmentation model (model file *.ckpt or ONNX) on a labelled split: per-class IoU and mIoU',
  flags: {
    model: { type: 'string', help: 'model file (*.ckpt from train-source/adapt) or inference ONNX (with its .onnx.json sidecar)' },
    kind: { type: 'string', help: 'dataset kind on disk: camvid | cityscapes | gta5 | synthia | nthu (omit for SynthStreet)' },
    root: { type: 'string', help: 'dataset root folder' },
    split: { type: 'string', help: "split(s), e.g. 'val' or 'train+val'" },
    sequences: { type: 'string', help: "comma-separated name prefixes to keep (CamVid sequences, e.g. '0001TP')" },
    city: { type: 'string', help: 'NTHU city' },
    'synth-style': { type: 'string', help: 'SynthStreet style (when no --kind is given)', default: 'source' },
    'synth-seed': { type: 'number', help: 'SynthStreet dataset seed', default: SYNTH_SEEDS.val },
    'synth-count': { type: 'number', help: 'SynthStreet frames', default: 100 },
    resize: { type: 'string', help: "resize images to WxH before predicting (predictions are resized back), e.g. '240x180'" },
    batch: { type: 'number', help: 'images per batch', default: 4 },
    limit: { type: 'number', help: 'evaluate only the first N images' },
    threads: { type: 'number', help: 'onnxruntime threads (0 = onnxruntime decides)', default: 0 },
    normalize: { type: 'string', help: 'normalisation of a bare ONNX model without sidecar: imagenet | none', default: 'imagenet' },
    json: { type: 'string', help: 'write the result as JSON' },
    md: { type: 'string', help: 'write the result as a Markdown table' },
    export: { type: 'string', help: 'folder for prediction PNGs (pred/<name>.png, train ids) and overlays' },
    overlays: { type: 'number', help: 'with --export: colour overlays of the first N images', default: 4 },
  },
  examples: [
    'node dist/cli/evaluate.js --model runs/source-synth/model.ckpt --synth-style dusk',
    'node dist/cli/evaluate.js --model runs/source-synth/model.onnx --kind camvid --root ../shared/data/camvid --split val',
  ],
};

function parseSize(s: string | undefined, flag: string): [number, number] | undefined {
  if (s === undefined) return undefined;
  const m = /^(\d+)x(\d+)$/.exec(s);
  if (!m) throw new UsageError(`--${flag}: expected WxH (e.g. 240x180), got '${s}'`);
  return [Number(m[1]), Number(m[2])];
}

async function datasetOf(f: ParsedFlags): Promise<LabelledDataset> {
  if (typeof f.kind === 'string') {
    if (typeof f.root !== 'string' || typeof f.split !== 'string') throw new UsageError('--kind needs --root and --split');
    const prefixes = typeof f.sequences === 'string' ? f.sequences.split(',').filter((s) => s !== '') : [];
    return openLabelledDataset({ kind: f.kind, root: f.root, split: f.split, ...(prefixes.length ? { namePrefixes: prefixes } : {}), ...(typeof f.city === 'string' ? { city: f.city } : {}) });
  }
  const count = f['synth-count'] as number;
  if (!Number.isInteger(count) || count < 1) throw new UsageError('--synth-count must be a positive integer');
  return synthStreetDataset({ seed: f['synth-seed'] as number, count, style: f['synth-style'] as string });
}

async function main(): Promise<void> {
  const f = parseFlags(SPEC);
  if (!f) return;
  if (typeof f.model !== 'string') throw new UsageError('--model is required (see --help)');
  if (f.normalize !== 'imagenet' && f.normalize !== 'none') throw new UsageError(`--normalize must be imagenet or none (got '${f.normalize}')`);
  const resize = parseSize(f.resize as string | undefined, 'resize');
  const ds = await datasetOf(f);
  const m = await openModel(f.model, { threads: f.threads as number, batch: f.batch as number, normalize: f.normalize === 'none' ? { mean: [0, 0, 0], std: [1, 1, 1] } : IMAGENET_NORMALIZATION });
  try {
    const t0 = performance.now();
    const ev = await evaluatePredictor(m.predict, ds, {
      normalize: m.normalize, numClasses: m.numClasses, batch: f.batch as number,
      ...(m.inputSize ? { inputSize: m.inputSize } : {}), ...(resize ? { resize } : {}),
      ...(typeof f.limit === 'number' ? { limit: f.limit } : {}),
      ...(typeof f.export === 'string' ? { export: { dir: f.export, predictions: true, overlays: f.overlays as number } } : {}),
    });
    const secs = (performance.now() - t0) / 1000;
    process.stdout.write(`${resultToMarkdown(ev.result, { title: `${path.basename(f.model)} on ${ds.id} (${ev.result.images} images, ${secs.toFixed(1)} s)` })}\n`);
    if (typeof f.json === 'string') fs.writeFileSync(f.json, `${JSON.stringify({ model: f.model, dataset: ds.id, ...resultToJson(ev.result) }, null, 2)}\n`);
    if (typeof f.md === 'string') fs.writeFileSync(f.md, `${resultToMarkdown(ev.result, { title: `${f.model} on ${ds.id}` })}\n`);
  } finally {
    await m.close();
  }
}

runCommand(main);
