#!/usr/bin/env node
/**
 * predict: label maps and colour overlays for a folder of images.
 *
 *   node dist/cli/predict.js --model runs/source-synth/model.onnx --images photos/ --out preds/
 * writes preds/<stem>.png (8-bit train ids) and preds/<stem>_overlay.png (image + class colours).
 * An image that cannot be read (corrupt, truncated, not an image) is named on stderr with the
 * reason and skipped; every other image is still predicted, and the exit status is then
 * PARTIAL_EXIT_CODE (3), distinct from a usage or input error (1).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseFlags, UsageError, type CommandSpec } from '../lib/cli/args.js';
import { runCommand } from '../lib/cli/command-errors.js';
import { PROTOCOLS, isProtocolId } from '../lib/data/datasets/protocols.js';
import { ImageFileError } from '../lib/data/io/errors.js';
import { readImage } from '../lib/data/io/image.js';
import { writeLabelPng } from '../lib/data/io/label.js';
import { resizeImage, resizeLabel } from '../lib/data/transforms/resize.js';
import { writeOverlayPng, type Palette } from '../lib/eval/colorize.js';
import { toBatch } from '../lib/model/to-batch.js';
import { IMAGENET_NORMALIZATION } from '../lib/model/model-file.js';
import { openModel } from '../lib/model/model-predictor.js';

const SPEC: CommandSpec = {
  name: 'predict',
  summary: 'predict label maps (8-bit PNG, train ids) and colour overlays for every image of a folder',
  flags: {
    model: { type: 'string', help: 'model file (*.ckpt) or inference ONNX (with its .onnx.json sidecar)' },
    images: { type: 'string', help: 'folder of .png/.jpg images' },
    out: { type: 'string', help: 'output folder (created): <stem>.png labels, <stem>_overlay.png overlays' },
    resize: { type: 'string', help: "resize images to WxH for the model (labels are resized back), e.g. '240x180'" },
    'no-overlay': { type: 'boolean', help: 'write label maps only' },
    alpha: { type: 'number', help: 'overlay opacity of the class colours', default: 0.5 },
    threads: { type: 'number', help: 'onnxruntime threads (0 = onnxruntime decides)', default: 0 },
    normalize: { type: 'string', help: 'normalisation of a bare ONNX model without sidecar: imagenet | none', default: 'imagenet' },
  },
  details: 'Exit status: 0 when every image was predicted; 3 when some images could not be read (each is named on stderr with the reason; the others were predicted); 1 for a usage or input error.',
  examples: ['node dist/cli/predict.js --model runs/source-synth/model.onnx --images ../shared/data/camvid/test/images --out runs/preds'],
};

/** Exit status when some images could not be read but the others were predicted. */
const PARTIAL_EXIT_CODE = 3;

/** A fixed, distinct colour per class for models without a known protocol. */
function fallbackPalette(n: number): Palette {
  return Array.from({ length: n }, (_, i) => [(i * 97 + 40) % 256, (i * 57 + 120) % 256, (i * 151 + 200) % 256] as const);
}

async function main(): Promise<void> {
  const f = parseFlags(SPEC);
  if (!f) return;
  for (const k of ['model', 'images', 'out'] as const) if (typeof f[k] !== 'string') throw new UsageError(`--${k} is required (see --help)`);
  const dir = f.images as string;
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`--images: '${dir}' is not a folder`);
  const files = fs.readdirSync(dir).filter((n) => /\.(png|jpe?g)$/i.test(n)).sort();
  if (files.length === 0) throw new UsageError(`--images: no .png/.jpg files in '${dir}'`);
  let resize: [number, number] | undefined;
  if (typeof f.resize === 'string') {
    const m = /^(\d+)x(\d+)$/.exec(f.resize);
    if (!m) throw new UsageError(`--resize: expected WxH, got '${f.resize}'`);
    resize = [Number(m[1]), Number(m[2])];
  }
  const model = await openModel(f.model as string, { threads: f.threads as number, batch: 1, normalize: f.normalize === 'none' ? { mean: [0, 0, 0], std: [1, 1, 1] } : IMAGENET_NORMALIZATION });
  const protocol = model.meta && isProtocolId(model.meta.protocol) ? PROTOCOLS[model.meta.protocol] : undefined;
  const palette = protocol && protocol.numClasses === model.numClasses ? protocol.palette : fallbackPalette(model.numClasses);
  const out = f.out as string;
  fs.mkdirSync(out, { recursive: true });
  const bad: string[] = [];
  try {
    for (const name of files) {
      let img;
      try {
        img = await readImage(path.join(dir, name));
      } catch (err) {
        // one unreadable file must not cost the whole folder: name it, go on, fail at the end
        if (!(err instanceof ImageFileError)) throw err;
        process.stderr.write(`error: skipped ${err.file}: ${err.reason}\n`);
        bad.push(name);
        continue;
      }
      const input = resize ? resizeImage(img, resize[0], resize[1]) : img;
      if (model.inputSize && (model.inputSize[0] !== input.width || model.inputSize[1] !== input.height)) {
        throw new UsageError(`${name} is ${input.width}x${input.height} but the model's input size is ${model.inputSize[0]}x${model.inputSize[1]}: pass --resize ${model.inputSize[0]}x${model.inputSize[1]}`);
      }
      const pred = await model.predict(toBatch([input], model.normalize));
      let label = { width: input.width, height: input.height, data: pred };
      if (resize) label = resizeLabel(label, img.width, img.height);
      const stem = name.replace(/\.[^.]+$/, '');
      await writeLabelPng(path.join(out, `${stem}.png`), label);
      if (!f['no-overlay']) await writeOverlayPng(path.join(out, `${stem}_overlay.png`), img, label, palette, f.alpha as number);
    }
    process.stdout.write(`wrote ${files.length - bad.length} label maps${f['no-overlay'] ? '' : ' and overlays'} to ${out}\n`);
  } finally {
    await model.close();
  }
  if (bad.length > 0) {
    process.stderr.write(`error: ${bad.length} of ${files.length} images could not be read (${bad.join(', ')}); the other ${files.length - bad.length} were predicted\n`);
    process.exitCode = PARTIAL_EXIT_CODE;
  }
}

runCommand(main);
