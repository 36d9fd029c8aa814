/**
 * A segmentation network imported from an ONNX file (`torch.onnx.export`, opset 13–18) as a
 * SegModel, so that adaptation (lib/method/stvm), evaluation and export treat it like the
 * project's own DeepLab ("bring your own model").
 *
 * - The graph is imported (lib/engine/onnx/import.ts) at the requested static input shape
 *   [n, 3, h, w]: dynamic dimensions (batch, height, width of a torch export with
 *   dynamic_axes) take these sizes; fixed dimensions must match them.
 * - Its image input is renamed to 'image' (what every program feeds).
 * - BatchNormalization follows the adaptation convention of the DeepLab (net.ts, frozen BN):
 *   a training-mode export gives BatchNormalization nodes with training_mode=1 and the
 *   running-statistics outputs; they are rewritten to training_mode=0 (running statistics,
 *   one output), and γ, β, running mean and variance are frozen (not trainable).
 *   With `bn: 'train'` (stvm.bn.mode 'train', AdaBN's statistics pass) every BN node runs in
 *   training mode instead (batch statistics, running-statistics outputs in `bnUpdates`, γ/β
 *   trainable), with the node's own momentum unless `bnMomentum` (PyTorch convention) is
 *   given; with `bnStatsRows` the statistics come from those rows of the batch (bn-rows.ts).
 * - The classifier is the last Conv (or Gemm) on the path to the logits output, walking back
 *   through value-preserving ops (Resize, Identity, Cast, ...), or a sum of such nodes (LR-ASPP,
 *   findClassifier). `logits` is the classifier's
 *   output (feature resolution: the stride-level argmax 'labels_feat' and the metric net use
 *   it); `logitsFull` is the model's own output when it already has the input resolution
 *   (the graph upsamples), otherwise the logits upsampled bilinearly (align_corners, as the
 *   DeepLab). `features` is a named tensor (default: the classifier's input), which must have
 *   the classifier output's spatial size.
 * - Parameters: every floating-point initializer of the imported graph is a parameter
 *   (state); the trainable ones are the weights and biases of Conv/Gemm nodes and of Linear
 *   layers exported as MatMul (+ Add) (linearParams; the classifier's form the head group, the
 *   rest the backbone); BN affine and running statistics, LayerNormalization's scale and bias
 *   and any other float initializer stay frozen.
 */
import { backward } from '../engine/autodiff/backward.js';
import { NoGradientError } from '../engine/autodiff/registry.js';
import type { GraphBuilder } from '../engine/ir/builder.js';
import type { Node } from '../engine/ir/graph.js';
import { shapeStr, type TensorData } from '../engine/ir/tensor.js';
import { batchNormRowStats } from '../engine/models/bn-rows.js';
import { summarise, type BnStatUpdate, type ParamInfo, type ParamRole } from '../engine/models/params.js';
import { attrFloat } from '../engine/ir/graph.js';
import type { SegModel } from '../engine/models/deeplab.js';
import { importModel } from '../engine/onnx/import.js';
import { decodeModel } from '../engine/onnx/decode.js';

/** How a model file's ONNX graph is used as a segmentation network (stored in ModelMeta.imported). */
export interface ImportedNetMeta {
  readonly format: 'onnx';
  /** The model's image input (renamed to 'image' when built). */
  readonly input: string;
  /** The model's logits output. */
  readonly output: string;
  /** The tensor the metric network reads (a value name of the imported graph). */
  readonly features: string;
  /** Default-domain opset of the file. */
  readonly opset: number;
}

export class ImportedNetError extends Error {
  constructor(msg: string) {
    super(msg);
    this.name = 'ImportedNetError';
  }
}

/** Value names the programs built on the network use (the model's output is renamed if it has one). */
const RESERVED = new Set(['image', 'logits', 'labels', 'labels_feat', 'weights', 'confidence', 'features', 'probs', 'pred', 'onehot', 'valid', 'sim', 'alpha']);

/** Ops the classifier search walks back through (they keep the class channels). */
const PASS_THROUGH = new Set(['Resize', 'Upsample', 'Identity', 'Cast', 'Dropout']);

export const REEXPORT_HINT = 'torch.onnx.export(model, x, f, opset_version=17, training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False, dynamic_axes=...)';

function renameValue(g: GraphBuilder, from: string, to: string): void {
  if (from === to) return;
  if (g.has(to)) throw new ImportedNetError(`the graph already has a value named '${to}'`);
  const gr = g.graph;
  const vi = gr.values.get(from)!;
  gr.values.delete(from);
  gr.values.set(to, { ...vi, name: to });
  gr.inputs = gr.inputs.map((i) => (i.name === from ? { ...i, name: to } : i));
  gr.outputs = gr.outputs.map((o) => (o.name === from ? { ...o, name: to } : o));
  const ren = (i: string) => (i === from ? to : i);
  gr.nodes = gr.nodes.map((n) => (n.inputs.includes(from) || n.outputs.includes(from) ? { ...n, inputs: n.inputs.map(ren), outputs: n.outputs.map(ren) } : n));
  // claim the new name in the builder (its set of used names is private)
  const used = (g as unknown as { used: Set<string> }).used;
  used.add(to);
  used.delete(from);
}

/** Train-mode BatchNormalization → eval mode on the running statistics (frozen BN). */
function freezeBatchNorm(g: GraphBuilder): void {
  const gr = g.graph;
  const consumed = new Set(gr.nodes.flatMap((n) => n.inputs));
  for (const o of gr.outputs) consumed.add(o.name);
  gr.nodes = gr.nodes.map((n) => {
    if (n.op !== 'BatchNormalization' || n.outputs.length <= 1) return n;
    for (const o of n.outputs.slice(1)) {
      if (o !== '' && consumed.has(o)) throw new ImportedNetError(`BatchNormalization '${n.name}': its running-statistics output '${o}' is used by the graph; cannot freeze BN`);
      if (o !== '') gr.values.delete(o);
    }
    return { ...n, outputs: [n.outputs[0]!], attrs: { ...n.attrs, training_mode: { kind: 'int', value: 0 } } };
  });
}

/**
 * Every BatchNormalization → training mode (batch statistics, see the file comment). Returns
 * the running-statistics updates. `momentum` is PyTorch's (undefined: each node's own).
 */
function trainBatchNorm(g: GraphBuilder, momentum: number | undefined, rows: readonly [number, number] | undefined): BnStatUpdate[] {
  const gr = g.graph;
  const nodes = gr.nodes;
  const updates: BnStatUpdate[] = [];
  gr.nodes = [];
  for (const n of nodes) {
    if (n.op !== 'BatchNormalization') {
      gr.nodes.push(n);
      continue;
    }
    const [x, gamma, beta, mean, vr] = n.inputs as [string, string, string, string, string];
    const m = momentum === undefined ? attrFloat(n, 'momentum', 0.9) : 1 - momentum;
    const eps = attrFloat(n, 'epsilon', 1e-5);
    const y = n.outputs[0]!;
    for (const o of n.outputs.slice(1)) if (o !== '') gr.values.delete(o);
    if (rows) {
      const r = batchNormRowStats(g, x, gamma, beta, mean, vr, { eps, momentum: m, rows, name: n.name });
      g.addNode({ op: 'Identity', name: g.fresh(`${n.name}.y`), inputs: [r.y], outputs: [y], attrs: {} });
      updates.push({ module: n.name, mean, var: vr, newMean: r.newMean, newVar: r.newVar });
      continue;
    }
    const outs = [y, g.fresh(`${n.name}.running_mean_next`), g.fresh(`${n.name}.running_var_next`)];
    g.addNode({
      ...n, outputs: outs,
      attrs: { ...n.attrs, training_mode: { kind: 'int', value: 1 }, momentum: { kind: 'float', value: m }, epsilon: { kind: 'float', value: eps } },
    });
    updates.push({ module: n.name, mean, var: vr, newMean: outs[1]!, newVar: outs[2]! });
  }
  return updates;
}

export interface ClassifierInfo {
  /** The classifier node (of a sum of classifiers: the one whose input has the most channels). */
  readonly node: Node;
  /** Every classifier node: `node`, or each term of a sum of classifiers (their weights form the head group). */
  readonly nodes: readonly Node[];
  /** Classifier output (logits at feature resolution). */
  readonly logits: string;
  /** Classifier input (the default features). */
  readonly input: string;
}

const isClassifierOp = (n: Node | undefined): boolean => n !== undefined && (n.op === 'Conv' || n.op === 'Gemm');

/**
 * The classifier: the last Conv/Gemm on the path back from `output` (see the file comment), or
 * an Add/Sum whose every input is a Conv/Gemm output of the same shape — a sum of classifiers,
 * as torchvision's LR-ASPP head (low_classifier(low) + high_classifier(high), both at the
 * stride-8 resolution): the sum is then the logits, every term's weights the head, and the
 * default features the input of the term with the most channels (LR-ASPP: the 128-channel
 * high-level branch rather than the 40-channel low-level one).
 */
export function findClassifier(g: GraphBuilder, output: string): ClassifierInfo {
  const producer = new Map<string, Node>();
  for (const n of g.graph.nodes) for (const o of n.outputs) if (o !== '') producer.set(o, n);
  let v = output;
  const seen: string[] = [];
  for (;;) {
    const n = producer.get(v);
    if (n === undefined) break;
    if (isClassifierOp(n)) return { node: n, nodes: [n], logits: v, input: n.inputs[0]! };
    if ((n.op === 'Add' || n.op === 'Sum') && n.inputs.length >= 2) {
      const found = n.inputs.map((i) => producer.get(i));
      if (found.every(isClassifierOp) && n.inputs.every((i) => g.shape(i).join() === g.shape(v).join())) {
        const terms = found as Node[];
        const ch = (t: Node) => g.shape(t.inputs[0]!)[1] ?? 0;
        const main = terms.reduce((a, b) => (ch(b) > ch(a) ? b : a));
        return { node: main, nodes: terms, logits: v, input: main.inputs[0]! };
      }
    }
    if (!PASS_THROUGH.has(n.op)) {
      seen.push(`${n.op} '${n.name}'`);
      break;
    }
    seen.push(n.op);
    v = n.inputs[0]!;
  }
  throw new ImportedNetError(`cannot find the classifier: walking back from output '${output}' through ${[...PASS_THROUGH].join('/')} reached ${seen.at(-1) ?? 'a graph input'} before a Conv or Gemm node (or a sum of Conv/Gemm outputs)`);
}

export interface BuildImportedOptions {
  /** Check the backward pass reaches every trainable weight (names the op without a gradient rule). */
  readonly checkGradients?: boolean;
  /** 'frozen' (default): eval-mode BN, constants; 'train': batch statistics (see the file comment). */
  readonly bn?: 'frozen' | 'train';
  /** Train mode: the running-statistics momentum, PyTorch convention (default: each node's). */
  readonly bnMomentum?: number;
  /** Train mode: batch statistics from rows [first, first + count) of the batch. */
  readonly bnStatsRows?: readonly [number, number];
}

/** Builds the imported network on input 'image' [n, 3, h, w] (see the file comment). */
export function buildImportedNet(bytes: Uint8Array, info: ImportedNetMeta, n: number, h: number, w: number, name: string, opts: BuildImportedOptions = {}): { g: GraphBuilder; model: SegModel } {
  const im = importModel(bytes, { inputShapes: { [info.input]: [n, 3, h, w] }, name });
  const g = im.builder;
  if (!im.outputs.includes(info.output)) throw new ImportedNetError(`the model has no output '${info.output}' (outputs: ${im.outputs.join(', ')})`);
  renameValue(g, info.input, 'image');
  // names the programs give their own values
  let output = info.output;
  if (RESERVED.has(output)) {
    output = g.fresh(`model_${output}`);
    renameValue(g, info.output, output);
  }
  // BN tensor roles before train-mode BN with row statistics replaces the nodes by primitive ops
  const BN_ROLES: ParamRole[] = ['bn_weight', 'bn_bias', 'bn_running_mean', 'bn_running_var'];
  const roles = new Map<string, ParamRole>();
  for (const node of g.graph.nodes) if (node.op === 'BatchNormalization') node.inputs.slice(1, 5).forEach((i, k) => { if (i) roles.set(i, BN_ROLES[k]!); });
  const train = opts.bn === 'train';
  const bnUpdates = train ? trainBatchNorm(g, opts.bnMomentum, opts.bnStatsRows) : [];
  if (!train) freezeBatchNorm(g);
  const cls = findClassifier(g, output);
  const ls = g.shape(cls.logits);
  if (ls.length !== 4) throw new ImportedNetError(`classifier ${cls.node.op} '${cls.node.name}' output '${cls.logits}' has shape ${shapeStr(ls)}; expected [N,C,h,w]`);
  const C = ls[1]!;
  if (!g.has(info.features)) throw new ImportedNetError(`unknown feature tensor '${info.features}': no value of that name in the imported graph (the default is the classifier's input '${cls.input}')`);
  const fs = g.shape(info.features);
  if (fs.length !== 4 || fs[0] !== n || fs[2] !== ls[2] || fs[3] !== ls[3]) {
    throw new ImportedNetError(`feature tensor '${info.features}' has shape ${shapeStr(fs)}; it must be [${n},F,${ls[2]},${ls[3]}] (the classifier output's spatial size)`);
  }
  const os = g.shape(output);
  let logitsFull: string;
  if (os.length === 4 && os[1] === C && os[2] === h && os[3] === w) logitsFull = output;
  else logitsFull = g.op1('Resize', [cls.logits, '', '', g.constI64([n, C, h, w])], { mode: 'linear', coordinate_transformation_mode: 'align_corners' }, { name: 'upsample' });

  // parameters
  const head = new Set<string>();
  for (const node of g.graph.nodes) {
    if (node.op === 'Conv' || node.op === 'Gemm') {
      node.inputs.slice(1, 3).forEach((i, k) => {
        if (i && im.initializers.includes(i)) {
          roles.set(i, k === 0 ? 'conv_weight' : 'conv_bias');
          if (cls.nodes.includes(node)) head.add(i);
        }
      });
    }
  }
  for (const [p, role] of linearParams(g, im.initializers)) if (!roles.has(p)) roles.set(p, role);
  const all: ParamInfo[] = [];
  for (const p of im.initializers) {
    const t = g.graph.initializers.get(p);
    if (!t || t.dtype !== 'float32') continue;
    const role = roles.get(p);
    const trainable = role === 'conv_weight' || role === 'conv_bias' || (train && (role === 'bn_weight' || role === 'bn_bias'));
    all.push({ name: p, shape: [...t.shape], role: role ?? 'conv_weight', group: head.has(p) ? 'head' : 'backbone', trainable });
  }
  const params = summarise(all);
  if (opts.checkGradients) checkGradients(g, logitsFull, params.trainable);
  return {
    g,
    model: { input: 'image', logits: cls.logits, logitsFull, features: info.features, featureChannels: fs[1]!, params, bnUpdates },
  };
}

/**
 * The weights and biases of torch.nn.Linear on an input of rank > 2, which torch.onnx.export
 * writes as MatMul(x, Transpose(weight)) followed by Add(bias, ·) (on rank 2 it writes a Gemm):
 * a float initializer read by a MatMul directly or through a Transpose is a weight
 * ('conv_weight': trained like a convolution's), an initializer added to such a MatMul's
 * output is its bias ('conv_bias'). Transformer encoders (attention projections, MLPs) are
 * made of these.
 */
function linearParams(g: GraphBuilder, initializers: readonly string[]): Map<string, ParamRole> {
  const init = new Set(initializers);
  const producer = new Map<string, Node>();
  for (const n of g.graph.nodes) for (const o of n.outputs) if (o !== '') producer.set(o, n);
  const weightOf = (v: string): string | undefined => {
    if (init.has(v)) return v;
    const p = producer.get(v);
    return p?.op === 'Transpose' && init.has(p.inputs[0]!) ? p.inputs[0]! : undefined;
  };
  const out = new Map<string, ParamRole>();
  const linear = new Set<string>(); // MatMul outputs with a weight
  for (const n of g.graph.nodes) {
    if (n.op !== 'MatMul') continue;
    const ws = n.inputs.map(weightOf).filter((w): w is string => w !== undefined && g.graph.initializers.get(w)?.dtype === 'float32');
    for (const w of ws) out.set(w, 'conv_weight');
    if (ws.length > 0) linear.add(n.outputs[0]!);
  }
  for (const n of g.graph.nodes) {
    if (n.op !== 'Add' || !n.inputs.some((i) => linear.has(i))) continue;
    for (const i of n.inputs) if (init.has(i) && g.graph.initializers.get(i)?.dtype === 'float32' && !out.has(i)) out.set(i, 'conv_bias');
  }
  return out;
}

/** Differentiates sum(logitsFull) w.r.t. the trainable weights on a throwaway copy of the graph's node list. */
function checkGradients(g: GraphBuilder, logitsFull: string, trainable: readonly string[]): void {
  const gr = g.graph;
  const saved = { nodes: [...gr.nodes], values: new Map(gr.values), inits: new Map(gr.initializers), outputs: [...gr.outputs] };
  try {
    const loss = g.op1('ReduceSum', [logitsFull], { keepdims: 0 });
    const grads = backward(g, loss, trainable);
    const none = trainable.filter((p) => grads.get(p) === undefined);
    if (none.length > 0) throw new ImportedNetError(`the logits do not depend on trainable weight(s) ${none.slice(0, 3).map((p) => `'${p}'`).join(', ')}`);
  } catch (e) {
    if (e instanceof NoGradientError) throw new ImportedNetError(`${e.message}; such a model cannot be adapted (replace the op in the PyTorch model, or ask for a gradient rule)`);
    throw e;
  } finally {
    gr.nodes = saved.nodes;
    gr.values = saved.values;
    gr.initializers = saved.inits;
    gr.outputs = saved.outputs;
  }
}

/** Whether an ONNX graph has BatchNormalization nodes (what AdaBN, TENT and the train BN modes adapt). */
export function hasBatchNorm(bytes: Uint8Array): boolean {
  return decodeModel(bytes).graph.nodes.some((n) => n.op === 'BatchNormalization');
}

/** The note a run on a graph without BatchNormalization logs (adapt-run.ts). */
export const NO_BN_NOTE = 'the model has no BatchNormalization layer (an imported graph with LayerNorm only, e.g. a transformer, or BN folded by an eval-mode export): STvM adapts its Conv/Gemm/Linear weights and there is no BN to freeze or re-estimate; stvm.bn.mode \'frozen-source\' is the only BN mode for it (AdaBN, TENT and the train modes need BN)';

export interface AnalyzedImport {
  readonly meta: ImportedNetMeta;
  readonly numClasses: number;
  /** Every float32 initializer (the model file's tensors). */
  readonly tensors: Map<string, TensorData>;
  readonly trainable: readonly string[];
  readonly head: readonly string[];
  readonly featureShape: readonly number[];
  /** [H, W] the graph was checked at (the model file's size). */
  readonly inputSize: readonly [number, number];
  /** Number of BatchNormalization nodes (0: only stvm.bn.mode 'frozen-source' applies). */
  readonly bnLayers: number;
  /** Warnings for the user (e.g. BN folded). */
  readonly warnings: string[];
}

/**
 * Validates an ONNX file as an adaptable segmentation network at input [1,3,h,w]: opset,
 * one image input, the classifier, the feature tensor, gradients to every trainable weight.
 * Throws ImportedNetError / ImportError with a message for the user.
 */
export function analyzeImport(bytes: Uint8Array, h: number | undefined, w: number | undefined, features?: string): AnalyzedImport {
  const dec = decodeModel(bytes);
  const init = new Set(dec.graph.initializers.keys());
  const inputs = dec.graph.inputs.filter((i) => !init.has(i.name));
  if (inputs.length !== 1) throw new ImportedNetError(`a segmentation model must have one image input (this one has ${inputs.length}: ${inputs.map((i) => i.name).join(', ')})`);
  const inp = inputs[0]!;
  const decl = inp.shape;
  if (!decl || decl.length !== 4) throw new ImportedNetError(`input '${inp.name}' must be [N,3,H,W] (declared ${JSON.stringify(decl)})`);
  const fixed = (d: unknown): number | undefined => (typeof d === 'number' && d > 0 ? d : undefined);
  if (decl[1] !== undefined && fixed(decl[1]) !== undefined && decl[1] !== 3) throw new ImportedNetError(`input '${inp.name}' has ${String(decl[1])} channels; an RGB image model takes 3`);
  if (fixed(decl[1]) === undefined) throw new ImportedNetError(`input '${inp.name}' dimension 1 (channels) is dynamic (${JSON.stringify(decl[1])}); export the model with 3 fixed input channels`);
  const dimName = (d: unknown) => (typeof d === 'string' ? `'${d}'` : 'dynamic');
  const H = fixed(decl[2]) ?? h;
  const W = fixed(decl[3]) ?? w;
  if (H === undefined || W === undefined) {
    const which = [H === undefined ? `height (dimension 2, ${dimName(decl[2])})` : '', W === undefined ? `width (dimension 3, ${dimName(decl[3])})` : ''].filter(Boolean).join(' and ');
    throw new ImportedNetError(`input '${inp.name}' has a dynamic ${which} and no size was given: pass --input-size WxH`);
  }
  if (h !== undefined && fixed(decl[2]) !== undefined && h !== decl[2]) throw new ImportedNetError(`--input-size height ${h} differs from the model's fixed height ${String(decl[2])}`);
  if (w !== undefined && fixed(decl[3]) !== undefined && w !== decl[3]) throw new ImportedNetError(`--input-size width ${w} differs from the model's fixed width ${String(decl[3])}`);
  const out = dec.graph.outputs[0];
  if (!out) throw new ImportedNetError('the model has no output');
  // the opset check and the import at the fixed size
  const probe = importModel(bytes, { inputShapes: { [inp.name]: [1, 3, H, W] } });
  const cls = findClassifier(probe.builder, probe.outputs[0]!);
  const meta: ImportedNetMeta = { format: 'onnx', input: inp.name, output: probe.outputs[0]!, features: features ?? cls.input, opset: probe.opset };
  const { g, model } = buildImportedNet(bytes, meta, 1, H, W, 'import_check', { checkGradients: true });
  const warnings: string[] = [];
  const count = (op: string) => g.graph.nodes.filter((n) => n.op === op).length;
  const bnLayers = count('BatchNormalization');
  const layerNorms = count('LayerNormalization');
  if (bnLayers === 0 && layerNorms > 0) {
    // a transformer: LayerNorm is its normalisation, nothing was folded
    warnings.push(`the model has no BatchNormalization node; it normalises with LayerNormalization (${layerNorms} nodes): adapt it with stvm.bn.mode 'frozen-source' (the default 'adabn-train' and the other BN modes need BN), STvM then adapts its Conv/Gemm/Linear weights; AdaBN and TENT have nothing to adapt`);
  } else if (bnLayers === 0) {
    const biased = g.graph.nodes.filter((n) => n.op === 'Conv' && n.inputs[2] && !n.outputs.includes(model.logits)).length;
    warnings.push(`the model has no BatchNormalization node${biased > 0 ? ` (its convolutions carry biases where BN would be: ${biased} besides the classifier)` : ''}: BN was probably folded into the convolutions by an eval-mode export. `
      + `STvM still adapts the convolutions (with stvm.bn.mode 'frozen-source'), but AdaBN and TENT have nothing to adapt. To keep BN, re-export with ${REEXPORT_HINT}`);
  }
  const tensors = new Map<string, TensorData>();
  for (const p of model.params.all) tensors.set(p.name, g.graph.initializers.get(p.name)!);
  return {
    meta, numClasses: g.shape(model.logits)[1]!, tensors, trainable: model.params.trainable, head: model.params.head,
    featureShape: g.shape(model.features), inputSize: [H, W], bnLayers, warnings,
  };
}
