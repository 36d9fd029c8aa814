/**
 * Keras MobileNetV2 weights (as a TF.js layers model holds them, tfjs-weights.ts) → the
 * project's MobileNetV2 encoder (lib/engine/models/mobilenetv2.ts):
 *
 *   project name                                   Keras weight
 *   encoder.conv1.weight                           Conv1/kernel                          [3,3,3,32] HWIO → OIHW
 *   encoder.bn1.{weight,bias,running_mean,running_var}  bn_Conv1/{gamma,beta,moving_mean,moving_variance}
 *   encoder.blocks.0.depthwise.weight              expanded_conv_depthwise/depthwise_kernel  [3,3,C,1] → [C,1,3,3]
 *   encoder.blocks.0.depthwise_bn.*                expanded_conv_depthwise_BN/*
 *   encoder.blocks.0.project(.weight|_bn.*)        expanded_conv_project(/kernel|_BN/*)
 *   encoder.blocks.i.expand|depthwise|project      block_i_expand|_depthwise|_project (i = 1 … 16)
 *   encoder.blocks.i.{expand,depthwise,project}_bn block_i_{expand,depthwise,project}_BN
 *
 * Layouts: a Keras Conv2D kernel is HWIO [kh, kw, in, out], ONNX Conv wants OIHW
 * [out, in, kh, kw]; a DepthwiseConv2D kernel is [kh, kw, C, M] (output channel c·M + m), the
 * ONNX grouped Conv (group = C) wants [C·M, 1, kh, kw]; a Dense kernel is [in, out] (kept, for
 * MatMul). Keras BN: y = γ(x − moving_mean)/√(moving_variance + ε) + β, ε = 1e-3 in
 * MobileNetV2 = the engine's BN with the same four tensors.
 *
 * `buildKerasClassifier` rebuilds a whole Keras MobileNetV2 classifier (encoder with TF 'same'
 * padding, Conv_1 → BN → ReLU6, global average pool, the Dense head) from converted weights:
 * the check that the conversion reproduces the source model's own outputs (cli/fetch-encoder.ts).
 */
import { GraphBuilder } from '../engine/ir/builder.js';
import { tensor, type TensorData } from '../engine/ir/tensor.js';
import { batchNorm, ModelContext } from '../engine/models/layers.js';
import { groupConv, mobileNetV2Encoder, mobileNetV2Plan } from '../engine/models/mobilenetv2.js';
import { createDeepLab } from '../engine/models/deeplab.js';
import { mobileNetV2DeepLabSpec } from '../engine/models/spec.js';
import { TfjsFormatError, type TfjsWeight } from './tfjs-weights.js';

/** Keras layer name of block i (0 = expanded_conv). */
const kerasBlock = (i: number) => (i === 0 ? 'expanded_conv' : `block_${i}`);

const BN_KERAS: Record<string, string> = { weight: 'gamma', bias: 'beta', running_mean: 'moving_mean', running_var: 'moving_variance' };

export type KerasLayout = 'conv' | 'depthwise' | 'vector';

/** The Keras weight a project encoder parameter comes from, and how its layout converts. */
export function kerasSourceOf(name: string, prefix = 'encoder'): { keras: string; layout: KerasLayout } {
  const rest = name.startsWith(`${prefix}.`) ? name.slice(prefix.length + 1) : undefined;
  let m: RegExpExecArray | null;
  if (rest === 'conv1.weight') return { keras: 'Conv1/kernel', layout: 'conv' };
  if (rest && (m = /^bn1\.(weight|bias|running_mean|running_var)$/.exec(rest))) return { keras: `bn_Conv1/${BN_KERAS[m[1]!]}`, layout: 'vector' };
  if (rest && (m = /^blocks\.(\d+)\.(expand|depthwise|project)\.weight$/.exec(rest))) {
    const dw = m[2] === 'depthwise';
    return { keras: `${kerasBlock(+m[1]!)}_${m[2]}/${dw ? 'depthwise_kernel' : 'kernel'}`, layout: dw ? 'depthwise' : 'conv' };
  }
  if (rest && (m = /^blocks\.(\d+)\.(expand|depthwise|project)_bn\.(weight|bias|running_mean|running_var)$/.exec(rest))) {
    return { keras: `${kerasBlock(+m[1]!)}_${m[2]}_BN/${BN_KERAS[m[3]!]}`, layout: 'vector' };
  }
  throw new Error(`no Keras MobileNetV2 weight for '${name}'`);
}

/** Keras HWIO [kh,kw,I,O] → OIHW [O,I,kh,kw]. */
export function hwioToOihw(a: Float32Array, [kh, kw, ci, co]: readonly number[]): Float32Array {
  const out = new Float32Array(a.length);
  for (let y = 0; y < kh!; y++) for (let x = 0; x < kw!; x++) for (let i = 0; i < ci!; i++) for (let o = 0; o < co!; o++) {
    out[((o * ci! + i) * kh! + y) * kw! + x] = a[((y * kw! + x) * ci! + i) * co! + o]!;
  }
  return out;
}

/** Keras depthwise [kh,kw,C,M] → ONNX grouped [C·M,1,kh,kw] (output channel c·M + m). */
export function depthwiseToOihw(a: Float32Array, [kh, kw, c, mult]: readonly number[]): Float32Array {
  const out = new Float32Array(a.length);
  for (let y = 0; y < kh!; y++) for (let x = 0; x < kw!; x++) for (let ch = 0; ch < c!; ch++) for (let m = 0; m < mult!; m++) {
    out[((ch * mult! + m) * kh! + y) * kw! + x] = a[((y * kw! + x) * c! + ch) * mult! + m]!;
  }
  return out;
}

function kerasShapeFor(layout: KerasLayout, shape: readonly number[]): number[] {
  if (layout === 'conv') return [shape[2]!, shape[3]!, shape[1]!, shape[0]!];
  if (layout === 'depthwise') return [shape[2]!, shape[3]!, shape[0]!, 1];
  return [...shape];
}

function convert(w: TfjsWeight, layout: KerasLayout): Float32Array {
  const a = w.data as Float32Array;
  if (layout === 'conv') return hwioToOihw(a, w.shape);
  if (layout === 'depthwise') return depthwiseToOihw(a, w.shape);
  return Float32Array.from(a);
}

function take(weights: ReadonlyMap<string, TfjsWeight>, keras: string, expect: readonly number[], where: string, forName: string): TfjsWeight {
  const w = weights.get(keras);
  if (!w) {
    const near = [...weights.keys()].filter((k) => k.split('/')[0] === keras.split('/')[0]);
    throw new TfjsFormatError(`${where}: no weight '${keras}' (for ${forName})${near.length ? `; the layer has ${near.join(', ')}` : ''}`);
  }
  if (w.dtype !== 'float32') throw new TfjsFormatError(`${where}: weight '${keras}' is ${w.dtype}, expected float32`);
  if (w.shape.length !== expect.length || w.shape.some((d, i) => d !== expect[i])) {
    throw new TfjsFormatError(`${where}: weight '${keras}' has shape [${w.shape.join(',')}], the MobileNetV2 encoder needs [${expect.join(',')}] for ${forName}`);
  }
  return w;
}

/** The encoder parameters (name, shape) of a MobileNetV2 of width `widthMult`, in creation order. */
export function encoderParams(widthMult: number): { name: string; shape: readonly number[] }[] {
  const { model } = createDeepLab(mobileNetV2DeepLabSpec({ mobilenetv2: { widthMult } }), 1, 32, 32, 'encoder_probe');
  return model.params.all.filter((p) => p.group === 'backbone').map((p) => ({ name: p.name, shape: p.shape }));
}

/**
 * The project's encoder tensors (name → float32 OIHW / vectors) from Keras MobileNetV2
 * weights. Every encoder parameter must be found with the right shape (errors name the Keras
 * weight and the project parameter); Keras weights the encoder does not use (Conv_1, the
 * classifier head) are ignored.
 */
export function convertKerasMobileNetV2(weights: ReadonlyMap<string, TfjsWeight>, widthMult: number, where: string): Map<string, TensorData> {
  const out = new Map<string, TensorData>();
  for (const p of encoderParams(widthMult)) {
    const src = kerasSourceOf(p.name);
    const w = take(weights, src.keras, kerasShapeFor(src.layout, p.shape), where, p.name);
    out.set(p.name, tensor('float32', [...p.shape], convert(w, src.layout)));
  }
  return out;
}

export interface KerasHeadLayer {
  /** Dense kernel [in, out] and bias [out]. */
  readonly kernel: string;
  readonly bias: string;
  readonly activation: 'relu' | 'softmax' | 'linear';
}

export interface KerasClassifier {
  readonly g: GraphBuilder;
  readonly input: string;
  /** Softmax probabilities [N, classes] (the last Dense layer's activation). */
  readonly probs: string;
  /** Named intermediate outputs: block16 (encoder output, NCHW), out_relu (Conv_1 → BN → ReLU6). */
  readonly taps: Record<string, string>;
  /** BN layers: [name, conv output (BN input), running mean name, running var name] (per-layer statistics). */
  readonly bns: { name: string; input: string }[];
}

/**
 * The whole Keras MobileNetV2 classifier on input [N, 3, size, size] (NCHW; the caller
 * transposes Keras' NHWC): the encoder with TF 'same' padding (Keras' ZeroPadding2D before each
 * stride-2 conv), Conv_1 1×1 → BN → ReLU6, global average pool (Keras' AveragePooling2D 7×7 at
 * 224), then the Dense layers `head`. All weights from `weights` (Keras names); BN ε `bnEps`.
 */
export function buildKerasClassifier(weights: ReadonlyMap<string, TfjsWeight>, o: { widthMult: number; size: number; batch: number; bnEps: number; head: readonly KerasHeadLayer[]; where: string }): KerasClassifier {
  const g = new GraphBuilder('keras_mobilenetv2');
  const input = g.input('image', 'float32', [o.batch, 3, o.size, o.size]);
  const m = new ModelContext(g, 0);
  const bn = { mode: 'frozen' as const, eps: o.bnEps, momentum: 0.1 };
  const enc = mobileNetV2Encoder(m, input, { widthMult: o.widthMult, outputStride: 32, inChannels: 3, bn, tfPadding: true, prefix: 'encoder' });
  const last = mobileNetV2Plan(o.widthMult, 32).blocks.at(-1)!.outChannels;
  const c1 = take(weights, 'Conv_1/kernel', [1, 1, last, weights.get('Conv_1/kernel')?.shape[3] ?? 1280], o.where, 'Conv_1');
  const c1out = c1.shape[3]!;
  let y = batchNorm(m, 'head.conv1_bn', groupConv(m, 'head.conv1', enc.features, last, c1out, 1), c1out, bn);
  y = g.op1('Clip', [y, g.constF32(0), g.constF32(6)]);
  const outRelu = y;
  let z = g.op1('Flatten', [g.op1('GlobalAveragePool', [y])], { axis: 1 });
  let cin = c1out;
  o.head.forEach((h, i) => {
    const k = weights.get(h.kernel);
    if (!k || k.shape.length !== 2 || k.shape[0] !== cin) throw new TfjsFormatError(`${o.where}: Dense weight '${h.kernel}' must be [${cin}, units] (got ${k ? `[${k.shape.join(',')}]` : 'none'})`);
    const b = take(weights, h.bias, [k.shape[1]!], o.where, h.kernel);
    const kn = g.initializer(`head.dense${i}.kernel`, tensor('float32', [...k.shape], k.data as Float32Array));
    const bnm = g.initializer(`head.dense${i}.bias`, tensor('float32', [...b.shape], b.data as Float32Array));
    z = g.op1('Add', [g.op1('MatMul', [z, kn]), bnm]);
    if (h.activation === 'relu') z = g.op1('Relu', [z]);
    if (h.activation === 'softmax') z = g.op1('Softmax', [z], { axis: 1 });
    cin = k.shape[1]!;
  });
  // every encoder/Conv_1 initializer gets its converted Keras value
  const enc2 = convertKerasMobileNetV2(weights, o.widthMult, o.where);
  for (const [name, t] of enc2) g.graph.initializers.set(name, t);
  g.graph.initializers.set('head.conv1.weight', tensor('float32', [c1out, last, 1, 1], hwioToOihw(c1.data as Float32Array, c1.shape)));
  for (const [p, k] of Object.entries(BN_KERAS)) {
    const w = take(weights, `Conv_1_bn/${k}`, [c1out], o.where, 'Conv_1_bn');
    g.graph.initializers.set(`head.conv1_bn.${p}`, tensor('float32', [c1out], Float32Array.from(w.data as Float32Array)));
  }
  const bns = g.graph.nodes.filter((n) => n.op === 'BatchNormalization').map((n) => ({ name: n.name, input: n.inputs[0]! }));
  return { g, input, probs: z, taps: { block16: enc.features, out_relu: outRelu }, bns };
}
