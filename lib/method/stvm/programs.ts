/**
 * The compiled programs of a self-training run (stvm-method.md, "Algorithm"). Shapes: batch
 * N, crop H×W, classes C, feature map h×w (stride 8), feature channels F, embedding D,
 * locations M = N·h·w.
 *
 * Teacher side (one runner: teacher weights θ_t, metric head m, proxies, AdamW state):
 * - teacherEval:  image [N,3,H,W] → 'labels_feat' ŷ [N,h,w] uint8 (argmax of the stride-8
 *                 logits), 'labels' ŷ [N,H,W] uint8 and 'confidence' q = max_c softmax [N,H,W]
 *                 from the logits upsampled to the crop, 'features' f [N,F,h,w]; optionally
 *                 'probs' softmax [N,C,H,W]. No gradient: θ_t only changes through the EMA.
 * - metricStep:   features f, 'onehot' Y [M,C] (from ŷ at feature resolution), 'valid' [M,1]
 *                 → e = normalize(m(f)) as E [M,D], L_metric = ProxyAnchor(E, Y, valid;
 *                 proxies); AdamW on m (lr×1) and the proxies (lr×proxyLrMult); extra output
 *                 'sim' S [M,C] = cos(e_i, p_c) before the update (the reliability's input).
 * - ema:          θ_t ← α·θ_t + (1−α)·θ_s for every EMA tensor (NetParams.all: with train-mode
 *                 BN also every BN's γ, β and running statistics): data inputs α and
 *                 'student/<p>', state slots θ_t with `next` outputs (the executor commits them).
 * Student side (θ_s and its SGD state):
 * - studentStep:  image x̃ [N,3,H,W], 'labels' ỹ [N,H,W] int64 (255 ignored), 'weights' r̃
 *                 [N,H,W] → L = (1/N_v) Σ_i r̃_i·CE(S(x̃)_i, ỹ_i) over the N_v valid pixels
 *                 ('valid-pixels', row 8) or Σ_i r̃_i·CE_i / Σ_i r̃_i ('weight-sum');
 *                 SGD, groups backbone ×1 / head ×headLrMult. With the un-mixed loss (row 13)
 *                 the batch is [x̃; x] (2N images) and L = L(x̃ half) + L(x half).
 * Both sides:
 * - predict:      image [n,3,h',w'] → 'pred' [n,h',w'] uint8 (argmax of the upsampled logits).
 */
import { compileEval, compileTrainStep, type CompiledGraph } from '../../engine/compile/index.js';
import { GraphBuilder } from '../../engine/ir/builder.js';
import { tensor, type TensorData } from '../../engine/ir/tensor.js';
import { softmaxCrossEntropy } from '../../engine/losses/cross-entropy.js';
import { buildMetricHead, metricHeadSpec, type SegModel } from '../../engine/models/index.js';
import { normalArray } from '../../engine/models/layers.js';
import { Rng } from '../../data/rng.js';
import { proxyAnchorLoss } from './proxy-anchor.js';
import type { StvmConfig } from './config.js';
import { buildNet, isBnParam, type NetSource } from './net.js';
import { informationMaximisation } from '../../engine/losses/information-maximisation.js';

export const PROXIES = 'metric.proxies';
const UINT8 = 2;

/**
 * Names of the network's tensors that the runs move: `all` = the EMA's tensors (what the
 * student hands out and the teacher averages), `trainable` = what the student's optimiser
 * steps (by group), `buffers` = train-mode BN running statistics. Frozen BN: all = trainable
 * = the convolutions, no buffers. Train-mode BN (net.ts): all = convolutions + every BN's
 * γ, β, running mean and variance; trainable = convolutions + γ, β; buffers = the running
 * statistics.
 */
export interface NetParams {
  readonly backbone: readonly string[];
  readonly head: readonly string[];
  readonly all: readonly string[];
  readonly trainable: readonly string[];
  readonly buffers: readonly string[];
  readonly shapes: ReadonlyMap<string, readonly number[]>;
  /** Feature channels F and the feature map size (h, w) of a crop. */
  readonly featureChannels: number;
  readonly featureSize: readonly [number, number];
}

function netParams(model: SegModel, g: GraphBuilder, src: NetSource): NetParams {
  const fs = g.shape(model.features);
  const bnState = src.bn === 'train';
  const isStat = (role: string) => role === 'bn_running_mean' || role === 'bn_running_var';
  return {
    backbone: model.params.backbone,
    head: model.params.head,
    all: bnState ? model.params.all.filter((p) => p.trainable || isBnParam(p)).map((p) => p.name) : model.params.trainable,
    trainable: model.params.trainable,
    buffers: bnState ? model.params.all.filter((p) => isStat(p.role)).map((p) => p.name) : [],
    shapes: new Map(model.params.all.map((p) => [p.name, p.shape])),
    featureChannels: model.featureChannels,
    featureSize: [fs[2]!, fs[3]!],
  };
}

/** compileEval's state of an eval-mode build: the EMA tensors (running statistics as buffers). */
function evalState(p: NetParams): { params: string[]; buffers: string[] } {
  const buf = new Set(p.buffers);
  return { params: p.all.filter((x) => !buf.has(x)), buffers: [...p.buffers] };
}

const argmaxU8 = (g: GraphBuilder, x: string, name: string) => g.op1('Cast', [g.op1('ArgMax', [x], { axis: 1, keepdims: 0 })], { to: UINT8 }, { outputName: name });

export interface TeacherEvalOptions {
  /** Also output the softmax probabilities [N,C,H,W] (weightings that need them). */
  readonly probs?: boolean;
}

/** Teacher forward at the crop shape (see the file comment). */
export function teacherEvalProgram(src: NetSource, n: number, h: number, w: number, opts: TeacherEvalOptions = {}): { compiled: CompiledGraph; params: NetParams } {
  const { g, model } = buildNet(src, n, h, w, 'teacher');
  const full = model.logitsFull!;
  argmaxU8(g, model.logits, 'labels_feat');
  argmaxU8(g, full, 'labels');
  // q = max_c softmax(z)_c = 1 / Σ_c exp(z_c − max_c z) (no transposes, unlike Softmax on axis 1)
  const mx = g.op1('ReduceMax', [full], { axes: [1], keepdims: 1 });
  const ex = g.op1('Exp', [g.op1('Sub', [full, mx])]);
  const se = g.op1('ReduceSum', [ex, g.constI64([1])], { keepdims: 1 });
  g.op1('Reshape', [g.op1('Reciprocal', [se]), g.constI64([n, h, w])], {}, { outputName: 'confidence' });
  if (opts.probs) g.op1('Div', [ex, se], {}, { outputName: 'probs' });
  g.op1('Identity', [model.features], {}, { outputName: 'features' });
  const outputs = ['labels_feat', 'labels', 'confidence', 'features', ...(opts.probs ? ['probs'] : [])];
  const params = netParams(model, g, src);
  const compiled = compileEval(g, { ...evalState(params), outputs, name: 'teacher_eval' });
  return { compiled, params };
}

/** Label prediction at any input shape (teacher or student weights, same names). */
export function predictProgram(src: NetSource, n: number, h: number, w: number): CompiledGraph {
  const { g, model } = buildNet(src, n, h, w, 'predict');
  argmaxU8(g, model.logitsFull!, 'pred');
  return compileEval(g, { ...evalState(netParams(model, g, src)), outputs: ['pred'], name: 'predict' });
}

/** The forward graph and its output (upsampled logits [n,C,h,w]), for exporting the inference model. */
export function inferenceForward(src: NetSource, n: number, h: number, w: number): { g: GraphBuilder; model: SegModel; outputs: string[] } {
  const { g, model } = buildNet(src, n, h, w, 'deeplab');
  return { g, model, outputs: [model.logitsFull!] };
}

export interface StudentStepOptions {
  readonly normaliser: 'valid-pixels' | 'weight-sum';
  /**
   * The batch holds `groups` consecutive groups of N images (1: the mixed batch; 2: mixed then
   * un-mixed, row 13), each with its own normaliser; the loss is the sum over the groups.
   * Default 1. (A group whose labels are all 255 adds 0 to the loss: the un-mixed images that
   * only give the BN statistics, `bnStatsGroup`.)
   */
  readonly groups?: number;
  /**
   * Train-mode BN (src.bn 'train'): every BN normalises the whole batch with the batch
   * statistics of this group's images (stvm.bn.statsFrom 'unmixed': group 1 of [x̃; x]);
   * undefined: the statistics of the whole batch (ordinary train-mode BN).
   */
  readonly bnStatsGroup?: number;
  /**
   * Information maximisation on the student's predictions for the first group's images
   * (stvm.regularisers; lib/engine/losses/information-maximisation.ts):
   * L += λ_ent·L_ent + λ_div·L_div. Absent or both 0: no term (the graph is unchanged).
   */
  readonly im?: { readonly entropy: number; readonly diversity: number };
}

/**
 * Student training step at the crop shape (see the file comment). With G groups the network
 * runs on G·n images and L = Σ_g L_g, each L_g normalised over its own images; with the
 * information-maximisation option L += λ_ent·L_ent(S(x̃)) + λ_div·L_div(S(x̃)) (extra outputs
 * 'im_entropy', 'im_diversity'). Train-mode BN (src.bn 'train'): the optimiser also steps
 * every BN's γ, β (group backbone, like the convolutions around them) and the step updates
 * the running statistics (buffers) with the source BN momentum.
 */
export function studentStepProgram(src: NetSource, n: number, h: number, w: number, cfg: StvmConfig['student'], opts: StudentStepOptions): { compiled: CompiledGraph; params: NetParams } {
  const G = opts.groups ?? 1;
  const nb = G * n;
  if (opts.bnStatsGroup !== undefined && !(Number.isInteger(opts.bnStatsGroup) && opts.bnStatsGroup >= 0 && opts.bnStatsGroup < G)) {
    throw new Error(`studentStepProgram: bnStatsGroup ${opts.bnStatsGroup} is not one of the ${G} groups`);
  }
  const { g, model } = buildNet(src, nb, h, w, 'student', { train: true, ...(opts.bnStatsGroup !== undefined ? { bnStatsRows: [opts.bnStatsGroup * n, n] as const } : {}) });
  const labels = g.input('labels', 'int64', [nb, h, w]);
  const weights = g.input('weights', 'float32', [nb, h, w]);
  const ce = softmaxCrossEntropy(g, model.logitsFull!, labels, { weights });
  let loss: string;
  if (opts.normaliser === 'weight-sum' && G === 1) loss = ce.loss;
  else {
    // per group g: L_g = Σ_{i∈g} w_i v_i CE_i / max(Σ_{i∈g} v_i, 1)    ('valid-pixels', w constant)
    //              or   Σ_{i∈g} w_i v_i CE_i / max(Σ_{i∈g} w_i v_i, 1e-12)   ('weight-sum')
    const valid = g.op1('Cast', [g.op1('Not', [g.op1('Equal', [labels, g.constI64([255], [])])])], { to: 1 });
    const v4 = g.op1('Reshape', [valid, g.constI64([G, n, h, w])]);
    const omega = g.op1('Mul', [g.op1('Reshape', [weights, g.constI64([G, n, h, w])]), v4]);
    const perPixel = g.op1('Reshape', [ce.perPixel, g.constI64([G, n, h, w])]);
    const axes = g.constI64([1, 2, 3]);
    const num = g.op1('ReduceSum', [g.op1('Mul', [perPixel, omega]), axes], { keepdims: 0 });
    const den = opts.normaliser === 'weight-sum'
      ? g.op1('Max', [g.op1('ReduceSum', [omega, axes], { keepdims: 0 }), g.constF32(1e-12)])
      : g.op1('Max', [g.op1('ReduceSum', [v4, axes], { keepdims: 0 }), g.constF32(1)]);
    loss = g.op1('ReduceSum', [g.op1('Div', [num, den]), g.constI64([0])], { keepdims: 0 }, { name: 'student_loss' });
  }
  const extras: string[] = [];
  const im = opts.im;
  if (im && (im.entropy > 0 || im.diversity > 0)) {
    const z = G === 1 ? model.logitsFull! : g.op1('Slice', [model.logitsFull!, g.constI64([0]), g.constI64([n]), g.constI64([0])], {}, { name: 'im.first_group' });
    const r = informationMaximisation(g, z, 'im');
    extras.push(g.op1('Identity', [r.entropy], {}, { outputName: 'im_entropy' }), g.op1('Identity', [r.diversity], {}, { outputName: 'im_diversity' }));
    const terms = [loss];
    if (im.entropy > 0) terms.push(g.op1('Mul', [r.entropy, g.constF32(im.entropy)]));
    if (im.diversity > 0) terms.push(g.op1('Mul', [r.diversity, g.constF32(im.diversity)]));
    loss = g.op1('Sum', terms, {}, { name: 'student_total_loss' });
  }
  const compiled = compileTrainStep(g, {
    loss,
    groups: [{ params: model.params.backbone }, { params: model.params.head, lrMult: cfg.headLrMult }],
    optimizer: { kind: 'sgd', momentum: cfg.momentum, weightDecay: cfg.weightDecay },
    ...(extras.length > 0 ? { extras } : {}),
    ...(model.bnUpdates.length > 0 ? { buffers: model.bnUpdates.flatMap((u) => [{ name: u.mean, from: u.newMean }, { name: u.var, from: u.newVar }]) } : {}),
    statePrefix: 'optim',
    name: 'student_step',
  });
  return { compiled, params: netParams(model, g, src) };
}

/**
 * Proxies p_1..p_C ∈ R^D: Kaiming-normal with mode fan_out (torch.nn.init.kaiming_normal_ on a
 * [C, D] tensor: fan_out = C, std = √(2/C)), seeded by (seed, 'metric.proxies').
 */
export function initProxies(c: number, d: number, seed: number): TensorData {
  return tensor('float32', [c, d], normalArray(new Rng([seed, 'init', PROXIES]), c * d, Math.sqrt(2 / c)));
}

export interface MetricProgramShape {
  readonly n: number;
  readonly featureChannels: number;
  readonly featureSize: readonly [number, number];
  readonly numClasses: number;
}

/** Metric step at a feature-map shape (see the file comment). */
export function metricStepProgram(shape: MetricProgramShape, cfg: StvmConfig['metric'], seed: number): CompiledGraph {
  const { n, featureChannels: f, numClasses: c } = shape;
  const [h, w] = shape.featureSize;
  const m = n * h * w;
  const g = new GraphBuilder('metric');
  const feats = g.input('features', 'float32', [n, f, h, w]);
  const onehot = g.input('onehot', 'float32', [m, c]);
  const valid = g.input('valid', 'float32', [m, 1]);
  const head = buildMetricHead(g, feats, metricHeadSpec({ inChannels: f, hidden: cfg.hidden, embedDim: cfg.dim, seed }));
  const emb = g.op1('Reshape', [g.op1('Transpose', [head.embedding], { perm: [0, 2, 3, 1] }), g.constI64([m, cfg.dim])], {}, { name: 'embeddings' });
  const proxies = g.initializer(PROXIES, initProxies(c, cfg.dim, seed));
  const pa = proxyAnchorLoss(g, emb, proxies, onehot, valid, cfg.alpha, cfg.delta);
  const sim = g.op1('Identity', [pa.sim], {}, { outputName: 'sim' });
  return compileTrainStep(g, {
    loss: pa.loss,
    groups: [{ params: head.params.trainable }, { params: [proxies], lrMult: cfg.proxyLrMult }],
    optimizer: { kind: 'adamw', weightDecay: cfg.weightDecay },
    extras: [sim],
    buffers: head.bnUpdates.flatMap((u) => [{ name: u.mean, from: u.newMean }, { name: u.var, from: u.newVar }]),
    statePrefix: 'metric-optim',
    name: 'metric_step',
  });
}

/**
 * The EMA as a program on the teacher runner: θ_t ← α·θ_t + (1−α)·θ_s for each parameter.
 * Data inputs: 'alpha' (float32 scalar) and 'student/<p>'; state: each teacher parameter p,
 * committed from 'next/<p>'.
 */
export function emaProgram(params: NetParams): CompiledGraph {
  const g = new GraphBuilder('ema');
  const alpha = g.input('alpha', 'float32', []);
  const beta = g.op1('Sub', [g.constF32(1), alpha]);
  const data = [g.info(alpha)];
  const state = [];
  const initialState = new Map<string, TensorData>();
  for (const p of params.all) {
    const shape = params.shapes.get(p)!;
    const t = g.input(p, 'float32', shape);
    const s = g.input(`student/${p}`, 'float32', shape);
    data.push(g.info(s));
    const next = g.op1('Add', [g.op1('Mul', [t, alpha]), g.op1('Mul', [s, beta])], {}, { outputName: `next/${p}` });
    g.output(next);
    state.push({ name: p, role: 'param' as const, dtype: 'float32' as const, shape: [...shape], next });
    initialState.set(p, tensor('float32', shape));
  }
  return { graph: g.graph, signature: { kind: 'eval', data, state, outputs: {} }, initialState };
}
