/**
 * Where one variant of the engine's training step spends its kernel time: onnxruntime's
 * profiler (bench/engine-profile.ts) over `runs` timed runs, summed by op type, and the slowest
 * nodes. Variants as in bench/engine-ab.ts (bench/engine-variants.ts knobs; '' = the defaults).
 *   npm run build && node dist/bench/engine-kernels.js [VARIANT] [small|r101] [runs=4] [top=30] [threads=2]
 * Single-process kernel sums drift with the machine's speed; compare variants with engine-ab.js.
 */
import os from 'node:os';
import { profileStep } from './engine-profile.js';
import { buildVariant } from './engine-variants.js';

async function main(): Promise<void> {
  const [label = '', key = 'small', runs = '4', top = '30', threads = '2'] = process.argv.slice(2);
  const v = buildVariant(label, key, Number(threads));
  const load = os.loadavg()[0]!.toFixed(2);
  const data = { image: v.b.batch.image, labels: v.b.batch.labels, weights: v.b.batch.weights };
  const p = await profileStep(v.step, data, Number(threads), Number(runs), undefined, Number(top));
  console.log(`${v.label} (${key}, ${v.step.graph.nodes.length} nodes, ${threads} threads, load ${load} → ${os.loadavg()[0]!.toFixed(2)}): wall ${p.wallMs?.toFixed(0)} ms, kernels ${p.totalKernelMs.toFixed(0)} ms per run over ${p.runs} runs`);
  console.log('op                       ms/run   share  nodes');
  for (const o of p.byOp) console.log(`${o.op.padEnd(22)} ${o.ms.toFixed(1).padStart(8)} ${(100 * o.share).toFixed(1).padStart(6)} % ${String(o.count).padStart(5)}`);
  console.log(`slowest ${p.topNodes.length} nodes:`);
  for (const n of p.topNodes) console.log(`  ${n.op.padEnd(20)} ${n.ms.toFixed(1).padStart(8)} ms  ${n.node}`);
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
