/**
 * EXPERIMENT: A/B of the small DeepLab training step with plain Conv nodes against the same
 * step with its convolutions on onnxruntime's NCHWc kernels (nchwc-lowering.ts). Both sessions
 * live in one process and their runs alternate, so both see the same machine load; the outputs
 * (loss, updated parameters) are compared for equality up to float32 rounding.
 *   npm run build && node dist/bench/engine-nchwc-ab.js [runs=8] [small|r101] [threads=2]
 */
import * as ort from 'onnxruntime-node';
import { lowerTrainingBatchNorm } from '../lib/engine/ir/lower-batchnorm.js';
import { encodeModel } from '../lib/engine/onnx/encode.js';
import { toOrt } from '../lib/engine/runtime/ort-tensor.js';
import { sessionOptions } from '../lib/engine/runtime/providers.js';
import { BENCH_CASES, buildBenchCase, compileBenchStep } from './engine-cases.js';
import { lowerConvsToNchwc, probeNchwcBlock, withNchwcOpset } from './nchwc-lowering.js';

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 8);
  const key = process.argv[3] ?? 'small';
  const threads = Number(process.argv[4] ?? 2);
  const block = await probeNchwcBlock();
  if (block === undefined) throw new Error('onnxruntime does not use NCHWc kernels on this CPU');
  const b = buildBenchCase(BENCH_CASES[key]!);
  const step = compileBenchStep(b);
  const base = lowerTrainingBatchNorm(step.graph);
  const low = lowerConvsToNchwc(base, block);
  console.log(`NCHWc block ${block}; ${low.converted} of ${base.nodes.filter((n) => n.op === 'Conv').length} Conv nodes converted`);
  const opts = sessionOptions('cpu', threads);
  const sessions = {
    plain: await ort.InferenceSession.create(encodeModel(base), opts),
    nchwc: await ort.InferenceSession.create(withNchwcOpset(encodeModel(low.graph)), opts),
  };
  const feeds: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries({ image: b.batch.image, labels: b.batch.labels, weights: b.batch.weights })) feeds[k] = toOrt(v);
  feeds[step.signature.lr!] = toOrt({ dtype: 'float32', shape: [], data: new Float32Array([1e-4]) });
  for (const [k, v] of step.initialState) feeds[k] = toOrt(v);
  const fetch = [step.signature.loss!, ...step.signature.state.filter((s) => s.role === 'param').slice(0, 4).map((s) => s.next!)];
  const first = { plain: await sessions.plain.run(feeds, fetch), nchwc: await sessions.nchwc.run(feeds, fetch) };
  for (const f of fetch) {
    const a = first.plain[f]!.data as Float32Array;
    const c = first.nchwc[f]!.data as Float32Array;
    let num = 0, den = 1e-30;
    for (let i = 0; i < a.length; i++) { num = Math.max(num, Math.abs(a[i]! - c[i]!)); den = Math.max(den, Math.abs(a[i]!)); }
    console.log(`  ${f}: max rel difference ${(num / den).toExponential(1)}`);
  }
  const times: Record<string, number[]> = { plain: [], nchwc: [] };
  for (let i = 0; i < runs; i++) {
    for (const k of ['plain', 'nchwc'] as const) {
      const t = performance.now();
      await sessions[k].run(feeds, fetch);
      times[k]!.push(performance.now() - t);
    }
  }
  for (const [k, ts] of Object.entries(times)) {
    const s = [...ts].sort((x, y) => x - y);
    console.log(`${k.padEnd(6)} min ${s[0]!.toFixed(0)} ms, median ${s[s.length >> 1]!.toFixed(0)} ms  (${ts.map((x) => x.toFixed(0)).join(' ')})`);
  }
  console.log(`paired ratio nchwc/plain (median): ${median(times.nchwc!.map((x, i) => x / times.plain![i]!)).toFixed(3)}`);
  await sessions.plain.release();
  await sessions.nchwc.release();
}

const median = (xs: number[]) => { const s = [...xs].sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };

main().catch((e: unknown) => { console.error(e); process.exit(1); });
