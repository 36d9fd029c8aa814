#!/usr/bin/env node
/**
 * fetch-encoder: the pretrained MobileNetV2 encoder, made at set-up time (never committed).
 *
 *   node dist/cli/fetch-encoder.js                       # → .cache/encoders/mobilenetv2-nsfwjs-4.4.0.ckpt
 *
 * 1. Fetches the npm package nsfwjs@4.4.0 (MIT) with `npm pack` into --cache (no dependency of
 *    this project; nothing of it is imported or executed except its two model bundles, read in an
 *    empty vm context) and checks the tarball's SHA-512 against the pinned registry integrity.
 * 2. Reads its MobileNetV2 model (a Keras MobileNetV2-1.0 NSFW classifier fine-tuned from
 *    ImageNet, uint8-quantised TF.js weights), dequantises (q·scale + min), maps the Keras layer
 *    names to the project's and transposes the kernels to OIHW (lib/model/keras-mobilenetv2.ts).
 * 3. Verifies on a few images (--images, default CamVid val frames): (a) the converted weights
 *    rebuilt as the whole Keras classifier give its predictions — against TensorFlow.js running
 *    the package's own model when --tfjs names a folder with it installed, else only a sanity
 *    summary; (b) per-BN-layer statistics of the encoder on the images under [0, 1] and
 *    [−1, 1] inputs (which input scaling its BN statistics fit).
 * 4. Writes the encoder-initialisation file (lib/model/encoder-init.ts) with provenance and the
 *    verification numbers in its metadata; configs/source/*-mnv2.json start from it
 *    (model.init). docs/encoders.md explains it all.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseFlags, UsageError, type CommandSpec } from '../lib/cli/args.js';
import { runCommand } from '../lib/cli/command-errors.js';
import type { TensorData } from '../lib/engine/ir/tensor.js';
import type { JsonValue } from '../lib/engine/runtime/checkpoint.js';
import { saveEncoderInit } from '../lib/model/encoder-init.js';
import { bnStatistics, classifierOutputs, compareOutputs, loadImages, summariseBn, tfjsReference, toNhwc } from '../lib/model/encoder-verify.js';
import { kerasDenseHead, loadNsfwjsModel, NSFWJS, nsfwjsEncoderInit } from '../lib/model/nsfwjs-package.js';

const DEFAULT_OUT = `.cache/encoders/mobilenetv2-${NSFWJS.package}-${NSFWJS.version}.ckpt`;

const COMMAND: CommandSpec = {
  name: 'node dist/cli/fetch-encoder.js',
  summary: `fetch ${NSFWJS.package}@${NSFWJS.version} (MIT) from the npm registry and convert its ImageNet-derived MobileNetV2 into the encoder-initialisation file of the mobilenetv2 source configs`,
  details: [
    `The weights: a Keras MobileNetV2-1.0 NSFW classifier fine-tuned from ImageNet, uint8-quantised, bundled by ${NSFWJS.package}@${NSFWJS.version}`,
    `(${NSFWJS.homepage}, ${NSFWJS.license}, ${NSFWJS.copyright}). Nothing downloaded or converted is committed; see docs/encoders.md.`,
  ].join('\n'),
  flags: {
    out: { type: 'string', help: 'the encoder-initialisation file to write', default: DEFAULT_OUT },
    cache: { type: 'string', help: 'folder for the downloaded tarball', default: '.cache/encoders' },
    tarball: { type: 'string', help: `use this ${NSFWJS.package}-${NSFWJS.version}.tgz instead of fetching it (its integrity is still checked)` },
    images: { type: 'string', help: 'folder of natural images for the checks (PNG/JPEG)', default: '../shared/data/camvid/val/images' },
    count: { type: 'number', help: 'images used by the checks', default: 8 },
    tfjs: { type: 'string', help: 'folder where @tensorflow/tfjs-core, -layers, -backend-cpu are installed (npm install --prefix DIR …): compare with the package\'s own model run by TF.js' },
    'no-verify': { type: 'boolean', help: 'skip the checks (write the file right after the conversion)' },
    force: { type: 'boolean', help: 'overwrite --out if it exists' },
  },
  examples: [
    'node dist/cli/fetch-encoder.js',
    'npm install --prefix .cache/tfjs @tensorflow/tfjs-core@4.22.0 @tensorflow/tfjs-layers@4.22.0 @tensorflow/tfjs-backend-cpu@4.22.0 && node dist/cli/fetch-encoder.js --tfjs .cache/tfjs --force',
  ],
};

/** The package tarball: --tarball, the cached one, or `npm pack` into the cache. */
function tarballPath(f: Record<string, unknown>): string {
  if (typeof f['tarball'] === 'string') {
    if (!fs.existsSync(f['tarball'])) throw new UsageError(`--tarball ${f['tarball']}: no such file`);
    return f['tarball'];
  }
  const cache = f['cache'] as string;
  const file = path.join(cache, `${NSFWJS.package}-${NSFWJS.version}.tgz`);
  if (fs.existsSync(file)) {
    process.stderr.write(`using the cached ${file}\n`);
    return file;
  }
  fs.mkdirSync(cache, { recursive: true });
  process.stderr.write(`npm pack ${NSFWJS.package}@${NSFWJS.version} → ${cache}/ (${NSFWJS.tarball}, about 25 MB)\n`);
  const r = spawnSync('npm', ['pack', `${NSFWJS.package}@${NSFWJS.version}`, '--pack-destination', cache, '--json', '--ignore-scripts'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`npm pack ${NSFWJS.package}@${NSFWJS.version} failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}; fetch ${NSFWJS.tarball} yourself and pass --tarball FILE`);
  try {
    const info = JSON.parse(r.stdout) as { integrity?: string }[];
    if (info[0]?.integrity && info[0].integrity !== NSFWJS.integrity) throw new Error(`npm reports integrity ${info[0].integrity} for ${NSFWJS.package}@${NSFWJS.version}, the pinned one is ${NSFWJS.integrity}`);
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
  }
  if (!fs.existsSync(file)) throw new Error(`npm pack did not write ${file}`);
  return file;
}

const fmt = (x: number) => (x === 0 ? '0' : Math.abs(x) < 1e-3 ? x.toExponential(1) : x.toFixed(3));

async function verify(model: ReturnType<typeof loadNsfwjsModel>, tensors: Map<string, TensorData>, f: Record<string, unknown>): Promise<JsonValue> {
  const dir = f['images'] as string;
  if (!fs.existsSync(dir)) throw new UsageError(`--images ${dir}: no such folder (give a folder of natural images, or --no-verify)`);
  const files = fs.readdirSync(dir).filter((x) => /\.(png|jpe?g)$/i.test(x)).sort();
  const count = Math.min(f['count'] as number, files.length);
  if (count < 1) throw new UsageError(`--images ${dir}: no PNG/JPEG images`);
  const step = Math.max(1, Math.floor(files.length / count));
  const picked = Array.from({ length: count }, (_, i) => path.join(dir, files[i * step]!));
  const out: Record<string, JsonValue> = { images: `${count} of ${dir}` };

  // (a) the whole classifier at 224×224, inputs v/255 as nsfwjs feeds them
  const size = NSFWJS.inputSize;
  const nhwc = toNhwc(await loadImages(picked, size, size), 1 / 255, 0);
  const head = kerasDenseHead(model.model.json.modelTopology, NSFWJS.modelJs);
  const ours = await classifierOutputs(model.model, head, nhwc, count, size, NSFWJS.modelJs);
  const nc = NSFWJS.classes.length;
  const top = Array.from({ length: count }, (_, i) => {
    const p = Array.from(ours.probs.subarray(i * nc, (i + 1) * nc));
    const j = p.indexOf(Math.max(...p));
    return [NSFWJS.classes[j]!, p[j]!] as const;
  });
  out['classifier'] = { top1: top.map(([c, p]) => `${c} ${p.toFixed(3)}`) };
  process.stderr.write(`converted classifier on ${count} images: ${top.map(([c, p]) => `${c} ${p.toFixed(2)}`).join(', ')}\n`);
  if (typeof f['tfjs'] === 'string') {
    process.stderr.write(`running ${NSFWJS.package}'s own model with TensorFlow.js from ${f['tfjs']} (slow: about 3 s per image)…\n`);
    const ref = await tfjsReference(model.model, nhwc, count, size, f['tfjs']);
    const c = compareOutputs(ours, ref, count);
    out['tfjs'] = { ...c, maxProbDiff: +c.maxProbDiff.toExponential(2), block16RelErr: +c.block16RelErr.toExponential(2), outReluRelErr: +c.outReluRelErr.toExponential(2) };
    process.stderr.write(`vs TensorFlow.js: top-1 agree ${c.top1Agree}/${count}, max |Δp| ${fmt(c.maxProbDiff)}, encoder output rel. err ${fmt(c.block16RelErr)}, out_relu ${fmt(c.outReluRelErr)}\n`);
    if (c.top1Agree !== count || c.maxProbDiff > 1e-3 || c.block16RelErr > 1e-3) throw new Error('the converted model does not reproduce the package\'s own outputs (see the numbers above); the file was not written');
  }

  // (b) BN statistics of the encoder as the segmentation model builds it, at 240×180
  const imgs = await loadImages(picked, 240, 180);
  const early = (l: string) => !/^encoder\.blocks\.(1[1-6])\./.test(l);
  const bn: Record<string, JsonValue> = {};
  for (const [label, norm] of [['[0,1] (v/255)', { mean: [0, 0, 0], std: [1, 1, 1] }], ['[-1,1] (v/127.5-1)', { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }]] as const) {
    const rows = await bnStatistics(tensors, imgs, norm, 1e-3);
    const a = summariseBn(rows, early), b = summariseBn(rows, (l) => !early(l));
    bn[label] = { 'conv1..block10': a, 'block11..16': b };
    process.stderr.write(`BN inputs normalised by the running statistics, inputs ${label}: conv1..block10 (${a.layers} BN) mean |mean| ${a.absMean}, mean std ${a.std}; block11..16 (${b.layers}) ${b.absMean}, ${b.std}\n`);
  }
  out['bnStatistics'] = bn;
  return out;
}

async function main(): Promise<void> {
  const f = parseFlags(COMMAND);
  if (f === undefined) return;
  const outFile = f['out'] as string;
  if (fs.existsSync(outFile) && !f['force']) {
    process.stdout.write(`${outFile} exists (use --force to make it again)\n`);
    return;
  }
  const tgz = tarballPath(f);
  const bytes = new Uint8Array(fs.readFileSync(tgz));
  const model = loadNsfwjsModel(bytes, tgz);
  process.stderr.write(`${tgz}: integrity ok; ${model.model.weights.size} Keras weights (${NSFWJS.modelJs})\n`);
  const bare = nsfwjsEncoderInit(model, NSFWJS.modelJs);
  const verification = f['no-verify'] ? 'skipped (--no-verify)' : await verify(model, bare.tensors, f);
  const init = nsfwjsEncoderInit(model, NSFWJS.modelJs, verification);
  fs.mkdirSync(path.dirname(outFile) || '.', { recursive: true });
  await saveEncoderInit(outFile, init);
  const values = [...init.tensors.values()].reduce((a, t) => a + t.data.length, 0);
  process.stdout.write(`wrote ${outFile}: MobileNetV2-1.0 encoder, ${init.tensors.size} tensors, ${values} values, inputs x = v/255 (augment.normalize "none"), BN ε 1e-3\n`);
}

runCommand(main);
