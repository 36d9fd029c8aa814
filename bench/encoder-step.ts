/**
 * Source-training step time of the two encoders, paired: the supervised step (weighted CE, the
 * config's optimiser, batch and crop) of configs/source/synthstreet.json (small ResNet DeepLab)
 * and configs/source/synthstreet-mnv2.json (MobileNetV2 DeepLab-v3+), compiled in one process
 * and run alternately on random data (ResNet, MobileNetV2, ResNet, …) so both see the same
 * machine load; medians after warm-up. --profile adds onnxruntime's kernel time by op type of
 * each step (bench/engine-profile.ts).
 *
 *   npm run build && node dist/bench/encoder-step.js [--steps 8] [--warmup 2] [--threads 2] [--provider cpu|cuda] [--profile]
 */
import fs from 'node:fs';
import os from 'node:os';
import { parseFlags, runMain, type CommandSpec } from '../lib/cli/args.js';
import type { TensorData } from '../lib/engine/ir/tensor.js';
import { TrainStepRunner } from '../lib/engine/runtime/train-step-runner.js';
import { compileSupervisedStep } from '../lib/model/seg-net.js';
import { modelSpecOf, validateSourceConfig } from '../lib/train/source-config.js';
import { optimizerOf } from '../lib/train/supervised.js';
import { Rng } from '../lib/util/rng.js';
import { profileStep } from './engine-profile.js';

const COMMAND: CommandSpec = {
  name: 'node dist/bench/encoder-step.js',
  summary: 'paired source-training step time: small ResNet DeepLab vs MobileNetV2 DeepLab (configs/source/synthstreet*.json)',
  flags: {
    steps: { type: 'number', help: 'timed steps per model', default: 8 },
    warmup: { type: 'number', help: 'untimed steps per model first', default: 2 },
    threads: { type: 'number', help: 'onnxruntime intra-op threads', default: 2 },
    provider: { type: 'string', help: 'execution provider (cpu | cuda)', default: 'cpu' },
    profile: { type: 'boolean', help: 'also print kernel time by op type (CPU, one extra session per model)' },
  },
};

const CONFIGS = { resnet: 'configs/source/synthstreet.json', mobilenetv2: 'configs/source/synthstreet-mnv2.json' } as const;

async function main(): Promise<void> {
  const f = parseFlags(COMMAND);
  if (!f) return;
  const rng = new Rng([0, 'encoder-step']);
  const models = [];
  for (const [name, file] of Object.entries(CONFIGS)) {
    const c = validateSourceConfig(JSON.parse(fs.readFileSync(file, 'utf8')), file);
    const spec = modelSpecOf(c, 11);
    const [n, h, w] = [c.batch, c.augment.cropHeight, c.augment.cropWidth];
    const { compiled, model } = compileSupervisedStep(spec, { batch: n, height: h, width: w, optimizer: optimizerOf(c), headLrMult: c.optimizer.headLrMult, weighted: true });
    const runner = await TrainStepRunner.start({ threads: f['threads'] as number, provider: f['provider'] as 'cpu' });
    await runner.addProgram('train', compiled, { initState: true });
    const feeds: Record<string, TensorData> = {
      image: { dtype: 'float32', shape: [n, 3, h, w], data: Float32Array.from({ length: n * 3 * h * w }, () => rng.normal()) },
      labels: { dtype: 'int64', shape: [n, h, w], data: BigInt64Array.from({ length: n * h * w }, () => BigInt(rng.int(11))) },
      weights: { dtype: 'float32', shape: [n, h, w], data: new Float32Array(n * h * w).fill(1) },
    };
    const values = model.params.all.reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0);
    models.push({ name, file, runner, feeds, compiled, values, ms: [] as number[], shape: `${n}×3×${h}×${w}` });
  }
  const load0 = os.loadavg()[0]!;
  const total = (f['warmup'] as number) + (f['steps'] as number);
  for (let i = 0; i < total; i++) {
    for (const m of models) {
      const t = performance.now();
      await m.runner.trainStep('train', m.feeds, { lr: 1e-4, step: i, transfer: false });
      if (i >= (f['warmup'] as number)) m.ms.push(performance.now() - t);
    }
  }
  const load1 = os.loadavg()[0]!;
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  process.stdout.write(`${os.cpus().length} CPUs, load average ${load0.toFixed(1)} → ${load1.toFixed(1)}, provider ${f['provider'] as string}, ${f['threads'] as number} threads\n`);
  for (const m of models) {
    process.stdout.write(`${m.name.padEnd(12)} ${m.file}: ${(m.values / 1e6).toFixed(2)} M values, batch ${m.shape}: median ${med(m.ms).toFixed(0)} ms, min ${Math.min(...m.ms).toFixed(0)} ms (${m.ms.length} steps)\n`);
  }
  process.stdout.write(`ratio mobilenetv2 / resnet (medians): ${(med(models[1]!.ms) / med(models[0]!.ms)).toFixed(2)}\n`);
  for (const m of models) await m.runner.close();
  if (f['profile']) {
    for (const m of models) {
      const p = await profileStep(m.compiled, m.feeds, f['threads'] as number, 2);
      process.stdout.write(`\n${m.name}: kernel time ${p.totalKernelMs.toFixed(0)} ms/step (wall ${p.wallMs?.toFixed(0)} ms), by op type:\n`);
      for (const o of p.byOp.slice(0, 10)) process.stdout.write(`  ${o.op.padEnd(22)} ${o.ms.toFixed(0).padStart(6)} ms  ${(100 * o.share).toFixed(1).padStart(5)} %  (${o.count} nodes)\n`);
    }
  }
}

runMain(main);
