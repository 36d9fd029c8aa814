/** bench/results/engine.json and engine.md from the benchmark's case results. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Profile } from './engine-profile.js';

export interface CaseResult {
  // fields of earlier runs may be missing (older engine.json)
  key: string; name: string; engine_ms: number; pytorch_ms: number; ratio: number;
  engine_peak_rss_mb: number; pytorch_peak_rss_mb: number;
  engine_min_ms: number; pytorch_min_ms: number; paired_ratio_median?: number | undefined;
  mode: 'interleaved' | 'sequential'; load_before: number; load_after: number;
  threads: number; steps: number; warmup: number; engine_times_ms: number[]; pytorch_times_ms: number[];
  engine_first_step_ms: number; engine_build_ms: number; step_nodes: number;
  conv_gflop_per_step: number; gemm_gflops: number; engine_gemm_fraction: number; pytorch_gemm_fraction: number;
  torch: string; profile?: Profile; measured_at?: string; host?: string;
}

const f1 = (x: number) => x.toFixed(1);

export function writeReport(dir: string, fresh: CaseResult[], command: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const jsonPath = path.join(dir, 'engine.json');
  const stamp = new Date().toISOString();
  const host = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load ${os.loadavg()[0]!.toFixed(2)}`;
  const now = fresh.map((r) => ({ ...r, measured_at: stamp, host, command }));
  let cases: (CaseResult & { command?: string })[] = now;
  if (fs.existsSync(jsonPath)) {
    const old = (JSON.parse(fs.readFileSync(jsonPath, 'utf8')) as { cases: (CaseResult & { command?: string })[] }).cases ?? [];
    cases = [...old.filter((o) => !now.some((n) => n.key === o.key)), ...now];
  }
  fs.writeFileSync(jsonPath, JSON.stringify({ cases }, null, 1) + '\n');

  const L: string[] = [];
  L.push('# Engine step benchmark: this engine vs PyTorch CPU', '');
  L.push('One training step (forward, bilinear upsampling, weighted cross-entropy with ignore 255, backward, SGD momentum 0.9 / weight decay 5e-4 / head lr ×10), same network, same weights, same batch, same thread count; median of the timed steps after warm-up. Each side is its own process (peak RSS = that process\'s maximum resident set); in interleaved mode their steps alternate (never both computing at once) so that both see the same machine load; the paired ratio is the median over steps of engine/PyTorch of adjacent steps, the figure least disturbed by load that drifts during the run. Regenerate with `npm run bench:engine` (both cases) or `npm run build && node dist/bench/engine.js --only small`.', '');
  L.push('| case | engine ms (median) | PyTorch ms (median) | ratio (engine/PyTorch) | paired ratio | engine / PyTorch min ms | engine peak RSS MB | PyTorch peak RSS MB | conv GFLOP/step | engine % of GEMM rate | PyTorch % of GEMM rate | mode, load | measured |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const c of cases) {
    L.push(`| ${c.name} | ${f1(c.engine_ms)} | ${f1(c.pytorch_ms)} | ${c.ratio.toFixed(2)} | ${c.paired_ratio_median?.toFixed(2) ?? '–'} | ${f1(c.engine_min_ms)} / ${f1(c.pytorch_min_ms)} | ${c.engine_peak_rss_mb.toFixed(0)} | ${c.pytorch_peak_rss_mb.toFixed(0)} | ${f1(c.conv_gflop_per_step)} | ${f1(100 * c.engine_gemm_fraction)} | ${f1(100 * c.pytorch_gemm_fraction)} | ${c.mode}, ${c.load_before.toFixed(1)}→${c.load_after.toFixed(1)} | ${c.measured_at ?? ''} |`);
  }
  L.push('');
  for (const c of cases) {
    L.push(`## ${c.name}`, '');
    L.push(`- command: \`${c.command ?? command}\`; threads ${c.threads}, ${c.warmup} warm-up + ${c.steps} timed steps; ${c.host ?? ''}; PyTorch ${c.torch}`);
    L.push(`- engine steps (ms): ${c.engine_times_ms.map(f1).join(', ')}`);
    L.push(`- PyTorch steps (ms): ${c.pytorch_times_ms.map(f1).join(', ')}`);
    L.push(`- engine: graph build + compile ${f1(c.engine_build_ms)} ms, first step (session creation included) ${f1(c.engine_first_step_ms)} ms, ${c.step_nodes} nodes in the step graph`);
    L.push(`- GEMM rate of this machine (onnxruntime MatMul 1024³, same threads): ${f1(c.gemm_gflops)} GFLOP/s; conv FLOPs per step counted as 3 × 2 × forward conv MACs`);
    if (c.profile) {
      const p = c.profile;
      L.push('', `Engine profile (onnxruntime enableProfiling, kernel time per step, mean of ${p.runs} runs after a warm-up; ${f1(p.totalKernelMs)} ms of kernels${p.wallMs === undefined ? '' : ` in ${f1(p.wallMs)} ms of session.run`} per step${p.wallMs === undefined ? '' : ', the rest being onnxruntime\'s own overhead and the copies of inputs and outputs'}):`, '');
      L.push('| op type | ms/step | share | nodes |', '|---|---|---|---|');
      for (const o of p.byOp.slice(0, 20)) L.push(`| ${o.op} | ${f1(o.ms)} | ${f1(100 * o.share)} % | ${o.count} |`);
      L.push('', 'Most expensive nodes:', '', '| node | op | ms/step |', '|---|---|---|');
      for (const n of p.topNodes.slice(0, 10)) L.push(`| ${n.node} | ${n.op} | ${f1(n.ms)} |`);
    }
    L.push('');
  }
  const notes = path.join(dir, 'engine-notes.md');
  if (fs.existsSync(notes)) L.push(fs.readFileSync(notes, 'utf8'));
  fs.writeFileSync(path.join(dir, 'engine.md'), L.join('\n') + '\n');
}
