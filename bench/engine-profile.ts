/**
 * Where a compiled training step spends its time: onnxruntime's own profiler (enableProfiling)
 * on a session with the runner's options; kernel times of the timed runs (the first run is a
 * warm-up and left out) summed by op type and by node.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { CompiledGraph } from '../lib/engine/compile/index.js';
import { lowerTrainingBatchNorm } from '../lib/engine/ir/lower-batchnorm.js';
import type { TensorData } from '../lib/engine/ir/tensor.js';
import { encodeModel } from '../lib/engine/onnx/encode.js';
import { sessionOptions } from '../lib/engine/runtime/providers.js';
import { toOrt } from '../lib/engine/runtime/ort-tensor.js';

export interface OpTime { op: string; ms: number; share: number; count: number }
export interface Profile { runs: number; totalKernelMs: number; wallMs?: number; byOp: OpTime[]; topNodes: { node: string; op: string; ms: number }[] }

interface Ev { cat: string; name: string; ts: number; dur: number; args?: { op_name?: string } }

/** `model`: encoded bytes to run instead of the step's own graph (e.g. a rewritten one); `top`: how many nodes to list. */
export async function profileStep(step: CompiledGraph, data: Record<string, TensorData>, threads: number, runs = 3, model?: Uint8Array, top = 15): Promise<Profile> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-prof-'));
  const opts = { ...sessionOptions('cpu', threads), enableProfiling: true, profileFilePrefix: path.join(dir, 'step') };
  const wall: number[] = [];
  const session = await ort.InferenceSession.create(model ?? encodeModel(lowerTrainingBatchNorm(step.graph)), opts);
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(data)) feeds[k] = toOrt(v);
    feeds[step.signature.lr!] = toOrt({ dtype: 'float32', shape: [], data: new Float32Array([1e-4]) });
    for (const [k, v] of step.initialState) feeds[k] = toOrt(v);
    for (let i = 0; i <= runs; i++) {
      const t = performance.now();
      await session.run(feeds);
      if (i > 0) wall.push(performance.now() - t);
    }
    session.endProfiling();
  } finally {
    await session.release();
  }
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.json'));
  if (!file) throw new Error(`onnxruntime wrote no profile in ${dir}`);
  const events = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Ev[];
  fs.rmSync(dir, { recursive: true, force: true });
  const windows = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').sort((a, b) => a.ts - b.ts).slice(1);
  const inTimed = (e: Ev) => windows.some((w) => e.ts >= w.ts && e.ts <= w.ts + w.dur);
  const byOp = new Map<string, { us: number; count: number }>();
  const byNode = new Map<string, { op: string; us: number }>();
  let total = 0;
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || !inTimed(e)) continue;
    const op = e.args?.op_name ?? '?';
    const o = byOp.get(op) ?? { us: 0, count: 0 };
    o.us += e.dur;
    o.count++;
    byOp.set(op, o);
    const node = e.name.slice(0, -'_kernel_time'.length);
    const nd = byNode.get(node) ?? { op, us: 0 };
    nd.us += e.dur;
    byNode.set(node, nd);
    total += e.dur;
  }
  const n = windows.length;
  return {
    runs: n,
    totalKernelMs: total / 1000 / n,
    wallMs: wall.reduce((x, y) => x + y, 0) / wall.length,
    byOp: [...byOp].map(([op, v]) => ({ op, ms: v.us / 1000 / n, share: v.us / total, count: v.count / n })).sort((a, b) => b.ms - a.ms),
    topNodes: [...byNode].map(([node, v]) => ({ node, op: v.op, ms: v.us / 1000 / n })).sort((a, b) => b.ms - a.ms).slice(0, top),
  };
}
