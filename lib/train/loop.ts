/**
 * runLoop: drives an Algorithm (algorithm.ts) for a number of iterations.
 *
 * It owns
 * - the progress bar (cli-progress on stderr; only on a TTY, off with `progress: false`);
 * - metrics.jsonl (lib/run): one record {step, ...metrics, wall_s} per iteration, where step
 *   is the 0-based iteration and wall_s the run's cumulative wall time (across resumes);
 * - checkpoints: after every `checkpointEvery` iterations and after the last one,
 *   `<run>/checkpoints/step-NNNNNNN.ckpt` (STVMCKPT, atomic) holding the Algorithm's tensors
 *   and the metadata {algorithm, configHash, state: the Algorithm's JSON, skipped, wall_s};
 *   its `step` is the number of iterations done. `checkpoints/latest.json` = {step, file} is
 *   replaced atomically after the file is complete; older files beyond `keepCheckpoints` go;
 * - exact resume (`resume: true`): loads the latest checkpoint (its config hash and algorithm
 *   name must match), restores the Algorithm, drops the metric records of later iterations and
 *   continues at iteration `step`. The Algorithm's determinism rules make the resumed run
 *   reproduce the uninterrupted one;
 * - non-finite steps: with the runner policy 'stop' the NonFiniteStepError is logged (naming
 *   the step) and rethrown; with 'skip' the Algorithm reports `nonfinite_skipped: 1` and the
 *   loop counts them (the count survives resume);
 * - diagnostic evaluation: every `evalEvery` iterations (and after the last) mIoU of the
 *   Algorithm's `predict` on a labelled split, logged as {step, kind: 'eval', split,
 *   diag_miou}. It is a diagnostic only: it never chooses a checkpoint; the reported model is
 *   the last one.
 */
import fs from 'node:fs';
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { LabelledDataset } from '../data/datasets/types.js';
import type { EvaluationResult } from '../eval/results.js';
import { loadCheckpoint, saveCheckpoint, type JsonValue } from '../engine/runtime/checkpoint.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { truncateMetrics, type RunDir } from '../run/run-dir.js';
import { NONFINITE_SKIPPED, type Algorithm, type StepMetrics } from '../method/algorithm.js';
import { evaluatePredictor, type EvaluateOptions } from './evaluate.js';

/** A labelled split evaluated periodically as a diagnostic. */
export interface EvalSet {
  /** Name written in the records, e.g. 'synthstreet-source/val'. */
  readonly name: string;
  readonly dataset: LabelledDataset;
  readonly options: EvaluateOptions;
}

export interface LoopOptions {
  /** Total iterations of the run (a resumed run continues up to this number). */
  readonly iterations: number;
  /** The run directory (lib/run openRunDir): metrics.jsonl, log.jsonl, checkpoints/. */
  readonly run: RunDir;
  /** Save a checkpoint every N iterations (0: only after the last iteration). */
  readonly checkpointEvery: number;
  /** Evaluate `evalSet` every N iterations and after the last (0 or absent: never). */
  readonly evalEvery?: number;
  readonly evalSet?: EvalSet;
  /** Continue from the latest checkpoint of `run` when there is one. Default false. */
  readonly resume?: boolean;
  /** Progress bar: default on when stderr is a TTY. */
  readonly progress?: boolean;
  /** Hash of the resolved config (config-hash.ts), stored in and checked against checkpoints. */
  readonly configHash: string;
  /** Checkpoint files kept (default 2; latest.json always points at the newest). */
  readonly keepCheckpoints?: number;
  /** Also log a human-readable line every N iterations (default 0: none). */
  readonly logEvery?: number;
  /**
   * Stop early after iteration `until` − 1 (a checkpoint is written there), e.g. to split a
   * run over several sessions; `resume` continues it. Default: `iterations`.
   */
  readonly until?: number;
  /** Called after every iteration with its metrics (progress events of the services). */
  readonly onStep?: (t: number, metrics: StepMetrics, wallS: number) => void;
  /** Called after every diagnostic evaluation. */
  readonly onEval?: (t: number, result: EvaluationResult) => void;
  /**
   * Stop early: checked after every iteration; when aborted, a checkpoint is written at the
   * iterations done and the loop returns (result `stopped: true`); `resume` continues it.
   */
  readonly signal?: AbortSignal;
}

export interface LoopResult {
  /** Iteration the run started at (0, or the resumed checkpoint's step). */
  readonly startStep: number;
  /** Iterations done in total (= options.iterations on success, or `until`). */
  readonly iterations: number;
  /** Metrics of the last iteration run in this call. */
  readonly last?: StepMetrics;
  /** Non-finite steps skipped over the whole run (policy 'skip'). */
  readonly skipped: number;
  /** Cumulative wall seconds of the run. */
  readonly wallS: number;
  /** The last diagnostic evaluation, if any. */
  readonly lastEval?: EvaluationResult;
  /** Path of the final checkpoint. */
  readonly checkpoint: string;
  /** True when `signal` stopped the loop before `iterations`. */
  readonly stopped: boolean;
}

interface Latest { step: number; file: string }

const ckptName = (step: number) => `step-${String(step).padStart(7, '0')}.ckpt`;

/** The latest checkpoint of a run directory (or of its checkpoints folder), or undefined. */
export function latestCheckpoint(run: Pick<RunDir, 'checkpoints'> | string): { step: number; path: string } | undefined {
  const dir = typeof run === 'string' ? run : run.checkpoints;
  const p = path.join(dir, 'latest.json');
  if (!fs.existsSync(p)) return undefined;
  const l = JSON.parse(fs.readFileSync(p, 'utf8')) as Latest;
  return { step: l.step, path: path.join(dir, l.file) };
}

interface CkptMeta { algorithm: string; configHash: string; state: JsonValue; skipped: number; wall_s: number }

export async function runLoop(alg: Algorithm, opts: LoopOptions): Promise<LoopResult> {
  const { run, iterations } = opts;
  if (!Number.isInteger(iterations) || iterations < 0) throw new Error(`runLoop: iterations must be an integer ≥ 0 (got ${iterations})`);
  if (!Number.isInteger(opts.checkpointEvery) || opts.checkpointEvery < 0) throw new Error(`runLoop: checkpointEvery must be an integer ≥ 0 (got ${opts.checkpointEvery})`);
  const evalEvery = opts.evalEvery ?? 0;
  if (evalEvery > 0 && !opts.evalSet) throw new Error('runLoop: evalEvery is set but no evalSet is given');
  const keep = opts.keepCheckpoints ?? 2;

  let start = 0;
  let skipped = 0;
  let wallBase = 0;
  if (opts.resume) {
    const latest = latestCheckpoint(run);
    if (latest) {
      const ck = await loadCheckpoint(latest.path);
      const meta = ck.metadata as unknown as CkptMeta;
      if (meta.algorithm !== alg.name) throw new Error(`cannot resume from ${latest.path}: it was written by algorithm '${meta.algorithm}', not '${alg.name}'`);
      if (meta.configHash !== opts.configHash) throw new Error(`cannot resume from ${latest.path}: its config hash ${meta.configHash} differs from this config's ${opts.configHash}`);
      await alg.loadState({ tensors: ck.tensors, json: meta.state });
      start = ck.step;
      skipped = meta.skipped;
      wallBase = meta.wall_s;
      truncateMetrics(run, start - 1);
      run.logger.info('resumed', { checkpoint: latest.path, step: start });
    } else {
      run.logger.info('resume requested but no checkpoint found; starting at iteration 0');
      truncateMetrics(run, -1);
    }
  }

  const t0 = performance.now();
  const wall = () => wallBase + (performance.now() - t0) / 1000;
  const showBar = opts.progress ?? Boolean(process.stderr.isTTY);
  const bar = showBar
    ? new cliProgress.SingleBar({ format: `${alg.name} |{bar}| {value}/{total} it | loss {loss} | eta {eta_formatted}`, stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic)
    : undefined;
  bar?.start(iterations, start, { loss: '-' });

  let lastCkpt = latestCheckpoint(run)?.path ?? '';
  const saveAt = async (step: number): Promise<void> => {
    const state = await alg.saveState();
    const meta: CkptMeta = { algorithm: alg.name, configHash: opts.configHash, state: state.json, skipped, wall_s: wall() };
    const file = ckptName(step);
    await saveCheckpoint(path.join(run.checkpoints, file), { step, tensors: state.tensors, metadata: meta as unknown as JsonValue });
    await writeFileAtomic(path.join(run.checkpoints, 'latest.json'), `${JSON.stringify({ step, file } satisfies Latest)}\n`);
    lastCkpt = path.join(run.checkpoints, file);
    const old = fs.readdirSync(run.checkpoints).filter((f) => /^step-\d+\.ckpt$/.test(f)).sort();
    for (const f of old.slice(0, Math.max(0, old.length - keep))) if (f !== file) fs.rmSync(path.join(run.checkpoints, f), { force: true });
  };

  let last: StepMetrics | undefined;
  let lastEval: EvaluationResult | undefined;
  let stoppedAt: number | undefined;
  try {
    const end = Math.min(iterations, opts.until ?? iterations);
    for (let t = start; t < end; t++) {
      if (opts.signal?.aborted) {
        stoppedAt = t;
        if (t > start) await saveAt(t);
        run.logger.info('stopped on request', { step: t });
        break;
      }
      let m: StepMetrics;
      try {
        m = await alg.step(t);
      } catch (e) {
        const err = e as Error;
        if (err.name === 'NonFiniteStepError') {
          run.logger.error(`non-finite step at iteration ${t}; stopping (non-finite policy 'stop')`, { step: t, detail: err.message });
          run.metric({ step: t, nonfinite: 1, stopped: true, wall_s: wall() });
        }
        throw err;
      }
      if (m[NONFINITE_SKIPPED]) {
        skipped++;
        run.logger.warn(`non-finite step at iteration ${t} skipped (policy 'skip'); ${skipped} so far`, { step: t });
      }
      last = m;
      run.metric({ step: t, ...m, wall_s: +wall().toFixed(3) });
      opts.onStep?.(t, m, wall());
      bar?.update(t + 1, { loss: typeof m['loss'] === 'number' ? m['loss'].toFixed(4) : '-' });
      if (opts.logEvery && (t + 1) % opts.logEvery === 0) run.logger.info(`iteration ${t + 1}/${iterations}`, m);
      const done = t + 1;
      if (done === end || (opts.checkpointEvery > 0 && done % opts.checkpointEvery === 0)) await saveAt(done);
      if (opts.evalSet && evalEvery > 0 && (done % evalEvery === 0 || done === end)) {
        const ev = await evaluatePredictor((x) => alg.predict(x), opts.evalSet.dataset, opts.evalSet.options);
        lastEval = ev.result;
        opts.onEval?.(t, ev.result);
        run.metric({ step: t, kind: 'eval', split: opts.evalSet.name, diag_miou: ev.result.mIoU, diag_pixel_acc: ev.result.pixelAccuracy, wall_s: +wall().toFixed(3) });
        run.logger.info(`diagnostic evaluation on ${opts.evalSet.name} (not used for model selection)`, { step: t, miou: ev.result.mIoU });
      }
    }
  } finally {
    bar?.stop();
  }
  if (start >= iterations && lastCkpt === '' && iterations === 0) await saveAt(0);
  const done = stoppedAt ?? Math.max(start, Math.min(iterations, opts.until ?? iterations));
  return { startStep: start, iterations: done, ...(last ? { last } : {}), skipped, wallS: wall(), ...(lastEval ? { lastEval } : {}), checkpoint: lastCkpt, stopped: stoppedAt !== undefined };
}
