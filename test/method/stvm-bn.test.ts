/**
 * stvm.bn (BatchNorm during adaptation) and stvm.regularisers in the loop: which tensors the
 * student trains and hands out, that the teacher's BN tensors follow by the EMA, exact resume
 * with the BN state (and with stochastic restore), 'frozen-source' unchanged, imported ONNX
 * graphs with and without BN, and the AdaBN start of adapt runs (the AdaBN baseline's own pass). The numbers themselves are
 * checked against PyTorch in stvm-iteration-torch.test.ts.
 */
import assert from 'node:assert/strict';
import { stvmConfig } from '../../lib/method/stvm/config.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tensor, type TensorData } from '../../lib/engine/ir/tensor.js';
import { adaBN } from '../../lib/method/baselines/adabn.js';
import { adaptationNet, studentStepOptions } from '../../lib/method/stvm/bn-mode.js';
import { StudentSide } from '../../lib/method/stvm/student-side.js';
import { restorePositions, restoreTensor } from '../../lib/method/stvm/restore.js';
import { Rng } from '../../lib/data/rng.js';
import { TeacherSide } from '../../lib/method/stvm/teacher-side.js';
import { analyzeImport } from '../../lib/model/imported-net.js';
import { IMAGENET_NORMALIZATION, loadModelFile, MODEL_FORMAT, type ImportedModelFile } from '../../lib/model/model-file.js';
import { validateAdaptConfig } from '../../lib/train/adapt-config.js';
import { targetImages } from '../../lib/train/adapt-data.js';
import { adaptRun } from '../../lib/train/adapt-run.js';
import { ADABN_START_FILE, adaptationStartModel } from '../../lib/train/bn-start.js';
import { ConfigError } from '../../lib/config/schema.js';
import { PROTOCOLS } from '../../lib/data/datasets/protocols.js';
import { writeTinySourceModel } from '../helpers/tiny-model.js';
import { tinyAlgorithm, tinyConfig, tinyTargets } from './stvm-helpers.js';

const f32 = (t: TensorData) => t.data as Float32Array;
const differs = (a: Map<string, TensorData>, b: Map<string, TensorData>, k: string) => f32(a.get(k)!).some((v, i) => v !== f32(b.get(k)!)[i]);
const isBn = (k: string) => /(^|\.)bn\d*\.|downsample\.1\./.test(k);

describe('STvM BatchNorm modes and regularisers', function () {
  this.timeout(120000);

  it("'frozen-source' keeps the programs of sessions 1–4: EMA tensors = the convolutions, no BN state, one group (the default is 'adabn-train')", async () => {
    assert.equal(stvmConfig({}).bn.mode, 'adabn-train');
    const cfg = tinyConfig();
    assert.equal(cfg.bn.mode, 'frozen-source');
    assert.deepEqual(studentStepOptions(cfg), { normaliser: 'valid-pixels', groups: 1 });
    const alg = await tinyAlgorithm(cfg);
    try {
      assert.ok(!alg.student.params.all.some(isBn), 'no BN tensor in the EMA set');
      assert.deepEqual(alg.student.params.all, alg.student.params.trainable);
      assert.equal(alg.student.params.buffers.length, 0);
      const st = await alg.teacherSide.runner.getState();
      assert.ok(![...st.keys()].some((k) => k.endsWith('running_mean') && !k.startsWith('metric.')), 'the teacher holds no BN statistics as state');
    } finally {
      await alg.close();
    }
  });

  it("'train' (statsFrom 'unmixed'): the student trains γ/β and updates running statistics; the teacher's BN tensors follow by the EMA", async () => {
    const cfg = tinyConfig({ bn: { mode: 'train' } });
    assert.deepEqual(studentStepOptions(cfg), { normaliser: 'valid-pixels', groups: 2, bnStatsGroup: 1 });
    const alg = await tinyAlgorithm(cfg);
    try {
      const names = alg.student.params.all;
      const bn = names.filter(isBn);
      assert.ok(bn.some((k) => k.endsWith('running_var')) && bn.some((k) => k.endsWith('.weight')));
      assert.deepEqual([...alg.teacherSide.params.all], [...names], 'teacher and student EMA sets agree');
      await alg.step(0);
      const t0 = await alg.teacher.weights();
      const s0 = await alg.student.weights();
      const m = await alg.step(1);
      assert.equal(m['ema_alpha'], 0.5);
      const t1 = await alg.teacher.weights();
      const s1 = await alg.student.weights();
      for (const kind of ['bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var']) assert.ok(differs(s0, s1, kind), `student ${kind} changed`);
      for (const p of names) {
        const exp = f32(t0.get(p)!).map((v, i) => 0.5 * v + 0.5 * f32(s1.get(p)!)[i]!);
        const got = f32(t1.get(p)!);
        const err = Math.max(...got.map((v, i) => Math.abs(v - exp[i]!) / Math.max(1e-3, Math.abs(exp[i]!))));
        assert.ok(err < 1e-5, `${p}: teacher ≠ α·teacher + (1−α)·student (${err})`);
      }
      assert.ok(bn.every((p) => t1.has(p)), 'the teacher hands out its BN tensors (the services publish and digest them)');
    } finally {
      await alg.close();
    }
  });

  it("'train' with statsFrom 'mixed' (DACS) and the IM regulariser: one group, a different step, IM terms reported", async () => {
    const a = await tinyAlgorithm(tinyConfig({ bn: { mode: 'train' } }));
    const b = await tinyAlgorithm(tinyConfig({ bn: { mode: 'train', statsFrom: 'mixed' }, regularisers: { imEntropy: 1, imDiversity: 1 } }));
    try {
      const ma = await a.step(0);
      const mb = await b.step(0);
      assert.ok(Number.isFinite(ma['student_loss']) && Number.isFinite(mb['student_loss']));
      assert.notEqual(ma['student_loss'], mb['student_loss']);
      assert.ok(mb['im_entropy']! > 0 && mb['im_diversity']! < 0, `IM terms ${mb['im_entropy']}, ${mb['im_diversity']}`);
      assert.equal(ma['im_entropy'], undefined);
    } finally {
      await Promise.allSettled([a.close(), b.close()]);
    }
  });

  it('stochastic restore positions: i.i.d. Bernoulli(p) by geometric skips, seeded', () => {
    const pos = (p: number, seed: number) => {
      const out: number[] = [];
      restorePositions(100000, p, new Rng(['restore-test', seed]), (j) => out.push(j));
      return out;
    };
    assert.equal(pos(0, 1).length, 0);
    assert.equal(pos(1, 1).length, 100000);
    const a = pos(0.1, 1);
    assert.ok(Math.abs(a.length - 10000) < 4 * Math.sqrt(100000 * 0.1 * 0.9), `${a.length} restored of 100000 at p = 0.1`);
    assert.ok(a.every((j, i) => j >= 0 && j < 100000 && (i === 0 || j > a[i - 1]!)), 'increasing positions inside the tensor');
    assert.deepEqual(pos(0.1, 1), a, 'the same seed restores the same elements');
    assert.notDeepEqual(pos(0.1, 2), a);
    const src = Float32Array.from([1, 2, 3]);
    const cur = Float32Array.from([7, 8, 9]);
    assert.equal(restoreTensor(cur, src, 1, new Rng('x')), 3);
    assert.deepEqual([...cur], [1, 2, 3]);
  });

  it('stochastic restore in the loop: p = 1 puts every trained tensor back to the starting model (running statistics keep moving)', async () => {
    const alg = await tinyAlgorithm(tinyConfig({ bn: { mode: 'train' }, regularisers: { restoreProb: 1 } }));
    try {
      const s0 = await alg.student.getState();
      const m = await alg.step(0);
      assert.equal(m['restored_fraction'], 1);
      const s1 = await alg.student.getState();
      for (const p of alg.student.params.trainable) assert.ok(!differs(s0, s1, p), `${p} restored`);
      assert.ok(differs(s0, s1, 'bn1.running_mean') && differs(s0, s1, 'optim/momentum_buffer/bn1.weight'), 'buffers and the SGD state are not restored');
    } finally {
      await alg.close();
    }
  });

  it("exact resume with 'train' BN and stochastic restore: saveState → new algorithm → loadState continues with identical losses", async () => {
    const cfg = tinyConfig({ bn: { mode: 'train' }, regularisers: { restoreProb: 0.3 }, metric: { hidden: 16, dim: 8, warmupIters: 1, maxLocations: 20 } });
    const ref = await tinyAlgorithm(cfg);
    const straight: Record<string, number>[] = [];
    try {
      for (let t = 0; t < 4; t++) straight.push(await ref.step(t));
    } finally {
      await ref.close();
    }
    const a = await tinyAlgorithm(cfg);
    let saved;
    try {
      await a.step(0);
      await a.step(1);
      saved = await a.saveState();
    } finally {
      await a.close();
    }
    const keys = [...saved.tensors.keys()];
    assert.ok(keys.includes('teacher/bn1.running_mean') && keys.includes('student/bn1.running_var') && keys.includes('student/optim/momentum_buffer/bn1.weight'));
    const b = await tinyAlgorithm(cfg);
    try {
      await b.loadState(saved);
      for (let t = 2; t < 4; t++) {
        const m = await b.step(t);
        for (const k of ['student_loss', 'metric_loss', 'mean_reliability', 'teacher_version', 'restored_fraction']) assert.equal(m[k], straight[t]![k], `iteration ${t}: ${k}`);
      }
    } finally {
      await b.close();
    }
  });

  describe('imported ONNX graphs', () => {
    const imported = (file: string): ImportedModelFile => {
      const bytes = fs.readFileSync(file);
      const a = analyzeImport(bytes, 48, 64);
      return {
        meta: { format: MODEL_FORMAT, version: 1, normalize: IMAGENET_NORMALIZATION, protocol: 'camvid11', classes: PROTOCOLS.camvid11.classes, inputSize: [64, 48], imported: a.meta },
        tensors: a.tensors, onnx: bytes,
      };
    };
    const runner = { inThread: true, threads: 1 } as const;

    it("'train': the graph's BN runs in training mode in the student step, γ/β train, the teacher reads BN state", async () => {
      const m = imported('test/fixtures/models/seg11_train.onnx');
      const cfg = tinyConfig({ bn: { mode: 'train' } });
      const net = adaptationNet({ imported: { onnx: m.onnx, info: m.meta.imported }, weights: m.tensors }, cfg);
      const student = await StudentSide.start({ net, batch: 2, crop: [48, 64], cfg: cfg.student, loss: studentStepOptions(cfg), runner });
      const teacher = await TeacherSide.start({ net, batch: 2, crop: [48, 64], numClasses: 11, runner });
      try {
        const bn = student.params.buffers;
        assert.ok(bn.length > 0, 'running statistics are buffers');
        assert.equal(student.params.trainable.length + bn.length, student.params.all.length, 'EMA set = trainable + running statistics');
        const convs = analyzeImport(m.onnx, 48, 64).trainable;
        assert.ok(student.params.trainable.length > convs.length && convs.every((k) => student.params.trainable.includes(k)), 'γ/β train beside the convolutions');
        const before = await student.weights();
        const x = tensor('float32', [4, 3, 48, 64], Float32Array.from({ length: 4 * 3 * 48 * 64 }, (_, i) => Math.sin(i * 0.37)));
        const labels = new Uint8Array(4 * 48 * 64).map((_, i) => (i < 2 * 48 * 64 ? i % 11 : 255));
        const r = await student.step(x, labels, new Float32Array(4 * 48 * 64).fill(1), 0.01, 0);
        assert.ok(Number.isFinite(r.loss));
        const after = await student.weights();
        assert.ok(bn.every((k) => differs(before, after, k)), 'every running statistic moved');
        assert.ok(student.params.trainable.filter((k) => !convs.includes(k)).every((k) => differs(before, after, k)), 'every γ/β moved');
        await teacher.ema(after, 0);
        const tw = await teacher.weights();
        assert.ok(bn.every((k) => !differs(tw, after, k)), 'the teacher took the student BN tensors (α = 0)');
      } finally {
        await Promise.allSettled([student.close(), teacher.close()]);
      }
    });

    it("a graph without BN (BN folded by an eval-mode export): 'train' and 'adabn' are config errors naming stvm.bn.mode", async () => {
      const m = imported('test/fixtures/models/seg11_folded.onnx');
      const cfg = tinyConfig({ bn: { mode: 'train' } });
      const net = adaptationNet({ imported: { onnx: m.onnx, info: m.meta.imported }, weights: m.tensors }, cfg);
      await assert.rejects(StudentSide.start({ net, batch: 2, crop: [48, 64], cfg: cfg.student, loss: studentStepOptions(cfg), runner }), /stvm\.bn\.mode/);
      await assert.rejects(adaBN(m, tinyTargets(4), { batch: 2, threads: 1 }), /no BatchNorm/);
      const ac = validateAdaptConfig({ target: { count: 4, width: 64, height: 48 }, augment: { cropWidth: 64, cropHeight: 48 }, iterations: 600, stvm: { bn: { mode: 'adabn', adabnBatch: 2 } } });
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'stvm-bn-folded-'));
      try {
        await assert.rejects(adaptationStartModel(m, ac, tmp, false), (e: Error) => e instanceof ConfigError && /stvm\.bn\.mode/.test(e.message));
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    });

    it('AdaBN re-estimates an imported graph\'s BN statistics (nothing else changes)', async () => {
      const m = imported('test/fixtures/models/seg11_train.onnx');
      const out = await adaBN(m, tinyTargets(4), { batch: 2, threads: 1 });
      assert.ok(out.onnx === m.onnx, 'still the imported graph');
      let moved = 0;
      for (const [k, t] of m.tensors) {
        const same = !f32(out.tensors.get(k)!).some((v, i) => v !== f32(t)[i]);
        if (/running_(mean|var)$/.test(k) || !same) {
          assert.ok(/running|num_batches/.test(k) || same, `${k} changed`);
          if (!same) moved++;
        }
      }
      assert.ok(moved > 0, 'running statistics moved');
    });
  });

  describe('AdaBN start of an adapt run', () => {
    let dir = '';
    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stvm-bn-'));
      await writeTinySourceModel(path.join(dir, 'source.model.ckpt'));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("'adabn-train' starts from the AdaBN baseline's model (same pass, saved as adabn.model.ckpt) and runs", async () => {
      const cfg = validateAdaptConfig({
        iterations: 3, batch: 2, seed: 1, source: path.join(dir, 'source.model.ckpt'),
        target: { source: 'synthstreet', style: 'dusk', count: 6, width: 64, height: 48 },
        augment: { cropWidth: 48, cropHeight: 40 },
        eval: { enabled: false },
        stvm: { metric: { hidden: 16, dim: 8, warmupIters: 1 }, bn: { mode: 'adabn-train', adabnImages: 4, adabnBatch: 2 } },
        runtime: { threads: 1 },
      });
      const out = path.join(dir, 'run');
      const res = await adaptRun({ cfg, out, resume: false, console: 'none', progress: false });
      assert.equal(res.loop.iterations, 3);
      const start = await loadModelFile(path.join(out, ADABN_START_FILE));
      const src = await loadModelFile(cfg.source);
      const direct = await adaBN(src, await targetImages(cfg.target, src.meta.protocol, 4), { batch: 2, threads: 1 });
      for (const [k, t] of direct.tensors) assert.deepEqual(f32(start.tensors.get(k)!), f32(t), `${k}: the start model is the AdaBN baseline's`);
      assert.ok(differs(start.tensors, src.tensors, 'bn1.running_mean'));
      // the adapted teacher carries EMA'd BN statistics (neither the source's nor the AdaBN start's)
      const teacher = await loadModelFile(path.join(out, 'teacher.model.ckpt'));
      assert.ok(differs(teacher.tensors, start.tensors, 'bn1.running_mean') && differs(teacher.tensors, src.tensors, 'bn1.running_mean'));
    });
  });
});
