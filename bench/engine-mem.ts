/**
 * Peak memory of ONE variant of the engine's training step, alone in this process (peak RSS is
 * per process, so variants are compared by running this once per variant):
 *
 *   node dist/bench/engine-mem.js VARIANT [steps=3] [small|r101] [threads=2]
 *
 * VARIANT is a knob list (bench/engine-variants.ts), e.g. '' or 'opt:enableCpuMemArena=false'.
 * Prints the resident set after building the graph, after creating the session and the peak
 * after the steps (each step feeds the previous step's state outputs back, as the runtime does),
 * with the median step time, as one JSON line.
 */
import * as ort from 'onnxruntime-node';
import { lowerTrainingBatchNorm } from '../lib/engine/ir/lower-batchnorm.js';
import { encodeModel } from '../lib/engine/onnx/encode.js';
import { buildVariant, feedsOf, fetchesOf } from './engine-variants.js';

const mb = (b: number) => Math.round(b / 1048576);
const peakMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

async function main(): Promise<void> {
  const [label = '', stepsArg = '3', key = 'small', thr = '2'] = process.argv.slice(2);
  const steps = Number(stepsArg);
  const v = buildVariant(label, key, Number(thr));
  const model = encodeModel(lowerTrainingBatchNorm(v.step.graph));
  const afterBuild = mb(process.memoryUsage().rss);
  const session = await ort.InferenceSession.create(model, v.opts);
  const afterSession = mb(process.memoryUsage().rss);
  const feeds = feedsOf(v);
  const fetches = fetchesOf(v);
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    const out = await session.run(feeds, fetches);
    times.push(performance.now() - t);
    for (const slot of v.step.signature.state) if (slot.next !== undefined) feeds[slot.name] = out[slot.next]!;
  }
  const sorted = [...times].sort((x, y) => x - y);
  console.log(JSON.stringify({ variant: v.label, key, steps, build_rss_mb: afterBuild, session_rss_mb: afterSession, peak_rss_mb: peakMb(), median_ms: Math.round(sorted[sorted.length >> 1]!), times_ms: times.map(Math.round) }));
  await session.release();
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
