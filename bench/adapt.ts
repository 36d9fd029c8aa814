/**
 * The adaptation benchmark (shared/design/benchmarks.md, "What every adaptation report holds"):
 * for one protocol config (configs/bench/adapt-<P>.json, see adapt-config.ts) it runs every
 * row — source-only, oracle, AdaBN, TENT, thresholded and CBST self-training, mean teacher +
 * ClassMix with DACS weighting, STvM and its ablations — over the config's seeds, and writes
 *
 *   bench/results/adapt-<P>.json  {"protocol", "oracle": {"miou_mean","miou_std"}, "rows": [
 *       {"method","id","miou_mean","miou_std","seeds","per_class","gap_closed","wall_s", "iterations", "command"}]}
 *   bench/results/adapt-<P>.md    the same as a table + per-class IoU + the exact command per row
 *   bench/results/adapt-<P>.png   bar chart (tools/analysis/plot_adapt.py; needs python3 + matplotlib)
 *
 * gap closed = (method − source-only)/(oracle − source-only). The reported model of every
 * row is the LAST one (no checkpoint is chosen); target labels are opened only by the final
 * evaluation on the protocol's labelled evaluation split.
 *
 * Resumable and runnable per row: each (row, seed) writes <runs>/<row>/seed-<s>/bench-result.json
 * and is skipped when that file exists (an interrupted adaptation run resumes from its
 * checkpoint); the results files are rewritten after every finished run from all results present.
 *
 *   npm run bench:adapt -- --config configs/bench/adapt-P0.json
 *   npm run bench:adapt -- --config configs/bench/adapt-P0.json --only stvm,tent --seeds 0
 *   node dist/bench/adapt.js --config configs/bench/adapt-P0.json --report-only
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFlags, runMain, UsageError, type CommandSpec } from '../lib/cli/args.js';
import { gapClosed, meanPerClass, meanStd } from '../lib/analysis/aggregate.js';
import type { LabelledDataset } from '../lib/data/datasets/types.js';
import { resultToJson } from '../lib/eval/results.js';
import { evalDataset, evalOptions, targetImages } from '../lib/train/adapt-data.js';
import { evaluatePredictor, type EvaluateOptions } from '../lib/train/evaluate.js';
import { adabnAdapted, baselineRun } from '../lib/train/baseline-run.js';
import { loadSegModel, saveSegModel, type SegModelFile } from '../lib/model/model-file.js';
import { openModelFile } from '../lib/model/model-predictor.js';
import { loadBenchConfig, rowAdaptConfig, type BenchConfig, type BenchRow } from './adapt-config.js';

const SPEC: CommandSpec = {
  name: 'npm run bench:adapt --',
  summary: 'adaptation benchmark: every baseline, STvM and its ablations over seeds; writes bench/results/adapt-<P>.json|md',
  flags: {
    config: { type: 'string', help: 'protocol config (configs/bench/adapt-P0.json | adapt-P1.json | adapt-P2.json)' },
    only: { type: 'string', help: 'comma-separated row ids to run (others are only reported if already done)' },
    seeds: { type: 'string', help: 'comma-separated seeds to run (default: the config\'s)' },
    'report-only': { type: 'boolean', help: 'run nothing; rewrite the results files from the finished runs', default: false },
    results: { type: 'string', help: 'results folder', default: 'bench/results' },
    threads: { type: 'number', help: 'onnxruntime threads per runner', default: 2 },
  },
  examples: ['npm run bench:adapt -- --config configs/bench/adapt-P0.json', 'npm run bench:adapt -- --config configs/bench/adapt-P0.json --only stvm --seeds 0'],
};

export interface RunResult {
  readonly row: string;
  readonly seed: number | null;
  readonly miou: number;
  readonly per_class: Record<string, number | null>;
  readonly wall_s: number;
  readonly iterations: number;
  readonly command: string;
  readonly finished: string;
}

/** cli/adapt.js next to this file's dist folder (so a frozen copy of dist runs its own CLI). */
const CLI_ADAPT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'adapt.js');
const shown = (args: string[]) => args.map((a) => (a === CLI_ADAPT ? 'dist/cli/adapt.js' : a));

const runDir = (cfg: BenchConfig, row: BenchRow, seed: number | null) => path.join(cfg.runs, row.id, seed === null ? 'single' : `seed-${seed}`);
const adabnFile = (cfg: BenchConfig, row: BenchRow) => path.join(runDir(cfg, row, null), 'model.ckpt');

/** The AdaBN-adapted source model `src` of an adabn row (computed and saved once, then reused). */
async function adabnModel(cfg: BenchConfig, row: BenchRow, src: SegModelFile, threads: number): Promise<SegModelFile> {
  const file = adabnFile(cfg, row);
  if (fs.existsSync(file)) return loadSegModel(file);
  const adapted = await adabnAdapted(src, cfg.resolvedBase, row.adabn, threads);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await saveSegModel(file, adapted);
  return adapted;
}

const resultFile = (cfg: BenchConfig, row: BenchRow, seed: number | null) => path.join(runDir(cfg, row, seed), 'bench-result.json');

async function evalModel(m: SegModelFile, file: string, ds: LabelledDataset, opts: EvaluateOptions, threads: number) {
  const om = await openModelFile(m, file, { threads, batch: opts.batch ?? 4 });
  try {
    return (await evaluatePredictor(om.predict, ds, opts)).result;
  } finally {
    await om.close();
  }
}

function perClass(r: { classes: readonly string[]; iou: readonly number[] }): Record<string, number | null> {
  return Object.fromEntries(r.classes.map((c, i) => [c, Number.isNaN(r.iou[i]!) ? null : r.iou[i]!]));
}

async function runOne(cfg: BenchConfig, row: BenchRow, seed: number | null, threads: number): Promise<RunResult> {
  const dir = runDir(cfg, row, seed);
  fs.mkdirSync(dir, { recursive: true });
  const base = cfg.resolvedBase;
  const cmd = `npm run bench:adapt -- --config ${cfg.file} --only ${row.id}${seed === null ? '' : ` --seeds ${seed}`}`;
  const t0 = performance.now();
  const done = (miou: number, pc: Record<string, number | null>, iterations: number, command = cmd, wallS?: number): RunResult => ({
    row: row.id, seed, miou, per_class: pc, wall_s: wallS ?? +((performance.now() - t0) / 1000).toFixed(1), iterations, command, finished: new Date().toISOString(),
  });
  const evalSet = async (m: SegModelFile) => evalDataset(base.eval, m.meta.protocol);
  if (row.kind === 'source' || row.kind === 'oracle') {
    const file = row.kind === 'source' ? cfg.source : cfg.oracle;
    if (!file || !fs.existsSync(file)) throw new Error(`row ${row.id}: model file '${file}' does not exist${row.kind === 'oracle' ? ` (make it with: ${cfg.oracleCommand || 'cli/train-source.js on the target labels'})` : ''}`);
    const m = await loadSegModel(file);
    const r = await evalModel(m, file, await evalSet(m), evalOptions(base, m.meta), threads);
    return done(r.mIoU, perClass(r), 0, `${cmd}   (evaluates ${file})`);
  }
  const src = await loadSegModel(cfg.source);
  if (row.kind === 'adabn') {
    const adapted = await adabnModel(cfg, row, src, threads);
    const r = await evalModel(adapted, 'adabn', await evalSet(adapted), evalOptions(base, adapted.meta), threads);
    const target = await targetImages(base.target, src.meta.protocol, base.target.source === 'synthstreet' ? row.adabn.count : undefined);
    return done(r.mIoU, perClass(r), Math.ceil(target.size / row.adabn.batch));
  }
  if (row.kind === 'tent') {
    const s = seed ?? 0;
    const resume = fs.existsSync(path.join(dir, 'checkpoints', 'latest.json'));
    const res = await baselineRun({ method: 'tent', cfg: { ...base, source: cfg.source, seed: s }, out: dir, tent: row.tent, resume, threads, console: 'warn', progress: false });
    if (res.miou === undefined) throw new Error(`row ${row.id}: the base config has eval.enabled false`);
    return done(res.miou, (res.results['model'] as { iou: Record<string, number | null> }).iou, res.results['iterations'] as number);
  }
  // adapt rows: the self-training CLI on the merged config
  const s = seed ?? 0;
  // (init 'adabn' rows start from the AdaBN model through stvm.bn.mode, set by rowAdaptConfig:
  // the run computes it with the adabn row's pass, lib/train/bn-start.ts)
  const sourceFile = cfg.source;
  const cfgFile = path.join(cfg.runs, row.id, `seed-${s}.adapt.json`);
  fs.writeFileSync(cfgFile, `${JSON.stringify(rowAdaptConfig(cfg, row, s), null, 2)}\n`);
  const resume = fs.existsSync(path.join(dir, 'checkpoints', 'latest.json'));
  const args = [CLI_ADAPT, '--config', cfgFile, '--source', sourceFile, '--out', dir, '--quiet', '--threads', String(threads), ...(resume ? ['--resume'] : [])];
  console.log(`  $ node ${shown(args).join(' ')}`);
  const p = spawnSync(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (p.status !== 0) throw new Error(`row ${row.id} seed ${s}: adapt exited with ${p.status}`);
  const res = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')) as { iterations: number; wall_s: number; teacher?: { mIoU: number; iou: Record<string, number | null> } };
  if (!res.teacher) throw new Error(`row ${row.id}: ${dir}/results.json has no teacher evaluation (is eval.enabled on?)`);
  // wall time of the training loop across resumes (adapt's results.json) + this call's evaluation overhead is not counted
  return done(res.teacher.mIoU, res.teacher.iou, res.iterations, `${cmd}   (runs: node ${shown(args).filter((a) => a !== '--resume').join(' ')})`, res.wall_s);
}

interface ReportRow {
  method: string; id: string; kind: string; miou_mean: number; miou_std: number | null; seeds: (number | null)[];
  per_class: Record<string, number | null>; gap_closed: number | null; wall_s: number; iterations: number; command: string;
}

function collect(cfg: BenchConfig): Map<string, RunResult[]> {
  const out = new Map<string, RunResult[]>();
  for (const row of cfg.rows) {
    const seeds: (number | null)[] = row.seeded ? [...cfg.seeds] : [null];
    const rs: RunResult[] = [];
    for (const s of seeds) {
      const f = resultFile(cfg, row, s);
      if (!fs.existsSync(f)) continue;
      const r = JSON.parse(fs.readFileSync(f, 'utf8')) as RunResult;
      // adapt rows: the run's own cumulative wall time (across resumes), from cli/adapt's results.json
      const rj = path.join(runDir(cfg, row, s), 'results.json');
      rs.push(row.kind === 'adapt' && fs.existsSync(rj) ? { ...r, wall_s: (JSON.parse(fs.readFileSync(rj, 'utf8')) as { wall_s: number }).wall_s } : r);
    }
    if (rs.length > 0) out.set(row.id, rs);
  }
  return out;
}

const pct = (v: number | null | undefined, d = 1) => (v === null || v === undefined || Number.isNaN(v) ? 'n/a' : (100 * v).toFixed(d));

export function writeReport(cfg: BenchConfig, resultsDir: string): { json: string; md: string } {
  const all = collect(cfg);
  const agg = (id: string) => {
    const rs = all.get(id);
    return rs ? meanStd(rs.map((r) => r.miou)) : undefined;
  };
  const srcRow = cfg.rows.find((r) => r.kind === 'source');
  const oraRow = cfg.rows.find((r) => r.kind === 'oracle');
  const src = srcRow ? agg(srcRow.id) : undefined;
  const ora = oraRow ? agg(oraRow.id) : undefined;
  const rows: ReportRow[] = [];
  for (const row of cfg.rows) {
    const rs = all.get(row.id);
    if (!rs) continue;
    const ms = meanStd(rs.map((r) => r.miou));
    rows.push({
      method: row.method, id: row.id, kind: row.kind, miou_mean: ms.mean, miou_std: ms.std, seeds: rs.map((r) => r.seed),
      per_class: meanPerClass(rs.map((r) => r.per_class)),
      gap_closed: src && ora ? gapClosed(ms.mean, src.mean, ora.mean) : null,
      wall_s: +(rs.reduce((a, r) => a + r.wall_s, 0) / rs.length).toFixed(1),
      iterations: rs[0]!.iterations,
      command: rs[0]!.command.replace(/seed-\d+/g, 'seed-<s>').replace(/ --seeds \d+/, ''),
    });
  }
  const b = cfg.resolvedBase;
  const settings = {
    target: b.target.source === 'synthstreet' ? `SynthStreet '${b.target.style}' frames (seed ${b.target.synthSeed}, ${b.target.count} frames, ${b.target.width}x${b.target.height})` : `${b.target.kind} ${b.target.split} ${b.target.sequences}`,
    eval: b.eval.source === 'synthstreet' ? `SynthStreet '${b.eval.style}' (seed ${b.eval.synthSeed}, ${b.eval.count} labelled frames, ${b.eval.width}x${b.eval.height})` : `${b.eval.kind} ${b.eval.split} ${b.eval.sequences}`,
    crop: [b.augment.cropWidth, b.augment.cropHeight], batch: b.batch, iterations: b.iterations,
    seeds: cfg.seeds, source_model: cfg.source, oracle_model: cfg.oracle, oracle_command: cfg.oracleCommand,
  };
  const json = {
    protocol: cfg.protocol, description: cfg.description, config: cfg.file, settings,
    oracle: ora ? { miou_mean: ora.mean, miou_std: ora.std } : null,
    source_only: src ? { miou_mean: src.mean, miou_std: src.std } : null,
    rows,
    missing: cfg.rows.filter((r) => !all.has(r.id)).map((r) => r.id),
    incomplete_seeds: cfg.rows.filter((r) => r.seeded && all.has(r.id) && all.get(r.id)!.length < cfg.seeds.length).map((r) => ({ id: r.id, seeds_done: all.get(r.id)!.map((x) => x.seed) })),
    notes: [
      'miou_std is the sample standard deviation over seeds (null with one seed); seeds vary the target order, augmentation, mixing and the metric-network initialisation — the source and oracle models are single trained models, so their rows (and AdaBN, which is deterministic) have one run.',
      'The reported model of every row is the last one; target labels are used only for this final evaluation.',
      'gap_closed = (method − source-only)/(oracle − source-only).',
      'wall s/run is the mean wall time of a row\'s runs on the machine as it was loaded when they ran (rows added later ran on a quieter machine): a rough cost, not a speed comparison — bench:engine measures speed.',
    ],
  };
  fs.mkdirSync(resultsDir, { recursive: true });
  const jf = path.join(resultsDir, `adapt-${cfg.protocol}.json`);
  fs.writeFileSync(jf, `${JSON.stringify(json, null, 2)}\n`);
  const classes = rows[0] ? Object.keys(rows[0].per_class) : [];
  const L: string[] = [];
  L.push(`# Adaptation benchmark ${cfg.protocol}`, '', cfg.description, '');
  L.push(`Target: ${settings.target}. Evaluation: ${settings.eval}. Crop ${settings.crop.join('×')}, batch ${b.batch}, ${b.iterations} iterations per adaptation run (metric warm-up included), seeds ${cfg.seeds.join(', ')}.`, '');
  L.push(`Source model: \`${cfg.source}\`. Oracle model: \`${cfg.oracle || 'none'}\`${cfg.oracleCommand ? ` (made with \`${cfg.oracleCommand}\`)` : ''}.`, '');
  if (json.missing.length || json.incomplete_seeds.length) {
    L.push(`**Incomplete:** ${json.missing.length ? `rows not run: ${json.missing.join(', ')}. ` : ''}${json.incomplete_seeds.map((x) => `${x.id}: seeds ${x.seeds_done.join(',')} only`).join('; ')}`, '');
  }
  L.push('| method | mIoU (%) | ± std | seeds | gap closed | iterations | wall s/run |', '|---|---|---|---|---|---|---|');
  for (const r of rows) L.push(`| ${r.method} | ${pct(r.miou_mean)} | ${r.miou_std === null ? '–' : pct(r.miou_std)} | ${r.seeds.map((s) => (s === null ? '–' : s)).join(',')} | ${r.gap_closed === null ? '–' : r.gap_closed.toFixed(2)} | ${r.iterations} | ${r.wall_s} |`);
  L.push('', '## Per-class IoU (%, mean over seeds)', '', `| method | ${classes.join(' | ')} |`, `|---|${classes.map(() => '---').join('|')}|`);
  for (const r of rows) L.push(`| ${r.method} | ${classes.map((c) => pct(r.per_class[c])).join(' | ')} |`);
  L.push('', '## Commands', '');
  for (const r of rows) L.push(`- ${r.method}: \`${r.command}\``);
  L.push('', ...json.notes.map((n) => `- ${n}`), '');
  const mf = path.join(resultsDir, `adapt-${cfg.protocol}.md`);
  fs.writeFileSync(mf, L.join('\n'));
  return { json: jf, md: mf };
}

async function main(): Promise<void> {
  const f = parseFlags(SPEC);
  if (!f) return;
  if (typeof f['config'] !== 'string') throw new UsageError('--config is required (see --help)');
  const cfg = loadBenchConfig(f['config']);
  const only = typeof f['only'] === 'string' ? new Set(f['only'].split(',').filter((x) => x !== '')) : undefined;
  if (only) for (const id of only) if (!cfg.rows.some((r) => r.id === id)) throw new UsageError(`--only: no row '${id}' in ${cfg.file} (rows: ${cfg.rows.map((r) => r.id).join(', ')})`);
  const seeds = typeof f['seeds'] === 'string' ? f['seeds'].split(',').map(Number) : [...cfg.seeds];
  const threads = f['threads'] as number;
  const resultsDir = f['results'] as string;
  if (!f['report-only']) {
    // seed-major order: every row's first seed before any row's second, so a cut-short run still covers every row
    const plan: { row: BenchRow; seed: number | null }[] = [];
    for (const row of cfg.rows.filter((r) => !r.seeded)) if (!only || only.has(row.id)) plan.push({ row, seed: null });
    for (const s of seeds) for (const row of cfg.rows.filter((r) => r.seeded)) if (!only || only.has(row.id)) plan.push({ row, seed: s });
    for (const { row, seed } of plan) {
      const rf = resultFile(cfg, row, seed);
      if (fs.existsSync(rf)) {
        console.log(`[${cfg.protocol}] ${row.id} seed ${seed ?? '-'}: done (skipping)`);
        continue;
      }
      console.log(`[${cfg.protocol}] ${row.id} seed ${seed ?? '-'} (${new Date().toISOString()})`);
      try {
        const r = await runOne(cfg, row, seed, threads);
        fs.writeFileSync(rf, `${JSON.stringify(r, null, 2)}\n`);
        console.log(`  mIoU ${pct(r.miou)} in ${r.wall_s} s`);
      } catch (e) {
        console.error(`  FAILED: ${(e as Error).message}`);
      }
      writeReport(cfg, resultsDir);
    }
  }
  const w = writeReport(cfg, resultsDir);
  console.log(`wrote ${w.json} and ${w.md}`);
  const plot = spawnSync('python3', ['tools/analysis/plot_adapt.py', w.json], { stdio: 'inherit' });
  if (plot.status !== 0) console.warn('plot skipped (python3/matplotlib unavailable)');
}

runMain(main);
