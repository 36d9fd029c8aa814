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
 *
 * --dry-run trains nothing and writes nothing: it checks the config, the datasets (listing,
 * readers, a decoded sample), the source model and the compiled programs, and prints the plan
 * and a wall-time estimate (lib/train/dry-run.ts; docs/paper-scale.md). Exit 1 when anything
 * the run needs is missing or wrong, all of it listed.
 */
import path from 'node:path';
import { parseFlags, runMain, UsageError, type CommandSpec } from '../lib/cli/args.js';
import { readAdaptConfig } from '../lib/cli/adapt-config-file.js';
import { adaptRun } from '../lib/train/adapt-run.js';
import { dryRun, formatDryRun } from '../lib/train/dry-run.js';

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
    set: { type: 'string', help: "override config fields: 'a.b=v;c=w' (e.g. 'target.root=/data/cityscapes;eval.root=/data/cityscapes')" },
    'dry-run': { type: 'boolean', help: 'train nothing: check the config, datasets, source model and compiled programs; print the plan and a wall-time estimate', default: false },
    check: { type: 'string', help: "dry run: files decoded per dataset (a number; 0: list only) or 'all' (the full dataset checker)", default: '16' },
    'step-ms': { type: 'number', help: 'dry run: a measured student step time in ms (configured batch and crop) for the estimate' },
    measure: { type: 'boolean', help: 'dry run: measure one student step on this machine (CPU; ResNet-101 at 512x1024 takes minutes)', default: false },
    'source-data': { type: 'string', help: 'dry run: also check the source dataset at this root (the data a source model is trained on)' },
    'source-kind': { type: 'string', help: 'dry run: kind of --source-data (gta5 | synthia | cityscapes | camvid)', default: 'gta5' },
    json: { type: 'boolean', help: 'dry run: print the report as JSON', default: false },
  },
  examples: [
    'node dist/cli/adapt.js --config configs/adapt/p0-stvm.json --source runs/source-synth/model.ckpt --out runs/adapt-p0',
    'node dist/cli/adapt.js --config configs/adapt/p0-stvm.json --source runs/source-synth/model.ckpt --out runs/adapt-p0 --resume',
    'node dist/cli/adapt.js --config configs/adapt/p1-stvm.json --source runs/source-synth/model.ckpt --out runs/adapt-p1 --iterations 2',
    'node dist/cli/adapt.js --config configs/adapt/gta5-cityscapes.json --source gta5-r101.model.ckpt --out runs/gta5-cs --dry-run --source-data ../data/gta5',
  ],
};

async function main(): Promise<void> {
  const flags = parseFlags(COMMAND);
  if (flags === undefined) return;
  if (typeof flags['config'] !== 'string') throw new UsageError('--config is required (see --help)');
  const set = typeof flags['set'] === 'string' ? flags['set'] : undefined;
  if (flags['dry-run'] === true) {
    const cfg = readAdaptConfig(flags['config'], { source: flags['source'], iterations: flags['iterations'], threads: flags['threads'] }, set);
    const c = String(flags['check']);
    if (c !== 'all' && !/^\d+$/.test(c)) throw new UsageError(`--check must be a number of files or 'all', not '${c}'`);
    const stepMs = flags['step-ms'];
    if (stepMs !== undefined && (typeof stepMs !== 'number' || !(stepMs > 0))) throw new UsageError(`--step-ms must be a positive number of milliseconds`);
    if (flags['measure'] === true) process.stderr.write('warning: --measure compiles and runs one student training step on this CPU; at paper scale (ResNet-101, 512x1024) that takes minutes\n');
    const json = flags['json'] === true;
    const report = await dryRun({
      cfg, configFile: flags['config'], check: c === 'all' ? 'all' : Number(c),
      ...(typeof flags['out'] === 'string' ? { out: flags['out'] } : {}),
      ...(typeof stepMs === 'number' ? { stepMs } : {}), measure: flags['measure'] === true,
      ...(typeof flags['threads'] === 'number' ? { threads: flags['threads'] } : {}),
      ...(typeof flags['source-data'] === 'string' ? { sourceData: { kind: String(flags['source-kind']), root: flags['source-data'] } } : {}),
      ...(flags['quiet'] === true ? {} : { log: (m: string) => process.stderr.write(`${m}\n`) }),
    });
    process.stdout.write(`${json ? JSON.stringify(report, null, 2) : formatDryRun(report)}\n`);
    process.exitCode = report.ok ? 0 : 1;
    return;
  }
  if (typeof flags['out'] !== 'string') throw new UsageError('--out is required (see --help)');
  const cfg = readAdaptConfig(flags['config'], { source: flags['source'], iterations: flags['iterations'], threads: flags['threads'] }, set);
  if (cfg.source === '') throw new UsageError('no source model: pass --source <model.ckpt> or set "source" in the config');
  const quiet = flags['quiet'] === true;

  await adaptRun({
    cfg, out: flags['out'], resume: flags['resume'] === true, console: quiet ? 'warn' : 'info',
    ...(quiet ? { progress: false } : flags['progress'] ? { progress: true } : {}),
    command: process.argv.slice(1).map((a) => path.relative(process.cwd(), a) || a).join(' '),
  });
}

runMain(main);
