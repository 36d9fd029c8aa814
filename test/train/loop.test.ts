/**
 * runLoop with a fake Algorithm (a counter tensor whose "loss" depends on the state and on t):
 * metrics.jsonl, checkpoints + latest pointer, exact resume, the NaN policies.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TensorData } from '../../lib/engine/ir/tensor.js';
import { NonFiniteStepError } from '../../lib/engine/runtime/errors.js';
import { openRunDir } from '../../lib/run/run-dir.js';
import { NONFINITE_SKIPPED, type Algorithm, type AlgorithmState, type StepMetrics } from '../../lib/method/algorithm.js';
import { latestCheckpoint, runLoop } from '../../lib/train/loop.js';

class Counter implements Algorithm {
  readonly name = 'counter';
  x = 1;
  constructor(private readonly bad: { at?: number; policy?: 'stop' | 'skip' } = {}) {}
  async step(t: number): Promise<StepMetrics> {
    if (t === this.bad.at) {
      if (this.bad.policy === 'stop') throw new NonFiniteStepError(t, NaN, 'train');
      return { loss: NaN, [NONFINITE_SKIPPED]: 1 };
    }
    this.x = this.x * 1.5 + t; // state-dependent: a wrong resume changes every later loss
    return { loss: this.x };
  }
  async saveState(): Promise<AlgorithmState> {
    return { tensors: new Map<string, TensorData>([['c/x', { dtype: 'float64', shape: [1], data: new Float64Array([this.x]) }]]), json: { note: 'counter' } };
  }
  async loadState(s: AlgorithmState): Promise<void> {
    this.x = (s.tensors.get('c/x')!.data as Float64Array)[0]!;
  }
  async predict(images: TensorData): Promise<Uint8Array> {
    return new Uint8Array(images.shape[0]! * images.shape[2]! * images.shape[3]!);
  }
  async exportModel(): Promise<void> {}
  async close(): Promise<void> {}
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'loop-'));
const losses = (dir: string) => fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>).filter((r) => r['kind'] === undefined).map((r) => [r['step'], r['loss']]);

describe('train/runLoop', () => {
  it('logs one record per iteration and writes checkpoints with a latest pointer', async () => {
    const dir = tmp();
    const run = openRunDir(dir, { a: 1 }, { console: 'none' });
    const r = await runLoop(new Counter(), { iterations: 5, run, checkpointEvery: 2, configHash: 'h', progress: false, keepCheckpoints: 2 });
    assert.equal(r.iterations, 5);
    assert.equal(losses(dir).length, 5);
    assert.deepEqual(fs.readdirSync(run.checkpoints).sort(), ['latest.json', 'step-0000004.ckpt', 'step-0000005.ckpt']);
    assert.equal(latestCheckpoint(run)!.step, 5);
  });

  it('resumes exactly: 3 + resume + 3 iterations log the losses of 6 straight ones', async () => {
    const a = tmp(), b = tmp();
    await runLoop(new Counter(), { iterations: 6, run: openRunDir(a, {}, { console: 'none' }), checkpointEvery: 0, configHash: 'h', progress: false });
    await runLoop(new Counter(), { iterations: 6, until: 3, run: openRunDir(b, {}, { console: 'none' }), checkpointEvery: 0, configHash: 'h', progress: false });
    assert.equal(losses(b).length, 3);
    const r = await runLoop(new Counter(), { iterations: 6, resume: true, run: openRunDir(b, {}, { console: 'none', resume: true }), checkpointEvery: 0, configHash: 'h', progress: false });
    assert.equal(r.startStep, 3);
    assert.deepEqual(losses(b), losses(a));
  });

  it('refuses to resume a checkpoint of another config', async () => {
    const d = tmp();
    await runLoop(new Counter(), { iterations: 2, run: openRunDir(d, {}, { console: 'none' }), checkpointEvery: 1, configHash: 'h1', progress: false });
    await assert.rejects(runLoop(new Counter(), { iterations: 4, resume: true, run: openRunDir(d, {}, { console: 'none', resume: true }), checkpointEvery: 1, configHash: 'h2', progress: false }), /config hash/);
  });

  it("policy 'stop': the error names the step and is logged", async () => {
    const d = tmp();
    const run = openRunDir(d, {}, { console: 'none' });
    await assert.rejects(runLoop(new Counter({ at: 2, policy: 'stop' }), { iterations: 5, run, checkpointEvery: 0, configHash: 'h', progress: false }), /training step 2/);
    const log = fs.readFileSync(path.join(d, 'log.jsonl'), 'utf8');
    assert.match(log, /non-finite step at iteration 2/);
  });

  it("policy 'skip': skipped steps are counted and the count survives resume", async () => {
    const d = tmp();
    const r1 = await runLoop(new Counter({ at: 1, policy: 'skip' }), { iterations: 4, until: 2, run: openRunDir(d, {}, { console: 'none' }), checkpointEvery: 0, configHash: 'h', progress: false });
    assert.equal(r1.skipped, 1);
    const r2 = await runLoop(new Counter({ at: 3, policy: 'skip' }), { iterations: 4, resume: true, run: openRunDir(d, {}, { console: 'none', resume: true }), checkpointEvery: 0, configHash: 'h', progress: false });
    assert.equal(r2.skipped, 2);
  });
});
