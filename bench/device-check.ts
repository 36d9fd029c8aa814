/**
 * The device check of issue 10: on a machine with (or without) a GPU, in one command,
 *   (a) the environment: nvidia-smi, driver, CUDA libraries (lib/engine/runtime/gpu-check.ts),
 *       Node, onnxruntime-node and its backends, python3's torch;
 *   (b) the engine on the chosen provider against the CPU provider: probe, node placement (which
 *       ops fall back to the CPU), the small DeepLab's forward, loss and EVERY gradient, two STvM
 *       iterations (TeacherCore + StudentSide), the in-graph ClassMix against the TypeScript
 *       mixing (bench/device-stages.ts);
 *   (c) the engine benchmark cases — DeepLab-v2 ResNet-101 at 1×3×512×1024 and 2×3×512×1024, the
 *       small DeepLab at 8×3×180×240 — against PyTorch on the same device in the same script
 *       (bench/engine-cases.ts steps, tools/pytorch/bench_step.py --device cuda), one side at a time
 *       (GPU memory: nvidia-smi polled; CPU: peak RSS), with the engine's host⇄device bytes per step
 *       (TrainStepRunner.ioStats);
 *   (d) writes <out>/engine-gpu.json ({"device","cases":[{"key","engine_ms","pytorch_ms","ratio",
 *       "engine_peak_mb","pytorch_peak_mb","host_device_bytes_per_step", …}]}),
 *       <out>/engine-gpu-agreement.json, <out>/device-check-<phase>.json (every stage's status,
 *       time, error) and .log, and copies them to $OUT when that is set.
 * Every stage is time-boxed (a child process, killed at its limit) and independent: a failing
 * stage records its error and the script goes on; a global budget skips what no longer fits.
 *
 * Phases, for a device machine that takes two transfers (tools/device-check.sh, docs/gpu.md):
 *   --phase a   environment + PyTorch side of every case (weights exported by the engine);
 *               results kept in --state (outside the working tree) for phase b
 *   --phase b   environment + the engine on the provider: probe, placement, agreement, engine side
 *               of every case; merges phase a's PyTorch results (runs them itself when missing)
 *   --phase all everything in one go (a host with Node, the provider and torch already there)
 *
 *   node dist/bench/device-check.js --help
 *   node dist/bench/device-check.js --provider cpu --size small      (the CPU dry run, a few minutes)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROVIDERS, type ExecutionProvider } from '../lib/engine/runtime/index.js';
import { deviceLine, environment, GpuMemSampler, type MemPeak } from './device-env.js';
import {
  caseFor, DEVICE_CASES, parsePlacement, stageAgreeMix, stageAgreeNet, stageAgreeStvm, stageExport, stagePlacement, stageProbe, stageServe,
  type EngineDone, type EngineReady, type Size,
} from './device-stages.js';
import { StepServer } from './step-server.js';

const SELF = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(SELF), '..', '..');

const HELP = `device check (issue 10): environment, engine-vs-CPU agreement, engine vs PyTorch benchmarks

  node dist/bench/device-check.js [--provider cuda|cpu|webgpu] [--phase all|a|b] [--size full|small]
        [--only env,probe,placement,agree-net,agree-mix,agree-stvm,bench] [--cases small8,r101,r101b2]
        [--steps N] [--warmup N] [--threads N] [--tf32 on|off] [--agree-tf32 on|off] [--tol X]
        [--budget-s S] [--out DIR] [--state DIR] [--python python3] [--pytorch-dir DIR]

  --provider     the engine's execution provider under test (default cuda); 'cpu' is the dry run:
                 agreement then compares cpu with cpu, PyTorch runs on the CPU
  --phase        a: environment + PyTorch sides (saved in --state); b: environment + engine
                 (probe, placement, agreement, engine sides, merged with phase a's PyTorch
                 results); all (default): everything
  --size         full (default): the issue's sizes; small: shrunken batches for a CPU dry run
  --only         stages to run (default all of the phase's); --cases: benchmark cases (default all)
  --steps/--warmup  timed and warm-up steps per side (default 10/3; small: 2/1)
  --threads      onnxruntime intra-op threads and torch threads (default: 2 on cpu, 0 = onnxruntime's choice on a GPU)
  --tf32         benchmarks: on (default; onnxruntime's CUDA provider uses TF32 unless
                 NVIDIA_TF32_OVERRIDE=0, and PyTorch is set to allow it) or off (both strict fp32)
  --agree-tf32   agreement stages: off (default: NVIDIA_TF32_OVERRIDE=0, strict fp32) or on
  --tol          agreement tolerance, relative (default 1e-3; see engine-gpu-agreement.json)
  --budget-s     wall-clock budget of the whole script; stages that no longer fit are skipped
                 (default: a 170, b 420, all 900)
  --out          where the result files go (default bench/results; --provider cpu: bench/tmp/device-check);
                 also copied to $OUT when set
  --state        where phase a leaves PyTorch results and exported weights for phase b
                 (default $GPU_RT/device-check, else <tmp>/device-check)
Exit status 0 when the script ran to its end (failed stages are recorded, not fatal), 2 on bad flags.`;

interface Args {
  provider: ExecutionProvider; phase: 'all' | 'a' | 'b'; size: Size; only: Set<string>; cases: string[];
  steps: number; warmup: number; threads: number; tf32: 'on' | 'off'; agreeTf32: 'on' | 'off'; tol: number;
  budgetS: number; out: string; state: string; python: string; pytorchDir: string;
}

const STAGES = ['env', 'probe', 'placement', 'agree-net', 'agree-mix', 'agree-stvm', 'bench'];

class UsageError extends Error {}

function parseArgs(argv: string[]): Args | undefined {
  const raw: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    if (k === '--help' || k === '-h') return undefined;
    if (!k.startsWith('--')) throw new UsageError(`unexpected argument '${k}'`);
    const v = argv[++i];
    if (v === undefined) throw new UsageError(`${k} needs a value`);
    raw[k.slice(2)] = v;
  }
  const known = ['provider', 'phase', 'size', 'only', 'cases', 'steps', 'warmup', 'threads', 'tf32', 'agree-tf32', 'tol', 'budget-s', 'out', 'state', 'python', 'pytorch-dir'];
  for (const k of Object.keys(raw)) if (!known.includes(k)) throw new UsageError(`unknown flag --${k} (see --help)`);
  const provider = (raw['provider'] ?? 'cuda') as ExecutionProvider;
  if (!PROVIDERS.includes(provider)) throw new UsageError(`--provider must be one of ${PROVIDERS.join(', ')}`);
  const phase = (raw['phase'] ?? 'all') as Args['phase'];
  if (!['all', 'a', 'b'].includes(phase)) throw new UsageError('--phase must be all, a or b');
  const size = (raw['size'] ?? 'full') as Size;
  if (size !== 'full' && size !== 'small') throw new UsageError('--size must be full or small');
  const only = new Set((raw['only'] ?? STAGES.join(',')).split(',').map((s) => s.trim()).filter(Boolean));
  for (const s of only) if (!STAGES.includes(s)) throw new UsageError(`--only: unknown stage '${s}' (known: ${STAGES.join(', ')})`);
  const cases = (raw['cases'] ?? Object.keys(DEVICE_CASES).join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  for (const c of cases) if (!(c in DEVICE_CASES)) throw new UsageError(`--cases: unknown case '${c}' (known: ${Object.keys(DEVICE_CASES).join(', ')})`);
  const int = (k: string, d: number, min: number) => {
    const v = raw[k] === undefined ? d : Number(raw[k]);
    if (!Number.isInteger(v) || v < min) throw new UsageError(`--${k} must be an integer >= ${min}`);
    return v;
  };
  const onOff = (k: string, d: 'on' | 'off') => {
    const v = raw[k] ?? d;
    if (v !== 'on' && v !== 'off') throw new UsageError(`--${k} must be on or off`);
    return v;
  };
  const tol = raw['tol'] === undefined ? 1e-3 : Number(raw['tol']);
  if (!(tol > 0)) throw new UsageError('--tol must be a positive number');
  const small = size === 'small';
  const rt = process.env['GPU_RT'];
  return {
    provider, phase, size, only, cases,
    steps: int('steps', small ? 2 : 10, 1), warmup: int('warmup', small ? 1 : 3, 0), threads: int('threads', provider === 'cpu' ? 2 : 0, 0),
    tf32: onOff('tf32', 'on'), agreeTf32: onOff('agree-tf32', 'off'), tol,
    budgetS: int('budget-s', phase === 'a' ? 170 : phase === 'b' ? 420 : 900, 10),
    out: path.resolve(raw['out'] ?? path.join(ROOT, provider === 'cpu' ? 'bench/tmp/device-check' : 'bench/results')),
    state: path.resolve(raw['state'] ?? path.join(rt ?? os.tmpdir(), 'device-check')),
    python: raw['python'] ?? 'python3',
    pytorchDir: path.resolve(raw['pytorch-dir'] ?? (fs.existsSync(path.join(ROOT, 'tools/pytorch/bench_step.py')) ? path.join(ROOT, 'tools/pytorch') : path.join(process.cwd(), 'tools/pytorch'))),
  };
}

// ---------------------------------------------------------------------------------------------
// child side

async function child(argv: string[]): Promise<void> {
  const o: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) o[argv[i]!.replace(/^--/, '')] = argv[i + 1]!;
  const provider = o['provider'] as ExecutionProvider;
  const threads = Number(o['threads'] ?? 0);
  const tol = Number(o['tol'] ?? 1e-3);
  const stage = o['stage']!;
  if (stage === 'serve') return stageServe(o['case']!, o['size'] as Size, provider, threads);
  let result: unknown;
  switch (stage) {
    case 'probe': result = await stageProbe(provider, threads); break;
    case 'placement': result = await stagePlacement(provider, threads); break;
    case 'agree-net': result = await stageAgreeNet(provider, threads, tol); break;
    case 'agree-mix': result = await stageAgreeMix(provider, threads); break;
    case 'agree-stvm': result = await stageAgreeStvm(provider, threads, tol); break;
    case 'export': result = stageExport(o['case']!, o['size'] as Size, o['dir']!); break;
    default: throw new Error(`unknown stage ${stage}`);
  }
  fs.writeFileSync(o['result']!, JSON.stringify(result));
}

// ---------------------------------------------------------------------------------------------
// parent side

interface StageRecord { name: string; status: 'ok' | 'failed' | 'timeout' | 'skipped'; seconds: number; error?: string }

class Check {
  readonly started = Date.now();
  readonly deadline: number;
  readonly stages: StageRecord[] = [];
  readonly logFile: string;
  readonly written: string[] = [];

  constructor(readonly a: Args) {
    this.deadline = this.started + a.budgetS * 1000;
    fs.mkdirSync(a.out, { recursive: true });
    fs.mkdirSync(a.state, { recursive: true });
    this.logFile = path.join(a.out, `device-check-${a.phase}.log`);
    fs.writeFileSync(this.logFile, `device check ${new Date().toISOString()} ${process.argv.slice(2).join(' ')}\n`);
  }

  log(msg: string): void {
    const line = `[${((Date.now() - this.started) / 1000).toFixed(1).padStart(6)} s] ${msg}`;
    process.stdout.write(`${line}\n`);
    fs.appendFileSync(this.logFile, `${line}\n`);
  }

  appendLog(title: string, text: string, max = 60000): void {
    const t = text.length > max ? `…(${text.length - max} characters cut)…\n${text.slice(-max)}` : text;
    fs.appendFileSync(this.logFile, `----- ${title} -----\n${t}\n`);
  }

  left(): number {
    return this.deadline - Date.now();
  }

  /** Runs a stage within min(limit, what the budget leaves); records ok / failed / timeout / skipped. */
  async stage<T>(name: string, limitS: number, fn: (ms: number) => Promise<T>, minS = 10): Promise<T | undefined> {
    const left = this.left();
    if (left < minS * 1000) {
      this.stages.push({ name, status: 'skipped', seconds: 0, error: `budget: ${(left / 1000).toFixed(0)} s left, needs ${minS} s` });
      this.log(`${name}: SKIPPED (budget)`);
      return undefined;
    }
    const ms = Math.min(limitS * 1000, left);
    const t0 = Date.now();
    this.log(`${name}: start (limit ${(ms / 1000).toFixed(0)} s)`);
    try {
      const r = await fn(ms);
      this.stages.push({ name, status: 'ok', seconds: (Date.now() - t0) / 1000 });
      this.log(`${name}: ok (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      return r;
    } catch (e) {
      const timeout = e instanceof TimeoutError;
      const error = (e as Error).message.slice(0, 4000);
      this.stages.push({ name, status: timeout ? 'timeout' : 'failed', seconds: (Date.now() - t0) / 1000, error });
      this.log(`${name}: ${timeout ? 'TIMEOUT' : 'FAILED'} — ${error.split('\n')[0]}`);
      return undefined;
    }
  }

  skip(name: string, why: string): void {
    this.stages.push({ name, status: 'skipped', seconds: 0, error: why });
    this.log(`${name}: SKIPPED (${why})`);
  }

  /** Writes a result file to --out, and to $OUT when set (and different). */
  write(file: string, data: unknown): void {
    const p = path.join(this.a.out, file);
    fs.writeFileSync(p, `${JSON.stringify(data, null, 1)}\n`);
    if (!this.written.includes(file)) this.written.push(file);
    this.copyOut(p);
  }

  copyOut(p: string): void {
    const out = process.env['OUT'];
    if (out && path.resolve(out) !== path.resolve(path.dirname(p))) {
      try {
        fs.copyFileSync(p, path.join(out, path.basename(p)));
      } catch (e) {
        this.log(`could not copy ${p} to $OUT: ${(e as Error).message}`);
      }
    }
  }
}

class TimeoutError extends Error {}

function within<T>(p: Promise<T>, ms: number, what: string, onTimeout: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => { onTimeout(); reject(new TimeoutError(`${what}: no answer within ${(ms / 1000).toFixed(0)} s`)); }, ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e as Error); });
  });
}

/** Environment of the agreement children: NVIDIA_TF32_OVERRIDE=0 unless --agree-tf32 on. */
function childEnv(tf32: 'on' | 'off'): NodeJS.ProcessEnv {
  const env = { ...process.env };
  if (tf32 === 'off') env['NVIDIA_TF32_OVERRIDE'] = '0';
  else delete env['NVIDIA_TF32_OVERRIDE'];
  return env;
}

/** Runs `node SELF --stage name …` with a time limit; returns its result JSON and its output. */
async function childStage(c: Check, name: string, extra: string[], ms: number, env: NodeJS.ProcessEnv): Promise<{ result: unknown; output: string }> {
  const result = path.join(c.a.state, `stage-${name}-${process.pid}.json`);
  fs.rmSync(result, { force: true });
  const args = ['--max-old-space-size=16384', SELF, '--stage', name, '--result', result, '--provider', c.a.provider, '--threads', String(c.a.threads), '--tol', String(c.a.tol), ...extra];
  const proc = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const keep = (d: Buffer) => { output += d.toString(); if (output.length > 4_000_000) output = output.slice(-2_000_000); };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  const code = await within(new Promise<number | null>((res) => proc.on('close', (k) => res(k))), ms, `stage ${name}`, () => {
    try { process.kill(-proc.pid!, 'SIGKILL'); } catch { /* gone */ }
  }).catch((e: Error) => { c.appendLog(`${name} (killed)`, output); throw e; });
  if (code !== 0 || !fs.existsSync(result)) {
    c.appendLog(`${name} (exit ${code})`, output);
    const tail = output.split('\n').filter((l) => l.trim() && !l.includes('CleanUnusedInitializers')).slice(-12).join('\n');
    throw new Error(`stage ${name} exited with ${code}:\n${tail}`);
  }
  const r = JSON.parse(fs.readFileSync(result, 'utf8')) as unknown;
  fs.rmSync(result, { force: true });
  return { result: r, output };
}

const median = (xs: number[]) => { const s = [...xs].sort((x, y) => x - y); const m = s.length >> 1; return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };

interface SideResult {
  ms?: number; min_ms?: number; times_ms?: number[]; peak_mb?: number; peak_source?: string; memory?: MemPeak; first_step_ms?: number;
  host_device_bytes_per_step?: number; error?: string; [k: string]: unknown;
}

/**
 * Times one side (a StepServer): warm-up + timed steps. `sampler` (GPU) was started before the
 * side's process, so its device-memory baseline excludes the side; it is stopped after the last
 * step, while the side is still alive.
 */
async function timeSide(c: Check, server: StepServer, ms: number, sampler: GpuMemSampler | undefined): Promise<{ ready: Record<string, unknown>; times: number[]; first: number; mem?: MemPeak; done: Record<string, unknown> }> {
  const t0 = Date.now();
  const rest = () => Math.max(1000, ms - (Date.now() - t0));
  const kill = () => server.kill();
  const ready = await within(server.read<Record<string, unknown>>(), rest(), `${server.label} start`, kill);
  const times: number[] = [];
  let first = NaN;
  for (let i = 0; i < c.a.warmup + c.a.steps; i++) {
    const t = await within(server.step(), rest(), `${server.label} step ${i + 1}`, kill);
    if (i === 0) first = t;
    if (i >= c.a.warmup) times.push(t);
  }
  const mem = await sampler?.stop();
  const done = await within(server.done<Record<string, unknown>>(), rest(), `${server.label} done`, kill);
  return { ready, times, first, ...(mem ? { mem } : {}), done };
}

function peakOf(mem: MemPeak | undefined, rssMb: number | undefined): { peak_mb?: number; peak_source?: string } {
  if (mem?.compute_apps_mb !== undefined) return { peak_mb: mem.compute_apps_mb, peak_source: 'nvidia-smi compute-apps used_memory (max over samples)' };
  if (mem?.device_delta_mb !== undefined) return { peak_mb: mem.device_delta_mb, peak_source: 'nvidia-smi memory.used minus the value before the side started (max over samples)' };
  if (rssMb !== undefined) return { peak_mb: rssMb, peak_source: 'peak RSS of the side\'s process' };
  return {};
}

async function pytorchSide(c: Check, key: string, gpu: boolean): Promise<SideResult> {
  const dir = path.join(c.a.state, 'cases', `${key}-${c.a.size}`);
  const saved = path.join(c.a.state, `pytorch-${key}-${c.a.size}.json`);
  fs.rmSync(saved, { force: true });
  const exported = await c.stage(`export ${key}`, 180, async (ms) => (await childStage(c, 'export', ['--case', key, '--size', c.a.size, '--dir', dir], ms, process.env)).result);
  if (exported === undefined) return { error: 'the weights export failed (see the stage)' };
  const res = await c.stage(`pytorch ${key}`, 240, async (ms) => {
    const dev = gpu ? 'cuda' : 'cpu';
    const args = [path.join(c.a.pytorchDir, 'bench_step.py'), '--serve', '--weights', path.join(dir, 'weights.onnx'), '--case', path.join(dir, 'case.json'),
      '--threads', String(c.a.threads || os.cpus().length), '--device', dev, '--tf32', c.a.tf32, '--cudnn-benchmark', 'on'];
    const sampler = gpu ? new GpuMemSampler() : undefined;
    await sampler?.start();
    const server = new StepServer('PyTorch', c.a.python, args, ROOT, { ...process.env, PYTHONUNBUFFERED: '1' });
    try {
      const r = await timeSide(c, server, ms, sampler);
      const d = r.done;
      const side: SideResult = {
        ms: median(r.times), min_ms: Math.min(...r.times), times_ms: r.times, first_step_ms: r.first,
        ...peakOf(r.mem, d['peak_rss_mb'] as number | undefined), ...(r.mem ? { memory: r.mem } : {}),
        torch: d['torch'], device: d['device'], gpu: d['gpu'] ?? null, cuda: d['cuda'] ?? null, cudnn: d['cudnn'] ?? null,
        tf32: d['tf32'] ?? null, cudnn_benchmark: d['cudnn_benchmark'] ?? null, peak_rss_mb: d['peak_rss_mb'],
        torch_max_memory_allocated_mb: d['max_memory_allocated_mb'] ?? null, torch_max_memory_reserved_mb: d['max_memory_reserved_mb'] ?? null,
        // the batch stays on the device; each step reads the loss back (one float32)
        host_device_bytes_per_step: gpu ? 4 : 0,
      };
      return side;
    } catch (e) {
      c.appendLog(`pytorch ${key} stderr`, server.stderrTail);
      throw e;
    } finally {
      await sampler?.stop();
      server.kill();
    }
  });
  const side: SideResult = res ?? { error: c.stages[c.stages.length - 1]?.error ?? 'failed' };
  fs.writeFileSync(saved, JSON.stringify(side));
  return side;
}

async function engineSide(c: Check, key: string, gpu: boolean): Promise<SideResult> {
  const limit = key === 'small8' ? 180 : 300;
  const res = await c.stage(`engine ${key}`, limit, async (ms) => {
    const args = ['--max-old-space-size=16384', SELF, '--stage', 'serve', '--case', key, '--size', c.a.size, '--provider', c.a.provider, '--threads', String(c.a.threads)];
    const sampler = gpu ? new GpuMemSampler() : undefined;
    await sampler?.start();
    const server = new StepServer('engine', process.execPath, args, ROOT, childEnv(c.a.tf32));
    try {
      const r = await timeSide(c, server, ms, sampler);
      const ready = r.ready as unknown as EngineReady;
      const done = r.done as unknown as EngineDone;
      const perStep = done.io.runs > 0 ? (done.io.bytes_in + done.io.bytes_out) / done.io.runs : NaN;
      const side: SideResult = {
        ms: median(r.times), min_ms: Math.min(...r.times), times_ms: r.times, first_step_ms: r.first,
        ...peakOf(r.mem, done.peak_rss_mb), ...(r.mem ? { memory: r.mem } : {}), peak_rss_mb: done.peak_rss_mb,
        provider: ready.provider, build_ms: ready.build_ms, step_nodes: ready.nodes, conv_gflop_per_step: (3 * 2 * ready.conv_macs) / 1e9,
        host_device_bytes_per_step: perStep, bytes_in_per_step: done.io.last_in, bytes_out_per_step: done.io.last_out, skipped_steps: done.skipped_steps,
      };
      return side;
    } catch (e) {
      c.appendLog(`engine ${key} stderr`, server.stderrTail);
      throw e;
    } finally {
      await sampler?.stop();
      server.kill();
    }
  });
  return res ?? { error: c.stages[c.stages.length - 1]?.error ?? 'failed' };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--stage') return child(argv);
  let a: Args | undefined;
  try {
    a = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`device-check: ${e.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw e;
  }
  if (a === undefined) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const c = new Check(a);
  const gpu = a.provider !== 'cpu';
  const stamp = new Date().toISOString();
  const command = `node dist/bench/device-check.js ${argv.join(' ')}`.trim();
  c.log(`phase ${a.phase}, provider ${a.provider}, size ${a.size}, budget ${a.budgetS} s, out ${a.out}, state ${a.state}`);

  // (a) environment — every phase
  const env = (a.only.has('env') ? await c.stage('env', 90, async () => environment(a.provider)) : undefined) ?? { provider: a.provider };
  const device = deviceLine(a.provider, env);
  c.log(`device: ${device}`);
  const report: Record<string, unknown> = { device, phase: a.phase, provider: a.provider, size: a.size, measured_at: stamp, command, env };
  const writeReport = () => { report['stages'] = c.stages; report['seconds'] = (Date.now() - c.started) / 1000; c.write(`device-check-${a.phase}.json`, report); };
  writeReport();

  const enginePhase = a.phase !== 'a';
  const torchPhase = a.phase !== 'b';
  // (b) the engine on the provider against the CPU provider
  let probeOk = true;
  const agreement: Record<string, unknown> = { device, provider: a.provider, measured_at: stamp, command, tol: a.tol, tf32: a.agreeTf32 === 'off' ? 'off (NVIDIA_TF32_OVERRIDE=0)' : 'on' };
  if (enginePhase) {
    const tfEnv = childEnv(a.agreeTf32);
    if (a.only.has('probe')) {
      const probe = await c.stage('probe', 150, async (ms) => (await childStage(c, 'probe', [], ms, process.env)).result as Record<string, unknown>);
      agreement['probe'] = probe ?? { ok: false, error: c.stages[c.stages.length - 1]?.error };
      probeOk = probe?.['ok'] === true;
      if (!probeOk) c.log(`probe: the ${a.provider} provider did not start — engine stages on it are skipped: ${String(probe?.['error'] ?? '').split('\n')[0]}`);
    }
    if (a.only.has('placement') && probeOk) {
      agreement['placement'] = await c.stage('placement', 150, async (ms) => {
        const { result, output } = await childStage(c, 'placement', [], ms, process.env);
        c.appendLog('placement (verbose onnxruntime log, cut)', output, 20000);
        return { sessions: result, placement: parsePlacement(output) };
      });
    }
    for (const [name, limit] of [['agree-net', 240], ['agree-mix', 120], ['agree-stvm', 240]] as const) {
      if (!a.only.has(name)) continue;
      if (!probeOk) { c.skip(name, 'the provider did not start'); continue; }
      agreement[name] = await c.stage(name, limit, async (ms) => {
        const { result, output } = await childStage(c, name, [], ms, tfEnv);
        c.appendLog(name, output, 8000);
        return result;
      }) ?? { ok: false, error: c.stages[c.stages.length - 1]?.error };
    }
    const verdict = (k: string) => (agreement[k] as { ok?: boolean } | undefined)?.ok;
    agreement['ok'] = ['agree-net', 'agree-mix', 'agree-stvm'].filter((k) => a.only.has(k)).every((k) => verdict(k) === true);
    agreement['stages'] = c.stages.filter((s) => ['probe', 'placement', 'agree-net', 'agree-mix', 'agree-stvm'].includes(s.name));
    c.write('engine-gpu-agreement.json', agreement);
    writeReport();
  }

  // (c) benchmarks: per case, PyTorch (phase a / all, or b when phase a left nothing) and the engine
  if (a.only.has('bench')) {
    const cases: Record<string, unknown>[] = [];
    const bench = { device, provider: a.provider, size: a.size, measured_at: stamp, command, steps: a.steps, warmup: a.warmup, threads: a.threads, tf32: a.tf32, cases };
    for (const key of a.cases) {
      const cs = caseFor(key, a.size);
      let py: SideResult | undefined;
      const saved = path.join(a.state, `pytorch-${key}-${a.size}.json`);
      if (!torchPhase && fs.existsSync(saved)) {
        py = JSON.parse(fs.readFileSync(saved, 'utf8')) as SideResult;
        c.log(`pytorch ${key}: phase a's result from ${saved}`);
      } else if (torchPhase || !fs.existsSync(saved)) {
        py = await pytorchSide(c, key, gpu);
      }
      const pyReport = (report['pytorch'] ??= {}) as Record<string, unknown>;
      pyReport[key] = py ?? null;
      if (!enginePhase) {
        writeReport();
        continue;
      }
      const eng = probeOk ? await engineSide(c, key, gpu) : { error: `the ${a.provider} provider did not start (probe)` };
      const ratio = eng.ms !== undefined && py?.ms !== undefined ? eng.ms / py.ms : null;
      cases.push({
        key, name: cs.name, batch: [cs.batch[0], 3, cs.batch[1], cs.batch[2]],
        engine_ms: eng.ms ?? null, pytorch_ms: py?.ms ?? null, ratio,
        engine_peak_mb: eng.peak_mb ?? null, pytorch_peak_mb: py?.peak_mb ?? null,
        host_device_bytes_per_step: eng.host_device_bytes_per_step ?? null,
        engine: eng, pytorch: py ?? null,
      });
      c.write('engine-gpu.json', bench);
      c.log(`${key}: engine ${fmt(eng.ms)} ms, PyTorch ${fmt(py?.ms)} ms, ratio ${ratio === null ? '–' : ratio.toFixed(2)}, peak ${fmt(eng.peak_mb)} / ${fmt(py?.peak_mb)} MB, host⇄device ${eng.host_device_bytes_per_step === undefined ? '–' : `${(eng.host_device_bytes_per_step / 2 ** 20).toFixed(1)} MiB`}/step`);
    }
    writeReport();
  }

  writeReport();
  c.copyOut(c.logFile);
  const bad = c.stages.filter((s) => s.status !== 'ok');
  c.log(`done in ${((Date.now() - c.started) / 1000).toFixed(0)} s: ${c.stages.length - bad.length}/${c.stages.length} stages ok${bad.length ? `; not ok: ${bad.map((s) => `${s.name} (${s.status})`).join(', ')}` : ''}`);
  c.log(`files: ${[...c.written, path.basename(c.logFile)].map((f) => path.join(a.out, f)).join(', ')}${process.env['OUT'] ? ' (copied to $OUT)' : ''}`);
}

const fmt = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(1));

main().catch((e: unknown) => {
  process.stderr.write(`device-check: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
