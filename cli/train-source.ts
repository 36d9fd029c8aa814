#!/usr/bin/env node
/**
 * train-source: supervised training of a small DeepLab on a labelled dataset (SynthStreet
 * rendered on the fly, or a dataset on disk such as the CamVid daytime sequences). The target
 * oracle is the same command on target labels (e.g. --set 'data.style=dusk;val.style=dusk').
 *
 *   node dist/cli/train-source.js --config configs/source/synthstreet.json --out runs/source-synth
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseFlags, UsageError, type CommandSpec } from '../lib/cli/args.js';
import { runCommand } from '../lib/cli/command-errors.js';
import { resultToJson, resultToMarkdown } from '../lib/eval/results.js';
import { openRunDir } from '../lib/run/run-dir.js';
import { labelledDatasetOf } from '../lib/train/data-config.js';
import { evaluatePredictor } from '../lib/train/evaluate.js';
import { runLoop } from '../lib/train/loop.js';
import { applyOverrides } from '../lib/train/overrides.js';
import { sourceConfigHash, sourceConfigRecord, validateSourceConfig } from '../lib/train/source-config.js';
import { SupervisedAlgorithm } from '../lib/train/supervised.js';

const SPEC: CommandSpec = {
  name: 'train-source',
  summary: 'train a segmentation model with labels (source model, or the target oracle)',
  flags: {
    config: { type: 'string', help: 'JSON config (see configs/source/*.json; every field is optional and validated)' },
    out: { type: 'string', help: 'run directory to create (config.json, metrics.jsonl, checkpoints/, model.ckpt, model.onnx)' },
    set: { type: 'string', help: "overrides, 'a.b=v;c=w' (JSON values), e.g. 'iterations=100;data.style=dusk'" },
    resume: { type: 'boolean', help: 'continue the run in --out from its latest checkpoint (same config)' },
    until: { type: 'number', help: 'stop after this many iterations (checkpointed; continue later with --resume)' },
    quiet: { type: 'boolean', help: 'no progress bar and no log lines on stderr' },
  },
  examples: [
    'node dist/cli/train-source.js --config configs/source/synthstreet.json --out runs/source-synth',
    "node dist/cli/train-source.js --config configs/source/synthstreet.json --set 'data.style=dusk;val.style=dusk' --out runs/oracle-dusk",
    'node dist/cli/train-source.js --config configs/source/camvid-day.json --out runs/source-camvid-day',
  ],
};

async function main(): Promise<void> {
  const f = parseFlags(SPEC);
  if (!f) return;
  if (typeof f.config !== 'string') throw new UsageError('--config is required (see --help)');
  if (typeof f.out !== 'string') throw new UsageError('--out is required (see --help)');
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(f.config, 'utf8'));
  } catch (e) {
    throw new UsageError(`cannot read config ${f.config}: ${(e as Error).message}`);
  }
  const cfg = validateSourceConfig(applyOverrides(raw, f.set as string | undefined), f.config);
  const quiet = Boolean(f.quiet);
  const resume = Boolean(f.resume);
  const train = await labelledDatasetOf(cfg.data);
  const val = cfg.val.enabled ? await labelledDatasetOf(cfg.val) : undefined;
  // with the progress bar on a terminal, only warnings go to stderr (the log file has everything)
  const run = openRunDir(f.out, sourceConfigRecord(cfg), { console: quiet ? 'none' : process.stderr.isTTY ? 'warn' : 'info', resume });
  run.logger.info('source training', { train: train.id, images: train.size, val: val?.id ?? 'none', iterations: cfg.iterations });
  const alg = await SupervisedAlgorithm.create(cfg, train, { source: { config: f.config, configHash: sourceConfigHash(cfg) } });
  try {
    const evalOpts = { normalize: alg.meta.normalize, numClasses: alg.spec.numClasses, batch: cfg.runtime.evalBatch };
    const res = await runLoop(alg, {
      iterations: cfg.iterations, run, checkpointEvery: cfg.runtime.checkpointEvery, resume, configHash: sourceConfigHash(cfg), progress: !quiet && Boolean(process.stderr.isTTY),
      ...(val && cfg.runtime.evalEvery > 0 ? { evalEvery: cfg.runtime.evalEvery, evalSet: { name: val.id, dataset: val, options: evalOpts } } : {}),
      ...(typeof f.until === 'number' ? { until: f.until } : {}),
    });
    if (res.iterations < cfg.iterations) {
      run.logger.info(`stopped after ${res.iterations}/${cfg.iterations} iterations; continue with --resume`);
      return;
    }
    await alg.saveModel(path.join(f.out, 'model.ckpt'));
    await alg.exportModel(path.join(f.out, 'model.onnx'));
    if (val) {
      const ev = await evaluatePredictor((x) => alg.predict(x), val, evalOpts);
      fs.writeFileSync(path.join(f.out, 'val.json'), `${JSON.stringify({ dataset: val.id, ...resultToJson(ev.result) }, null, 2)}\n`);
      run.metric({ step: cfg.iterations - 1, kind: 'final-eval', split: val.id, miou: ev.result.mIoU });
      process.stdout.write(`${resultToMarkdown(ev.result)}\n`);
    }
    process.stdout.write(`model: ${path.join(f.out, 'model.ckpt')} (model file), ${path.join(f.out, 'model.onnx')} (inference ONNX); ${res.wallS.toFixed(0)} s\n`);
  } finally {
    await alg.close();
  }
}

runCommand(main);
