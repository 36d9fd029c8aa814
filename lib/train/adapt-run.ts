/**
 * One adaptation run, from a validated config to an adapted model: the code behind
 * `cli/adapt.ts` (single process) and the student service (teacher over gRPC), so both run
 * exactly the same loop. Writes into `out`: config.json (resolved), version.json,
 * metrics.jsonl, log.jsonl, checkpoints/ (exact resume), and at the end teacher.model.ckpt and
 * student.model.ckpt (model files), model.onnx + model.onnx.json (the teacher, the evaluated
 * model) and results.json (diagnostic mIoU of teacher and student on the configured labelled
 * split; never used to pick a checkpoint).
 */
import path from 'node:path';
import { sourceClassWeights } from '../model/source-class-weights.js';
import { hasBatchNorm, NO_BN_NOTE } from '../model/imported-net.js';
import { resultToJson, type EvaluationResult } from '../eval/results.js';
import { netSourceOf, StvmAlgorithm, TargetBatches, type LoopSettings, type TeacherPort } from '../method/stvm/index.js';
import { weightingNames } from '../method/weighting/index.js';
import { isImportedMeta, loadModelFile, numClassesOf, saveSegModel, type AnyModelFile, type AnyModelMeta } from '../model/model-file.js';
import { exportSegOnnx } from '../model/seg-net.js';
import type { Level } from '../run/logger.js';
import { openRunDir, type RunDir } from '../run/run-dir.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { AdaptConfig } from './adapt-config.js';
import { evalDataset, evalOptions, targetAugment, targetImages } from './adapt-data.js';
import { configHash } from './config-hash.js';
import { adaptationStartModel } from './bn-start.js';
import { evaluatePredictor, type EvaluateOptions } from './evaluate.js';
import { runLoop, type EvalSet, type LoopResult } from './loop.js';
import type { StepMetrics } from '../method/algorithm.js';
import type { ExecutionProvider } from '../engine/runtime/index.js';

export interface AdaptRunOptions {
  readonly cfg: AdaptConfig;
  /** The run directory. */
  readonly out: string;
  readonly resume: boolean;
  /** Console level of the run's logger ('none' in services, which log their own way). */
  readonly console?: Level | 'none';
  readonly progress?: boolean;
  /** The teacher (default: local, in this process). The student service passes its gRPC client. */
  readonly teacher?: (settings: LoopSettings, ctx: { model: AnyModelFile; configHash: string; run: RunDir; sourceFile: string }) => Promise<TeacherPort>;
  /** 0: sync (bit-identical to one process); s > 0: pipelined with staleness ≤ s. */
  readonly maxStaleness?: number;
  readonly onStep?: (t: number, metrics: StepMetrics, wallS: number) => void;
  readonly onEval?: (t: number, result: EvaluationResult) => void;
  /** Stop after the current iteration with a checkpoint. */
  readonly signal?: AbortSignal;
  /**
   * How often a run whose teacher lost its state (a restarted teacher service) goes back to its
   * last checkpoint and continues (default 5).
   */
  readonly teacherRestarts?: number;
  /** The command line recorded in results.json. */
  readonly command?: string;
  /**
   * The execution provider this process runs on (a service's runtime.provider setting, already
   * probed): overrides the run config's runtime.provider and runtime.fallback for the run's
   * runners without changing the run's record (config.json and its hash stay the run's own).
   */
  readonly provider?: ExecutionProvider;
}

export interface AdaptRunResult {
  readonly loop: LoopResult;
  readonly configHash: string;
  /** results.json's content (absent when the run was stopped before its end). */
  readonly results?: Record<string, unknown>;
}

/** The config as the object validateAdaptConfig accepts again (weighting.params inside). */
function configObject(cfg: AdaptConfig): Record<string, unknown> {
  const { weightingParams, ...resolved } = cfg;
  return { ...resolved, weighting: { ...resolved.weighting, params: weightingParams } };
}

/** The resolved record of a run (config.json) and its hash. */
export function adaptRecord(cfg: AdaptConfig, meta: AnyModelMeta): { record: Record<string, unknown>; hash: string } {
  const record = { ...configObject(cfg), sourceModel: { file: cfg.source, ...(isImportedMeta(meta) ? { imported: meta.imported } : { spec: meta.spec }), protocol: meta.protocol } };
  return { record, hash: configHash(record) };
}

/** The config as JSON that validateAdaptConfig accepts again (what the teacher service loads). */
export function adaptConfigJson(cfg: AdaptConfig): string {
  return JSON.stringify(configObject(cfg));
}

export async function adaptRun(o: AdaptRunOptions): Promise<AdaptRunResult> {
  const { cfg, out } = o;
  const loaded = await loadModelFile(cfg.source);
  const { record, hash } = adaptRecord(cfg, loaded.meta);
  const run = openRunDir(out, record, { resume: o.resume, console: o.console ?? 'info' });
  run.logger.info('adapt', { source: cfg.source, out, weighting: cfg.weighting.name || cfg.stvm.weighting, registered: weightingNames().join(','), teacher: o.teacher ? 'remote' : 'local', max_staleness: o.maxStaleness ?? 0 });
  if (loaded.onnx !== undefined && !hasBatchNorm(loaded.onnx)) run.logger.info(NO_BN_NOTE, { bn_mode: cfg.stvm.bn.mode });

  // the starting network: the source model, or its AdaBN form (stvm.bn.mode; bn-start.ts)
  const start = await adaptationStartModel(loaded, cfg, out, o.resume, (msg, f) => run.logger.info(msg, f));
  const model = start.model;
  const meta = model.meta;
  const batches = new TargetBatches(await targetImages(cfg.target, meta.protocol), { batch: cfg.batch, seed: cfg.seed, augment: targetAugment(cfg), normalize: meta.normalize });
  const adaptedMeta = (which: string): AnyModelMeta => ({ ...meta, source: { adaptedFrom: path.resolve(cfg.source), method: cfg.name, network: which, config: hash, iterations: cfg.iterations, from: meta.source ?? null } });
  const makeAlg = () => StvmAlgorithm.create({
    name: cfg.name, cfg: cfg.stvm, seed: cfg.seed, iterations: cfg.iterations, batch: cfg.batch, crop: [cfg.augment.cropWidth, cfg.augment.cropHeight],
    net: netSourceOf(model), numClasses: numClassesOf(meta), normalize: meta.normalize, batches,
    ...withClassWeights(sourceClassWeights(meta.source, numClassesOf(meta))),
    weighting: { name: cfg.weighting.name, params: cfg.weightingParams },
    runner: { provider: o.provider ?? cfg.runtime.provider, fallback: o.provider !== undefined ? 'error' : cfg.runtime.fallback, threads: cfg.runtime.threads, nonFinite: cfg.runtime.nonFinite, log: (m) => run.logger.warn(m) },
    ...(o.teacher ? { teacher: (settings: LoopSettings) => o.teacher!(settings, { model, configHash: hash, run, sourceFile: start.file }) } : {}),
    ...(o.maxStaleness ? { maxStaleness: o.maxStaleness } : {}),
    exporter: (file, tensors) => exportSegOnnx(file, tensors, adaptedMeta('teacher'), model.onnx),
  });
  for (let attempt = 0; ; attempt++) {
    const alg = await makeAlg();
    try {
      run.logger.info('self-training loop', { teacher_provider: alg.teacher.provider, student_provider: alg.student.provider, weighting: alg.settings.weighting.name, mixing: alg.settings.mixing, metric: alg.settings.metric, teacher: alg.settings.teacher, warmup: alg.settings.warmup });
      let evalSet: EvalSet | undefined;
      let evalOpts: EvaluateOptions | undefined;
      if (cfg.eval.enabled) {
        const ds = await evalDataset(cfg.eval, meta.protocol);
        evalOpts = evalOptions(cfg, meta);
        evalSet = { name: ds.id, dataset: ds, options: evalOpts };
      }
      let res: LoopResult;
      try {
        res = await runLoop(alg, {
          iterations: cfg.iterations, run, checkpointEvery: cfg.runtime.checkpointEvery, resume: o.resume || attempt > 0, configHash: hash,
          keepCheckpoints: cfg.runtime.keepCheckpoints, logEvery: cfg.runtime.logEvery,
          ...(evalSet ? { evalSet, evalEvery: cfg.eval.every > 0 ? cfg.eval.every : cfg.iterations } : {}),
          ...(o.progress !== undefined ? { progress: o.progress } : {}),
          ...(o.onStep ? { onStep: o.onStep } : {}), ...(o.onEval ? { onEval: o.onEval } : {}), ...(o.signal ? { signal: o.signal } : {}),
        });
      } catch (e) {
        if ((e as Error).name !== 'TeacherLostError' || attempt >= (o.teacherRestarts ?? 5)) throw e;
        run.logger.warn('teacher lost the run; continuing from the last checkpoint', { attempt: attempt + 1, error: (e as Error).message });
        continue;
      }
      if (res.stopped) return { loop: res, configHash: hash };
      await saveSegModel(path.join(out, 'teacher.model.ckpt'), { ...model, meta: adaptedMeta('teacher'), tensors: await alg.networkTensors('teacher') } as AnyModelFile);
      await saveSegModel(path.join(out, 'student.model.ckpt'), { ...model, meta: adaptedMeta('student'), tensors: await alg.networkTensors('student') } as AnyModelFile);
      await alg.exportModel(path.join(out, 'model.onnx'));
      const results: Record<string, unknown> = {
        method: cfg.name, iterations: res.iterations, wall_s: +res.wallS.toFixed(1), skipped: res.skipped, checkpoint: res.checkpoint,
        teacher_version: alg.teacher.version,
        note: 'diagnostic evaluation of the LAST model; never used to choose a checkpoint',
        ...(o.command ? { command: o.command } : {}),
      };
      if (evalSet && evalOpts) {
        // (a resumed run that had already finished evaluates the teacher here)
        const teacherEval = res.lastEval ?? (await evaluatePredictor((x) => alg.predict(x), evalSet.dataset, evalOpts)).result;
        results['teacher'] = resultToJson(teacherEval);
        if (cfg.eval.student) results['student'] = resultToJson((await evaluatePredictor((x) => alg.predictStudent(x), evalSet.dataset, evalOpts)).result);
        run.logger.info('final diagnostic evaluation', { split: evalSet.name, teacher_miou: teacherEval.mIoU, ...(results['student'] ? { student_miou: (results['student'] as { mIoU: number }).mIoU } : {}) });
      }
      await writeFileAtomic(path.join(out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
      return { loop: res, configHash: hash, results };
    } finally {
      await alg.close();
    }
  }
}

/** The source model's class weights as an algorithm option (absent when the model has none). */
function withClassWeights(w: Float32Array | undefined): { classWeights?: Float32Array } {
  return w ? { classWeights: w } : {};
}
