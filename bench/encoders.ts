/**
 * `node dist/bench/encoders.js`: the from-scratch and the pretrained encoder side by side
 * (issue 13) on the real CamVid protocols and on SynthStreet, from the adaptation benchmark's
 * result files:
 *
 *   bench/results/adapt-P0.json + adapt-P0-mnv2.json   (SynthStreet → overcast-photo)
 *   bench/results/adapt-P1.json + adapt-P1-mnv2.json   (SynthStreet → CamVid)
 *   bench/results/adapt-P2.json + adapt-P2-mnv2.json   (CamVid day → dusk)
 *
 * Each pair ran the same rows (source-only, AdaBN, TENT, STvM) with the same target, schedule
 * and seeds; only the source model differs. Writes bench/results/encoders.md and .json, and
 * encoders.png (tools/analysis/plot_encoders.py). The source models' own figures (validation
 * mIoU on the source side, training wall time) are read from their run folders when those
 * exist on this machine (runs/ is not committed).
 *
 *   node dist/bench/encoders.js [--results bench/results]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseFlags, runMain } from '../lib/cli/args.js';

interface Row { id: string; method: string; miou_mean: number; miou_std: number | null; seeds: (number | null)[]; per_class: Record<string, number | null>; command: string }
interface Table { protocol: string; config: string; settings: { source_model: string; iterations: number; seeds: number[] }; rows: Row[] }

export interface EncoderSide { label: string; results: string; sourceRun: string }
export interface EncoderPair { protocol: string; title: string; sides: [EncoderSide, EncoderSide] }

export const PAIRS: EncoderPair[] = [
  {
    protocol: 'P0', title: 'P0 — SynthStreet → overcast-photo (synthetic, held-out style)',
    sides: [
      { label: 'from scratch (small DeepLab, ResNet-18-like)', results: 'adapt-P0.json', sourceRun: 'runs/gates/source' },
      { label: 'pretrained (MobileNetV2 DeepLab-v3+)', results: 'adapt-P0-mnv2.json', sourceRun: 'runs/source-synth-mnv2' },
    ],
  },
  {
    protocol: 'P1', title: 'P1 — SynthStreet → CamVid (synthetic → real)',
    sides: [
      { label: 'from scratch (small DeepLab, ResNet-18-like)', results: 'adapt-P1.json', sourceRun: 'runs/gates/source' },
      { label: 'pretrained (MobileNetV2 DeepLab-v3+)', results: 'adapt-P1-mnv2.json', sourceRun: 'runs/source-synth-mnv2' },
    ],
  },
  {
    protocol: 'P2', title: 'P2 — CamVid day → dusk (real → real)',
    sides: [
      { label: 'from scratch (small DeepLab, ResNet-18-like)', results: 'adapt-P2.json', sourceRun: 'runs/bench/P2-source' },
      { label: 'pretrained (MobileNetV2 DeepLab-v3+)', results: 'adapt-P2-mnv2.json', sourceRun: 'runs/source-camvid-day-mnv2' },
    ],
  },
];

const ROW_IDS = ['source-only', 'adabn', 'tent', 'stvm'] as const;

const pct = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : (100 * v).toFixed(1));
const cell = (r: Row | undefined) => (r ? `${pct(r.miou_mean)}${r.miou_std === null ? '' : ` ± ${pct(r.miou_std)}`} (${r.seeds.filter((s) => s !== null).length || 1})` : 'not run');

interface SourceRunInfo { val_miou: number | null; train_wall_s: number | null; iterations: number | null }

/** The source run's last validation mIoU and training wall time, when its folder is here. */
function sourceRunInfo(dir: string): SourceRunInfo | null {
  const metrics = path.join(dir, 'metrics.jsonl');
  if (!fs.existsSync(metrics)) return null;
  let wall: number | null = null, step: number | null = null, val: number | null = null;
  for (const line of fs.readFileSync(metrics, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const m = JSON.parse(line) as { step?: number; wall_s?: number; kind?: string; miou?: number };
    if (m.kind === 'final-eval' && typeof m.miou === 'number') val = m.miou;
    else if (typeof m.wall_s === 'number') { wall = m.wall_s; step = m.step ?? step; }
  }
  return { val_miou: val, train_wall_s: wall, iterations: step === null ? null : step + 1 };
}

function readTable(file: string): Table | null {
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) as Table : null;
}

export function writeEncodersReport(resultsDir: string): { md: string; json: string } {
  const L: string[] = ['# Encoders: from scratch vs pretrained (issue 13)', ''];
  L.push('The same adaptation rows on the two real CamVid protocols (and P0) with two source models: the',
    'from-scratch small DeepLab (ResNet-18-like encoder, random init; 0.74 M values) and a',
    'DeepLab-v3+-style model on a MobileNetV2-1.0 encoder initialised from ImageNet-derived weights',
    '(the nsfwjs 4.4.0 Keras MobileNetV2, converted by `node dist/cli/fetch-encoder.js`; 2.19 M',
    'values; provenance and licence in docs/encoders.md). Target, evaluation split, schedule (150',
    'iterations of 2 whole 240×180 frames), seeds and row settings are identical; nothing was tuned',
    'for the pretrained encoder. mIoU in %, mean ± sample std over seeds (number of runs in',
    'brackets; source-only and AdaBN are deterministic: one run). Last checkpoint of every run;',
    'target labels only in the final evaluation.', '', '![mIoU by method and encoder](encoders.png)', '');
  const out: Record<string, unknown>[] = [];
  for (const pair of PAIRS) {
    const tables = pair.sides.map((s) => readTable(path.join(resultsDir, s.results)));
    L.push(`## ${pair.title}`, '');
    const src = pair.sides.map((s) => ({ side: s, info: sourceRunInfo(s.sourceRun) }));
    L.push('| encoder | source model | source-side val mIoU | source training |', '|---|---|---|---|');
    for (const [i, { side, info }] of src.entries()) {
      const model = tables[i]?.settings.source_model ?? 'n/a';
      L.push(`| ${side.label} | \`${model}\` | ${info?.val_miou === null || !info ? 'n/a' : pct(info.val_miou)} | ${info?.train_wall_s ? `${info.iterations} it, ${Math.round(info.train_wall_s)} s` : 'n/a (run folder not on this machine)'} |`);
    }
    L.push('', `| method | ${pair.sides.map((s) => s.label).join(' | ')} | Δ (pretrained − scratch) |`, '|---|---|---|---|');
    const rowsOut: Record<string, unknown>[] = [];
    for (const id of ROW_IDS) {
      const rs = tables.map((t) => t?.rows.find((r) => r.id === id));
      const d = rs[0] && rs[1] ? rs[1].miou_mean - rs[0].miou_mean : null;
      L.push(`| ${rs[0]?.method ?? rs[1]?.method ?? id} | ${cell(rs[0])} | ${cell(rs[1])} | ${d === null ? 'n/a' : `${d >= 0 ? '+' : ''}${pct(d)}`} |`);
      rowsOut.push({ id, scratch: rs[0] ? { miou_mean: rs[0].miou_mean, miou_std: rs[0].miou_std, seeds: rs[0].seeds } : null, pretrained: rs[1] ? { miou_mean: rs[1].miou_mean, miou_std: rs[1].miou_std, seeds: rs[1].seeds } : null, delta: d });
    }
    const classes = Object.keys(tables.find((t) => t)?.rows[0]?.per_class ?? {});
    if (classes.length > 0) {
      L.push('', 'Per-class IoU (%, mean over seeds): S = from scratch, P = pretrained.', '', `| method | ${classes.join(' | ')} |`, `|---|${classes.map(() => '---').join('|')}|`);
      for (const id of ROW_IDS) {
        for (const [i, tag] of ['S', 'P'].entries()) {
          const r = tables[i]?.rows.find((x) => x.id === id);
          if (r) L.push(`| ${r.method} (${tag}) | ${classes.map((c) => pct(r.per_class[c])).join(' | ')} |`);
        }
      }
    }
    const best = tables.map((t) => {
      const rs = t?.rows.filter((r) => (ROW_IDS as readonly string[]).includes(r.id)) ?? [];
      return rs.length ? rs.reduce((a, b) => (b.miou_mean > a.miou_mean ? b : a)) : undefined;
    });
    L.push('', `Best row: from scratch ${best[0] ? `${best[0].method} ${pct(best[0].miou_mean)}` : 'n/a'}; pretrained ${best[1] ? `${best[1].method} ${pct(best[1].miou_mean)}` : 'n/a'}.`, '');
    L.push('Commands:', '');
    for (const [i, s] of pair.sides.entries()) L.push(`- ${s.label}: \`npm run bench:adapt -- --config ${tables[i]?.config ?? '(not run)'}\``);
    L.push('');
    out.push({ protocol: pair.protocol, sides: pair.sides.map((s, i) => ({ label: s.label, results: s.results, source_model: tables[i]?.settings.source_model ?? null, source_run: src[i]!.info })), rows: rowsOut });
  }
  fs.mkdirSync(resultsDir, { recursive: true });
  const json = path.join(resultsDir, 'encoders.json');
  const md = path.join(resultsDir, 'encoders.md');
  fs.writeFileSync(json, `${JSON.stringify({ pairs: out }, null, 2)}\n`);
  fs.writeFileSync(md, L.join('\n'));
  return { md, json };
}

async function main(): Promise<void> {
  const f = parseFlags({
    name: 'node dist/bench/encoders.js',
    summary: 'the from-scratch and the pretrained encoder side by side on P1 and P2, from bench/results/adapt-P{1,2}[-mnv2].json; writes bench/results/encoders.md|json',
    flags: { results: { type: 'string', help: 'results folder', default: 'bench/results' } },
    examples: ['node dist/bench/encoders.js'],
  });
  if (!f) return;
  const w = writeEncodersReport(String(f['results']));
  console.log(`wrote ${w.md} and ${w.json}`);
  const plot = spawnSync('python3', ['tools/analysis/plot_encoders.py', w.json], { stdio: 'inherit' });
  if (plot.status !== 0) console.warn('plot skipped (python3/matplotlib unavailable)');
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  runMain(main);
}
