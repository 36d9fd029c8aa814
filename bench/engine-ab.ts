/**
 * A/B of two variants of the engine's training step (small DeepLab by default) in ONE process:
 * both sessions are created up front, their runs alternate (A, B, A, B, ...) so that both see
 * the same machine load, and the paired ratio is the median over pairs of B/A. The first run of
 * each also compares the outputs (loss, finite flag, every updated state tensor).
 *
 *   npm run build && node dist/bench/engine-ab.js A B [pairs=8] [small|r101] [threads=2]
 * A variant is a comma-separated list of knobs (bench/engine-variants.ts).
 * e.g. node dist/bench/engine-ab.js guard,noseed,pool2,dw=taps '' 8   (the old defaults against the new)
 */
import * as ort from 'onnxruntime-node';
import { lowerTrainingBatchNorm } from '../lib/engine/ir/lower-batchnorm.js';
import { encodeModel } from '../lib/engine/onnx/encode.js';
import { buildVariant, feedsOf, fetchesOf } from './engine-variants.js';

const median = (xs: number[]) => { const s = [...xs].sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };

async function main(): Promise<void> {
  const [la = '', lb = '', pairsArg = '8', key = 'small', thr = '2'] = process.argv.slice(2);
  const pairs = Number(pairsArg), threads = Number(thr);
  const vs = [buildVariant(la, key, threads), buildVariant(lb, key, threads)] as const;
  const sessions = await Promise.all(vs.map(async (v) => ort.InferenceSession.create(encodeModel(lowerTrainingBatchNorm(v.step.graph)), v.opts)));
  const feeds = vs.map(feedsOf);
  const fetches = vs.map(fetchesOf);
  // pre-allocated outputs: one fixed buffer per state output (for timing only; a runtime would double-buffer)
  const timedFetches = vs.map((v, i) => {
    if (!v.prealloc) return fetches[i]!;
    const f: Record<string, ort.Tensor | null> = {};
    for (const name of fetches[i]!) f[name] = null;
    for (const slot of v.step.signature.state) f[slot.next!] = new ort.Tensor(slot.dtype as 'float32', new Float32Array(slot.shape.reduce((a, b) => a * b, 1)), [...slot.shape]);
    return f;
  });
  for (const [i, v] of vs.entries()) console.log(`${'AB'[i]}: ${v.label}: ${v.step.graph.nodes.length} nodes`);
  // outputs: same names in both (state slots are named after the tensors, not the variant)
  const first = await Promise.all([sessions[0].run(feeds[0]!, fetches[0]!), sessions[1].run(feeds[1]!, fetches[1]!)]);
  let worst = 0, worstName = '';
  for (const [ia, name] of fetches[0]!.entries()) {
    const a = first[0][name]!.data as Float32Array | Uint8Array;
    const bName = fetches[1]![ia]!;
    const b = first[1][bName]!.data as Float32Array | Uint8Array;
    let num = 0, den = 1e-30;
    for (let i = 0; i < a.length; i++) { num = Math.max(num, Math.abs(Number(a[i]) - Number(b[i]))); den = Math.max(den, Math.abs(Number(a[i]))); }
    if (num / den > worst) { worst = num / den; worstName = name; }
  }
  console.log(`outputs: loss A ${Number(first[0][fetches[0]![0]!]!.data[0]).toFixed(6)} B ${Number(first[1][fetches[1]![0]!]!.data[0]).toFixed(6)}; worst max-rel difference over ${fetches[0]!.length} outputs ${worst.toExponential(2)} (${worstName})`);
  for (const i of [0, 1]) await sessions[i]!.run(feeds[i]!, timedFetches[i]! as ort.InferenceSession.FetchesType); // warm-up
  const times: [number[], number[]] = [[], []];
  for (let p = 0; p < pairs; p++) {
    const order = p % 2 === 0 ? [0, 1] : [1, 0];
    for (const i of order) {
      const t = performance.now();
      await sessions[i]!.run(feeds[i]!, timedFetches[i]! as ort.InferenceSession.FetchesType);
      times[i]!.push(performance.now() - t);
    }
  }
  for (const [i, ts] of times.entries()) console.log(`${'AB'[i]} min ${Math.min(...ts).toFixed(0)} ms, median ${median(ts).toFixed(0)} ms  (${ts.map((x) => x.toFixed(0)).join(' ')})`);
  console.log(`paired ratio B/A (median of ${pairs}): ${median(times[1].map((x, i) => x / times[0][i]!)).toFixed(3)}; ratio of minima ${(Math.min(...times[1]) / Math.min(...times[0])).toFixed(3)}`);
  for (const s of sessions) await s.release();
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
