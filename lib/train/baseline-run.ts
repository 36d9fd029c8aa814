/**
 * One run of a non-self-training baseline — AdaBN or TENT (lib/method/baselines) — on the
 * target data of an adaptation config, written like an STvM run: a self-describing run
 * directory (config.json, version.json, metrics/log, checkpoints for TENT) and at the end
 * `model.ckpt` (a model file that evaluate, predict and export accept), `model.onnx` (+ sidecar,
 * the inference model) and `results.json` (the diagnostic evaluation of the adapted model on the
 * config's labelled split when eval.enabled; never used to choose anything).
 *
 * AdaBN: one pass over the target images (the first `adabn.count` frames of a SynthStreet target,
 * every image of a dataset target), batches of `adabn.batch`, running statistics re-estimated.
 * TENT: `cfg.iterations` steps on the target batches of (cfg.seed, t) with the config's crop and
 * batch; resumable from its checkpoints.
 */
import path from 'node:path';
import { validate, type Resolved } from '../config/schema.js';
import { resultToJson } from '../eval/results.js';
import { adaBN } from '../method/baselines/adabn.js';
import { TentAlgorithm } from '../method/baselines/tent.js';
import { TargetBatches } from '../method/stvm/target-batches.js';
import { loadSegModel, saveSegModel, type AnyModelFile, type SegModelFile } from '../model/model-file.js';
import { openModelFile } from '../model/model-predictor.js';
import { exportSegOnnx } from '../model/seg-net.js';
import { openRunDir } from '../run/run-dir.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { AdaptConfig } from './adapt-config.js';
import { evalDataset, evalOptions, targetAugment, targetImages } from './adapt-data.js';
import { configHash } from './config-hash.js';
import { evaluatePredictor } from './evaluate.js';
import { runLoop } from './loop.js';

export const TENT_SCHEMA = {
  lr: { type: 'number', default: 1e-4, min: 0, doc: 'TENT learning rate (constant)' },
  optimizer: { type: 'enum', values: ['adam', 'sgd'], default: 'adam', doc: 'Adam (TENT default) or SGD' },
  momentum: { type: 'number', default: 0.9, min: 0, max: 1, doc: 'SGD momentum' },
} as const;
export const ADABN_SCHEMA = {
  batch: { type: 'int', default: 8, min: 2, doc: 'AdaBN batch size' },
  count: { type: 'int', default: 200, min: 2, doc: 'unlabelled target frames (SynthStreet) or 0 = all images of the target split' },
} as const;
export type TentSettings = Resolved<typeof TENT_SCHEMA>;
export type AdaBNSettings = Resolved<typeof ADABN_SCHEMA>;

export function tentSettings(input: unknown, where = 'tent'): TentSettings {
  return validate(TENT_SCHEMA, input ?? {}, where);
}

export function adabnSettings(input: unknown, where = 'adabn'): AdaBNSettings {
  return validate(ADABN_SCHEMA, input ?? {}, where);
}

export interface BaselineRunOptions {
  readonly method: 'adabn' | 'tent';
  /** The adaptation config: target data, crop, batch, seed, iterations, eval, runtime. */
  readonly cfg: AdaptConfig;
  readonly out: string;
  readonly tent?: TentSettings;
  readonly adabn?: AdaBNSettings;
  readonly resume?: boolean;
  readonly threads?: number;
  readonly console?: 'info' | 'warn' | 'none';
  readonly progress?: boolean;
}

export interface BaselineRunResult {
  readonly model: SegModelFile;
  readonly modelFile: string;
  readonly miou?: number;
  readonly results: Record<string, unknown>;
}

/** The AdaBN-adapted `src` on the config's target images. */
export async function adabnAdapted<M extends AnyModelFile>(src: M, cfg: AdaptConfig, s: AdaBNSettings, threads: number): Promise<M> {
  const target = await targetImages(cfg.target, src.meta.protocol, cfg.target.source === 'synthstreet' ? s.count : undefined);
  return adaBN(src, target, { batch: s.batch, threads });
}

export async function baselineRun(o: BaselineRunOptions): Promise<BaselineRunResult> {
  const { cfg, out } = o;
  const src = await loadSegModel(cfg.source);
  const threads = o.threads ?? cfg.runtime.threads;
  const settings = o.method === 'tent' ? { tent: o.tent ?? tentSettings({}) } : { adabn: o.adabn ?? adabnSettings({}) };
  const record = { method: o.method, ...settings, source: path.resolve(cfg.source), seed: cfg.seed, iterations: cfg.iterations, batch: cfg.batch, crop: [cfg.augment.cropWidth, cfg.augment.cropHeight], target: cfg.target, eval: cfg.eval };
  const run = openRunDir(out, record, { resume: o.resume ?? false, console: o.console ?? 'info' });
  const t0 = performance.now();
  let model: SegModelFile;
  let iterations: number;
  if (o.method === 'adabn') {
    model = await adabnAdapted(src, cfg, settings.adabn!, threads);
    iterations = (model.meta.source as { batches?: number }).batches ?? 0;
    run.logger.info('adabn', { batches: iterations, batch: settings.adabn!.batch });
  } else {
    const t = settings.tent!;
    const batches = new TargetBatches(await targetImages(cfg.target, src.meta.protocol), { batch: cfg.batch, seed: cfg.seed, augment: targetAugment(cfg), normalize: src.meta.normalize });
    const alg = await TentAlgorithm.create({ model: src, batches, batch: cfg.batch, crop: [cfg.augment.cropWidth, cfg.augment.cropHeight], lr: t.lr, optimizer: t.optimizer, momentum: t.momentum, threads, evalBatch: cfg.eval.batch });
    try {
      const res = await runLoop(alg, {
        iterations: cfg.iterations, run, checkpointEvery: cfg.runtime.checkpointEvery, resume: o.resume ?? false, configHash: configHash(record),
        keepCheckpoints: cfg.runtime.keepCheckpoints, logEvery: cfg.runtime.logEvery, ...(o.progress !== undefined ? { progress: o.progress } : {}),
      });
      iterations = res.iterations;
      model = await alg.adaptedModel();
    } finally {
      await alg.close();
    }
  }
  const modelFile = path.join(out, 'model.ckpt');
  await saveSegModel(modelFile, model);
  await exportSegOnnx(path.join(out, 'model.onnx'), model.tensors, model.meta);
  const results: Record<string, unknown> = {
    method: o.method, iterations, wall_s: +((performance.now() - t0) / 1000).toFixed(1), ...settings,
    note: 'diagnostic evaluation of the adapted model; never used to choose anything',
  };
  let miou: number | undefined;
  if (cfg.eval.enabled) {
    const ds = await evalDataset(cfg.eval, src.meta.protocol);
    const opts = evalOptions(cfg, model.meta);
    const om = await openModelFile(model, modelFile, { threads, batch: cfg.eval.batch });
    try {
      const r = (await evaluatePredictor(om.predict, ds, opts)).result;
      results['model'] = resultToJson(r);
      miou = r.mIoU;
      run.logger.info('final diagnostic evaluation', { split: ds.id, miou: r.mIoU });
    } finally {
      await om.close();
    }
  }
  await writeFileAtomic(path.join(out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  return { model, modelFile, results, ...(miou !== undefined ? { miou } : {}) };
}
