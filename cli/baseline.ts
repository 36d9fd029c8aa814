#!/usr/bin/env node
/**
 * baseline: adapt a source model with AdaBN or TENT (lib/method/baselines) on the target data of
 * an adaptation config — the comparisons STvM is measured against, as runs a user can make.
 *
 *   node dist/cli/baseline.js --method tent --config configs/adapt/p0-stvm.json --source runs/source-synth/model.ckpt --out runs/tent-p0
 *
 * Writes into --out: config.json, version.json, metrics.jsonl, log.jsonl (+ checkpoints/ for
 * TENT, resumable with --resume), model.ckpt (a model file: evaluate, predict and export accept
 * it), model.onnx + model.onnx.json (inference model) and results.json (diagnostic mIoU on the
 * config's labelled split when eval.enabled; never used to choose anything).
 */
import { parseFlags, runMain, UsageError, type CommandSpec } from '../lib/cli/args.js';
import { readAdaptConfig } from '../lib/cli/adapt-config-file.js';
import { adabnSettings, baselineRun, tentSettings } from '../lib/train/baseline-run.js';

const COMMAND: CommandSpec = {
  name: 'node dist/cli/baseline.js',
  summary: 'adapt a source segmentation model with a baseline (AdaBN or TENT) and write the adapted model file',
  flags: {
    method: { type: 'string', help: 'adabn | tent' },
    config: { type: 'string', help: 'adaptation config (configs/adapt/*.json): target data, crop, batch, seed, iterations, eval, runtime' },
    source: { type: 'string', help: 'source model file (*.model.ckpt); overrides the config field "source"' },
    out: { type: 'string', help: 'run directory (created)' },
    iterations: { type: 'number', help: 'TENT: override the config field "iterations"' },
    lr: { type: 'number', help: 'TENT: learning rate (constant)', default: 1e-4 },
    optimizer: { type: 'string', help: 'TENT: adam | sgd', default: 'adam' },
    momentum: { type: 'number', help: 'TENT: SGD momentum', default: 0.9 },
    'adabn-batch': { type: 'number', help: 'AdaBN: images per batch', default: 8 },
    'adabn-count': { type: 'number', help: 'AdaBN: SynthStreet target frames to estimate on (a dataset target uses all its images)', default: 200 },
    threads: { type: 'number', help: 'override runtime.threads (onnxruntime intra-op threads)' },
    resume: { type: 'boolean', help: 'TENT: continue from the latest checkpoint in --out (same settings required)', default: false },
    quiet: { type: 'boolean', help: 'no progress bar, log warnings only', default: false },
    set: { type: 'string', help: "override config fields: 'a.b=v;c=w'" },
  },
  examples: [
    'node dist/cli/baseline.js --method adabn --config configs/adapt/p0-stvm.json --source runs/demo/source/model.ckpt --out runs/adabn-p0',
    'node dist/cli/baseline.js --method tent --config configs/adapt/p0-stvm.json --source runs/demo/source/model.ckpt --out runs/tent-p0',
  ],
};

async function main(): Promise<void> {
  const f = parseFlags(COMMAND);
  if (f === undefined) return;
  const method = f['method'];
  if (method !== 'adabn' && method !== 'tent') throw new UsageError(`--method must be adabn or tent, not ${JSON.stringify(method ?? null)}`);
  if (typeof f['config'] !== 'string') throw new UsageError('--config is required (see --help)');
  if (typeof f['out'] !== 'string') throw new UsageError('--out is required (see --help)');
  // the config's stvm section is not used by the baselines; its metric warm-up must not constrain TENT's iterations
  const set = ['stvm.metric.warmupIters=0', ...(typeof f['set'] === 'string' ? [f['set']] : [])].join(';');
  const cfg = readAdaptConfig(f['config'], { source: f['source'], iterations: f['iterations'], threads: f['threads'] }, set);
  if (cfg.source === '') throw new UsageError('no source model: pass --source <model.ckpt> or set "source" in the config');
  let settings;
  try {
    settings = method === 'tent'
      ? { tent: tentSettings({ lr: f['lr'], optimizer: f['optimizer'], momentum: f['momentum'] }, 'tent') }
      : { adabn: adabnSettings({ batch: f['adabn-batch'], count: f['adabn-count'] }, 'adabn') };
  } catch (e) {
    // name the flag: config field 'tent.lr' → --lr, 'adabn.batch' → --adabn-batch
    throw new UsageError((e as Error).message.replace(/config field '(tent|adabn)\.(\w+)'/, (_m, g: string, k: string) => (g === 'tent' ? `--${k}` : `--adabn-${k}`)));
  }
  const quiet = f['quiet'] === true;
  const res = await baselineRun({ method, cfg, out: f['out'], resume: f['resume'] === true, console: quiet ? 'warn' : 'info', ...(quiet ? { progress: false } : {}), ...settings });
  process.stdout.write(`${method}: model ${res.modelFile}${res.miou !== undefined ? `, diagnostic mIoU ${(100 * res.miou).toFixed(1)} %` : ''}\n`);
}

runMain(main);
