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
import { validateAdaptConfig, type AdaptConfig } from '../lib/train/adapt-config.js';
import { adaptRun } from '../lib/train/adapt-run.js';

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
  const quiet = flags['quiet'] === true;

  await adaptRun({
    cfg, out: flags['out'], resume: flags['resume'] === true, console: quiet ? 'warn' : 'info',
    ...(quiet ? { progress: false } : flags['progress'] ? { progress: true } : {}),
    command: process.argv.slice(1).map((a) => path.relative(process.cwd(), a) || a).join(' '),
  });
}

runMain(main);
