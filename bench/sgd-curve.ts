/**
 * Writes bench/results/sgd-curve.json: the engine's 200-step SGD loss curve of the small DeepLab
 * next to PyTorch's (float64 and float32) from test/fixtures/nets/sgd_curve.json, with their
 * largest relative distances; then plots bench/results/sgd-curve.png
 * (tools/pytorch/plot_sgd_curve.py, matplotlib) when python3 is available.
 *   npm run build && node dist/bench/sgd-curve.js
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineSgdCurve, type SgdSettings } from './nets/sgd-run.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const maxRel = (a: readonly number[], ref: readonly number[]) => Math.max(...ref.map((r, i) => Math.abs(a[i]! - r) / Math.abs(r)));

async function main(): Promise<void> {
  const fx = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/nets/sgd_curve.json'), 'utf8')) as SgdSettings & { torch64: number[]; torch32: number[] };
  const { losses, msPerStep } = await engineSgdCurve(fx);
  const out = path.join(ROOT, 'bench/results/sgd-curve.json');
  const settings = { case: fx.case, steps: fx.steps, lr: fx.lr, head_lr_mult: fx.head_lr_mult, momentum: fx.momentum, weight_decay: fx.weight_decay };
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({
    settings, network: 'small DeepLab (BasicBlock [2,2,2,2], widths 16-128, OS8, frozen BN), batch 2x3x64x64, weighted CE ignore 255',
    max_rel_engine_vs_torch64: maxRel(losses, fx.torch64), max_rel_torch32_vs_torch64: maxRel(fx.torch32, fx.torch64),
    engine_ms_per_step: msPerStep, engine: losses, torch64: fx.torch64, torch32: fx.torch32,
  }) + '\n');
  console.log(`engine vs PyTorch float64: max relative distance ${maxRel(losses, fx.torch64).toExponential(2)}; wrote ${path.relative(ROOT, out)}`);
  const r = spawnSync('python3', [path.join(ROOT, 'tools/pytorch/plot_sgd_curve.py'), out, out.replace(/\.json$/, '.png')], { stdio: 'inherit' });
  if (r.status !== 0) console.warn('plot skipped (python3/matplotlib unavailable)');
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
