/**
 * EMA weight sync cost for the services benchmark: how long the student → teacher weight hop
 * through NATS (lib/services/sync/weight-store.ts) takes for a model of a given size.
 *
 * measureEmaSync(servers, paramCounts) publishes a float32 snapshot of each size (split into
 * tensors of ≤ 1 Mi values, like a network's layers) and pulls it back, verified, `reps` times
 * (versions 1..reps, older snapshots garbage-collected), and reports per size the median of
 * the publish+pull round: latency_ms, and mb_per_s = snapshot payload MB (10⁶ bytes) / that
 * time — the rate the weights move end to end through the broker (one copy in, one out).
 *
 * Run as a program: measures the small DeepLab of configs/source/synthstreet.json (its
 * parameter count from the engine's model builder: BasicBlock [2,2,2,2], widths baseWidth·
 * [1,2,4,8], 11 SynthStreet/CamVid classes, all initializers including BN statistics) and
 * 43 000 000 (ResNet-101 DeepLab-v2 ≈ 43 M), against a temporary nats-server started here (or
 * --servers nats://…), and prints JSON.
 *
 * Usage: node dist/bench/services-sync.js [--servers url] [--reps 3] [--params 1000,2000] [--out file]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDeepLab } from '../lib/engine/models/deeplab.js';
import { countValues } from '../lib/engine/models/params.js';
import { smallDeepLabSpec } from '../lib/engine/models/spec.js';
import type { TensorData } from '../lib/engine/ir/tensor.js';
import { WeightStore } from '../lib/services/sync/weight-store.js';
import { startNatsServer } from '../lib/services/local/nats-server.js';

export interface EmaSyncResult {
  params: number;
  /** Snapshot payload bytes. */
  bytes: number;
  /** Payload MB (10⁶ bytes) per second of publish+pull, median over reps. */
  mb_per_s: number;
  /** Median publish+pull time, ms. */
  latency_ms: number;
  publish_ms: number;
  pull_ms: number;
  reps: number;
}

export interface EmaSyncOptions {
  reps?: number;
  bucketPrefix?: string;
}

const TENSOR_MAX = 1 << 20;

function syntheticWeights(params: number, seed: number): Map<string, TensorData> {
  const m = new Map<string, TensorData>();
  for (let off = 0, i = 0; off < params; off += TENSOR_MAX, i++) {
    const n = Math.min(TENSOR_MAX, params - off);
    const a = new Float32Array(n);
    for (let j = 0; j < n; j++) a[j] = ((j * 2654435761 + seed) % 2001) / 1000 - 1;
    m.set(`layer.${String(i).padStart(4, '0')}.weight`, { dtype: 'float32', shape: [n], data: a });
  }
  return m;
}

const median = (v: number[]) => { const s = [...v].sort((a, b) => a - b); const k = s.length >> 1; return s.length % 2 ? s[k]! : (s[k - 1]! + s[k]!) / 2; };
const r1 = (v: number) => Math.round(v * 10) / 10;

/** Publish + pull of float32 snapshots of the given sizes; median of `reps` (default 3). */
export async function measureEmaSync(servers: string | readonly string[], paramCounts: number[], opts: EmaSyncOptions = {}): Promise<EmaSyncResult[]> {
  const reps = opts.reps ?? 3;
  const store = await WeightStore.open({ servers, name: 'bench-ema-sync', bucketPrefix: opts.bucketPrefix ?? 'bench-ema-sync', outageBudgetMs: 10_000, requestTimeoutMs: 20_000 });
  const out: EmaSyncResult[] = [];
  try {
    for (const params of paramCounts) {
      const run = `bench-${params}-${process.pid}`;
      const w = syntheticWeights(params, 7);
      const pub: number[] = [];
      const pull: number[] = [];
      let bytes = 0;
      for (let v = 1; v <= reps; v++) {
        let t = performance.now();
        const head = await store.publish(run, v, w);
        pub.push(performance.now() - t);
        t = performance.now();
        const snap = await store.pull(run, { haveVersion: v - 1 });
        pull.push(performance.now() - t);
        if (!snap || snap.version !== v || snap.digest !== head.digest) throw new Error(`measureEmaSync: pulled ${snap?.version} / ${snap?.digest}, published v${v} / ${head.digest}`);
        bytes = head.bytes;
        await store.gc(run, 1);
      }
      const rounds = pub.map((p, i) => p + pull[i]!);
      const lat = median(rounds);
      out.push({ params, bytes, mb_per_s: r1(bytes / 1e6 / (lat / 1000)), latency_ms: r1(lat), publish_ms: r1(median(pub)), pull_ms: r1(median(pull)), reps });
      await store.deleteRun(run);
    }
  } finally {
    await store.close();
  }
  return out;
}

/** Parameter count (all initializers) of the small DeepLab of a source-training config. */
export function smallDeepLabParams(configPath: string, numClasses = 11): { params: number; trainable: number } {
  const cfg = JSON.parse(fs.readFileSync(configPath, 'utf8')) as { model?: { baseWidth?: number; stemWidth?: number; outputStride?: number; aspp?: string; bnMomentum?: number; initSeed?: number } };
  const m = cfg.model ?? {};
  const w = m.baseWidth ?? 16;
  const spec = smallDeepLabSpec({
    widths: [w, 2 * w, 4 * w, 8 * w], stemWidth: m.stemWidth ?? 16, outputStride: (m.outputStride ?? 8) as 8 | 16 | 32,
    asppDilations: (m.aspp ?? '1,3,6').split(',').map(Number), bn: 'train', bnMomentum: m.bnMomentum ?? 0.1, seed: m.initSeed ?? 0, numClasses,
  });
  const { model } = createDeepLab(spec, 1, 64, 64);
  const trainable = new Set(model.params.trainable);
  return { params: countValues(model.params.all), trainable: countValues(model.params.all.filter((p) => trainable.has(p.name))) };
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const small = smallDeepLabParams(path.resolve(here, '../../configs/source/synthstreet.json'));
  const counts = arg('params')?.split(',').map(Number) ?? [small.params, 43_000_000];
  const reps = Number(arg('reps') ?? '3');
  let servers = arg('servers');
  const server = servers ? undefined : await startNatsServer();
  servers ??= server!.url;
  try {
    const results = await measureEmaSync(servers, counts, { reps });
    const report = {
      small_deeplab: { config: 'configs/source/synthstreet.json', params: small.params, trainable: small.trainable },
      results, loadavg: os.loadavg().map((v) => Math.round(v * 100) / 100), cpus: os.cpus().length, node: process.version,
    };
    const text = JSON.stringify(report, null, 2);
    console.log(text);
    const outPath = arg('out');
    if (outPath) fs.writeFileSync(outPath, text + '\n');
  } finally {
    await server?.cleanup();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => { console.error(e); process.exit(1); });
}
