/**
 * Checks of a converted pretrained encoder (cli/fetch-encoder.ts), on a few natural images:
 *
 * - `classifierOutputs`: the converted weights rebuilt as the whole Keras classifier
 *   (keras-mobilenetv2.ts buildKerasClassifier: TF 'same' padding, Conv_1, the Dense head) on
 *   onnxruntime — its probabilities, encoder output (block 16) and out_relu;
 * - `tfjsReference`: the same three from the source model itself, run by TensorFlow.js (which
 *   this project does not depend on: the caller names a folder where @tensorflow/tfjs-core,
 *   -layers and -backend-cpu are installed) from the package's own quantised bytes, so TF.js
 *   also does its own dequantisation;
 * - `bnStatistics`: per BN layer of the encoder as the segmentation model builds it (symmetric
 *   padding, at the images' size), the inputs normalised with the layer's running statistics,
 *   x̂ = (x − μ)/√(σ² + ε): mean over channels of |mean x̂| and of std x̂ — about 0 and 1 when
 *   the statistics fit the input normalisation.
 */
import path from 'node:path';
import { createRequire } from 'node:module';
import { tensor, type TensorData } from '../engine/ir/tensor.js';
import { createDeepLab } from '../engine/models/deeplab.js';
import { mobileNetV2DeepLabSpec } from '../engine/models/spec.js';
import { runGraph } from '../engine/runtime/run-graph.js';
import { readImage } from '../data/io/image.js';
import { resizeImage } from '../data/transforms/resize.js';
import type { ImageU8 } from '../data/transforms/types.js';
import { buildKerasClassifier, type KerasHeadLayer } from './keras-mobilenetv2.js';
import type { TfjsModel } from './tfjs-weights.js';
import type { Normalization } from './model-file.js';

/** Reads and resizes images (RGB uint8, w×h). */
export async function loadImages(files: readonly string[], w: number, h: number): Promise<ImageU8[]> {
  const out: ImageU8[] = [];
  for (const f of files) out.push(resizeImage(await readImage(f), w, h));
  return out;
}

/** NHWC float32 of images with x = v·a + b. */
export function toNhwc(imgs: readonly ImageU8[], a: number, b: number): Float32Array {
  const n = imgs[0]!.width * imgs[0]!.height * 3;
  const x = new Float32Array(imgs.length * n);
  imgs.forEach((im, i) => { for (let j = 0; j < n; j++) x[i * n + j] = im.data[j]! * a + b; });
  return x;
}

/** NHWC → NCHW. */
export function nhwcToNchw(x: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < n; i++) for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) for (let k = 0; k < c; k++) out[((i * c + k) * h + y) * w + xx] = x[((i * h + y) * w + xx) * c + k]!;
  return out;
}

export interface ClassifierOutputs {
  /** [N, classes] softmax probabilities. */
  readonly probs: Float32Array;
  /** Block 16 output and out_relu, NHWC (Keras layout, for comparison with TF.js). */
  readonly block16: Float32Array;
  readonly outRelu: Float32Array;
}

/** The converted classifier on NHWC inputs [n, size, size, 3] (see the file comment). */
export async function classifierOutputs(model: TfjsModel, head: readonly KerasHeadLayer[], nhwc: Float32Array, n: number, size: number, where: string): Promise<ClassifierOutputs> {
  const k = buildKerasClassifier(model.weights, { widthMult: 1, size, batch: n, bnEps: 1e-3, head, where });
  for (const t of [k.probs, k.taps['block16']!, k.taps['out_relu']!]) k.g.output(t);
  const out = await runGraph(k.g.graph, { image: tensor('float32', [n, 3, size, size], nhwcToNchw(nhwc, n, size, size, 3)) });
  const toNhwcT = (t: TensorData) => {
    const [b, c, h, w] = t.shape as [number, number, number, number];
    const d = t.data as Float32Array;
    const o = new Float32Array(d.length);
    for (let i = 0; i < b; i++) for (let ch = 0; ch < c; ch++) for (let p = 0; p < h * w; p++) o[(i * h * w + p) * c + ch] = d[(i * c + ch) * h * w + p]!;
    return o;
  };
  return { probs: out[k.probs]!.data as Float32Array, block16: toNhwcT(out[k.taps['block16']!]!), outRelu: toNhwcT(out[k.taps['out_relu']!]!) };
}

/** The source model run by TensorFlow.js from `tfjsDir` (see the file comment). */
export async function tfjsReference(model: TfjsModel, nhwc: Float32Array, n: number, size: number, tfjsDir: string): Promise<ClassifierOutputs> {
  const req = createRequire(path.resolve(tfjsDir, 'resolve-from-here.js'));
  let tf: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  let tfl: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  const warn = console.warn;
  console.warn = () => {}; // TF.js' "install the node backend" banner
  try {
    try {
      tf = req('@tensorflow/tfjs-core');
      req('@tensorflow/tfjs-backend-cpu');
      tfl = req('@tensorflow/tfjs-layers');
    } catch (e) {
      throw new Error(`--tfjs ${tfjsDir}: cannot load TensorFlow.js (${(e as Error).message.split('\n')[0]}); install it there with: npm install --prefix ${tfjsDir} @tensorflow/tfjs-core@4.22.0 @tensorflow/tfjs-layers@4.22.0 @tensorflow/tfjs-backend-cpu@4.22.0`);
    }
    await tf.setBackend('cpu');
    const specs = model.json.weightsManifest.flatMap((g) => g.weights);
    const all = new Uint8Array(model.groups.reduce((a, g) => a + g.byteLength, 0));
    let off = 0;
    for (const g of model.groups) {
      all.set(g, off);
      off += g.byteLength;
    }
    const m = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: model.json.modelTopology, weightSpecs: specs, weightData: all.buffer }));
    const probe = tfl.model({ inputs: m.inputs, outputs: [m.getLayer('block_16_project_BN').output, m.getLayer('out_relu').output, m.outputs[0]] });
    const x = tf.tensor4d(nhwc, [n, size, size, 3]);
    const [b16, relu, p] = probe.predict(x);
    const out = { block16: await b16.data(), outRelu: await relu.data(), probs: await p.data() };
    tf.dispose([x, b16, relu, p]);
    return out;
  } finally {
    console.warn = warn;
  }
}

export interface Comparison {
  readonly images: number;
  /** max |p_ours − p_ref| over images and classes. */
  readonly maxProbDiff: number;
  readonly top1Agree: number;
  /** max |a − b| / max |b| of the encoder output and of out_relu. */
  readonly block16RelErr: number;
  readonly outReluRelErr: number;
}

const relErr = (a: Float32Array, b: Float32Array) => {
  let num = 0, den = 1e-30;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return num / den;
};

export function compareOutputs(ours: ClassifierOutputs, ref: ClassifierOutputs, n: number): Comparison {
  const c = ours.probs.length / n;
  let maxProbDiff = 0, top1Agree = 0;
  const argmax = (p: Float32Array, i: number) => { let best = 0; for (let j = 1; j < c; j++) if (p[i * c + j]! > p[i * c + best]!) best = j; return best; };
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < c; j++) maxProbDiff = Math.max(maxProbDiff, Math.abs(ours.probs[i * c + j]! - ref.probs[i * c + j]!));
    if (argmax(ours.probs, i) === argmax(ref.probs, i)) top1Agree++;
  }
  return { images: n, maxProbDiff, top1Agree, block16RelErr: relErr(ours.block16, ref.block16), outReluRelErr: relErr(ours.outRelu, ref.outRelu) };
}

export interface BnLayerStats { readonly layer: string; readonly absMean: number; readonly std: number }

/**
 * Per-BN-layer statistics of the encoder (see the file comment) on images [n, h, w] under an
 * input normalisation. `tensors` are the encoder's (encoder-init.ts names).
 */
export async function bnStatistics(tensors: ReadonlyMap<string, TensorData>, imgs: readonly ImageU8[], norm: Normalization, bnEps: number): Promise<BnLayerStats[]> {
  const n = imgs.length, h = imgs[0]!.height, w = imgs[0]!.width;
  const { g } = createDeepLab(mobileNetV2DeepLabSpec({ bn: 'frozen', bnEps }), n, h, w, 'bn_stats');
  for (const [k, t] of tensors) g.graph.initializers.set(k, t);
  const bns = g.graph.nodes.filter((nd) => nd.op === 'BatchNormalization' && nd.name.startsWith('encoder.'));
  for (const b of bns) g.output(b.inputs[0]!);
  const x = new Float32Array(n * 3 * h * w);
  imgs.forEach((im, i) => {
    for (let c = 0; c < 3; c++) for (let p = 0; p < h * w; p++) x[(i * 3 + c) * h * w + p] = (im.data[p * 3 + c]! / 255 - norm.mean[c]!) / norm.std[c]!;
  });
  const out = await runGraph(g.graph, { image: tensor('float32', [n, 3, h, w], x) });
  return bns.map((b) => {
    const t = out[b.inputs[0]!]!;
    const [nn, c, hh, ww] = t.shape as [number, number, number, number];
    const d = t.data as Float32Array;
    const rm = tensors.get(`${b.name}.running_mean`)!.data as Float32Array;
    const rv = tensors.get(`${b.name}.running_var`)!.data as Float32Array;
    let am = 0, sd = 0;
    const cnt = nn * hh * ww;
    for (let ch = 0; ch < c; ch++) {
      const inv = 1 / Math.sqrt(rv[ch]! + bnEps);
      let s = 0, s2 = 0;
      for (let i = 0; i < nn; i++) for (let p = 0; p < hh * ww; p++) {
        const v = (d[(i * c + ch) * hh * ww + p]! - rm[ch]!) * inv;
        s += v;
        s2 += v * v;
      }
      const mu = s / cnt;
      am += Math.abs(mu);
      sd += Math.sqrt(Math.max(s2 / cnt - mu * mu, 0));
    }
    return { layer: b.name, absMean: am / c, std: sd / c };
  });
}

/** Mean |mean x̂| and mean std x̂ over layers whose name matches. */
export function summariseBn(rows: readonly BnLayerStats[], match: (layer: string) => boolean): { layers: number; absMean: number; std: number } {
  const r = rows.filter((x) => match(x.layer));
  const avg = (k: 'absMean' | 'std') => r.reduce((s, x) => s + x[k], 0) / Math.max(r.length, 1);
  return { layers: r.length, absMean: +avg('absMean').toFixed(3), std: +avg('std').toFixed(3) };
}
