/**
 * `npm run bench:engine`: one training step (forward + backward + SGD) of the same network on
 * the same batch, this engine (compiled ONNX step on onnxruntime-node, CPU) against PyTorch CPU
 * with the same thread count, timed in one run; median of ≥ 10 steps after warm-up; peak RSS of
 * each side (each side runs alone in its own process, one after the other); the engine's
 * onnxruntime profile by op type; the fraction of the machine's measured GEMM rate.
 *
 *   node dist/bench/engine.js [--only small|r101] [--steps 10] [--warmup 2] [--threads 2]
 *                             [--no-profile] [--out bench/results]
 * Cases: small = small DeepLab 4×3×180×240, r101 = DeepLab-v2 ResNet-101 1×3×512×1024 (slow,
 * ~several GB: run it on a quiet machine). Writes <out>/engine.json (cases of earlier runs that
 * were not rerun are kept) and <out>/engine.md.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../lib/engine/ir/builder.js';
import { encodeModel } from '../lib/engine/onnx/encode.js';
import { TrainStepRunner } from '../lib/engine/runtime/train-step-runner.js';
import { BENCH_CASES, buildBenchCase, compileBenchStep, convMacs } from './engine-cases.js';
import { profileStep, type Profile } from './engine-profile.js';
import { writeReport, type CaseResult } from './engine-report.js';

const SELF = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(SELF), '..', '..');

interface Args { only?: string; steps: number; warmup: number; threads: number; profile: boolean; out: string }

function parseArgs(argv: string[]): Args {
  const a: Args = { steps: 10, warmup: 2, threads: 2, profile: true, out: path.join(ROOT, 'bench', 'results') };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = () => { const x = argv[++i]; if (x === undefined) throw new Error(`${k} needs a value`); return x; };
    if (k === '--only') a.only = v();
    else if (k === '--steps') a.steps = Number(v());
    else if (k === '--warmup') a.warmup = Number(v());
    else if (k === '--threads') a.threads = Number(v());
    else if (k === '--no-profile') a.profile = false;
    else if (k === '--out') a.out = path.resolve(v());
    else throw new Error(`unknown argument ${k} (see the header of bench/engine.ts)`);
  }
  if (a.only !== undefined && !(a.only in BENCH_CASES)) throw new Error(`--only must be one of ${Object.keys(BENCH_CASES).join(', ')}`);
  if (!(Number.isInteger(a.steps) && a.steps >= 1)) throw new Error('--steps must be a positive integer');
  return a;
}

const median = (xs: number[]) => { const s = [...xs].sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
const rssMb = () => process.resourceUsage().maxRSS / 1024;

/** Child process: write the case's initial weights and batch for the PyTorch side. */
function workerExport(key: string, dir: string): void {
  const c = BENCH_CASES[key]!;
  const b = buildBenchCase(c);
  const w = new GraphBuilder('bench_weights');
  for (const p of b.model.params.all) w.initializer(p.name, b.g.graph.initializers.get(p.name)!);
  w.initializer('__image', b.batch.image);
  w.initializer('__labels', b.batch.labels);
  w.initializer('__weights', b.batch.weights);
  fs.writeFileSync(path.join(dir, 'weights.onnx'), encodeModel(w.graph));
  fs.writeFileSync(path.join(dir, 'case.json'), JSON.stringify({ spec: c.spec, batch: c.batch }));
}

interface EngineTiming { median_ms: number; times_ms: number[]; peak_rss_mb: number; build_ms: number; first_step_ms: number; nodes: number; conv_macs: number; profile?: Profile }

/** Child process: build, compile and time the engine's step. */
async function workerTime(key: string, out: string, a: Args): Promise<void> {
  const t0 = performance.now();
  const b = buildBenchCase(BENCH_CASES[key]!);
  const step = compileBenchStep(b);
  const build = performance.now() - t0;
  const runner = await TrainStepRunner.start({ threads: a.threads, inThread: true });
  const feeds = { image: b.batch.image, labels: b.batch.labels, weights: b.batch.weights };
  const times: number[] = [];
  let first = 0;
  try {
    await runner.addProgram('step', step, { initState: true });
    for (let i = 0; i < a.warmup + a.steps; i++) {
      const t = performance.now();
      await runner.trainStep('step', feeds, { lr: 1e-4, transfer: false });
      const dt = performance.now() - t;
      if (i === 0) first = dt;
      if (i >= a.warmup) times.push(dt);
    }
  } finally {
    await runner.close();
  }
  const res: EngineTiming = { median_ms: median(times), times_ms: times, peak_rss_mb: rssMb(), build_ms: build, first_step_ms: first, nodes: step.graph.nodes.length, conv_macs: convMacs(b.g) };
  if (a.profile) res.profile = await profileStep(step, feeds, a.threads);
  fs.writeFileSync(out, JSON.stringify(res));
}

/** GFLOP/s of one 1024³ float32 MatMul on onnxruntime with the same thread count (median of 10). */
async function gemmRate(threads: number): Promise<number> {
  const n = 1024;
  const g = new GraphBuilder('gemm');
  const x = g.input('a', 'float32', [n, n]);
  const y = g.input('b', 'float32', [n, n]);
  g.output(g.op1('MatMul', [x, y]));
  const s = await ort.InferenceSession.create(encodeModel(g.graph), { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const r = () => new ort.Tensor('float32', Float32Array.from({ length: n * n }, () => Math.random() - 0.5), [n, n]);
  const feeds = { a: r(), b: r() };
  const ts: number[] = [];
  for (let i = 0; i < 12; i++) {
    const t = performance.now();
    await s.run(feeds);
    if (i >= 2) ts.push(performance.now() - t);
  }
  await s.release();
  return (2 * n ** 3) / (median(ts) / 1000) / 1e9;
}

function run(cmd: string, args: string[], what: string): string {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}):\n${(r.stderr ?? '').split('\n').filter((l) => !l.includes('CleanUnusedInitializers')).slice(-30).join('\n')}`);
  return r.stdout;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--worker') {
    const [, mode, key, target, ...rest] = argv;
    if (mode === 'export') workerExport(key!, target!);
    else await workerTime(key!, target!, parseArgs(rest));
    return;
  }
  const a = parseArgs(argv);
  const keys = a.only ? [a.only] : Object.keys(BENCH_CASES);
  const passArgs = ['--steps', String(a.steps), '--warmup', String(a.warmup), '--threads', String(a.threads), ...(a.profile ? [] : ['--no-profile'])];
  const gemm = await gemmRate(a.threads);
  console.log(`GEMM rate (onnxruntime MatMul 1024³, ${a.threads} threads): ${gemm.toFixed(1)} GFLOP/s`);
  const results: CaseResult[] = [];
  for (const key of keys) {
    const c = BENCH_CASES[key]!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-${key}-`));
    try {
      console.log(`[${key}] ${c.name}: exporting weights for PyTorch`);
      run(process.execPath, [SELF, '--worker', 'export', key, dir], 'weight export');
      console.log(`[${key}] engine: ${a.warmup} warm-up + ${a.steps} timed steps`);
      run(process.execPath, ['--max-old-space-size=8192', SELF, '--worker', 'time', key, path.join(dir, 'engine.json'), ...passArgs], 'engine timing');
      const eng = JSON.parse(fs.readFileSync(path.join(dir, 'engine.json'), 'utf8')) as EngineTiming;
      console.log(`[${key}] engine ${eng.median_ms.toFixed(1)} ms/step, peak RSS ${eng.peak_rss_mb.toFixed(0)} MB; PyTorch: timing`);
      const py = JSON.parse(run('python3', [path.join(ROOT, 'tools', 'pytorch', 'bench_step.py'), '--weights', path.join(dir, 'weights.onnx'), '--case', path.join(dir, 'case.json'),
        '--steps', String(a.steps), '--warmup', String(a.warmup), '--threads', String(a.threads)], 'PyTorch timing').trim().split('\n').at(-1)!) as { median_ms: number; times_ms: number[]; peak_rss_mb: number; torch: string };
      console.log(`[${key}] PyTorch ${py.median_ms.toFixed(1)} ms/step, peak RSS ${py.peak_rss_mb.toFixed(0)} MB; ratio ${(eng.median_ms / py.median_ms).toFixed(2)}`);
      const flops = 3 * 2 * eng.conv_macs;
      results.push({
        key, name: c.name, engine_ms: eng.median_ms, pytorch_ms: py.median_ms, ratio: eng.median_ms / py.median_ms,
        engine_peak_rss_mb: eng.peak_rss_mb, pytorch_peak_rss_mb: py.peak_rss_mb,
        threads: a.threads, steps: a.steps, warmup: a.warmup, engine_times_ms: eng.times_ms, pytorch_times_ms: py.times_ms,
        engine_first_step_ms: eng.first_step_ms, engine_build_ms: eng.build_ms, step_nodes: eng.nodes,
        conv_gflop_per_step: flops / 1e9, gemm_gflops: gemm,
        engine_gemm_fraction: flops / (eng.median_ms / 1000) / 1e9 / gemm, pytorch_gemm_fraction: flops / (py.median_ms / 1000) / 1e9 / gemm,
        torch: py.torch, ...(eng.profile ? { profile: eng.profile } : {}),
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  writeReport(a.out, results, `node dist/bench/engine.js ${argv.join(' ')}`.trim());
  console.log(`wrote ${path.relative(ROOT, path.join(a.out, 'engine.json'))} and engine.md`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
