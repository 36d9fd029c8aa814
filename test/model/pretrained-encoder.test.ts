/**
 * The pretrained-encoder converter (lib/model/tfjs-weights.ts, keras-mobilenetv2.ts,
 * nsfwjs-package.ts, encoder-init.ts) on synthetic TF.js models written here:
 *
 * - dequantisation of every stored type (uint8/uint16 q·scale + min as float32, float16,
 *   float32, int32), against values computed by hand;
 * - a Keras MobileNetV2 (width 0.35, every weight uint8-quantised the way the TF.js converter
 *   does it) as model.json + two shards: read back, every encoder parameter found under its
 *   project name, HWIO and depthwise kernels transposed to OIHW element by element, BN names;
 * - the same model as an nsfwjs-style package tarball (UMD bundles in a .tgz): read, integrity;
 * - clear errors: a missing shard, a truncated shard (both naming the file), a corrupt bundle,
 *   a missing or ill-shaped Keras weight, a wrong tarball integrity, an init file that does not
 *   fit the model;
 * - source training starting from an init file: the encoder's initial tensors are the file's,
 *   the head's the seeded init.
 * The real nsfwjs@4.4.0 is exercised by pretrained-encoder-real.test.ts (skipped without it).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { tensor } from '../../lib/engine/ir/tensor.js';
import { createDeepLab, mobileNetV2DeepLabSpec } from '../../lib/engine/models/index.js';
import { applyEncoderInit, loadEncoderInit, saveEncoderInit, type EncoderInit } from '../../lib/model/encoder-init.js';
import { convertKerasMobileNetV2, encoderParams, kerasSourceOf } from '../../lib/model/keras-mobilenetv2.js';
import { loadNsfwjsModel, NSFWJS, readTarGz, sha512Integrity } from '../../lib/model/nsfwjs-package.js';
import { decodeEntry, readTfjsModel, TfjsFormatError, type TfjsWeightEntry } from '../../lib/model/tfjs-weights.js';
import { labelledDatasetOf } from '../../lib/train/data-config.js';
import { validateSourceConfig } from '../../lib/train/source-config.js';
import { SupervisedAlgorithm } from '../../lib/train/supervised.js';
import { Rng } from '../../lib/util/rng.js';

const WIDTH = 0.35;

/** Keras shape of a project encoder parameter (inverse of the converter's layouts). */
function kerasShape(name: string, shape: readonly number[]): number[] {
  const { layout } = kerasSourceOf(name);
  if (layout === 'conv') return [shape[2]!, shape[3]!, shape[1]!, shape[0]!];
  if (layout === 'depthwise') return [shape[2]!, shape[3]!, shape[0]!, 1];
  return [...shape];
}

interface Synthetic { json: Record<string, unknown>; bytes: Uint8Array; keras: Map<string, { shape: number[]; values: Float32Array }> }

/**
 * A synthetic Keras MobileNetV2 (width 0.35) in TF.js format: random weights (variances
 * positive), each uint8-quantised like the TF.js converter (scale = (max − min)/255,
 * q = round((v − min)/scale)); `keras` holds the dequantised values (what a reader must get).
 * Plus one extra Keras weight the encoder does not use (Conv_1/kernel).
 */
function synthetic(): Synthetic {
  const rng = new Rng([5, 'keras']);
  const entries: TfjsWeightEntry[] = [];
  const chunks: Uint8Array[] = [];
  const keras = new Map<string, { shape: number[]; values: Float32Array }>();
  const add = (name: string, shape: number[], positive: boolean) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = Float64Array.from({ length: n }, () => (positive ? rng.range(0.5, 2) : rng.normal(0, 0.5)));
    let min = Infinity, max = -Infinity;
    for (const x of v) { min = Math.min(min, x); max = Math.max(max, x); }
    const scale = (max - min) / 255 || 1;
    const q = Uint8Array.from(v, (x) => Math.round((x - min) / scale));
    entries.push({ name, shape, dtype: 'float32', quantization: { dtype: 'uint8', min, scale } });
    chunks.push(q);
    keras.set(name, { shape, values: Float32Array.from(q, (x) => x * scale + min) });
  };
  for (const p of encoderParams(WIDTH)) {
    const src = kerasSourceOf(p.name);
    add(src.keras, kerasShape(p.name, p.shape), src.keras.endsWith('moving_variance'));
  }
  add('Conv_1/kernel', [1, 1, 112, 1280], false);
  const bytes = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let off = 0;
  for (const c of chunks) { bytes.set(c, off); off += c.length; }
  return { json: { format: 'layers-model', modelTopology: {}, weightsManifest: [{ paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: entries }] }, bytes, keras };
}

/** Writes model.json and the two shards (split at byte `cut`) into dir. */
function writeTfjs(dir: string, s: Synthetic, cut = 1000): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(s.json));
  fs.writeFileSync(path.join(dir, 'group1-shard1of2.bin'), s.bytes.subarray(0, cut));
  fs.writeFileSync(path.join(dir, 'group1-shard2of2.bin'), s.bytes.subarray(cut));
  return path.join(dir, 'model.json');
}

/** A ustar .tar.gz of {path: bytes}. */
function tarGz(files: Record<string, Uint8Array | string>): Uint8Array {
  const blocks: Buffer[] = [];
  for (const [name, body] of Object.entries(files)) {
    const data = Buffer.from(body);
    const h = Buffer.alloc(512);
    h.write(name, 0, 100, 'utf8');
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
    h.write('00000000000\0', 136);
    h.write('        ', 148);
    h.write('0', 156);
    h.write('ustar\0', 257);
    h.write('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return new Uint8Array(gzipSync(Buffer.concat(blocks)));
}

/** The nsfwjs package layout with UMD-like bundles of a synthetic model. */
function nsfwjsLike(s: Synthetic, shardText?: string): Uint8Array {
  const json = { ...s.json, weightsManifest: [{ ...(s.json['weightsManifest'] as { weights: unknown[] }[])[0], paths: ['group1-shard1of1'] }] };
  const umd = (value: string) => `!function(e){"object"==typeof exports&&"undefined"!=typeof module?module.exports=e():this.model=e()}(function(){return ${value}});`;
  return tarGz({
    'package/package.json': '{"name":"nsfwjs","version":"4.4.0"}',
    'package/LICENSE': 'MIT License\n',
    [NSFWJS.modelJs]: umd(JSON.stringify(json)),
    [`${NSFWJS.modelDir}group1-shard1of1.min.js`]: shardText ?? umd(JSON.stringify(Buffer.from(s.bytes).toString('base64'))),
  });
}

describe('pretrained encoder: TF.js weights', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'enc-'));
  const syn = synthetic();

  it('dequantises uint8 / uint16 (q·scale + min, float32), float16, float32 and int32 as TF.js does', () => {
    const e = (dtype: string, shape: number[], quantization?: TfjsWeightEntry['quantization']): TfjsWeightEntry => ({ name: 'w', shape, dtype, ...(quantization ? { quantization } : {}) });
    const u8 = decodeEntry(e('float32', [3], { dtype: 'uint8', min: -1, scale: 2 / 255 }), new Uint8Array([0, 255, 128]), 'x');
    assert.deepEqual([...u8.data], [-1, 1, Math.fround(128 * (2 / 255) - 1)]);
    const b16 = new Uint8Array(new Uint16Array([0, 65535, 1000]).buffer);
    const u16 = decodeEntry(e('float32', [3], { dtype: 'uint16', min: 0.5, scale: 1e-3 }), b16, 'x');
    assert.deepEqual([...u16.data], [0.5, Math.fround(65535e-3 + 0.5), Math.fround(1000 * 1e-3 + 0.5)]);
    const h = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x3555]).buffer);
    const f16 = decodeEntry(e('float32', [5], { dtype: 'float16' }), h, 'x');
    assert.deepEqual([...f16.data], [1, -2, 65504, Math.fround(2 ** -24), Math.fround(0.333251953125)]);
    const f32 = decodeEntry(e('float32', [2]), new Uint8Array(new Float32Array([1.5, -3.25]).buffer), 'x');
    assert.deepEqual([...f32.data], [1.5, -3.25]);
    const i32 = decodeEntry(e('int32', [2], { dtype: 'uint8', min: -2, scale: 0.5 }), new Uint8Array([1, 9]), 'x');
    assert.deepEqual([...i32.data], [-1, 3]); // Math.round(−1.5) = −1, Math.round(2.5) = 3 (TF.js' rounding)
  });

  it('a Keras MobileNetV2 in two shards: every encoder parameter under its project name, kernels transposed to OIHW', () => {
    const model = readTfjsModel(writeTfjs(path.join(root, 'ok'), syn));
    assert.equal(model.weights.size, syn.keras.size);
    for (const [k, v] of syn.keras) assert.deepEqual([...model.weights.get(k)!.data], [...v.values], `${k} dequantised`);
    const enc = convertKerasMobileNetV2(model.weights, WIDTH, 'syn');
    const want = encoderParams(WIDTH);
    assert.deepEqual([...enc.keys()], want.map((p) => p.name));
    for (const p of want) assert.deepEqual(enc.get(p.name)!.shape, [...p.shape], p.name);
    // conv1: OIHW[o][i][y][x] = HWIO[y][x][i][o]
    const c1 = syn.keras.get('Conv1/kernel')!;
    const [kh, kw, ci, co] = c1.shape as [number, number, number, number];
    const got = enc.get('encoder.conv1.weight')!.data as Float32Array;
    for (let o = 0; o < co; o++) for (let i = 0; i < ci; i++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) {
      assert.equal(got[((o * ci + i) * kh + y) * kw + x], c1.values[((y * kw + x) * ci + i) * co + o]);
    }
    // depthwise: [C,1,kh,kw][c][0][y][x] = [kh,kw,C,1][y][x][c][0]
    const dw = syn.keras.get('block_3_depthwise/depthwise_kernel')!;
    const C = dw.shape[2]!;
    const gd = enc.get('encoder.blocks.3.depthwise.weight')!;
    assert.deepEqual(gd.shape, [C, 1, 3, 3]);
    for (let c = 0; c < C; c++) for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) assert.equal((gd.data as Float32Array)[(c * 3 + y) * 3 + x], dw.values[(y * 3 + x) * C + c]);
    // expanded_conv (block 0) and BN names
    assert.deepEqual([...(enc.get('encoder.blocks.0.project_bn.running_var')!.data as Float32Array)], [...syn.keras.get('expanded_conv_project_BN/moving_variance')!.values]);
    assert.deepEqual([...(enc.get('encoder.blocks.16.expand_bn.weight')!.data as Float32Array)], [...syn.keras.get('block_16_expand_BN/gamma')!.values]);
    assert.equal(kerasSourceOf('encoder.blocks.7.expand.weight').keras, 'block_7_expand/kernel');
    assert.equal(kerasSourceOf('encoder.bn1.running_mean').keras, 'bn_Conv1/moving_mean');
  });

  it('an nsfwjs-style package tarball: bundles read, integrity checked', () => {
    const tgz = nsfwjsLike(syn);
    assert.ok(readTarGz(tgz, 't').has(NSFWJS.modelJs));
    const m = loadNsfwjsModel(tgz, 'syn.tgz', sha512Integrity(tgz));
    assert.equal(m.model.weights.size, syn.keras.size);
    assert.deepEqual([...m.model.weights.get('block_5_project/kernel')!.data], [...syn.keras.get('block_5_project/kernel')!.values]);
    assert.throws(() => loadNsfwjsModel(tgz, 'syn.tgz'), /syn\.tgz: integrity sha512-.* is not that of nsfwjs@4\.4\.0/);
  });

  it('clear errors: missing or truncated shard (naming the file), corrupt bundle, missing or ill-shaped weight', () => {
    const dir = path.join(root, 'bad');
    const mj = writeTfjs(dir, syn);
    fs.rmSync(path.join(dir, 'group1-shard2of2.bin'));
    assert.throws(() => readTfjsModel(mj), (e: Error) => e instanceof TfjsFormatError && /weight shard 'group1-shard2of2\.bin' .*is missing: no file .*group1-shard2of2\.bin/.test(e.message));
    fs.writeFileSync(path.join(dir, 'group1-shard2of2.bin'), syn.bytes.subarray(1000, syn.bytes.length - 7));
    assert.throws(() => readTfjsModel(mj), /weight shards .*group1-shard1of2\.bin, .*group1-shard2of2\.bin of weightsManifest\[0\] hold \d+ bytes, but its \d+ weights need \d+ \(truncated or corrupt shard\?\)/);
    const bad = nsfwjsLike(syn, 'module.exports = "not base64 !!";');
    assert.throws(() => loadNsfwjsModel(bad, 'bad.tgz', null), /bad\.tgz:package\/dist\/models\/mobilenet_v2\/group1-shard1of1\.min\.js: weight shard 'group1-shard1of1' is corrupt/);
    const ok = readTfjsModel(writeTfjs(path.join(root, 'ok2'), syn));
    const w = new Map(ok.weights);
    w.delete('block_9_expand_BN/gamma');
    assert.throws(() => convertKerasMobileNetV2(w, WIDTH, 'm.json'), /m\.json: no weight 'block_9_expand_BN\/gamma' \(for encoder\.blocks\.9\.expand_bn\.weight\); the layer has block_9_expand_BN\/beta/);
    assert.throws(() => convertKerasMobileNetV2(ok.weights, 1, 'm.json'), /m\.json: weight 'Conv1\/kernel' has shape \[3,3,3,16\], the MobileNetV2 encoder needs \[3,3,3,32\] for encoder\.conv1\.weight/);
    const mj2 = path.join(root, 'bad.json');
    fs.writeFileSync(mj2, JSON.stringify({ modelTopology: {} }));
    assert.throws(() => readTfjsModel(mj2), /bad\.json: has no weightsManifest/);
  });

  it('an encoder-init file fits only its network; errors name the file and tensor', async () => {
    const model = readTfjsModel(writeTfjs(path.join(root, 'ok3'), syn));
    const init: EncoderInit = {
      meta: { format: 'stvm-encoder-init', version: 1, encoder: 'mobilenetv2', widthMult: WIDTH, bnEps: 1e-3, normalize: { mean: [0, 0, 0], std: [1, 1, 1] }, provenance: { test: true } },
      tensors: convertKerasMobileNetV2(model.weights, WIDTH, 'syn'),
    };
    const file = path.join(root, 'init.ckpt');
    await saveEncoderInit(file, init);
    const back = await loadEncoderInit(file);
    assert.deepEqual(back.meta, init.meta);
    const spec = mobileNetV2DeepLabSpec({ mobilenetv2: { widthMult: WIDTH } });
    const { model: net } = createDeepLab(spec, 1, 32, 32);
    const state = new Map(net.params.all.map((p) => [p.name, tensor('float32', [...p.shape])]));
    assert.equal(applyEncoderInit(file, back, spec, net.params.all, state), encoderParams(WIDTH).length);
    assert.throws(() => applyEncoderInit(file, back, mobileNetV2DeepLabSpec(), net.params.all, state), /init\.ckpt: holds MobileNetV2 width 0\.35, but the model's is 1/);
    const short = { ...back, tensors: new Map([...back.tensors].slice(1)) };
    assert.throws(() => applyEncoderInit(file, short, spec, net.params.all, state), /lacks 1 encoder tensor\(s\) of the model, e\.g\. 'encoder\.conv1\.weight'/);
    await assert.rejects(loadEncoderInit(path.join(root, 'none.ckpt')), /encoder init .*none\.ckpt: .*make it with node dist\/cli\/fetch-encoder\.js/);
  });

  it('source training from an init file: encoder tensors are the file\'s, the head keeps its seeded init; wrong normalisation is an error', async function () {
    this.timeout(300000);
    const model = readTfjsModel(writeTfjs(path.join(root, 'ok4'), syn));
    const tensors = convertKerasMobileNetV2(model.weights, WIDTH, 'syn');
    const file = path.join(root, 'init035.ckpt');
    await saveEncoderInit(file, { meta: { format: 'stvm-encoder-init', version: 1, encoder: 'mobilenetv2', widthMult: WIDTH, bnEps: 1e-3, normalize: { mean: [0, 0, 0], std: [1, 1, 1] }, provenance: null }, tensors });
    // source configs build width 1.0: a width-0.35 file is refused
    const cfg = (over: Record<string, unknown>) => validateSourceConfig({
      iterations: 1, batch: 2, model: { arch: 'mobilenetv2', init: file, outputStride: 16, aspp: '1,2' },
      augment: { cropWidth: 32, cropHeight: 32, normalize: 'none' }, data: { count: 2, width: 48, height: 40 }, val: { enabled: false },
      loss: { classBalance: 0 }, runtime: { threads: 1, workers: 1, checkpointEvery: 0 }, ...over,
    });
    const c = cfg({});
    const ds = await labelledDatasetOf(c.data);
    await assert.rejects(SupervisedAlgorithm.create(c, ds), /holds MobileNetV2 width 0\.35, but the model's is 1/);
    // a width-1.0 file with deterministic values
    const full = new Map(encoderParams(1).map((p, i) => [p.name, tensor('float32', [...p.shape], Float32Array.from({ length: p.shape.reduce((a, b) => a * b, 1) }, (_, j) => (p.name.endsWith('running_var') ? 1 + ((i + j) % 7) / 7 : Math.sin(i * 31 + j) * 0.1)))]));
    const file1 = path.join(root, 'init1.ckpt');
    await saveEncoderInit(file1, { meta: { format: 'stvm-encoder-init', version: 1, encoder: 'mobilenetv2', widthMult: 1, bnEps: 1e-3, normalize: { mean: [0, 0, 0], std: [1, 1, 1] }, provenance: { test: 'seeded' } }, tensors: full });
    const c1 = cfg({ model: { arch: 'mobilenetv2', init: file1, outputStride: 16, aspp: '1,2' } });
    await assert.rejects(SupervisedAlgorithm.create(cfg({ model: { arch: 'mobilenetv2', init: file1 }, augment: { cropWidth: 32, cropHeight: 32, normalize: 'imagenet' } }), ds),
      /augment\.normalize.*expects inputs normalised with mean \[0,0,0\], std \[1,1,1\] \('none': x = v\/255\)/);
    const alg = await SupervisedAlgorithm.create(c1, ds);
    try {
      const t = await alg.modelTensors();
      for (const [k, v] of full) assert.deepEqual([...(t.get(k)!.data as Float32Array)], [...(v.data as Float32Array)], k);
      const { g } = createDeepLab(alg.spec, 1, 32, 32);
      assert.deepEqual([...(t.get('classifier.weight')!.data as Float32Array)], [...(g.graph.initializers.get('classifier.weight')!.data as Float32Array)], 'head: seeded init');
      assert.deepEqual((alg.meta.source as { init: { file: string; provenance: unknown } }).init, { file: file1, provenance: { test: 'seeded' } });
      const r = await alg.step(0);
      assert.ok(Number.isFinite(r.loss));
    } finally {
      await alg.close();
    }
  });
});
