/**
 * The engine step's A/B variants (bench/engine-ab.ts, bench/engine-mem.ts): a comma-separated
 * list of knobs, the defaults being the engine's current defaults:
 *   guard        in-graph NaN guard (Where per state tensor)        [default off]
 *   noseed       differentiate the cross-entropy node by node        [default: seeded with dLogits]
 *   pool2        MaxPool backward by a second pooling (no forward Indices output)
 *   dw=taps|gather|gather-pad|conv  conv weight-gradient method (autodiff/grads/conv-util.ts) [default gather]
 *   dwd=conv|taps  depthwise conv weight-gradient method [default conv]
 *   dx=flip|convT  stride-1 conv input-gradient method [default flip]
 *   dwconvc=C      dW as one Conv with dY as the kernel for convs with at most C input channels [default 4]
 *   flip=slice|matmul  how 'flip' reverses the kernel [default matmul]
 *   relu=where|mul|sign  Relu backward form (autodiff/grads/relu_grad.ts) [default mul]
 *   foldbn       frozen BN folded into the convolutions (models/layers.ts foldFrozenBn)
 *   keepid       keep the Identity that renames each committed state value to 'next/<x>'
 *   prealloc     timed runs write the state outputs into pre-allocated tensors (fetches given as tensors)
 *   opt:K=V      onnxruntime session option (e.g. opt:enableMemPattern=false)
 *   cfg:K=V      onnxruntime session config entry (e.g. cfg:session.set_denormal_as_zero=1)
 */
import * as ort from 'onnxruntime-node';
import { convGradTuning, type ConvFlipMethod, type ConvInputGradMethod, type ConvWeightGradMethod, type DepthwiseWeightGradMethod } from '../lib/engine/autodiff/grads/conv-util.js';
import { identityTuning } from '../lib/engine/compile/elide-identity.js';
import { reluGradTuning } from '../lib/engine/autodiff/grads/relu_grad.js';
import type { CompiledGraph } from '../lib/engine/compile/index.js';
import { toOrt } from '../lib/engine/runtime/ort-tensor.js';
import { sessionOptions } from '../lib/engine/runtime/providers.js';
import { BENCH_CASES, buildBenchCase, compileBenchStep, type BuiltCase } from './engine-cases.js';

export interface Variant { label: string; step: CompiledGraph; b: BuiltCase; opts: ort.InferenceSession.SessionOptions; prealloc: boolean }

/** Snapshot of every gradient-rule and compile tuning switch; call the result to restore them. */
export function saveTuning(): () => void {
  const saved = [{ ...convGradTuning }, { ...reluGradTuning }, { ...identityTuning }] as const;
  return () => {
    Object.assign(convGradTuning, saved[0]);
    Object.assign(reluGradTuning, saved[1]);
    Object.assign(identityTuning, saved[2]);
  };
}

/** Applies one gradient-rule knob (dw=, dwd=, dx=, dwconvc=, flip=, relu=); false when `k` is not one. */
export function applyGradKnob(k: string): boolean {
  const v = k.slice(k.indexOf('=') + 1);
  if (k.startsWith('dw=')) convGradTuning.weightGrad = v as ConvWeightGradMethod;
  else if (k.startsWith('dwd=')) convGradTuning.depthwiseWeightGrad = v as DepthwiseWeightGradMethod;
  else if (k.startsWith('dx=')) convGradTuning.inputGrad = v as ConvInputGradMethod;
  else if (k.startsWith('dwconvc=')) convGradTuning.convWeightGradMaxC = Number(v);
  else if (k.startsWith('flip=')) convGradTuning.flip = v as ConvFlipMethod;
  else if (k.startsWith('relu=')) reluGradTuning.method = v as typeof reluGradTuning.method;
  else return false;
  return true;
}

export function buildVariant(label: string, key: string, threads: number): Variant {
  const knobs = label.split(',').map((k) => k.trim()).filter((k) => k !== '');
  const restore = saveTuning();
  const opts: Record<string, unknown> = { ...sessionOptions('cpu', threads) };
  let nanGuard = false, seeded = true, pool2 = false, prealloc = false, foldFrozenBn = false;
  for (const k of knobs) {
    if (k === 'guard') nanGuard = true;
    else if (k === 'noseed') seeded = false;
    else if (k === 'pool2') pool2 = true;
    else if (k === 'prealloc') prealloc = true;
    else if (k === 'keepid') identityTuning.elide = false;
    else if (k === 'foldbn') foldFrozenBn = true;
    else if (applyGradKnob(k)) continue;
    else if (k.startsWith('opt:')) {
      const [name, v] = k.slice(4).split('=') as [string, string];
      opts[name] = v === 'true' ? true : v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v;
    } else if (k.startsWith('cfg:')) {
      // a session config entry (SessionOptions.extra), e.g. cfg:session.set_denormal_as_zero=1
      const [name, v] = k.slice(4).split('=') as [string, string];
      const parts = name.split('.');
      let o = ((opts['extra'] ??= {}) as Record<string, unknown>);
      for (const part of parts.slice(0, -1)) o = ((o[part] ??= {}) as Record<string, unknown>);
      o[parts[parts.length - 1]!] = v;
    } else throw new Error(`unknown knob '${k}' (see the header of bench/engine-ab.ts)`);
  }
  try {
    const b = buildBenchCase(BENCH_CASES[key]!, { foldFrozenBn });
    if (pool2) for (const n of b.g.graph.nodes) if (n.op === 'MaxPool' && n.outputs.length > 1) (n.outputs as string[]).length = 1;
    const step = compileBenchStep(b, { nanGuard, seeded });
    return { label: label || '(defaults)', step, b, opts: opts as ort.InferenceSession.SessionOptions, prealloc };
  } finally {
    restore();
  }
}

export function feedsOf(v: Variant): Record<string, ort.Tensor> {
  const f: Record<string, ort.Tensor> = {};
  for (const [k, t] of Object.entries({ image: v.b.batch.image, labels: v.b.batch.labels, weights: v.b.batch.weights })) f[k] = toOrt(t);
  f[v.step.signature.lr!] = toOrt({ dtype: 'float32', shape: [], data: new Float32Array([1e-2]) });
  for (const [k, t] of v.step.initialState) f[k] = toOrt(t);
  return f;
}

export function fetchesOf(v: Variant): string[] {
  const s = v.step.signature;
  return [s.loss!, s.finite!, ...s.state.map((x) => x.next!)];
}

