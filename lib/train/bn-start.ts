/**
 * The network an adaptation run starts from (stvm.bn.mode; lib/method/stvm/bn-mode.ts):
 * the source model, or for 'adabn' / 'adabn-train' the source model with every BatchNorm's
 * running statistics re-estimated on the target images — the AdaBN baseline's own pass
 * (baseline-run.ts adabnAdapted: the first stvm.bn.adabnImages frames of a SynthStreet target
 * (0: target.count), every image of a dataset target, in order, batches of stvm.bn.adabnBatch),
 * so the AdaBN row of a benchmark and an STvM run "from the AdaBN model" start from the same
 * tensors.
 *
 * The AdaBN model is computed once and saved in the run folder as `adabn.model.ckpt`; a resumed
 * run reads it back (the pass is deterministic anyway), and the student service hands that file
 * to the teacher service, which loads the run's starting network from a file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config/schema.js';
import { startsFromAdabn } from '../method/stvm/bn-mode.js';
import { loadModelFile, saveSegModel, type AnyModelFile } from '../model/model-file.js';
import type { AdaptConfig } from './adapt-config.js';
import { adabnAdapted } from './baseline-run.js';

export const ADABN_START_FILE = 'adabn.model.ckpt';

export interface StartModel {
  readonly model: AnyModelFile;
  /** The file that holds it (the source model file, or the run's adabn.model.ckpt). */
  readonly file: string;
}

export async function adaptationStartModel(source: AnyModelFile, cfg: AdaptConfig, out: string, resume: boolean, log?: (msg: string, fields: Record<string, unknown>) => void): Promise<StartModel> {
  if (!startsFromAdabn(cfg.stvm)) return { model: source, file: cfg.source };
  const file = path.resolve(out, ADABN_START_FILE);
  if (resume && fs.existsSync(file)) return { model: await loadModelFile(file), file };
  const b = cfg.stvm.bn;
  const t0 = performance.now();
  let model: AnyModelFile;
  try {
    model = await adabnAdapted(source, cfg, { batch: b.adabnBatch, count: b.adabnImages || cfg.target.count }, cfg.runtime.threads);
  } catch (e) {
    if (/no BatchNorm/.test((e as Error).message)) throw new ConfigError('stvm.bn.mode', `'${b.mode}' needs BatchNorm layers, and this network has none; use 'frozen-source'`);
    throw e;
  }
  await saveSegModel(file, model);
  log?.('AdaBN start model', { file, batches: (model.meta.source as { batches?: number }).batches ?? 0, batch: b.adabnBatch, ms: Math.round(performance.now() - t0) });
  return { model, file };
}
