/**
 * A/B of the convolution weight-gradient formulations (autodiff/grads/conv-util.ts) on their
 * own: one graph per method that computes dW of EVERY Conv of a network at its real shapes
 * (random X and dY inputs), run alternately in one process; prints the paired median ratio
 * B/A and checks that both give the same dW.
 *   npm run build && node dist/bench/engine-dw-ab.js A B [pairs=16] [small|r101|mnv2] [threads=2]
 * Networks: the engine bench's small DeepLab and ResNet-101 (group-1 convs only), and mnv2 =
 * the MobileNetV2 DeepLab of configs/source/synthstreet-mnv2.json at its training batch and crop
 * (group-1 and depthwise convs). A and B: knobs dw=taps|gather|gather-pad|conv (group 1, as
 * bench/engine-ab.ts), dwconvc=C (with 'gather': convs with at most C input channels use 'conv')
 * and dwd=conv|taps (depthwise). DWPROF=1 adds onnxruntime's kernel time by op type of both graphs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { conv2d, convWeightGrad } from '../lib/engine/autodiff/grads/conv-util.js';
import { createDeepLab } from '../lib/engine/models/index.js';
import { modelSpecOf, validateSourceConfig } from '../lib/train/source-config.js';
import { GraphBuilder } from '../lib/engine/ir/builder.js';
import { encodeModel } from '../lib/engine/onnx/encode.js';
import { sessionOptions } from '../lib/engine/runtime/providers.js';
import { BENCH_CASES, buildBenchCase } from './engine-cases.js';
import { applyGradKnob, saveTuning } from './engine-variants.js';

function dwGraph(label: string, key: string): { model: Uint8Array; inputs: Map<string, number[]>; outputs: string[] } {
  const restore = saveTuning();
  for (const k of label.split(',').filter((x) => x !== '')) if (!applyGradKnob(k)) throw new Error(`unknown knob ${k}`);
  try {
    const fwd = key === 'mnv2' ? mnv2Forward() : buildBenchCase(BENCH_CASES[key]!).g;
    const g = new GraphBuilder(`dw_${label}`);
    const inputs = new Map<string, number[]>();
    const outputs: string[] = [];
    let i = 0;
    for (const node of fwd.graph.nodes) {
      if (node.op !== 'Conv') continue;
      const xs = fwd.shape(node.inputs[0]!);
      const ys = fwd.shape(node.outputs[0]!);
      const x = g.input(`x${i}`, 'float32', xs);
      const dy = g.input(`dy${i}`, 'float32', ys);
      g.initializer(`w${i}`, { dtype: 'float32', shape: fwd.shape(node.inputs[1]!), data: new Float32Array(fwd.shape(node.inputs[1]!).reduce((a, b) => a * b, 1)) });
      const n = { ...node, inputs: [x, `w${i}`], outputs: [`y${i}`] };
      const p = conv2d(g, n);
      inputs.set(x, xs);
      inputs.set(dy, ys);
      const out = g.op1('Identity', [convWeightGrad(g, p, x, dy)], {}, { outputName: `dw${i}` });
      g.output(out);
      outputs.push(out);
      i++;
    }
    return { model: encodeModel(g.graph), inputs, outputs };
  } finally {
    restore();
  }
}

/** The MobileNetV2 DeepLab's forward graph at the source training batch and crop. */
function mnv2Forward(): GraphBuilder {
  const file = 'configs/source/synthstreet-mnv2.json';
  const c = validateSourceConfig(JSON.parse(fs.readFileSync(file, 'utf8')), file);
  return createDeepLab(modelSpecOf(c, 11), c.batch, c.augment.cropHeight, c.augment.cropWidth, 'dw_mnv2').g;
}

const median = (xs: number[]) => { const s = [...xs].sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };

async function main(): Promise<void> {
  const [la = 'dw=taps', lb = 'dw=gather', pairsArg = '16', key = 'small', thr = '2'] = process.argv.slice(2);
  const pairs = Number(pairsArg);
  const gs = [dwGraph(la, key), dwGraph(lb, key)];
  // DWPROF=1: onnxruntime's profiler on both sessions, kernel time by op type printed at the end
  const prof = process.env['DWPROF'] === '1' ? fs.mkdtempSync(path.join(os.tmpdir(), 'dwprof-')) : undefined;
  const sessions = await Promise.all(gs.map((x, i) => ort.InferenceSession.create(x.model, { ...sessionOptions('cpu', Number(thr)), ...(prof ? { enableProfiling: true, profileFilePrefix: path.join(prof, `s${i}`) } : {}) })));
  let seed = 1;
  const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 - 0.5; };
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, shape] of gs[0]!.inputs) feeds[name] = new ort.Tensor('float32', Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, rnd), shape);
  const r0 = await sessions[0]!.run(feeds, gs[0]!.outputs);
  const r1 = await sessions[1]!.run(feeds, gs[1]!.outputs);
  let worst = 0;
  for (const o of gs[0]!.outputs) {
    const a = r0[o]!.data as Float32Array, b = r1[o]!.data as Float32Array;
    let num = 0, den = 1e-30;
    for (let j = 0; j < a.length; j++) { num = Math.max(num, Math.abs(a[j]! - b[j]!)); den = Math.max(den, Math.abs(a[j]!)); }
    worst = Math.max(worst, num / den);
  }
  console.log(`${gs[0]!.outputs.length} convs; worst max-rel dW difference ${worst.toExponential(2)}`);
  const times: [number[], number[]] = [[], []];
  for (let p = 0; p < pairs; p++) {
    for (const i of p % 2 === 0 ? [0, 1] : [1, 0]) {
      const t = performance.now();
      await sessions[i]!.run(feeds, gs[i]!.outputs);
      times[i]!.push(performance.now() - t);
    }
  }
  for (const [i, ts] of times.entries()) console.log(`${[la, lb][i]}: min ${Math.min(...ts).toFixed(0)} ms, median ${median(ts).toFixed(0)} ms (${ts.map((x) => x.toFixed(0)).join(' ')})`);
  console.log(`paired ratio B/A (median of ${pairs}): ${median(times[1].map((x, i) => x / times[0][i]!)).toFixed(3)}; ratio of minima ${(Math.min(...times[1]) / Math.min(...times[0])).toFixed(3)}`);
  if (prof) {
    for (const [i, s] of sessions.entries()) {
      s.endProfiling();
      const file = fs.readdirSync(prof).find((f) => f.startsWith(`s${i}`) && f.endsWith('.json'))!;
      const ev = JSON.parse(fs.readFileSync(path.join(prof, file), 'utf8')) as { cat: string; name: string; dur: number; args?: { op_name?: string } }[];
      const by = new Map<string, number>();
      for (const e of ev) if (e.cat === 'Node' && e.name.endsWith('_kernel_time')) by.set(e.args?.op_name ?? '?', (by.get(e.args?.op_name ?? '?') ?? 0) + e.dur / 1000 / (pairs + 1));
      console.log(`${[la, lb][i]} kernel ms/run: ${[...by].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}`);
    }
    fs.rmSync(prof, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
