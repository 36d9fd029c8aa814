#!/usr/bin/env node
/**
 * adapt: source-free adaptation of a segmentation model with STvM self-training (or one of its
 * baselines/ablations, which are configurations of the same loop), single process.
 *
 *   node dist/cli/adapt.js --config configs/adapt/p0-stvm.json --source runs/source-synth/model.ckpt --out runs/adapt-p0
 *
 * Writes into --out: config.json (resolved), version.json, metrics.jsonl, log.jsonl,
 * checkpoints/ (exact resume with --resume), and at the end teacher.model.ckpt and
 * student.model.ckpt (model files), model.onnx + model.onnx.json (the teacher, the evaluated
 * model, as a plain inference ONNX model) and results.json (diagnostic mIoU of teacher and
 * student on the configured labelled split; never used to pick a checkpoint).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseFlags, runMain, UsageError, type CommandSpec } from '../lib/cli/args.js';
import { resultToJson } from '../lib/eval/results.js';
import { validateAdaptConfig, type AdaptConfig } from '../lib/train/adapt-config.js';
import { StvmAlgorithm, TargetBatches } from '../lib/method/stvm/index.js';
import { weightingNames } from '../lib/method/weighting/index.js';
import { openRunDir } from '../lib/run/run-dir.js';
import { writeFileAtomic } from '../lib/util/atomic-write.js';
import { evalDataset, evalOptions, targetAugment, targetImages } from '../lib/train/adapt-data.js';
import { configHash } from '../lib/train/config-hash.js';
import { evaluatePredictor, type EvaluateOptions } from '../lib/train/evaluate.js';
import { runLoop, type EvalSet } from '../lib/train/loop.js';
import { loadSegModel, saveSegModel, type ModelMeta } from '../lib/model/model-file.js';
import { exportSegOnnx } from '../lib/model/seg-net.js';

const COMMAND: CommandSpec = {
  name: 'node dist/cli/adapt.js',
  summary: 'adapt a source segmentation model to unlabelled target images with STvM self-training (teacher = evaluated model)',
  flags: {
    config: { type: 'string', help: 'adaptation config (configs/adapt/*.json); every field is documented in lib/method/self-training-config.ts and lib/method/stvm-config.ts' },
    source: { type: 'string', help: 'source model file (*.model.ckpt from train-source); overrides the config field "source"' },
    out: { type: 'string', help: 'run directory (created); holds the checkpoints, metrics and the adapted model' },
    resume: { type: 'boolean', help: 'continue from the latest checkpoint in --out (same config required)', default: false },
    iterations: { type: 'number', help: 'override the config field "iterations" (e.g. a short smoke run)' },
    threads: { type: 'number', help: 'override runtime.threads (onnxruntime intra-op threads per runner)' },
    progress: { type: 'boolean', help: 'show a progress bar even when stderr is not a terminal', default: false },
    quiet: { type: 'boolean', help: 'no progress bar, log warnings only', default: false },
  },
  examples: [
    'node dist/cli/adapt.js --config configs/adapt/p0-stvm.json --source runs/source-synth/model.ckpt --out runs/adapt-p0',
    'node dist/cli/adapt.js --config configs/adapt/p0-stvm.json --source runs/source-synth/model.ckpt --out runs/adapt-p0 --resume',
    'node dist/cli/adapt.js --config configs/adapt/p1-stvm.json --source runs/source-synth/model.ckpt --out runs/adapt-p1 --iterations 2',
  ],
};

function readConfig(file: string, overrides: Record<string, unknown>): AdaptConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`cannot read config ${file}: ${(e as Error).message}`);
  }
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const o = { ...(raw as Record<string, unknown>) };
    for (const [k, v] of Object.entries(overrides)) if (v !== undefined) o[k] = v;
    if (typeof overrides['threads'] === 'number') {
      delete o['threads'];
      o['runtime'] = { ...(o['runtime'] as object | undefined), threads: overrides['threads'] };
    }
    raw = o;
  }
  return validateAdaptConfig(raw, file);
}

async function main(): Promise<void> {
  const flags = parseFlags(COMMAND);
  if (flags === undefined) return;
  if (typeof flags['config'] !== 'string') throw new UsageError('--config is required (see --help)');
  if (typeof flags['out'] !== 'string') throw new UsageError('--out is required (see --help)');
  const cfg = readConfig(flags['config'], { source: flags['source'], iterations: flags['iterations'], threads: flags['threads'] });
  if (cfg.source === '') throw new UsageError('no source model: pass --source <model.ckpt> or set "source" in the config');
  const out = flags['out'];
  const resume = flags['resume'] === true;
  const quiet = flags['quiet'] === true;

  const model = await loadSegModel(cfg.source);
  const meta = model.meta;
  const { weightingParams, ...resolved } = cfg;
  const record = { ...resolved, weighting: { ...resolved.weighting, params: weightingParams }, sourceModel: { file: cfg.source, spec: meta.spec, protocol: meta.protocol } };
  const run = openRunDir(out, record, { resume, console: quiet ? 'warn' : 'info' });
  const hash = configHash(record);
  run.logger.info('adapt', { config: flags['config'], source: cfg.source, out, weighting: cfg.weighting.name || cfg.stvm.weighting, registered: weightingNames().join(',') });

  const batches = new TargetBatches(await targetImages(cfg.target, meta.protocol), { batch: cfg.batch, seed: cfg.seed, augment: targetAugment(cfg), normalize: meta.normalize });
  const adaptedMeta = (which: string): ModelMeta => ({ ...meta, source: { adaptedFrom: path.resolve(cfg.source), method: cfg.name, network: which, config: hash, iterations: cfg.iterations } });
  const alg = await StvmAlgorithm.create({
    name: cfg.name, cfg: cfg.stvm, seed: cfg.seed, iterations: cfg.iterations, batch: cfg.batch, crop: [cfg.augment.cropWidth, cfg.augment.cropHeight],
    net: { spec: meta.spec, weights: model.tensors }, numClasses: meta.spec.numClasses, normalize: meta.normalize, batches,
    weighting: { name: cfg.weighting.name, params: weightingParams },
    runner: { provider: cfg.runtime.provider, fallback: cfg.runtime.fallback, threads: cfg.runtime.threads, nonFinite: cfg.runtime.nonFinite, log: (m) => run.logger.warn(m) },
    exporter: (file, tensors) => exportSegOnnx(file, tensors, adaptedMeta('teacher')),
  });
  try {
    run.logger.info('self-training loop', { provider: alg.teacher.provider, weighting: alg.settings.weighting.name, mixing: alg.settings.mixing, metric: alg.settings.metric, teacher: alg.settings.teacher, warmup: alg.settings.warmup });
    let evalSet: EvalSet | undefined;
    let evalOpts: EvaluateOptions | undefined;
    if (cfg.eval.enabled) {
      const ds = await evalDataset(cfg.eval, meta.protocol);
      evalOpts = evalOptions(cfg, meta);
      evalSet = { name: ds.id, dataset: ds, options: evalOpts };
    }
    const res = await runLoop(alg, {
      iterations: cfg.iterations, run, checkpointEvery: cfg.runtime.checkpointEvery, resume, configHash: hash,
      keepCheckpoints: cfg.runtime.keepCheckpoints, logEvery: cfg.runtime.logEvery,
      ...(evalSet ? { evalSet, evalEvery: cfg.eval.every > 0 ? cfg.eval.every : cfg.iterations } : {}),
      ...(quiet ? { progress: false } : flags['progress'] ? { progress: true } : {}),
    });
    await saveSegModel(path.join(out, 'teacher.model.ckpt'), { meta: adaptedMeta('teacher'), tensors: await alg.networkTensors('teacher') });
    await saveSegModel(path.join(out, 'student.model.ckpt'), { meta: adaptedMeta('student'), tensors: await alg.networkTensors('student') });
    await alg.exportModel(path.join(out, 'model.onnx'));
    const results: Record<string, unknown> = {
      method: cfg.name, iterations: res.iterations, wall_s: +res.wallS.toFixed(1), skipped: res.skipped, checkpoint: res.checkpoint,
      note: 'diagnostic evaluation of the LAST model; never used to choose a checkpoint',
      command: process.argv.slice(1).map((a) => path.relative(process.cwd(), a) || a).join(' '),
    };
    if (evalSet && evalOpts) {
      // (a resumed run that had already finished evaluates the teacher here)
      const teacherEval = res.lastEval ?? (await evaluatePredictor((x) => alg.predict(x), evalSet.dataset, evalOpts)).result;
      results['teacher'] = resultToJson(teacherEval);
      if (cfg.eval.student) results['student'] = resultToJson((await evaluatePredictor((x) => alg.predictStudent(x), evalSet.dataset, evalOpts)).result);
      run.logger.info('final diagnostic evaluation', { split: evalSet.name, teacher_miou: teacherEval.mIoU, ...(results['student'] ? { student_miou: (results['student'] as { mIoU: number }).mIoU } : {}) });
    }
    await writeFileAtomic(path.join(out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  } finally {
    await alg.close();
  }
}

runMain(main);
