/**
 * SynthStreet benchmark sanity gates (docs: /work/shared/design/benchmarks.md, "Sanity gates"):
 *   1. the source model reaches ≥ 60 % mIoU on SynthStreet source validation;
 *   2. per target style: source-only mIoU at least 15 points under the target oracle;
 *   3. AdaBN closes well under half of that gap.
 * Writes bench/results/synthstreet-gates.json
 *   {"source_val_miou", "targets": [{"style", "source_only_miou", "oracle_miou", "adabn_miou", ...}], ...}
 * and bench/results/synthstreet-gates.md.
 *
 *   npm run bench:gates                        # full run (source + 4 oracles: about an hour on 2 cores)
 *   node dist/bench/gates.js --styles dusk     # some styles only
 *   node dist/bench/gates.js --tiny            # plumbing check in a minute (meaningless numbers)
 * Models are trained with cli/train-source.js into <runs>/source and <runs>/oracle-<style>
 * (an existing finished run is reused; an interrupted one resumes). Splits: training
 * frames seed 1, validation frames seed 1001 (100 frames), AdaBN on 200 unlabelled target
 * training frames (seed 1).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseFlags, runMain, type CommandSpec } from '../lib/cli/args.js';
import { STYLE_NAMES } from '../lib/data/synthstreet/index.js';
import { adaBN } from '../lib/method/baselines/adabn.js';
import { evaluatePredictor } from '../lib/train/evaluate.js';
import { loadSegModel, saveSegModel } from '../lib/model/model-file.js';
import { openModelFile } from '../lib/model/model-predictor.js';
import { SYNTH_SEEDS, synthStreetDataset, synthStreetImages } from '../lib/train/synth-dataset.js';

const SPEC: CommandSpec = {
  name: 'bench/gates',
  summary: 'SynthStreet sanity gates: source val mIoU, and per target style source-only / oracle / AdaBN mIoU',
  flags: {
    config: { type: 'string', help: 'source-training config', default: 'configs/source/synthstreet.json' },
    runs: { type: 'string', help: 'folder for the training runs (git-ignored)', default: 'runs/gates' },
    styles: { type: 'string', help: 'comma-separated target styles', default: STYLE_NAMES.filter((s) => s !== 'source').join(',') },
    'val-count': { type: 'number', help: 'validation frames per style', default: 100 },
    'adabn-count': { type: 'number', help: 'unlabelled target frames for AdaBN', default: 200 },
    'adabn-batch': { type: 'number', help: 'AdaBN batch size', default: 8 },
    'no-oracle': { type: 'boolean', help: 'skip the oracles (fields become null)' },
    tiny: { type: 'boolean', help: 'plumbing check: 4 iterations, 4 frames (numbers meaningless; writes to <runs>-tiny and does not touch bench/results)' },
    results: { type: 'string', help: 'results file stem', default: 'bench/results/synthstreet-gates' },
  },
  examples: ['npm run bench:gates', 'node dist/bench/gates.js --styles dusk,foggy-lowres'],
};

interface TargetRow { style: string; source_only_miou: number; oracle_miou: number | null; adabn_miou: number; gap_points: number | null; adabn_gap_closed: number | null }

function trainRun(config: string, out: string, set: string): void {
  if (fs.existsSync(path.join(out, 'model.ckpt'))) {
    console.log(`reusing ${out}/model.ckpt`);
    return;
  }
  const resume = fs.existsSync(path.join(out, 'checkpoints', 'latest.json'));
  const args = ['dist/cli/train-source.js', '--config', config, '--out', out, '--quiet', ...(set ? ['--set', set] : []), ...(resume ? ['--resume'] : [])];
  console.log(`$ node ${args.join(' ')}`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`training ${out} failed (exit ${r.status})`);
  console.log(`  ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

async function main(): Promise<void> {
  const f = parseFlags(SPEC);
  if (!f) return;
  const tiny = Boolean(f.tiny);
  const runs = tiny ? `${f.runs as string}-tiny` : (f.runs as string);
  const styles = (f.styles as string).split(',').filter((s) => s !== '');
  for (const s of styles) if (!(STYLE_NAMES as readonly string[]).includes(s) || s === 'source') throw new Error(`--styles: '${s}' is not a target style (${STYLE_NAMES.filter((x) => x !== 'source').join(', ')})`);
  const valCount = tiny ? 4 : (f['val-count'] as number);
  const adaCount = tiny ? 4 : (f['adabn-count'] as number);
  const adaBatch = tiny ? 2 : (f['adabn-batch'] as number);
  const base = tiny ? 'iterations=4;batch=2;data.count=8;val.count=2;model.baseWidth=4;model.stemWidth=4;augment.cropWidth=64;augment.cropHeight=48;runtime.checkpointEvery=0;runtime.evalEvery=0' : '';
  const join = (...p: string[]) => p.filter((x) => x !== '').join(';');
  const t0 = Date.now();

  const srcDir = path.join(runs, 'source');
  trainRun(f.config as string, srcDir, join(base, 'data.style=source;val.style=source'));
  const src = await loadSegModel(path.join(srcDir, 'model.ckpt'));
  const val = (style: string) => synthStreetDataset({ seed: SYNTH_SEEDS.val, count: valCount, style });
  const miou = async (m: Awaited<ReturnType<typeof loadSegModel>>, style: string) => {
    const p = await openModelFile(m, 'model', { batch: 4 });
    try {
      return (await evaluatePredictor(p.predict, val(style), { normalize: p.normalize, numClasses: p.numClasses })).result.mIoU;
    } finally {
      await p.close();
    }
  };
  const sourceVal = await miou(src, 'source');
  console.log(`source model on SynthStreet source val: ${(100 * sourceVal).toFixed(1)} % mIoU`);

  const targets: TargetRow[] = [];
  for (const style of styles) {
    const sourceOnly = await miou(src, style);
    const adapted = await adaBN(src, synthStreetImages({ seed: SYNTH_SEEDS.train, count: adaCount, style }), { batch: adaBatch });
    fs.mkdirSync(path.join(runs, `adabn-${style}`), { recursive: true });
    await saveSegModel(path.join(runs, `adabn-${style}`, 'model.ckpt'), adapted);
    const ada = await miou(adapted, style);
    let oracle: number | null = null;
    if (!f['no-oracle']) {
      const dir = path.join(runs, `oracle-${style}`);
      trainRun(f.config as string, dir, join(base, `data.style=${style};val.style=${style}`));
      oracle = await miou(await loadSegModel(path.join(dir, 'model.ckpt')), style);
    }
    const gap = oracle === null ? null : oracle - sourceOnly;
    const row: TargetRow = {
      style, source_only_miou: sourceOnly, oracle_miou: oracle, adabn_miou: ada,
      gap_points: gap === null ? null : +(100 * gap).toFixed(2), adabn_gap_closed: gap === null || gap <= 0 ? null : +((ada - sourceOnly) / gap).toFixed(3),
    };
    targets.push(row);
    console.log(`${style}: source-only ${(100 * sourceOnly).toFixed(1)}, AdaBN ${(100 * ada).toFixed(1)}, oracle ${oracle === null ? '-' : (100 * oracle).toFixed(1)}`);
  }

  const gates = {
    source_val_ge_60: sourceVal >= 0.6,
    oracle_gap_ge_15_points: targets.map((t) => ({ style: t.style, pass: t.gap_points === null ? null : t.gap_points >= 15 })),
    adabn_closes_under_half: targets.map((t) => ({ style: t.style, pass: t.adabn_gap_closed === null ? null : t.adabn_gap_closed < 0.5 })),
  };
  const command = `npm run bench:gates${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const result = {
    source_val_miou: sourceVal, targets, gates, command, config: f.config, runs,
    splits: { train_seed: SYNTH_SEEDS.train, val_seed: SYNTH_SEEDS.val, val_count: valCount, adabn_count: adaCount, adabn_batch: adaBatch },
    wall_s: Math.round((Date.now() - t0) / 1000), date: new Date().toISOString(),
  };
  const stem = tiny ? path.join(runs, 'gates') : (f.results as string);
  fs.mkdirSync(path.dirname(stem), { recursive: true });
  fs.writeFileSync(`${stem}.json`, `${JSON.stringify(result, null, 2)}\n`);
  const pct = (x: number | null) => (x === null ? '–' : (100 * x).toFixed(1));
  const md = [
    '# SynthStreet sanity gates', '',
    `Command: \`${command}\` (config \`${f.config as string}\`; models in \`${runs}/\`; ${result.wall_s} s).`, '',
    `Source model on SynthStreet source validation (seed ${SYNTH_SEEDS.val}, ${valCount} frames): **${pct(sourceVal)} % mIoU** — gate ≥ 60 %: ${gates.source_val_ge_60 ? 'pass' : 'FAIL'}.`, '',
    '| target style | source-only | AdaBN | oracle | gap (points) | AdaBN gap closed | gap ≥ 15 | AdaBN < ½ gap |',
    '|---|---|---|---|---|---|---|---|',
    ...targets.map((t) => `| ${t.style} | ${pct(t.source_only_miou)} | ${pct(t.adabn_miou)} | ${pct(t.oracle_miou)} | ${t.gap_points ?? '–'} | ${t.adabn_gap_closed ?? '–'} | ${t.gap_points === null ? '–' : t.gap_points >= 15 ? 'pass' : 'FAIL'} | ${t.adabn_gap_closed === null ? '–' : t.adabn_gap_closed < 0.5 ? 'pass' : 'FAIL'} |`),
    '', 'mIoU in % on each style\'s validation frames; oracle = the same training recipe on that style\'s labels; AdaBN = BN statistics re-estimated on unlabelled target frames. Gap closed = (AdaBN − source-only) / (oracle − source-only).', '',
  ].join('\n');
  fs.writeFileSync(`${stem}.md`, md);
  console.log(`wrote ${stem}.json and ${stem}.md`);
}

runMain(main);
