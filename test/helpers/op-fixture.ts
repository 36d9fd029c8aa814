/**
 * Runs one op-gradient fixture (written by tools/pytorch/opgrad_fixtures.py): builds a graph
 * with the single ONNX node, the loss L = Σ_k sum(Y_k ⊙ G_k), differentiates it with the
 * engine's rules, runs it on onnxruntime (float32) and compares outputs and input gradients
 * with PyTorch's float64 values.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GraphBuilder } from '../../lib/engine/ir/builder.js';
import { backward } from '../../lib/engine/autodiff/backward.js';
import type { Attr } from '../../lib/engine/ir/graph.js';
import { tensor, type DType } from '../../lib/engine/ir/tensor.js';
import { runGraph } from '../../lib/engine/runtime/run-graph.js';

interface Arr { shape: number[]; data: number[] }
export interface OpFixture {
  op: string;
  name: string;
  attrs: Record<string, Attr>;
  tolerance: number;
  inputs: ((Arr & { dtype: DType; grad: boolean }) | null)[];
  outputs: (Arr & { dtype: DType })[];
  check_outputs: boolean[];
  upstream: (Arr | null)[];
  grads: (Arr | null)[];
}

export const FIXTURE_DIR = path.resolve(process.cwd(), 'test/fixtures/ops');

export function loadFixtures(): OpFixture[] {
  if (!fs.existsSync(FIXTURE_DIR)) return [];
  return fs.readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.json')).sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR, f), 'utf8')) as OpFixture);
}

/** max|a−b| / max(max|b|, floor): one relative error per tensor. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-3): number {
  let num = 0;
  let den = floor;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(Number(a[i]) - Number(b[i])));
    den = Math.max(den, Math.abs(Number(b[i])));
  }
  return num / den;
}

export interface FixtureResult { outputs: { index: number; err: number }[]; grads: { index: number; err: number }[]; fetched: Record<string, ArrayLike<number>> }

export async function runFixture(fx: OpFixture): Promise<FixtureResult> {
  const g = new GraphBuilder(fx.name);
  const feeds: Record<string, ReturnType<typeof tensor>> = {};
  const names = fx.inputs.map((inp, i) => {
    if (inp === null) return '';
    const t = tensor(inp.dtype, inp.shape, inp.data);
    if (inp.grad) {
      feeds[`in${i}`] = t;
      return g.input(`in${i}`, inp.dtype, inp.shape);
    }
    return g.initializer(`in${i}`, t);
  });
  const outs = g.op(fx.op, names, fx.attrs, { outputs: fx.outputs.length });
  const terms: string[] = [];
  fx.upstream.forEach((u, k) => {
    if (u === null) return;
    const gk = g.constant(tensor('float32', u.shape, u.data), `G${k}`);
    const prod = g.op1('Mul', [outs[k]!, gk]);
    terms.push(g.op1('ReduceSum', [prod], { keepdims: 0 }));
  });
  const loss = terms.length === 1 ? terms[0]! : g.op1('Sum', terms);
  const wrt = names.filter((n, i) => n !== '' && fx.inputs[i]!.grad);
  const grads = backward(g, loss, wrt);
  outs.forEach((o) => g.output(o));
  const gradNames = fx.inputs.map((inp, i) => (inp?.grad ? grads.get(names[i]!) : undefined));
  for (const gn of gradNames) if (gn !== undefined) g.output(gn);
  const res = await runGraph(g.graph, feeds);
  const result: FixtureResult = { outputs: [], grads: [], fetched: {} };
  fx.outputs.forEach((o, k) => {
    const got = res[outs[k]!]!.data as ArrayLike<number>;
    result.fetched[`out${k}`] = got;
    if (fx.check_outputs[k]) result.outputs.push({ index: k, err: relErr(Array.from(got as ArrayLike<number>, Number), o.data) });
  });
  fx.grads.forEach((ref, i) => {
    if (ref === null || !fx.inputs[i]?.grad) return;
    const gn = gradNames[i];
    const got = gn === undefined ? new Float32Array(ref.data.length) : (res[gn]!.data as Float32Array);
    result.fetched[`grad${i}`] = got;
    result.grads.push({ index: i, err: relErr(got, ref.data) });
  });
  return result;
}
