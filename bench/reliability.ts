/**
 * "Does reliability work?" — runs one STvM row of a bench protocol config in-process and,
 * every k iterations (and after the last), probes it on the protocol's LABELLED evaluation
 * split as a diagnostic only (lib/analysis/reliability-probe.ts; no state of the run changes,
 * nothing is selected):
 *   - AUROC of the metric reliability r and of the teacher's softmax confidence q for
 *     separating correct from wrong pseudo-labels, over training;
 *   - histograms of r and q for correct vs wrong pixels (at every probe; the plots show the last);
 *   - the teacher's mIoU on the evaluation split over training.
 * Writes bench/results/reliability-<P>.json and, with python3 + matplotlib,
 * reliability-<P>-auroc.png, reliability-<P>-hist.png, reliability-<P>-miou.png
 * (tools/analysis/plot_reliability.py).
 *
 *   node dist/bench/reliability.js --config configs/bench/adapt-P0.json --row stvm --seed 0 --every 25
 */
import { adaptationStartModel } from '../lib/train/bn-start.js';
import { sourceClassWeights } from '../lib/model/source-class-weights.js';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseFlags, runMain, UsageError, type CommandSpec } from '../lib/cli/args.js';
import { probeTiles, ReliabilityProbe, type ProbeResult } from '../lib/analysis/reliability-probe.js';
import { validateAdaptConfig } from '../lib/train/adapt-config.js';
import { StvmAlgorithm, TargetBatches } from '../lib/method/stvm/index.js';
import { evalDataset, evalOptions, targetAugment, targetImages } from '../lib/train/adapt-data.js';
import { evaluatePredictor } from '../lib/train/evaluate.js';
import { loadSegModel, type SegModelFile } from '../lib/model/model-file.js';
import { loadBenchConfig, rowAdaptConfig } from './adapt-config.js';

const SPEC: CommandSpec = {
  name: 'node dist/bench/reliability.js',
  summary: 'reliability diagnostics of an STvM run (AUROC of reliability vs confidence for correct/wrong pseudo-labels, histograms, mIoU over iterations)',
  flags: {
    config: { type: 'string', help: 'bench protocol config (configs/bench/adapt-P0.json)' },
    row: { type: 'string', help: 'STvM row id of the config (metric network on)', default: 'stvm' },
    seed: { type: 'number', help: 'seed', default: 0 },
    every: { type: 'number', help: 'probe every k iterations', default: 25 },
    'probe-frames': { type: 'number', help: 'labelled frames cut into probe tiles', default: 16 },
    results: { type: 'string', help: 'results folder', default: 'bench/results' },
    threads: { type: 'number', help: 'onnxruntime threads per runner', default: 2 },
    'from-json': { type: 'string', help: 'run nothing: rewrite the .md and the plots of an earlier reliability-<P>.json' },
  },
  examples: ['node dist/bench/reliability.js --config configs/bench/adapt-P0.json --row stvm --seed 0 --every 25'],
};


interface ReliabilityOut {
  protocol: string; method: string; seed: number; probe_tiles: number; crop: number[]; probe_frames: unknown; eval_split: string;
  warmup: number; iterations: number; reliability_variant: string; command: string; wall_s: number; points: ({ iteration: number; miou: number } & ProbeResult)[];
}

function writeMarkdown(out: ReliabilityOut, jf: string): void {
  const { points, crop, seed } = out;
  const pc = (v: number) => (Number.isNaN(v) ? 'n/a' : (100 * v).toFixed(1));
  const opt = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(3));
  const md = [
    `# Reliability diagnostics ${out.protocol}: ${out.method} (seed ${seed})`, '',
    `Probe: ${out.probe_tiles} tiles of ${crop.join('×')} cut from the first ${String(out.probe_frames)} frames of the labelled evaluation split (${out.eval_split}); mIoU on the whole split. Metric warm-up K_w = ${out.warmup} iterations of ${out.iterations}; reliability variant ${out.reliability_variant}.`,
    'AUROC: how well a score separates correct from wrong teacher pseudo-labels (0.5 = no better than chance). Diagnostic only: nothing is trained or selected with these labels.', '',
    'Controls: "q coarse" is the confidence averaged over each feature cell and upsampled like r (r has one value per stride-8 cell, q one per pixel); "r·q" the product. Older result files lack them (–).', '',
    '| iteration | teacher mIoU (%) | pseudo-label acc. (%) | AUROC reliability | AUROC confidence | AUROC q coarse | AUROC r·q | mean r correct / wrong | mean q correct / wrong |',
    '|---|---|---|---|---|---|---|---|---|',
    ...points.map((p) => `| ${p.iteration} | ${pc(p.miou)} | ${pc(p.pseudo_label_accuracy)} | ${p.auroc_reliability.toFixed(3)} | ${p.auroc_confidence.toFixed(3)} | ${opt(p.auroc_confidence_coarse)} | ${opt(p.auroc_product)} | ${p.mean_reliability_correct.toFixed(3)} / ${p.mean_reliability_wrong.toFixed(3)} | ${p.mean_confidence_correct.toFixed(3)} / ${p.mean_confidence_wrong.toFixed(3)} |`),
    '', `Command: \`${out.command}\` (${out.wall_s} s). Plots: ${path.basename(jf, '.json')}-auroc.png, -hist.png, -miou.png.`, '',
  ];
  fs.writeFileSync(jf.replace(/\.json$/, '.md'), md.join('\n'));
}

async function main(): Promise<void> {
  const f = parseFlags(SPEC);
  if (!f) return;
  if (typeof f['from-json'] === 'string') {
    // only rewrite the Markdown table and the plots of an earlier run
    const jf = f['from-json'];
    writeMarkdown(JSON.parse(fs.readFileSync(jf, 'utf8')) as ReliabilityOut, jf);
    spawnSync('python3', ['tools/analysis/plot_reliability.py', jf], { stdio: 'inherit' });
    return;
  }
  if (typeof f['config'] !== 'string') throw new UsageError('--config is required');
  const bc = loadBenchConfig(f['config']);
  const row = bc.rows.find((r) => r.id === f['row']);
  if (!row || row.kind !== 'adapt') throw new UsageError(`--row: '${String(f['row'])}' is not an adapt row of ${bc.file}`);
  const seed = f['seed'] as number;
  const every = f['every'] as number;
  const cfg = validateAdaptConfig(rowAdaptConfig(bc, row, seed), `${bc.file} row ${row.id}`);
  if (!cfg.stvm.metric.enabled) throw new UsageError(`row ${row.id} has no metric network: nothing to probe`);
  // the run's starting network exactly as adapt builds it (stvm.bn.mode adabn*: the AdaBN pass,
  // saved in the probe's own folder; bench-config rows with init 'adabn' map to that mode)
  if (!fs.existsSync(bc.source)) throw new UsageError(`the source model ${bc.source} does not exist`);
  const probeDir = path.join(bc.runs, row.id, `probe-seed-${seed}`);
  fs.mkdirSync(probeDir, { recursive: true });
  const start = await adaptationStartModel(await loadSegModel(bc.source), { ...cfg, source: bc.source }, probeDir, true);
  const sourceFile = start.file;
  const model = start.model as SegModelFile;
  const meta = model.meta;
  const crop: [number, number] = [cfg.augment.cropWidth, cfg.augment.cropHeight];
  const batches = new TargetBatches(await targetImages(cfg.target, meta.protocol), { batch: cfg.batch, seed, augment: targetAugment(cfg), normalize: meta.normalize });
  const cw = sourceClassWeights(meta.source, meta.spec.numClasses);
  const alg = await StvmAlgorithm.create({
    name: cfg.name, cfg: cfg.stvm, seed, iterations: cfg.iterations, batch: cfg.batch, crop,
    net: { spec: meta.spec, weights: model.tensors }, numClasses: meta.spec.numClasses, normalize: meta.normalize, batches,
    ...(cw ? { classWeights: cw } : {}),
    weighting: { name: cfg.weighting.name, params: cfg.weightingParams },
    runner: { threads: f['threads'] as number },
  });
  const evalDs = await evalDataset(cfg.eval, meta.protocol);
  const tiles = await probeTiles(evalDs, f['probe-frames'] as number, crop, meta.normalize);
  const probe = new ReliabilityProbe(alg, cfg.stvm, seed, cfg.batch, crop, meta.spec.numClasses);
  const points: ({ iteration: number; miou: number } & ProbeResult)[] = [];
  const t0 = performance.now();
  const doProbe = async (it: number) => {
    const p = await probe.run(tiles);
    const ev = await evaluatePredictor((x) => alg.predict(x), evalDs, evalOptions(cfg, meta));
    points.push({ iteration: it, miou: ev.result.mIoU, ...p });
    console.log(`it ${it}: mIoU ${(100 * ev.result.mIoU).toFixed(1)}  pseudo-acc ${(100 * p.pseudo_label_accuracy).toFixed(1)}  AUROC r ${p.auroc_reliability.toFixed(3)}  q ${p.auroc_confidence.toFixed(3)}  q coarse ${p.auroc_confidence_coarse.toFixed(3)}  r·q ${p.auroc_product.toFixed(3)}`);
  };
  try {
    for (let t = 0; t < cfg.iterations; t++) {
      if (t % every === 0) await doProbe(t);
      await alg.step(t);
    }
    await doProbe(cfg.iterations);
  } finally {
    await alg.close();
  }
  const out = {
    protocol: bc.protocol, row: row.id, start_model: sourceFile, method: row.method, seed, config: bc.file, iterations: cfg.iterations, warmup: cfg.stvm.metric.warmupIters,
    reliability_variant: cfg.stvm.reliability.variant, probe_every: every, probe_frames: f['probe-frames'], probe_tiles: tiles.length, crop,
    eval_split: `${cfg.eval.style} seed ${cfg.eval.synthSeed} (${cfg.eval.count} frames)`, wall_s: +((performance.now() - t0) / 1000).toFixed(1),
    command: `node dist/bench/reliability.js --config ${bc.file} --row ${row.id} --seed ${seed} --every ${every} --probe-frames ${String(f['probe-frames'])}`,
    note: 'diagnostic on the labelled evaluation split only: the probe reads the run\'s weights and changes nothing; the model is not selected by it. Iterations before the warm-up ends use an untrained metric head for early probes.',
    points,
  };
  const dir = f['results'] as string;
  fs.mkdirSync(dir, { recursive: true });
  const jf = path.join(dir, `reliability-${bc.protocol}${row.id === 'stvm' ? '' : `-${row.id}`}.json`);
  fs.writeFileSync(jf, `${JSON.stringify(out)}\n`);
  writeMarkdown(out, jf);
  console.log(`wrote ${jf} and .md`);
  const r = spawnSync('python3', ['tools/analysis/plot_reliability.py', jf], { stdio: 'inherit' });
  if (r.status !== 0) console.warn('plots skipped (python3/matplotlib unavailable)');
}

runMain(main);
