/**
 * TENT (lib/method/baselines/tent.ts) on a tiny DeepLab with train-mode BN: the loss is the
 * mean pixel entropy of the logits the step used (checked in float64 here), only BN γ/β and
 * the running statistics change, the step's gradient matches central finite differences of
 * the loss, and saveState/loadState resumes exactly.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Rng } from '../../lib/data/rng.js';
import { loadSegModel, saveSegModel } from '../../lib/model/model-file.js';
import { openModelFile } from '../../lib/model/model-predictor.js';
import { createDeepLab } from '../../lib/engine/models/index.js';
import type { TensorData } from '../../lib/engine/ir/tensor.js';
import { TentAlgorithm, bnAffineParams } from '../../lib/method/baselines/tent.js';
import { TargetBatches } from '../../lib/method/stvm/target-batches.js';
import type { SegModelFile } from '../../lib/model/model-file.js';
import { CROP, TINY_SPEC, tinyTargets } from './stvm-helpers.js';

const SPEC = { ...TINY_SPEC, bn: 'train' as const };

function tinyModel(): SegModelFile {
  const { g } = createDeepLab(SPEC, 1, 24, 32, 'tiny');
  return {
    meta: { format: 'stvm-segmodel', version: 1, spec: SPEC, normalize: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }, protocol: 'tiny', classes: Array.from({ length: SPEC.numClasses }, (_, i) => `c${i}`), inputSize: [32, 24] },
    tensors: new Map(g.graph.initializers),
  };
}

async function tent(over: { lr?: number; optimizer?: 'adam' | 'sgd'; momentum?: number; model?: SegModelFile } = {}): Promise<TentAlgorithm> {
  const model = over.model ?? tinyModel();
  const batches = new TargetBatches(tinyTargets(), { batch: 2, seed: 5, augment: { crop: CROP, flip: 0.5 }, normalize: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] } });
  return TentAlgorithm.create({ model, batches, batch: 2, crop: CROP, inThread: true, threads: 1, lr: over.lr ?? 1e-3, optimizer: over.optimizer ?? 'adam', ...(over.momentum !== undefined ? { momentum: over.momentum } : {}) });
}

/** Mean over pixels of −Σ_c p log p, float64, from logits [N,C,H,W]. */
function meanEntropy(z: TensorData): number {
  const [N, C, H, W] = z.shape as number[];
  const d = z.data as Float32Array;
  const plane = H! * W!;
  let s = 0;
  for (let n = 0; n < N!; n++) for (let i = 0; i < plane; i++) {
    let m = -Infinity;
    for (let c = 0; c < C!; c++) m = Math.max(m, d[(n * C! + c) * plane + i]!);
    let se = 0;
    for (let c = 0; c < C!; c++) se += Math.exp(d[(n * C! + c) * plane + i]! - m);
    const lse = m + Math.log(se);
    for (let c = 0; c < C!; c++) {
      const lp = d[(n * C! + c) * plane + i]! - lse;
      s -= Math.exp(lp) * lp;
    }
  }
  return s / (N! * plane);
}

describe('TENT (tiny DeepLab, train-mode BN)', () => {
  it('the loss is the mean pixel entropy of the step\'s logits; only BN γ/β and running statistics change', async () => {
    const alg = await tent();
    try {
      const before = await alg.modelTensors();
      const r = await alg.stepWithLogits(0);
      const ref = meanEntropy(r.logits);
      assert.ok(Math.abs(r.loss - ref) < 1e-5 * Math.max(1, ref), `loss ${r.loss} vs float64 entropy ${ref}`);
      const after = await alg.modelTensors();
      const affine = new Set(bnAffineParams(SPEC));
      let movedAffine = 0;
      for (const [k, v] of before) {
        const a = after.get(k)!.data as Float32Array, b = v.data as Float32Array;
        const moved = a.some((x, i) => x !== b[i]);
        if (affine.has(k)) movedAffine += moved ? 1 : 0;
        else if (/running_(mean|var)$/.test(k)) assert.ok(moved, `${k} should follow the batch statistics`);
        else assert.ok(!moved, `${k} is not a BN affine parameter but changed`);
      }
      assert.ok(movedAffine >= affine.size - 1, `${movedAffine} of ${affine.size} γ/β moved`);
    } finally {
      await alg.close();
    }
  });

  it('the step\'s gradient on γ/β matches central finite differences of the entropy', async () => {
    const lr = 0.5;
    const alg = await tent({ lr, optimizer: 'sgd', momentum: 0 });
    const probe = await tent({ lr: 0, optimizer: 'sgd', momentum: 0 });
    try {
      const names = bnAffineParams(SPEC);
      const before = await alg.modelTensors();
      await alg.step(0);
      const after = await alg.modelTensors();
      // g = (p − p')/lr for plain SGD; float32 finite differences of single coordinates are
      // drowned by rounding noise (~1e-6 of the loss), so compare the directional derivative
      // along u = g/|g|: (L(θ+εu) − L(θ−εu))/2ε must equal g·u = |g|
      const g = new Map<string, Float64Array>();
      let norm2 = 0;
      for (const n of names) {
        const b = before.get(n)!.data as Float32Array, a = after.get(n)!.data as Float32Array;
        const gn = Float64Array.from(b, (x, i) => (x - a[i]!) / lr);
        gn.forEach((x) => (norm2 += x * x));
        g.set(n, gn);
      }
      const norm = Math.sqrt(norm2);
      assert.ok(norm > 1e-4, `gradient norm ${norm}`);
      const probeBase = (await probe.saveState()).tensors;
      const lossAt = async (delta: number): Promise<number> => {
        const st = new Map(probeBase);
        for (const n of names) {
          const t = before.get(n)!;
          const gn = g.get(n)!;
          st.set(`tent/${n}`, { ...t, data: Float32Array.from(t.data as Float32Array, (x, i) => x + (delta * gn[i]!) / norm) });
        }
        await probe.loadState({ tensors: st, json: {} });
        return (await probe.stepWithLogits(0)).loss;
      };
      const eps = 2e-3; // the entropy is strongly curved along g (ReLU kinks, batch statistics): larger ε is 5–10 % off
      const fd = ((await lossAt(eps)) - (await lossAt(-eps))) / (2 * eps);
      assert.ok(Math.abs(fd - norm) < 0.03 * norm, `directional derivative: finite difference ${fd} vs |g| = ${norm}`);
    } finally {
      await alg.close();
      await probe.close();
    }
  });

  it('saveState → new algorithm → loadState continues with identical losses', async () => {
    const a = await tent();
    const b = await tent();
    try {
      const straight: number[] = [];
      for (let t = 0; t < 3; t++) straight.push((await a.step(t))['loss']!);
      const a2 = await tent();
      try {
        await a2.step(0);
        await a2.step(1);
        await b.loadState(await a2.saveState());
      } finally {
        await a2.close();
      }
      assert.equal((await b.step(2))['loss'], straight[2]);
      const pred = await b.predict({ dtype: 'float32', shape: [1, 3, 24, 32], data: new Float32Array(3 * 24 * 32).fill(0.1) });
      assert.equal(pred.length, 24 * 32);
      assert.ok(pred.every((v) => v < SPEC.numClasses));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('the adapted network is a model file that loads like a trained one and predicts as the run did (the bench writes it for every TENT row)', async () => {
    const a = await tent();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tent-model-'));
    try {
      for (let t = 0; t < 2; t++) await a.step(t);
      const file = path.join(dir, 'model.ckpt');
      await saveSegModel(file, await a.adaptedModel());
      await a.exportModel(path.join(dir, 'model.onnx'));
      assert.ok(fs.existsSync(path.join(dir, 'model.onnx')) && fs.existsSync(path.join(dir, 'model.onnx.json')), 'inference ONNX + sidecar');
      const loaded = await loadSegModel(file);
      assert.equal((loaded.meta.source as { adaptedBy?: string }).adaptedBy, 'tent');
      const opened = await openModelFile(loaded, file, { threads: 1, batch: 2 });
      try {
        const r = new Rng(4);
        const x = { dtype: 'float32' as const, shape: [2, 3, 24, 32], data: Float32Array.from({ length: 2 * 3 * 24 * 32 }, () => r.range(-1, 1)) };
        const want = await a.predict(x);
        assert.deepEqual([...(await opened.predict(x))], [...want]);
        // the source model predicts differently: the file holds the adapted γ/β and statistics
        const src = await openModelFile(tinyModel(), 'source', { threads: 1, batch: 2 });
        try {
          assert.notDeepEqual([...(await src.logits(x)).data as Float32Array].slice(0, 50), [...(await opened.logits(x)).data as Float32Array].slice(0, 50));
        } finally {
          await src.close();
        }
      } finally {
        await opened.close();
      }
    } finally {
      await a.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
