#!/usr/bin/env node
/**
 * import-model: turns a PyTorch segmentation model exported to ONNX into a model file that
 * adapt (STvM), evaluate and predict accept ("bring your own model").
 *
 *   node dist/cli/import-model.js --onnx model.onnx --protocol camvid11 --input-size 64x48 --out model.ckpt
 *
 * The model file (lib/model/model-file.ts, metadata.imported) holds the ONNX bytes themselves
 * (a uint8 tensor) next to the graph's float initializers, so it is self-contained like a
 * DeepLab model file: it can be moved, copied to the services' machines and versioned, and an
 * adapted model file carries the same graph with the adapted weights.
 *
 * Checks (each a clear error): the opset (13–18), one image input [N,3,H,W] whose dynamic
 * height/width get --input-size, the classifier (the last Conv/Gemm before the output), the
 * feature tensor (--features, default the classifier's input), a gradient rule for every op
 * between the logits and a trainable weight, the class count against --protocol. A model
 * without BatchNormalization nodes (an eval-mode export folds BN into the convolutions; a
 * transformer normalises with LayerNorm) is imported with a warning: AdaBN/TENT would have
 * nothing to adapt, and adaptation needs stvm.bn.mode 'frozen-source'.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseFlags, runMain, UsageError, type CommandSpec } from '../lib/cli/args.js';
import { getProtocol } from '../lib/data/datasets/protocols.js';
import { analyzeImport } from '../lib/model/imported-net.js';
import { IMAGENET_NORMALIZATION, MODEL_FORMAT, saveSegModel, type ImportedModelMeta, type Normalization } from '../lib/model/model-file.js';

const COMMAND: CommandSpec = {
  name: 'node dist/cli/import-model.js',
  summary: 'import a PyTorch segmentation model exported to ONNX (torch.onnx.export, opset 13-18, training-mode export keeps BN) as a model file for adapt/evaluate/predict',
  flags: {
    onnx: { type: 'string', help: 'the ONNX file (one input [N,3,H,W], first output the logits [N,C,H,W] or [N,C,h,w])' },
    protocol: { type: 'string', help: 'class protocol of the model\'s output channels (e.g. camvid11); the class count must match' },
    'input-size': { type: 'string', help: 'WxH: the size dynamic height/width take (and the exported model\'s size); default the model\'s fixed size' },
    normalize: { type: 'string', help: 'input normalisation: imagenet (default), unit (x = v/255), or mean_r,mean_g,mean_b,std_r,std_g,std_b', default: 'imagenet' },
    features: { type: 'string', help: 'tensor the metric network reads (default: the input of the last classifier convolution)' },
    out: { type: 'string', help: 'the model file to write (*.model.ckpt)' },
  },
  examples: [
    'node dist/cli/import-model.js --onnx test/fixtures/models/seg11_train.onnx --protocol camvid11 --input-size 64x48 --out runs/byom/model.ckpt',
  ],
};

function parseNormalize(s: string): Normalization {
  if (s === 'imagenet') return IMAGENET_NORMALIZATION;
  if (s === 'unit') return { mean: [0, 0, 0], std: [1, 1, 1] };
  const v = s.split(',').map(Number);
  if (v.length !== 6 || !v.every(Number.isFinite) || !v.slice(3).every((x) => x > 0)) throw new UsageError(`--normalize must be imagenet, unit or six numbers mean_r,mean_g,mean_b,std_r,std_g,std_b (got '${s}')`);
  return { mean: v.slice(0, 3), std: v.slice(3) };
}

async function main(): Promise<void> {
  const f = parseFlags(COMMAND);
  if (f === undefined) return;
  for (const k of ['onnx', 'protocol', 'out']) if (typeof f[k] !== 'string') throw new UsageError(`--${k} is required (see --help)`);
  const file = f['onnx'] as string;
  if (!fs.existsSync(file)) throw new UsageError(`--onnx ${file}: no such file`);
  let protocol;
  try {
    protocol = getProtocol(f['protocol'] as string);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  let size: [number, number] | undefined;
  if (typeof f['input-size'] === 'string') {
    const m = /^(\d+)x(\d+)$/.exec(f['input-size']);
    if (!m || +m[1]! <= 0 || +m[2]! <= 0) throw new UsageError(`--input-size must be WxH, e.g. 64x48 (got '${f['input-size']}')`);
    size = [+m[1]!, +m[2]!];
  }
  const normalize = parseNormalize(f['normalize'] as string);
  const bytes = new Uint8Array(fs.readFileSync(file));
  let a;
  try {
    a = analyzeImport(bytes, size?.[1], size?.[0], typeof f['features'] === 'string' ? f['features'] : undefined);
  } catch (e) {
    const err = e as Error;
    if (err.name === 'ImportedNetError' || err.name === 'ImportError' || err.name === 'OnnxDecodeError') {
      throw new UsageError(`cannot import ${file}: ${err.message}`);
    }
    if (err.name === 'ShapeError') {
      // an op the engine cannot infer shapes for (e.g. InstanceNormalization): not supported
      throw new UsageError(`cannot import ${file}: ${err.message} — the op is not supported (docs/bring-your-own-model.md lists the supported ops)`);
    }
    throw e;
  }
  for (const w of a.warnings) process.stderr.write(`warning: ${w}\n`);
  if (a.numClasses !== protocol.classes.length) {
    throw new UsageError(`cannot import ${file}: the model predicts ${a.numClasses} classes but protocol '${protocol.id}' has ${protocol.classes.length} (${protocol.classes.join(', ')}); pick the protocol the model was trained on`);
  }
  const meta: ImportedModelMeta = {
    format: MODEL_FORMAT, version: 1, imported: a.meta, normalize, protocol: protocol.id, classes: [...protocol.classes],
    inputSize: [a.inputSize[1], a.inputSize[0]],
    source: { importedFrom: path.resolve(file), opset: a.meta.opset },
  };
  fs.mkdirSync(path.dirname(path.resolve(f['out'] as string)), { recursive: true });
  await saveSegModel(f['out'] as string, { meta, tensors: a.tensors, onnx: bytes });
  process.stdout.write(`imported ${file} (opset ${a.meta.opset}, input '${a.meta.input}' at ${a.inputSize[1]}x${a.inputSize[0]}, output '${a.meta.output}', ${a.numClasses} classes = ${protocol.id})\n`);
  process.stdout.write(`features: '${a.meta.features}' ${JSON.stringify(a.featureShape)}\n`);
  const bn = a.bnLayers > 0
    ? `${a.bnLayers} BatchNorm layers (adapted as stvm.bn.mode says; 'frozen-source' keeps them frozen)`
    : "no BatchNorm layer (adapt with stvm.bn.mode 'frozen-source')";
  process.stdout.write(`trainable: ${a.trainable.length} tensors (head: ${a.head.join(', ')}); ${bn}\n`);
  process.stdout.write(`wrote ${f['out'] as string}\n`);
}

runMain(main);
