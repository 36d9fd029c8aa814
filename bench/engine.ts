/**
 * `npm run bench:engine`: one training step (forward + backward + SGD) of the same network on
 * the same batch, this engine (compiled ONNX step on onnxruntime-node, CPU) against PyTorch CPU
 * with the same thread count, timed in one run; median of ≥ 10 steps after warm-up; peak RSS of
 * each side (each side runs alone in its own process, one after the other); the engine's
 * onnxruntime profile by op type; the fraction of the machine's measured GEMM rate.
 * Both sides are child processes that run one step on request (step-server.ts); by default
 * their steps are interleaved (engine, PyTorch, engine, ...) so that both see the same machine
 * load, and only one computes at any time; --sequential runs all engine steps, then starts
 * PyTorch (one process alive at a time, for memory). Default: interleaved for the small case,
 * sequential for ResNet-101 (--interleaved / --sequential force one mode for every case).
 *
 *   node dist/bench/engine.js [--only small|r101] [--steps 10] [--warmup 2] [--threads 2]
 *                             [--sequential|--interleaved] [--no-profile] [--out bench/results]
 *   node dist/bench/engine.js --report-only     (rewrite engine.md from engine.json and engine-notes.md)
 * Cases: small = small DeepLab 4×3×180×240, r101 = DeepLab-v2 ResNet-101 1×3×512×1024 (slow,
 * several GB: run it on a quiet machine, --sequential). Writes <out>/engine.json (cases of earlier runs that
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
import { serveSteps, StepServer } from './step-server.js';

const SELF = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(SELF), '..', '..');

interface Args { only?: string; steps: number; warmup: number; threads: number; profile: boolean; sequential?: boolean; reportOnly: boolean; out: string }

function parseArgs(argv: string[]): Args {
  const a: Args = { steps: 10, warmup: 2, threads: 2, profile: true, reportOnly: false, out: path.join(ROOT, 'bench', 'results') };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = () => { const x = argv[++i]; if (x === undefined) throw new Error(`${k} needs a value`); return x; };
    if (k === '--only') a.only = v();
    else if (k === '--steps') a.steps = Number(v());
    else if (k === '--warmup') a.warmup = Number(v());
    else if (k === '--threads') a.threads = Number(v());
    else if (k === '--no-profile') a.profile = false;
    else if (k === '--sequential') a.sequential = true;
    else if (k === '--interleaved') a.sequential = false;
    else if (k === '--report-only') a.reportOnly = true;
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

interface EngineReady { build_ms: number; nodes: number; conv_macs: number }
interface EngineDone { peak_rss_mb: number; profile?: Profile }

/** Child process: build and compile the engine's step, then serve steps (step-server.ts). */
async function workerServe(key: string, a: Args): Promise<void> {
  const t0 = performance.now();
  const b = buildBenchCase(BENCH_CASES[key]!);
  const step = compileBenchStep(b);
  const ready: EngineReady = { build_ms: performance.now() - t0, nodes: step.graph.nodes.length, conv_macs: convMacs(b.g) };
  // a randomly initialised ResNet-101 with frozen (identity) BN can overflow after its first update;
  // the benchmark times steps, so a non-finite step is skipped (same kernels run) rather than fatal
  const runner = await TrainStepRunner.start({ threads: a.threads, inThread: true, nonFinite: 'skip' });
  await runner.addProgram('step', step, { initState: true });
  const feeds = { image: b.batch.image, labels: b.batch.labels, weights: b.batch.weights };
  await serveSteps(ready, async () => { await runner.trainStep('step', feeds, { lr: 1e-4, transfer: false }); }, async () => {
    const res: EngineDone = { peak_rss_mb: rssMb() };
    await runner.close();
    if (a.profile) res.profile = await profileStep(step, feeds, a.threads);
    return res;
  });
}

interface PyDone { peak_rss_mb: number; torch: string }

/** Runs warm-up and timed steps of both sides; returns their times (warm-up excluded). */
async function timeBoth(key: string, dir: string, a: Args, passArgs: string[], sequential: boolean) {
  const engineArgs = ['--max-old-space-size=16384', SELF, '--worker', 'serve', key, ...passArgs];
  const pyArgs = [path.join(ROOT, 'tools', 'pytorch', 'bench_step.py'), '--serve', '--weights', path.join(dir, 'weights.onnx'), '--case', path.join(dir, 'case.json'), '--threads', String(a.threads)];
  const eng = new StepServer('engine', process.execPath, engineArgs, ROOT);
  let py: StepServer | undefined;
  const startPy = async () => { py = new StepServer('PyTorch', 'python3', pyArgs, ROOT); await py.read(); return py; };
  try {
    const ready = await eng.read<EngineReady & { ready: true }>();
    const e: number[] = [];
    const p: number[] = [];
    let firstEngine = 0;
    if (sequential) {
      for (let i = 0; i < a.warmup + a.steps; i++) { const t = await eng.step(); if (i === 0) firstEngine = t; if (i >= a.warmup) e.push(t); }
      const engDone = await eng.done<EngineDone>();
      const pys = await startPy();
      for (let i = 0; i < a.warmup + a.steps; i++) { const t = await pys.step(); if (i >= a.warmup) p.push(t); }
      return { ready, e, p, firstEngine, engDone, pyDone: await pys.done<PyDone>() };
    }
    const pys = await startPy();
    for (let i = 0; i < a.warmup + a.steps; i++) {
      const te = await eng.step();
      const tp = await pys.step();
      if (i === 0) firstEngine = te;
      if (i >= a.warmup) { e.push(te); p.push(tp); }
      console.log(`  step ${i < a.warmup ? `warm-up ${i + 1}` : i - a.warmup + 1}: engine ${te.toFixed(0)} ms, PyTorch ${tp.toFixed(0)} ms`);
    }
    const pyDone = await pys.done<PyDone>();
    return { ready, e, p, firstEngine, engDone: await eng.done<EngineDone>(), pyDone };
  } finally {
    eng.kill();
    py?.kill();
  }
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
    const [, mode, key, ...rest] = argv;
    if (mode === 'export') workerExport(key!, rest[0]!);
    else await workerServe(key!, parseArgs(rest));
    return;
  }
  const a = parseArgs(argv);
  if (a.reportOnly) {
    writeReport(a.out, [], '');
    console.log(`rewrote ${path.relative(ROOT, path.join(a.out, 'engine.md'))} from engine.json`);
    return;
  }
  const keys = a.only ? [a.only] : Object.keys(BENCH_CASES);
  const passArgs = ['--threads', String(a.threads), ...(a.profile ? [] : ['--no-profile'])];
  const gemm = await gemmRate(a.threads);
  console.log(`GEMM rate (onnxruntime MatMul 1024³, ${a.threads} threads): ${gemm.toFixed(1)} GFLOP/s`);
  const results: CaseResult[] = [];
  for (const key of keys) {
    const c = BENCH_CASES[key]!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-${key}-`));
    try {
      console.log(`[${key}] ${c.name}: exporting weights for PyTorch`);
      run(process.execPath, [SELF, '--worker', 'export', key, dir], 'weight export');
      const sequential = a.sequential ?? key === 'r101';
      console.log(`[${key}] ${a.warmup} warm-up + ${a.steps} timed steps per side, ${sequential ? 'sequential' : 'interleaved'}`);
      const load0 = os.loadavg()[0]!;
      const r = await timeBoth(key, dir, a, passArgs, sequential);
      const em = median(r.e);
      const pm = median(r.p);
      console.log(`[${key}] engine ${em.toFixed(1)} ms/step (RSS ${r.engDone.peak_rss_mb.toFixed(0)} MB), PyTorch ${pm.toFixed(1)} ms/step (RSS ${r.pyDone.peak_rss_mb.toFixed(0)} MB), ratio ${(em / pm).toFixed(2)}`);
      const flops = 3 * 2 * r.ready.conv_macs;
      results.push({
        key, name: c.name, engine_ms: em, pytorch_ms: pm, ratio: em / pm,
        engine_peak_rss_mb: r.engDone.peak_rss_mb, pytorch_peak_rss_mb: r.pyDone.peak_rss_mb,
        engine_min_ms: Math.min(...r.e), pytorch_min_ms: Math.min(...r.p),
        paired_ratio_median: sequential ? undefined : median(r.e.map((x, i) => x / r.p[i]!)),
        mode: sequential ? 'sequential' : 'interleaved', load_before: load0, load_after: os.loadavg()[0]!,
        threads: a.threads, steps: a.steps, warmup: a.warmup, engine_times_ms: r.e, pytorch_times_ms: r.p,
        engine_first_step_ms: r.firstEngine, engine_build_ms: r.ready.build_ms, step_nodes: r.ready.nodes,
        conv_gflop_per_step: flops / 1e9, gemm_gflops: gemm,
        engine_gemm_fraction: flops / (em / 1000) / 1e9 / gemm, pytorch_gemm_fraction: flops / (pm / 1000) / 1e9 / gemm,
        torch: r.pyDone.torch, ...(r.engDone.profile ? { profile: r.engDone.profile } : {}),
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
