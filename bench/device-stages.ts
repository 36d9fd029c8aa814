/**
 * The stages of bench/device-check.ts that run in child processes (each time-boxed by the
 * parent): the provider probe, node placement, the GPU-vs-CPU agreement checks and the engine
 * side of the benchmarks. Each returns plain JSON.
 *
 *   agree-net   small DeepLab (bench/nets NET_CASES small_frozen, small_train: 2×3×64×64, seeded
 *               BN): one training step on the provider and on the CPU provider — loss, logits,
 *               features, EVERY gradient ('grad/<p>') and every state tensor after the step
 *   agree-mix   the in-graph ClassMix (lib/method/stvm/mix-program.ts) on the provider against the
 *               TypeScript mixing (mixing.ts mixBatch): every output bitwise
 *   agree-stvm  two STvM iterations (StvmAlgorithm: TeacherCore + StudentSide, tiny DeepLab) on the
 *               provider and on the CPU: student, teacher, metric network, the loop's metrics
 * The method and data code (lib/method, lib/data transforms) is imported dynamically by the
 * stages that use it, so that a break there fails those stages only, never the benchmarks.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ImageU8 } from '../lib/data/transforms/types.js';
import { Rng } from '../lib/util/rng.js';
import { compileTrainStep, type CompiledGraph } from '../lib/engine/compile/index.js';
import { GraphBuilder } from '../lib/engine/ir/builder.js';
import { tensor, type TensorData } from '../lib/engine/ir/tensor.js';
import { softmaxCrossEntropy } from '../lib/engine/losses/cross-entropy.js';
import { deeplabV2Spec, smallDeepLabSpec } from '../lib/engine/models/index.js';
import { encodeModel } from '../lib/engine/onnx/encode.js';
import { chooseProvider, sessionOptions, toProgram, TrainStepRunner, type ExecutionProvider } from '../lib/engine/runtime/index.js';
import { verifyCuda } from '../lib/engine/runtime/gpu-verify.js';
import type { MixProgramOptions, MixSelect } from '../lib/method/stvm/mix-program.js';
import type { TeacherView } from '../lib/method/weighting/registry.js';
import { buildBenchCase, compileBenchStep, convMacs, type BenchCase } from './engine-cases.js';
import { buildCase, netCase } from './nets/net-case.js';
import { serveSteps } from './step-server.js';
import { CROP, TINY_SPEC, tinyTargets } from './nets/tiny-stvm.js';

// ---------------------------------------------------------------------------------------------
// benchmark cases (issue 10): the full sizes, and the shrunken ones of the CPU dry run

export interface DeviceCase extends BenchCase { readonly small: [number, number, number] }

export const DEVICE_CASES: Readonly<Record<string, DeviceCase>> = {
  small8: { name: 'small DeepLab (ResNet-18-like, OS8, frozen BN) 8x3x180x240', spec: smallDeepLabSpec({ numClasses: 11, upsampleLogits: true }), batch: [8, 180, 240], small: [8, 45, 60] },
  r101: { name: 'DeepLab-v2 ResNet-101 (OS8, frozen BN) 1x3x512x1024', spec: deeplabV2Spec({ numClasses: 19, upsampleLogits: true }), batch: [1, 512, 1024], small: [1, 64, 128] },
  r101b2: { name: 'DeepLab-v2 ResNet-101 (OS8, frozen BN) 2x3x512x1024', spec: deeplabV2Spec({ numClasses: 19, upsampleLogits: true }), batch: [2, 512, 1024], small: [2, 64, 128] },
};

export type Size = 'full' | 'small';

export function caseFor(key: string, size: Size): BenchCase {
  const c = DEVICE_CASES[key];
  if (c === undefined) throw new Error(`unknown case '${key}' (known: ${Object.keys(DEVICE_CASES).join(', ')})`);
  const batch = size === 'full' ? c.batch : c.small;
  return { name: size === 'full' ? c.name : `${c.name.replace(/ \d+x3x\d+x\d+$/, '')} ${batch[0]}x3x${batch[1]}x${batch[2]} (dry-run size)`, spec: c.spec, batch };
}

// ---------------------------------------------------------------------------------------------
// probe and placement

export async function stageProbe(provider: ExecutionProvider, threads: number): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const out: Record<string, unknown> = {};
  try {
    const c = await chooseProvider(provider, 'error', () => undefined, threads);
    out['ok'] = true;
    out['provider'] = c.provider;
  } catch (e) {
    out['ok'] = false;
    out['error'] = (e as Error).message;
  }
  out['ms'] = performance.now() - t0;
  if (provider === 'cuda') out['verify'] = verifyCuda(0, 90000);
  return out;
}

/**
 * Creates sessions of the small DeepLab training step and of the mixing program on the provider
 * with onnxruntime's verbose log on, so that its "Node(s) placed on [EP]" lines (which nodes
 * fall back to the CPU) reach stderr; the parent parses them (parsePlacement).
 */
export async function stagePlacement(provider: ExecutionProvider, threads: number): Promise<Record<string, unknown>> {
  ort.env.logLevel = 'verbose';
  const models: [string, Uint8Array][] = [];
  const b = buildBenchCase(caseFor('small8', 'small'));
  models.push(['small DeepLab training step', toProgram('step', compileBenchStep(b)).model]);
  try {
    const { mixProgram } = await import('../lib/method/stvm/mix-program.js');
    models.push(['ClassMix program', toProgram('mix', mixProgram(2, 8, 8, 5, { reliability: true, probs: true })).model]);
  } catch (e) {
    process.stderr.write(`placement: no ClassMix program (${(e as Error).message})\n`);
  }
  const res: Record<string, unknown> = {};
  for (const [name, model] of models) {
    process.stderr.write(`\n@@placement-begin ${name}\n`);
    const t0 = performance.now();
    try {
      const s = await ort.InferenceSession.create(model, { ...sessionOptions(provider, threads), logSeverityLevel: 0 });
      await s.release();
      res[name] = { ok: true, session_ms: performance.now() - t0 };
    } catch (e) {
      res[name] = { ok: false, error: (e as Error).message };
    }
    process.stderr.write(`\n@@placement-end ${name}\n`);
  }
  return res;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** Node counts per execution provider and the op types placed on the CPU, from a verbose ORT log. */
export interface Placement { counts: Record<string, number>; cpu_ops: Record<string, number>; no_kernel: string[] }

export function parsePlacement(log: string): Record<string, Placement> {
  const out: Record<string, Placement> = {};
  const text = log.replace(ANSI, '');
  const re = /@@placement-begin (.+)\n([\s\S]*?)@@placement-end \1/g;
  for (const m of text.matchAll(re)) {
    const counts: Record<string, number> = {};
    const cpuOps: Record<string, number> = {};
    let current: string | undefined;
    const noKernel = new Set<string>();
    for (const line of m[2]!.split('\n')) {
      // "… GetCapability] CUDA kernel not found in registries for Op type: X node name: …"
      const nk = /kernel not found in registries for Op type: (\w+)/.exec(line);
      if (nk) noKernel.add(nk[1]!);
      // onnxruntime (session_state.cc VerifyEachNodeIsAssignedToAnEp), verbose:
      //   "… VerifyEachNodeIsAssignedToAnEp]  All nodes placed on [EP]. Number of nodes: N", or per EP
      //   "… VerifyEachNodeIsAssignedToAnEp]  Node(s) placed on [EP]. Number of nodes: N" then "…]   OpType (node name)"
      const at = line.indexOf('VerifyEachNodeIsAssignedToAnEp]');
      if (at < 0) continue;
      const rest = line.slice(at + 'VerifyEachNodeIsAssignedToAnEp]'.length);
      const h = /placed on \[(\w+)\]\. Number of nodes: (\d+)/.exec(rest);
      if (h) {
        current = h[1]!;
        counts[current] = (counts[current] ?? 0) + Number(h[2]);
        continue;
      }
      const op = /^\s+([\w.]+) \(/.exec(rest);
      if (op && current === 'CPUExecutionProvider') cpuOps[op[1]!] = (cpuOps[op[1]!] ?? 0) + 1;
    }
    out[m[1]!] = { counts, cpu_ops: cpuOps, no_kernel: [...noKernel].sort() };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// comparisons

export interface TensorErr { name: string; err: number; max_ref: number; n: number }

/** max|a−b| / max(max|b|, ‖b‖₂/√n, 1e-30), with NaN where only one side is finite. */
export function relErr(a: TensorData, b: TensorData): TensorErr & { name: '' } {
  const x = a.data, y = b.data;
  if (x.length !== y.length) return { name: '', err: Infinity, max_ref: NaN, n: y.length };
  let num = 0, maxRef = 0, ss = 0;
  for (let i = 0; i < y.length; i++) {
    const u = Number(x[i]), v = Number(y[i]);
    if (Number.isFinite(u) !== Number.isFinite(v)) return { name: '', err: Infinity, max_ref: NaN, n: y.length };
    if (!Number.isFinite(v)) continue;
    num = Math.max(num, Math.abs(u - v));
    maxRef = Math.max(maxRef, Math.abs(v));
    ss += v * v;
  }
  const den = Math.max(maxRef, Math.sqrt(ss / Math.max(1, y.length)), 1e-30);
  return { name: '', err: num / den, max_ref: maxRef, n: y.length };
}

function summarise(errs: TensorErr[], tol: number): { tensors: number; over_tol: number; worst: TensorErr[]; ok: boolean } {
  const sorted = [...errs].sort((p, q) => q.err - p.err);
  const over = errs.filter((e) => !(e.err <= tol)).length;
  return { tensors: errs.length, over_tol: over, worst: sorted.slice(0, 8), ok: over === 0 && errs.length > 0 };
}

async function startRunner(provider: ExecutionProvider, threads: number): Promise<TrainStepRunner> {
  return TrainStepRunner.start({ provider, fallback: 'error', threads, inThread: true, nonFinite: 'skip' });
}

// ---------------------------------------------------------------------------------------------
// agree-net

function netStep(name: string): { step: CompiledGraph; feeds: Record<string, TensorData> } {
  const { g, model, batch } = buildCase(netCase(name));
  const labels = g.input('labels', 'int64', batch.labels.shape);
  const weights = g.input('weights', 'float32', batch.weights.shape);
  const ce = softmaxCrossEntropy(g, model.logitsFull!, labels, { weights });
  const step = compileTrainStep(g, {
    loss: ce.loss,
    seeds: [{ value: model.logitsFull!, grad: ce.dLogits }],
    groups: [{ params: model.params.backbone }, { params: model.params.head, lrMult: 10 }],
    optimizer: { kind: 'sgd', momentum: 0.9, weightDecay: 5e-4 },
    buffers: model.bnUpdates.flatMap((u) => [{ name: u.mean, from: u.newMean }, { name: u.var, from: u.newVar }]),
    outputGrads: true,
    extras: [model.logits, model.features],
  });
  return { step, feeds: { image: batch.image, labels: batch.labels, weights: batch.weights } };
}

export async function stageAgreeNet(provider: ExecutionProvider, threads: number, tol: number): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { tol, measure: 'max|x−x_cpu| / max(max|x_cpu|, rms(x_cpu)) per tensor' };
  let allOk = true;
  for (const name of ['small_frozen', 'small_train']) {
    const { step, feeds } = netStep(name);
    const res: Record<string, { loss: number; outputs: Record<string, TensorData>; state: Map<string, TensorData>; provider: string; ms: number }> = {};
    for (const [side, p] of [['dev', provider], ['cpu', 'cpu']] as const) {
      const r = await startRunner(p, threads);
      try {
        await r.addProgram('step', step, { initState: true });
        const t0 = performance.now();
        const s = await r.trainStep('step', feeds, { lr: 0.01, transfer: false });
        res[side] = { loss: s.loss, outputs: s.outputs, state: await r.getState(), provider: r.provider, ms: performance.now() - t0 };
      } finally {
        await r.close();
      }
    }
    const dev = res['dev']!, cpu = res['cpu']!;
    const lossErr = Math.abs(dev.loss - cpu.loss) / Math.max(Math.abs(cpu.loss), 1e-30);
    const by: Record<string, TensorErr[]> = { forward: [], gradients: [], state_after_step: [] };
    for (const [k, v] of Object.entries(cpu.outputs)) {
      const e = { ...relErr(dev.outputs[k]!, v), name: k };
      (k.startsWith('grad/') ? by['gradients']! : by['forward']!).push(e);
    }
    for (const [k, v] of cpu.state) by['state_after_step']!.push({ ...relErr(dev.state.get(k)!, v), name: k });
    const kinds = Object.fromEntries(Object.entries(by).map(([k, v]) => [k, summarise(v, tol)]));
    const ok = lossErr <= tol && Object.values(kinds).every((s) => s.ok);
    allOk &&= ok;
    out[name] = {
      ok, provider: dev.provider, loss: { device: dev.loss, cpu: cpu.loss, rel_err: lossErr },
      gradients_checked: by['gradients']!.length, ...kinds, first_step_ms: { device: dev.ms, cpu: cpu.ms },
    };
  }
  out['ok'] = allOk;
  return out;
}

// ---------------------------------------------------------------------------------------------
// agree-mix

const SPECIAL = [NaN, Infinity, -Infinity, -0, 0, 1e-45, 3.4e38];

function bitsEqual(a: ArrayBufferView, b: ArrayBufferView): { equal: boolean; differing: number } {
  const x = Buffer.from(a.buffer, a.byteOffset, a.byteLength), y = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (x.length !== y.length) return { equal: false, differing: Math.max(x.length, y.length) };
  let d = 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) d++;
  return { equal: d === 0, differing: d };
}

export async function stageAgreeMix(provider: ExecutionProvider, threads: number): Promise<Record<string, unknown>> {
  const { normalizePreset, writeCHW } = await import('../lib/data/transforms/normalize.js');
  const { mixBatch } = await import('../lib/method/stvm/mixing.js');
  const { mixProgram } = await import('../lib/method/stvm/mix-program.js');
  const { maskOfClasses } = await import('../lib/method/stvm/mocm.js');
  const norm = normalizePreset('imagenet');
  const normalised = (images: readonly ImageU8[], h: number, w: number): Float32Array => {
    const x = new Float32Array(images.length * 3 * h * w);
    images.forEach((img, i) => writeCHW(img, x, i * 3 * h * w, norm));
    return x;
  };
  const runner = await startRunner(provider, threads);
  const cases: Record<string, unknown>[] = [];
  let allOk = true;
  try {
    const variants: { select: MixSelect; opts: MixProgramOptions }[] = [
      { select: 'gather', opts: { reliability: true, probs: true } },
      { select: 'gather', opts: { labels: 'int64', classes: 'bool', reliability: true } },
      { select: 'where', opts: { reliability: true, probs: true } },
    ];
    let k = 0;
    for (const { select, opts } of variants) {
      const n = 3, h = 17, w = 23, c = 7, plane = h * w;
      const rng = new Rng(['device-check', 'mix', k]);
      const special = select === 'where' ? SPECIAL.filter((v) => !Object.is(v, -0)) : SPECIAL;
      const floats = (len: number) => Float32Array.from({ length: len }, () => (rng.float() < 0.1 ? special[rng.int(special.length)]! : rng.range(-2, 2)));
      const raw: ImageU8[] = Array.from({ length: n }, () => ({ width: w, height: h, channels: 3 as const, data: Uint8Array.from({ length: 3 * plane }, () => rng.int(256)) }));
      const view: Required<TeacherView> = {
        n, height: h, width: w, numClasses: c,
        labels: Uint8Array.from({ length: n * plane }, () => (rng.float() < 0.2 ? 255 : rng.int(c))),
        confidence: floats(n * plane), reliability: floats(n * plane), probs: floats(n * c * plane),
      };
      const ref = mixBatch(raw, view, 'classmix-random', rng.fork('mix-ref'));
      const multiHot = new Float32Array(n * c);
      ref.chosen.forEach((cls, a) => { for (const cl of cls) multiHot[a * c + cl] = 1; });
      const key = `mix${k++}`;
      await runner.addProgram(key, mixProgram(n, h, w, c, { ...opts, select }));
      const feeds: Record<string, TensorData> = {
        labels: opts.labels === 'int64' ? tensor('int64', [n, h, w], BigInt64Array.from(view.labels, (v) => BigInt(v))) : tensor('uint8', [n, h, w], view.labels),
        classes: opts.classes === 'bool' ? tensor('bool', [n, c], Uint8Array.from(multiHot)) : tensor('float32', [n, c], multiHot),
        image: tensor('float32', [n, 3, h, w], normalised(raw, h, w)),
        confidence: tensor('float32', [n, h, w], view.confidence),
        ...(opts.reliability ? { reliability: tensor('float32', [n, h, w], view.reliability) } : {}),
        ...(opts.probs ? { probs: tensor('float32', [n, c, h, w], view.probs) } : {}),
      };
      const got = await runner.run(key, feeds, { transfer: false });
      const mask = new Uint8Array(n * plane);
      for (let a = 0; a < n; a++) mask.set(maskOfClasses(view.labels.subarray(a * plane, (a + 1) * plane), ref.chosen[a]!), a * plane);
      const checks: Record<string, { equal: boolean; differing: number }> = {
        mask: bitsEqual(got['mask']!.data, mask),
        image_mixed: bitsEqual(got['image_mixed']!.data, normalised(ref.images, h, w)),
        labels_mixed: bitsEqual(got['labels_mixed']!.data, opts.labels === 'int64' ? BigInt64Array.from(ref.view.labels, (v) => BigInt(v)) : ref.view.labels),
        confidence_mixed: bitsEqual(got['confidence_mixed']!.data, ref.view.confidence),
        mixed_fraction: bitsEqual(got['mixed_fraction']!.data, Float32Array.of(ref.mixedFraction)),
      };
      if (opts.reliability) checks['reliability_mixed'] = bitsEqual(got['reliability_mixed']!.data, ref.view.reliability!);
      if (opts.probs) checks['probs_mixed'] = bitsEqual(got['probs_mixed']!.data, ref.view.probs!);
      const ok = Object.values(checks).every((x) => x.equal);
      allOk &&= ok;
      cases.push({ select, opts, n, h, w, classes: c, ok, checks });
    }
    return { ok: allOk, provider: runner.provider, reference: 'mixing.ts mixBatch (classmix-random) + mocm.ts maskOfClasses, bitwise', cases };
  } finally {
    await runner.close();
  }
}

// ---------------------------------------------------------------------------------------------
// agree-stvm

async function stvmRun(provider: ExecutionProvider, threads: number, iterations: number) {
  const { stvmConfig } = await import('../lib/method/stvm/config.js');
  const { StvmAlgorithm, TargetBatches } = await import('../lib/method/stvm/index.js');
  const cfg = stvmConfig({ metric: { hidden: 16, dim: 8, warmupIters: 0, maxLocations: 20 }, student: { lr: 0.01 } });
  const batches = new TargetBatches(tinyTargets(), { batch: 2, seed: 5, augment: { crop: CROP, flip: 0.5 }, normalize: {} });
  const alg = await StvmAlgorithm.create({
    cfg, seed: 11, iterations: 10, batch: 2, crop: CROP, net: { spec: TINY_SPEC, allowInit: true }, numClasses: TINY_SPEC.numClasses,
    normalize: {}, batches, runner: { provider, fallback: 'error', inThread: true, threads },
  });
  try {
    const metrics: Record<string, number>[] = [];
    const t0 = performance.now();
    for (let t = 0; t < iterations; t++) metrics.push(await alg.step(t));
    const ms = performance.now() - t0;
    return {
      metrics, ms, provider: alg.student.provider,
      student: await alg.student.weights(), teacher: await alg.teacher.weights(), metric: await alg.teacherSide.runner.getState(),
    };
  } finally {
    await alg.close();
  }
}

export async function stageAgreeStvm(provider: ExecutionProvider, threads: number, tol: number): Promise<Record<string, unknown>> {
  const iterations = 2;
  const dev = await stvmRun(provider, threads, iterations);
  const cpu = await stvmRun('cpu', threads, iterations);
  const part = (a: ReadonlyMap<string, TensorData>, b: ReadonlyMap<string, TensorData>) => summarise([...b].filter(([k]) => a.has(k)).map(([k, v]) => ({ ...relErr(a.get(k)!, v), name: k })), tol);
  const metrics = cpu.metrics.map((m, t) => Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith('ms_')).map(([k, v]) => {
    const d = dev.metrics[t]![k];
    return [k, { device: d ?? null, cpu: v, rel_err: d === undefined ? null : Math.abs(d - v) / Math.max(Math.abs(v), 1e-12) }];
  })));
  const metricErrs = metrics.flatMap((m) => Object.values(m).map((x) => (x as { rel_err: number | null }).rel_err ?? Infinity));
  const student = part(dev.student, cpu.student);
  const teacher = part(dev.teacher, cpu.teacher);
  const metricNet = part(dev.metric, cpu.metric);
  const ok = student.ok && teacher.ok && metricNet.ok && metricErrs.every((e) => e <= tol);
  return {
    ok, tol, iterations, provider: dev.provider, student, teacher, metric_network: metricNet, loop_metrics: metrics,
    ms: { device: dev.ms, cpu: cpu.ms },
    note: 'MOCM class choices are drawn from the reliabilities: a GPU rounding difference can change a choice and make the runs diverge; the loop metrics show where',
  };
}

// ---------------------------------------------------------------------------------------------
// benchmark: weights for the PyTorch side, and the engine side as a step server

/** Writes the case's initial weights and batch (weights.onnx, case.json) for tools/pytorch/bench_step.py. */
export function stageExport(key: string, size: Size, dir: string): Record<string, unknown> {
  const c = caseFor(key, size);
  const b = buildBenchCase(c);
  const w = new GraphBuilder('bench_weights');
  for (const p of b.model.params.all) w.initializer(p.name, b.g.graph.initializers.get(p.name)!);
  w.initializer('__image', b.batch.image);
  w.initializer('__labels', b.batch.labels);
  w.initializer('__weights', b.batch.weights);
  fs.mkdirSync(dir, { recursive: true });
  const bytes = encodeModel(w.graph);
  fs.writeFileSync(path.join(dir, 'weights.onnx'), bytes);
  fs.writeFileSync(path.join(dir, 'case.json'), JSON.stringify({ spec: c.spec, batch: c.batch }));
  return { dir, weights_bytes: bytes.length };
}

export interface EngineReady { build_ms: number; nodes: number; conv_macs: number; provider: string }
export interface EngineDone { peak_rss_mb: number; io: { runs: number; bytes_in: number; bytes_out: number; last_in: number; last_out: number }; skipped_steps: number }

/** Child: builds and compiles the case's step, then serves steps (bench/step-server.ts). */
export async function stageServe(key: string, size: Size, provider: ExecutionProvider, threads: number): Promise<void> {
  const t0 = performance.now();
  const b = buildBenchCase(caseFor(key, size));
  const step = compileBenchStep(b);
  // random init + frozen identity BN can overflow after the first update; the benchmark times
  // steps, so a non-finite step is skipped (the same kernels ran) rather than fatal
  const runner = await startRunner(provider, threads);
  await runner.addProgram('step', step, { initState: true });
  const ready: EngineReady = { build_ms: performance.now() - t0, nodes: step.graph.nodes.length, conv_macs: convMacs(b.g), provider: runner.provider };
  const feeds = { image: b.batch.image, labels: b.batch.labels, weights: b.batch.weights };
  await serveSteps(ready, async () => { await runner.trainStep('step', feeds, { lr: 1e-4, transfer: false }); }, async () => {
    const s = runner.ioStats();
    const res: EngineDone = {
      peak_rss_mb: process.resourceUsage().maxRSS / 1024,
      io: { runs: s.runs, bytes_in: s.bytesIn, bytes_out: s.bytesOut, last_in: s.last.bytesIn, last_out: s.last.bytesOut },
      skipped_steps: runner.skippedSteps,
    };
    await runner.close();
    return res;
  });
}
