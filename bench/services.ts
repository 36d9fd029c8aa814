/**
 * The services benchmark: what running STvM distributed (teacher-service and student-service
 * processes, pseudo-labels over gRPC, weights through NATS JetStream) costs or gains against the
 * single-process run (cli/adapt.ts: teacher and student runners in worker threads of one
 * process), on the same config, machine and script:
 *
 *   1. a single-process run      node dist/cli/adapt.js --config <cfg> --out <work>/single
 *   2. a distributed 'sync' run   Student.StartRun(mode SYNC_MODE_SYNC)       (bit-identical to 1)
 *   3. a distributed 'pipelined'  Student.StartRun(mode SYNC_MODE_PIPELINED, max_staleness s)
 *   4. the EMA weight hop student → NATS → teacher (bench/services-sync.ts measureEmaSync) for
 *      the benchmarked model's size and 43 M parameters (ResNet-101 DeepLab-v2)
 *
 * against one nats-server and one teacher and one student process started here. Writes
 *
 *   <out>/services.json  {"sync": {"distributed_over_single"},
 *                         "pipelined": {"distributed_over_single", "teacher_wait_fraction", "staleness_mean", "miou_delta"},
 *                         "ema_sync": [{"params", "mb_per_s", "latency_ms"}],
 *                         "ema_sync_detail": [measureEmaSync's full rows], "runs": [per repeat:
 *                         per-run step statistics], "meta": {config, source, loadavg, commit, notes, …}}
 *   <out>/services.md    the same as tables, with the command and the load average
 *
 * Definitions (per run, from its metrics.jsonl; wall_s there is the loop's cumulative wall time,
 * so one iteration's wall time is the difference to the previous record's):
 * - measured iterations: the student steps (records without 'warmup', i.e. after the metric
 *   warm-up K_w, where an iteration is teacher-only) less the first --skip of them (runner
 *   warm-up: first student train step, first weight publish);
 * - images/s = batch × measured iterations / their summed wall time;
 *   distributed_over_single = images/s (distributed) / images/s (single process);
 * - teacher_wait_fraction = Σ ms_teacher / Σ iteration wall time over the measured iterations
 *   (the student waiting for the teacher's labels; pipelined: for the prefetched answer);
 * - staleness_mean = mean 'staleness' over all student steps of the pipelined run;
 * - miou_delta = pipelined − sync final teacher mIoU (results.json teacher.mIoU).
 * With --repeats R > 1 the three runs are repeated R times (single, sync, pipelined, single, …)
 * and every headline number is the median over the repeats.
 *
 * The source model: --source FILE, else runs/gates/source/model.ckpt when it exists (the P0
 * source model of bench:gates), else one trained here (cli/train-source.ts on
 * configs/source/synthstreet.json, --source-iterations, cached in <work>/source). --smoke: a
 * random tiny DeepLab, a 6-iteration 64×48 config, small EMA sizes — a check that the script
 * works, not a measurement.
 *
 *   npm run bench:services
 *   npm run bench:services -- --source runs/gates/source/model.ckpt --iterations 150 --repeats 2
 *   node dist/bench/services.js --smoke --out /tmp/services-smoke
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFlags, runMain, UsageError, type CommandSpec } from '../lib/cli/args.js';
import { PROTOCOLS } from '../lib/data/datasets/protocols.js';
import { createDeepLab, smallDeepLabSpec } from '../lib/engine/models/index.js';
import { IMAGENET_NORMALIZATION, loadSegModel, saveSegModel } from '../lib/model/model-file.js';
import { codeVersion } from '../lib/run/code-version.js';
import { makeClient, unary } from '../lib/services/grpc/client.js';
import { validateAdaptConfig } from '../lib/train/adapt-config.js';
import { startNatsServer, type NatsServerHandle } from '../lib/services/local/nats-server.js';
import { startServiceProcess, type ServiceProcess } from '../lib/services/local/service-process.js';
import { measureEmaSync, type EmaSyncResult } from './services-sync.js';

const SPEC: CommandSpec = {
  name: 'npm run bench:services --',
  summary: 'distributed (teacher/student services, NATS) vs single-process STvM: throughput, teacher wait, staleness, mIoU; EMA weight-sync cost; writes <out>/services.json|md',
  flags: {
    config: { type: 'string', help: 'adaptation config (configs/adapt/*.json, or a bench config configs/bench/adapt-P*.json: its "base")', default: 'configs/adapt/p0-stvm.json' },
    source: { type: 'string', help: 'source model file (default: runs/gates/source/model.ckpt if present, else one trained here)' },
    iterations: { type: 'number', help: 'iterations of each adaptation run (default 40; the config\'s metric warm-up is scaled to keep its share of the run unless --warmup-iters)' },
    'warmup-iters': { type: 'number', help: 'metric warm-up K_w of the runs (default: the config\'s, scaled by iterations / config iterations)' },
    threads: { type: 'number', help: 'onnxruntime threads per runner, the same for every runner of every run (default: the config\'s runtime.threads)' },
    skip: { type: 'number', help: 'student steps excluded from the timing as runner warm-up (default 3; smoke 2)' },
    'max-staleness': { type: 'number', help: 'max_staleness of the pipelined run', default: 2 },
    'quantize-bits': { type: 'number', help: 'student.quantizeBits of the student service (pipelined maps as 8/16 bit; 0: float32)', default: 0 },
    repeats: { type: 'number', help: 'repeat the three runs; headline numbers are medians over repeats', default: 1 },
    'source-iterations': { type: 'number', help: 'iterations of the source model trained here when there is none', default: 300 },
    'ema-params': { type: 'string', help: 'comma-separated parameter counts for the EMA sync (default: the model\'s, 43000000; smoke: the tiny model\'s, 100000)' },
    'ema-reps': { type: 'number', help: 'publish+pull rounds per EMA size (median)' },
    out: { type: 'string', help: 'results folder (default bench/results; smoke: bench/tmp)' },
    work: { type: 'string', help: 'folder of the run directories (default runs/bench/services; smoke: a temporary folder)' },
    keep: { type: 'boolean', help: 'smoke: keep the temporary work folder', default: false },
    smoke: { type: 'boolean', help: 'tiny random model, 6 iterations, small EMA sizes: checks the script, measures nothing', default: false },
  },
  examples: [
    'npm run bench:services',
    'npm run bench:services -- --source runs/gates/source/model.ckpt --iterations 150 --repeats 2',
    'node dist/bench/services.js --smoke --out /tmp/services-smoke',
  ],
};

/** A step record of metrics.jsonl. */
export interface StepRecord {
  step: number;
  wall_s: number;
  warmup?: number;
  ms_teacher?: number;
  staleness?: number;
  [k: string]: unknown;
}

export interface RunStats {
  /** Step records of the run. */
  iterations: number;
  /** Iterations with a student step (after the metric warm-up). */
  student_steps: number;
  /** Iterations timed (student steps less the first `skip`), and the first of them. */
  measured: number;
  measured_from_step: number;
  images_per_s: number;
  step_ms_mean: number;
  step_ms_median: number;
  /** Σ ms_teacher / Σ iteration wall time over the measured iterations. */
  teacher_wait_fraction: number;
  /** Σ ms_ema / Σ iteration wall time (sync: publish + the teacher applying it). */
  ema_wait_fraction: number;
  /** Over every student step; null when the run has none with 'staleness'. */
  staleness_mean: number | null;
  staleness_max: number | null;
  /** Mean ms per measured iteration of each ms_* phase the records have. */
  phase_ms: Record<string, number>;
  /** The loop's wall time at the last step record (s). */
  loop_wall_s: number;
}

const median = (v: readonly number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[k]! : (s[k - 1]! + s[k]!) / 2;
};
const mean = (v: readonly number[]) => (v.length === 0 ? NaN : v.reduce((a, b) => a + b, 0) / v.length);
const round = (v: number, d = 4) => (Number.isFinite(v) ? Math.round(v * 10 ** d) / 10 ** d : v);

/** The step records (no eval/other kinds) of a run directory, by step. */
export function readSteps(dir: string): StepRecord[] {
  return fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').filter((l) => l !== '')
    .map((l) => JSON.parse(l) as StepRecord & { kind?: string }).filter((r) => r.kind === undefined)
    .sort((a, b) => a.step - b.step);
}

/** Timing statistics of a run's step records (see the file comment for the definitions). */
export function stepStats(records: readonly StepRecord[], batch: number, skip: number): RunStats {
  if (records.length === 0) throw new Error('stepStats: no step records');
  records.forEach((r, i) => {
    if (r.step !== i) throw new Error(`stepStats: step records are not 0..n-1 without gaps (record ${i} has step ${r.step}; a resumed run?)`);
  });
  const dt = records.map((r, i) => r.wall_s - (i > 0 ? records[i - 1]!.wall_s : 0));
  const student = records.map((r, i) => ({ r, dt: dt[i]! })).filter((x) => x.r.warmup !== 1);
  const measured = student.slice(skip);
  if (measured.length === 0) throw new Error(`stepStats: ${student.length} student steps, none left after skipping ${skip} (more iterations, or a smaller --skip)`);
  const sumS = measured.reduce((a, x) => a + x.dt, 0);
  const sumMs = (k: string) => measured.reduce((a, x) => a + (typeof x.r[k] === 'number' ? (x.r[k] as number) : 0), 0);
  const phases = [...new Set(measured.flatMap((x) => Object.keys(x.r).filter((k) => k.startsWith('ms_'))))].sort();
  const stale = student.map((x) => x.r.staleness).filter((v): v is number => typeof v === 'number');
  return {
    iterations: records.length,
    student_steps: student.length,
    measured: measured.length,
    measured_from_step: measured[0]!.r.step,
    images_per_s: round((batch * measured.length) / sumS),
    step_ms_mean: round((1000 * sumS) / measured.length, 2),
    step_ms_median: round(1000 * median(measured.map((x) => x.dt)), 2),
    teacher_wait_fraction: round(sumMs('ms_teacher') / (1000 * sumS)),
    ema_wait_fraction: round(sumMs('ms_ema') / (1000 * sumS)),
    staleness_mean: stale.length ? round(mean(stale)) : null,
    staleness_max: stale.length ? Math.max(...stale) : null,
    phase_ms: Object.fromEntries(phases.map((k) => [k, round(sumMs(k) / measured.length, 2)])),
    loop_wall_s: records[records.length - 1]!.wall_s,
  };
}

type Mode = 'single' | 'sync' | 'pipelined';

interface RunOutcome {
  mode: Mode;
  dir: string;
  stats: RunStats;
  teacher_miou: number | null;
  /** Process wall time of the whole run (start to results.json: model loading, data, evaluation included). */
  total_s: number;
  loadavg_before: number[];
  loadavg_after: number[];
}

const load = () => os.loadavg().map((v) => Math.round(v * 100) / 100);

function teacherMiou(dir: string): number | null {
  const f = path.join(dir, 'results.json');
  if (!fs.existsSync(f)) return null;
  const r = JSON.parse(fs.readFileSync(f, 'utf8')) as { teacher?: { mIoU?: number } };
  return typeof r.teacher?.mIoU === 'number' ? r.teacher.mIoU : null;
}

function runNode(args: string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr!.on('data', (d: Buffer) => { err = (err + d.toString('utf8')).slice(-4000); });
    p.on('error', reject);
    p.on('exit', (code, sig) => (code === 0 ? resolve() : reject(new Error(`${what} exited with ${code ?? sig}:\n${err}`))));
  });
}

/** The same tiny DeepLab as test/services/distributed.test.ts (random weights). */
async function tinySourceModel(file: string): Promise<void> {
  const spec = smallDeepLabSpec({ widths: [8, 8, 16, 16], stemWidth: 8, numClasses: 11, asppDilations: [1, 2], bn: 'train', seed: 3 });
  const { g } = createDeepLab(spec, 1, 33, 33);
  await saveSegModel(file, {
    meta: { format: 'stvm-segmodel', version: 1, spec, normalize: IMAGENET_NORMALIZATION, protocol: 'camvid11', classes: PROTOCOLS.camvid11.classes, inputSize: [64, 48] },
    tensors: new Map(g.graph.initializers),
  });
}

/** The smoke config: P0's target style at 64×48, 6 iterations (1 of metric warm-up), 1 thread. */
function smokeConfig(): Record<string, unknown> {
  return {
    name: 'stvm', iterations: 6, batch: 2, seed: 5,
    target: { source: 'synthstreet', style: 'overcast-photo', count: 6, width: 64, height: 48 },
    augment: { cropWidth: 48, cropHeight: 40 },
    eval: { enabled: true, source: 'synthstreet', style: 'overcast-photo', count: 2, width: 64, height: 48 },
    stvm: { metric: { hidden: 16, dim: 8, warmupIters: 1 } },
    runtime: { threads: 1, checkpointEvery: 0 },
  };
}

/** A path relative to the repository root when inside it, else absolute. */
const shownPath = (root: string, p: string) => { const r = path.relative(root, p); return r === '' || r.startsWith('..') || path.isAbsolute(r) ? p : r; };

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

async function main(): Promise<void> {
  const f = parseFlags(SPEC);
  if (!f) return;
  const smoke = f['smoke'] === true;
  const given = (k: string) => process.argv.slice(2).some((a) => a === `--${k}` || a.startsWith(`--${k}=`));
  if (smoke && (given('source') || given('config'))) throw new UsageError('--smoke uses its own tiny model and config; drop --source/--config (or drop --smoke and use --iterations for a short real run)');
  const intFlag = (k: string, min: number): number | undefined => {
    const v = f[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new UsageError(`--${k}: expected an integer ≥ ${min}, got ${v}`);
    return v;
  };
  const maxStaleness = intFlag('max-staleness', 1)!;
  const quantizeBits = intFlag('quantize-bits', 0)!;
  if (![0, 8, 16].includes(quantizeBits)) throw new UsageError('--quantize-bits: 0, 8 or 16');
  const repeats = intFlag('repeats', 1)!;
  const skip = intFlag('skip', 0) ?? (smoke ? 2 : 3);
  const sourceIterations = intFlag('source-iterations', 1)!;
  const emaReps = intFlag('ema-reps', 1) ?? (smoke ? 2 : 3);
  const threadsFlag = intFlag('threads', 1);
  const itersFlag = intFlag('iterations', 1);
  const warmFlag = intFlag('warmup-iters', 0);

  // every path absolute, then work from the repository root (dist/<service>/main.js are spawned relative to it)
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const outDir = path.resolve(typeof f['out'] === 'string' ? f['out'] : path.join(root, smoke ? 'bench/tmp' : 'bench/results'));
  const work = smoke
    ? (typeof f['work'] === 'string' ? path.resolve(f['work']) : fs.mkdtempSync(path.join(os.tmpdir(), 'sfda-bench-services-')))
    : path.resolve(typeof f['work'] === 'string' ? f['work'] : path.join(root, 'runs/bench/services'));
  const configArg = smoke ? undefined : path.resolve(f['config'] as string);
  const sourceArg = typeof f['source'] === 'string' ? path.resolve(f['source']) : undefined;
  process.chdir(root);
  fs.mkdirSync(work, { recursive: true });
  fs.mkdirSync(outDir, { recursive: true });
  const notes: string[] = [];
  const t0 = Date.now();
  const loadStart = load();
  const log = (m: string) => console.log(`[bench:services ${((Date.now() - t0) / 1000).toFixed(0)}s] ${m}`);

  // ---- the source model ----
  let source: string;
  let sourceNote: string;
  if (smoke) {
    source = path.join(work, 'tiny.model.ckpt');
    await tinySourceModel(source);
    sourceNote = 'SMOKE: a random tiny DeepLab (widths 8,8,16,16; 11 classes), not a trained source model — the numbers check the script, they measure nothing';
  } else if (sourceArg) {
    if (!fs.existsSync(sourceArg)) throw new UsageError(`--source: ${sourceArg} does not exist`);
    source = sourceArg;
    sourceNote = `given with --source`;
  } else if (fs.existsSync(path.join(root, 'runs/gates/source/model.ckpt'))) {
    source = path.join(root, 'runs/gates/source/model.ckpt');
    sourceNote = 'the P0 source model of bench:gates (runs/gates/source: configs/source/synthstreet.json, 1500 iterations)';
  } else {
    const dir = path.join(work, `source-${sourceIterations}`);
    source = path.join(dir, 'model.ckpt');
    const cmd = ['dist/cli/train-source.js', '--config', 'configs/source/synthstreet.json', '--out', dir, '--quiet', '--set', `iterations=${sourceIterations}`];
    if (!fs.existsSync(source)) {
      fs.rmSync(dir, { recursive: true, force: true });
      log(`no --source and no runs/gates/source/model.ckpt: training one (node ${cmd.join(' ')})`);
      await runNode(cmd, 'train-source');
    }
    sourceNote = `trained here, SHORT: node ${cmd.join(' ')} (${sourceIterations} iterations instead of the config's 1500; cached) — not the P0 source model of bench:gates, so the mIoU numbers are not P0's`;
  }
  notes.push(`source model: ${sourceNote}`);
  const model = await loadSegModel(source);
  const modelParams = [...model.tensors.values()].reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);

  // ---- the config, the same JSON for every run ----
  let raw: Record<string, unknown>;
  if (smoke) raw = smokeConfig();
  else {
    const parsed = JSON.parse(fs.readFileSync(configArg!, 'utf8')) as unknown;
    if (!isObj(parsed)) throw new UsageError(`--config: ${configArg} is not a JSON object`);
    if (isObj(parsed['base']) && Array.isArray(parsed['rows'])) {
      raw = { name: 'stvm', ...parsed['base'] };
      notes.push(`config: the "base" of the bench config ${shownPath(root, configArg!)}`);
    } else raw = parsed;
  }
  raw = structuredClone(raw);
  raw['source'] = source;
  const base = validateAdaptConfig(raw, smoke ? 'smoke config' : configArg);
  const iterations = itersFlag ?? (smoke ? base.iterations : 40);
  const stvm = (raw['stvm'] ??= {}) as Record<string, unknown>;
  const metric = (stvm['metric'] ??= {}) as Record<string, unknown>;
  const cfgWarm = base.stvm.metric.warmupIters;
  const warm = warmFlag ?? (iterations === base.iterations ? cfgWarm : Math.round((cfgWarm * iterations) / base.iterations));
  if (warmFlag === undefined && warm !== cfgWarm) notes.push(`metric warm-up scaled with the run length: K_w ${cfgWarm} of ${base.iterations} iterations in the config → ${warm} of ${iterations}`);
  raw['iterations'] = iterations;
  metric['warmupIters'] = warm;
  const threads = threadsFlag ?? base.runtime.threads;
  raw['runtime'] = { ...(raw['runtime'] as object | undefined), threads };
  const cfg = validateAdaptConfig(raw, 'bench config');
  if (cfg.stvm.metric.enabled && warm >= iterations) throw new UsageError(`metric warm-up ${warm} ≥ iterations ${iterations}: no student step to time`);
  const cfgFile = path.join(work, 'config.json');
  fs.writeFileSync(cfgFile, `${JSON.stringify(raw, null, 2)}\n`);
  const configJson = JSON.stringify(raw);
  log(`config ${smoke ? '(smoke)' : shownPath(root, configArg!)}: ${iterations} iterations (K_w ${warm}), batch ${cfg.batch}, crop ${cfg.augment.cropWidth}×${cfg.augment.cropHeight}, ${threads} thread(s) per runner; source ${shownPath(root, source)}`);

  // ---- nats-server, teacher and student processes ----
  let nats: NatsServerHandle | undefined;
  let teacher: ServiceProcess | undefined;
  let student: ServiceProcess | undefined;
  const runs: { repeat: number; single: RunOutcome; sync: RunOutcome; pipelined: RunOutcome }[] = [];
  let ema: EmaSyncResult[] = [];
  const emaCounts = typeof f['ema-params'] === 'string'
    ? f['ema-params'].split(',').map((s) => Number(s.trim()))
    : [modelParams, smoke ? 100_000 : 43_000_000];
  if (emaCounts.some((n) => !Number.isInteger(n) || n < 1)) throw new UsageError(`--ema-params: positive integers, got '${f['ema-params']}'`);
  try {
    nats = await startNatsServer();
    const common = ['--nats.servers', nats.url, '--metrics.enabled', 'false', '--log.level', 'warn'];
    teacher = await startServiceProcess('teacher-service', common);
    student = await startServiceProcess('student-service', [...common, '--student.teacher', teacher.address, '--student.quantizeBits', String(quantizeBits)]);
    log(`nats-server ${nats.url}, teacher ${teacher.address}, student ${student.address}`);

    const runSingle = async (dir: string): Promise<void> => {
      await runNode(['dist/cli/adapt.js', '--config', cfgFile, '--out', dir, '--quiet'], 'single-process adapt');
    };
    const runDistributed = async (dir: string, mode: 'sync' | 'pipelined', id: string): Promise<void> => {
      const c = makeClient('Student', student!.address, { deadlineMs: 30_000 });
      try {
        await unary(c, 'StartRun', {
          run_id: id, run_dir: dir, config_json: configJson, source_model: source, resume: false,
          mode: mode === 'pipelined' ? 'SYNC_MODE_PIPELINED' : 'SYNC_MODE_SYNC', max_staleness: mode === 'pipelined' ? maxStaleness : 0, teacher_address: teacher!.address,
        });
        for (;;) {
          const st = await unary(c, 'GetState', { run_id: id });
          if (st.phase === 'FINISHED') return;
          if (st.phase === 'FAILED' || st.phase === 'STOPPED') throw new Error(`distributed ${mode} run ${st.phase}: ${st.error}\n${student!.log().slice(-2000)}\n${teacher!.log().slice(-2000)}`);
          await new Promise((r) => setTimeout(r, 250));
        }
      } finally {
        c.close();
      }
    };
    const one = async (rep: number, mode: Mode): Promise<RunOutcome> => {
      const dir = path.join(work, `rep-${rep}`, mode);
      fs.rmSync(dir, { recursive: true, force: true });
      const before = load();
      const s0 = performance.now();
      if (mode === 'single') await runSingle(dir);
      else await runDistributed(dir, mode, `bench-${mode}-${rep}-${process.pid}-${Date.now()}`);
      const total = (performance.now() - s0) / 1000;
      const out: RunOutcome = {
        mode, dir, stats: stepStats(readSteps(dir), cfg.batch, skip), teacher_miou: teacherMiou(dir), total_s: round(total, 1), loadavg_before: before, loadavg_after: load(),
      };
      log(`repeat ${rep} ${mode}: ${out.stats.images_per_s} images/s over ${out.stats.measured} iterations (from step ${out.stats.measured_from_step}), teacher wait ${(100 * out.stats.teacher_wait_fraction).toFixed(1)} %, teacher mIoU ${out.teacher_miou === null ? 'n/a' : (100 * out.teacher_miou).toFixed(2)}, ${out.total_s} s in all`);
      return out;
    };
    for (let rep = 0; rep < repeats; rep++) {
      const single = await one(rep, 'single');
      const sync = await one(rep, 'sync');
      const pipelined = await one(rep, 'pipelined');
      runs.push({ repeat: rep, single, sync, pipelined });
    }
    log(`EMA weight sync: ${emaCounts.join(', ')} parameters, ${emaReps} round(s) each`);
    ema = await measureEmaSync(nats.url, emaCounts, { reps: emaReps });
  } finally {
    await Promise.allSettled([student?.kill(), teacher?.kill()]);
    await nats?.cleanup();
  }

  // ---- the report ----
  const ratio = (a: RunOutcome, b: RunOutcome) => a.stats.images_per_s / b.stats.images_per_s;
  const med = (fn: (r: (typeof runs)[number]) => number | null) => {
    const v = runs.map(fn).filter((x): x is number => x !== null && Number.isFinite(x));
    return v.length ? round(median(v)) : null;
  };
  const miouDelta = med((r) => (r.pipelined.teacher_miou !== null && r.sync.teacher_miou !== null ? r.pipelined.teacher_miou - r.sync.teacher_miou : null));
  if (cfg.eval.enabled === false) notes.push('eval.enabled is false in the config: no teacher mIoU, miou_delta is null');
  if (smoke) notes.push('SMOKE run: 6 iterations of a random tiny model at 64×48 on a shared machine; the ratios and mIoU mean nothing');
  notes.push(
    `timing: per-iteration wall time = difference of consecutive wall_s in metrics.jsonl; timed = the student steps after the metric warm-up (K_w ${warm}, teacher-only iterations) less the first ${skip} (runner warm-up); the final evaluation and checkpoint come after the last record and are not timed`,
    'single process = node dist/cli/adapt.js (teacher and student runners in worker threads of one process, sync, local teacher); distributed = teacher-service and student-service processes on loopback, nats-server for the weights; every runner gets the same onnxruntime threads (runtime.threads; the teacher service runs with --teacher.threads 0 = the run config\'s)',
    'ema_wait_fraction (runs table) = Σ ms_ema / Σ iteration wall time: single — the local EMA update; sync — publishing θ_s to NATS and the teacher applying it; pipelined — the publish only (the student still waits for its snapshot to be stored before the next iteration)',
    `teacher_wait_fraction = Σ ms_teacher / Σ iteration wall time; staleness_mean over all ${runs[0]?.pipelined.stats.student_steps ?? 0} student steps of the pipelined run; miou_delta = pipelined − sync final teacher mIoU (results.json)`,
  );
  const cv = codeVersion();
  const command = `${smoke ? 'node dist/bench/services.js' : 'npm run bench:services --'} ${process.argv.slice(2).join(' ')}`.trim();
  const result = {
    sync: { distributed_over_single: med((r) => ratio(r.sync, r.single)) },
    pipelined: {
      distributed_over_single: med((r) => ratio(r.pipelined, r.single)),
      teacher_wait_fraction: med((r) => r.pipelined.stats.teacher_wait_fraction),
      staleness_mean: med((r) => r.pipelined.stats.staleness_mean),
      miou_delta: miouDelta,
    },
    ema_sync: ema.map((e) => ({ params: e.params, mb_per_s: e.mb_per_s, latency_ms: e.latency_ms })),
    ema_sync_detail: ema,
    runs: runs.map((r) => ({
      repeat: r.repeat,
      ...Object.fromEntries((['single', 'sync', 'pipelined'] as const).map((m) => {
        const o = r[m];
        return [m, { ...o.stats, teacher_miou: o.teacher_miou, total_s: o.total_s, loadavg_before: o.loadavg_before, loadavg_after: o.loadavg_after, run_dir: shownPath(root, o.dir) }];
      })),
    })),
    meta: {
      smoke,
      config: smoke ? 'smoke (built in)' : shownPath(root, configArg!),
      resolved_config: raw,
      source: shownPath(root, source),
      source_note: sourceNote,
      model_params: modelParams,
      iterations, metric_warmup: warm, batch: cfg.batch, crop: [cfg.augment.cropWidth, cfg.augment.cropHeight], threads_per_runner: threads,
      max_staleness: maxStaleness, quantize_bits: quantizeBits, skip, repeats, ema_reps: emaReps,
      loadavg_start: loadStart, loadavg_end: load(), cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model ?? '', node: process.version,
      date: new Date().toISOString(), commit: cv.commit, dirty: cv.dirty, wall_s: round((Date.now() - t0) / 1000, 1), command, notes,
    },
  };
  const jf = path.join(outDir, 'services.json');
  fs.writeFileSync(jf, `${JSON.stringify(result, null, 2)}\n`);
  const mf = path.join(outDir, 'services.md');
  fs.writeFileSync(mf, markdown(result));
  log(`wrote ${jf} and ${mf}`);
  console.log(JSON.stringify({ sync: result.sync, pipelined: result.pipelined, ema_sync: result.ema_sync }, null, 2));
  if (smoke && !f['keep'] && typeof f['work'] !== 'string') fs.rmSync(work, { recursive: true, force: true });
}

type Report = {
  sync: { distributed_over_single: number | null };
  pipelined: { distributed_over_single: number | null; teacher_wait_fraction: number | null; staleness_mean: number | null; miou_delta: number | null };
  ema_sync: { params: number; mb_per_s: number; latency_ms: number }[];
  ema_sync_detail: EmaSyncResult[];
  runs: Record<string, unknown>[];
  meta: Record<string, unknown> & { notes: string[]; iterations: number; metric_warmup: number; batch: number; crop: number[]; threads_per_runner: number; max_staleness: number; repeats: number; skip: number; loadavg_start: number[]; loadavg_end: number[]; cpus: number; command: string; smoke: boolean };
};

function markdown(r: Report): string {
  const m = r.meta;
  const fx = (v: number | null | undefined, d = 2) => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(d));
  const pc = (v: number | null | undefined, d = 1) => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : (100 * v).toFixed(d));
  const L: string[] = [];
  L.push('# Services benchmark: distributed vs single-process STvM', '');
  if (m.smoke) L.push('**SMOKE RUN — a random tiny model, 6 iterations: these numbers check the script and measure nothing.**', '');
  L.push(`Config \`${String(m['config'])}\`, ${m.iterations} iterations (metric warm-up ${m.metric_warmup}), batch ${m.batch}, crop ${m.crop.join('×')}, ${m.threads_per_runner} onnxruntime thread(s) per runner, pipelined max staleness ${m.max_staleness}, ${m.repeats} repeat(s) (medians), ${m.skip} student steps skipped as warm-up. Source model: \`${String(m['source'])}\` — ${String(m['source_note'])}.`, '');
  L.push('| | value |', '|---|---|');
  L.push(`| sync: distributed / single (images/s) | ${fx(r.sync.distributed_over_single, 3)} |`);
  L.push(`| pipelined: distributed / single (images/s) | ${fx(r.pipelined.distributed_over_single, 3)} |`);
  L.push(`| pipelined: teacher wait (share of iteration time) | ${pc(r.pipelined.teacher_wait_fraction)} % |`);
  L.push(`| pipelined: mean staleness (student steps) | ${fx(r.pipelined.staleness_mean)} |`);
  L.push(`| pipelined − sync teacher mIoU | ${r.pipelined.miou_delta === null ? 'n/a' : `${(100 * r.pipelined.miou_delta).toFixed(2)} points`} |`);
  L.push('', '## Runs', '', '| repeat | run | images/s | ms/iteration (mean / median) | teacher wait % | EMA wait % | staleness mean / max | teacher mIoU % | × single | load before → after |', '|---|---|---|---|---|---|---|---|---|---|');
  for (const run of r.runs) {
    const single = run['single'] as RunStats;
    for (const mode of ['single', 'sync', 'pipelined'] as const) {
      const s = run[mode] as RunStats & { teacher_miou: number | null; loadavg_before: number[]; loadavg_after: number[] };
      L.push(`| ${String(run['repeat'])} | ${mode === 'single' ? 'single process' : `distributed ${mode}`} | ${fx(s.images_per_s)} | ${fx(s.step_ms_mean, 1)} / ${fx(s.step_ms_median, 1)} | ${pc(s.teacher_wait_fraction)} | ${pc(s.ema_wait_fraction)} | ${s.staleness_mean === null ? '–' : `${fx(s.staleness_mean)} / ${s.staleness_max}`} | ${pc(s.teacher_miou, 2)} | ${fx(s.images_per_s / single.images_per_s, 3)} | ${s.loadavg_before[0]} → ${s.loadavg_after[0]} |`);
    }
  }
  L.push('', '## EMA weight sync (student → NATS JetStream → teacher, publish + pull, median)', '', '| parameters | MB | MB/s | latency ms | publish ms | pull ms |', '|---|---|---|---|---|---|');
  for (const e of r.ema_sync_detail) L.push(`| ${e.params.toLocaleString('en-US')} | ${(e.bytes / 1e6).toFixed(2)} | ${e.mb_per_s} | ${e.latency_ms} | ${e.publish_ms} | ${e.pull_ms} |`);
  L.push('', '## Command and machine', '', `\`${m.command}\``, '');
  L.push(`Load average (1/5/15 min) at the start ${m.loadavg_start.join(' / ')}, at the end ${m.loadavg_end.join(' / ')}; ${m.cpus} CPUs (${String(m['cpu_model'])}); node ${String(m['node'])}; commit ${String(m['commit'])}${m['dirty'] ? ' (dirty)' : ''}; ${String(m['date'])}.`, '');
  L.push('## Notes', '', ...m.notes.map((n) => `- ${n}`), '');
  return L.join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) runMain(main);
