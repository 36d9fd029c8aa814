/**
 * The pure pieces of the STvM loop and its configuration: reliability upsampling (against
 * onnxruntime's Resize), metric targets, batch mixing with one mask, the weighting registry and
 * the loop's switches, EMA program vs TypeScript arithmetic, and the label-free target data.
 */
import { emaUpdate } from '../../lib/method/stvm/ema.js';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writePng } from '../../lib/data/io/index.js';
import { openLabelledDataset, openUnlabelledDataset } from '../../lib/data/datasets/index.js';
import type { LabelledDataset } from '../../lib/data/datasets/types.js';
import { Rng } from '../../lib/data/rng.js';
import { GraphBuilder } from '../../lib/engine/ir/builder.js';
import { tensor, type TensorData } from '../../lib/engine/ir/tensor.js';
import { runGraph } from '../../lib/engine/runtime/run-graph.js';
import { ConfigError } from '../../lib/config/schema.js';
import { maskOfClasses } from '../../lib/method/stvm/mocm.js';
import { validateAdaptConfig } from '../../lib/train/adapt-config.js';
import { buildNet, downsampleArea, loopSettings, metricTargets, mixBatch, PROXIES, TargetBatches, TeacherSide, upsampleBilinear, type TargetBatch, type TeacherView } from '../../lib/method/stvm/index.js';
import { softmaxConfidence } from '../../lib/method/stvm/reliability.js';
import { makeWeighting, registerWeighting, weightingNames } from '../../lib/method/weighting/index.js';
import { CROP, TINY_SPEC, tinyAlgorithm, tinyConfig, tinyTargets } from './stvm-helpers.js';

describe('STvM loop pieces', () => {
  it('upsampleBilinear equals onnxruntime Resize (linear, align_corners)', async () => {
    const [n, h, w, H, W] = [2, 3, 5, 13, 17];
    const rng = new Rng('up');
    const x = Float32Array.from({ length: n * h * w }, () => rng.float());
    const g = new GraphBuilder('up');
    const inp = g.input('x', 'float32', [n, 1, h, w]);
    const y = g.op1('Resize', [inp, '', '', g.constI64([n, 1, H, W])], { mode: 'linear', coordinate_transformation_mode: 'align_corners' });
    g.output(y);
    const ref = (await runGraph(g.graph, { x: tensor('float32', [n, 1, h, w], x) }))[y]!.data as Float32Array;
    const got = upsampleBilinear(x, n, h, w, H, W);
    let err = 0;
    for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(ref[i]! - got[i]!));
    assert.ok(err < 1e-6, `max abs difference ${err}`);
  });

  it('downsampleArea: block means (equals AveragePool when the size divides) and a brute-force reference otherwise', async () => {
    const rng = new Rng('down');
    // divisible: 2×8×12 → 2×2×3 is AveragePool with kernel = stride = 4
    const x = Float32Array.from({ length: 2 * 8 * 12 }, () => rng.float());
    const g = new GraphBuilder('down');
    const inp = g.input('x', 'float32', [2, 1, 8, 12]);
    const y = g.op1('AveragePool', [inp], { kernel_shape: [4, 4], strides: [4, 4] });
    g.output(y);
    const ref = (await runGraph(g.graph, { x: tensor('float32', [2, 1, 8, 12], x) }))[y]!.data as Float32Array;
    const got = downsampleArea(x, 2, 8, 12, 2, 3);
    for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(ref[i]! - got[i]!) < 1e-6, `cell ${i}: ${got[i]} vs ${ref[i]}`);
    // not divisible: 7×10 → 3×4, every pixel in cell (⌊Y·3/7⌋, ⌊X·4/10⌋), float64 means
    const z = Float32Array.from({ length: 7 * 10 }, () => rng.float());
    const d = downsampleArea(z, 1, 7, 10, 3, 4);
    for (let cy = 0; cy < 3; cy++) for (let cx = 0; cx < 4; cx++) {
      let s = 0, k = 0;
      for (let Y = 0; Y < 7; Y++) for (let X = 0; X < 10; X++) if (Math.floor((Y * 3) / 7) === cy && Math.floor((X * 4) / 10) === cx) { s += z[Y * 10 + X]!; k++; }
      assert.ok(k > 0 && Math.abs(d[cy * 4 + cx]! - s / k) < 1e-6);
    }
    assert.throws(() => downsampleArea(z, 1, 7, 10, 8, 4), /cannot shrink 7×10 to 8×4/);
  });

  it('teacher outputs: ŷ = argmax of the stride-8 and of the upsampled logits, q = max softmax, f = encoder features, softmax probabilities', async () => {
    const [W, H] = CROP, N = 2, C = TINY_SPEC.numClasses;
    const rng = new Rng('teacher-out');
    const image = tensor('float32', [N, 3, H, W], Float32Array.from({ length: N * 3 * H * W }, () => rng.normal(0, 1)));
    const net = { spec: TINY_SPEC, allowInit: true };
    const { g, model } = buildNet(net, N, H, W, 'ref');
    for (const v of [model.logits, model.logitsFull!, model.features]) g.output(v);
    const ref = await runGraph(g.graph, { image });
    const te = await TeacherSide.start({ net, batch: N, crop: [H, W], numClasses: C, probs: true, runner: { inThread: true, threads: 1 } });
    try {
      const o = await te.forward(image);
      const [h, w] = te.featureSize;
      const full = softmaxConfidence(ref[model.logitsFull!]!.data as Float32Array, N, C, H * W);
      const feat = softmaxConfidence(ref[model.logits]!.data as Float32Array, N, C, h * w);
      // argmax must agree wherever the reference's top two logits are not a near-tie
      const sameArgmax = (got: Uint8Array, want: Uint8Array, z: Float32Array, hw: number) => {
        for (let b = 0; b < N; b++) for (let i = 0; i < hw; i++) {
          const k = b * hw + i;
          if (got[k] === want[k]) continue;
          const gap = Math.abs(z[(b * C + want[k]!) * hw + i]! - z[(b * C + got[k]!) * hw + i]!);
          assert.ok(gap < 1e-4, `argmax at ${k}: ${got[k]} vs ${want[k]} (logit gap ${gap})`);
        }
      };
      sameArgmax(o.labels, full.argmax, ref[model.logitsFull!]!.data as Float32Array, H * W);
      sameArgmax(o.labelsFeat, feat.argmax, ref[model.logits]!.data as Float32Array, h * w);
      for (let i = 0; i < full.conf.length; i++) assert.ok(Math.abs(o.confidence[i]! - full.conf[i]!) < 1e-6, `q[${i}]`);
      const fr = ref[model.features]!.data as Float32Array, fo = o.features.data as Float32Array;
      assert.equal(fo.length, fr.length);
      for (let i = 0; i < fr.length; i++) assert.ok(Math.abs(fo[i]! - fr[i]!) <= 1e-5 * Math.max(1, Math.abs(fr[i]!)), `f[${i}]`);
      const plane = H * W;
      for (let b = 0; b < N; b++) for (let i = 0; i < plane; i += 97) {
        let sum = 0, mx = 0;
        for (let c = 0; c < C; c++) { const p = o.probs![(b * C + c) * plane + i]!; sum += p; mx = Math.max(mx, p); }
        assert.ok(Math.abs(sum - 1) < 1e-5 && Math.abs(mx - o.confidence[b * plane + i]!) < 1e-6);
      }
    } finally {
      await te.close();
    }
  });

  it('metricTargets: one-hot rows, none for 255, at most `max` valid locations drawn from the labelled ones', () => {
    const labels = Uint8Array.from([0, 2, 255, 1, 1, 2, 0, 255, 2, 1]);
    const all = metricTargets(labels, 3, 100, new Rng(1));
    assert.equal(all.used, 8);
    labels.forEach((y, i) => {
      assert.deepEqual(Array.from(all.onehot.subarray(3 * i, 3 * i + 3)), y === 255 ? [0, 0, 0] : [0, 1, 2].map((c) => (c === y ? 1 : 0)));
      assert.equal(all.valid[i], y === 255 ? 0 : 1);
    });
    const sub = metricTargets(labels, 3, 5, new Rng(2));
    assert.equal(sub.used, 5);
    assert.equal(sub.valid.reduce((a, b) => a + b, 0), 5);
    sub.valid.forEach((v, i) => assert.ok(v === 0 || labels[i] !== 255));
    assert.deepEqual(metricTargets(labels, 3, 5, new Rng(2)).valid, sub.valid, 'deterministic for one rng');
  });

  describe('mixBatch', () => {
    const [n, h, w, c] = [3, 4, 5, 4];
    const rng = new Rng('mix-test');
    const plane = h * w;
    const images = Array.from({ length: n }, () => ({ width: w, height: h, channels: 3, data: Uint8Array.from({ length: plane * 3 }, () => rng.int(256)) }));
    const view: TeacherView = {
      n, height: h, width: w, numClasses: c,
      labels: Uint8Array.from({ length: n * plane }, () => rng.int(c)),
      confidence: Float32Array.from({ length: n * plane }, () => rng.float()),
      reliability: Float32Array.from({ length: n * plane }, () => rng.float()),
      probs: Float32Array.from({ length: n * c * plane }, () => rng.float()),
    };

    for (const mode of ['mocm', 'classmix-random'] as const) {
      it(`${mode}: image, labels, confidence, reliability and probabilities mixed by ONE mask M = 1[ŷ_A ∈ chosen], partner B = next image`, () => {
        const r = mixBatch(images, view, mode, new Rng(9));
        let mixed = 0;
        for (let a = 0; a < n; a++) {
          const b = (a + 1) % n;
          const yA = view.labels.subarray(a * plane, (a + 1) * plane);
          const present = [...new Set(yA)];
          assert.equal(r.chosen[a]!.length, Math.ceil(present.length / 2));
          const m = maskOfClasses(yA, r.chosen[a]!);
          for (let i = 0; i < plane; i++) {
            const src = m[i] ? a : b;
            mixed += m[i]!;
            for (let ch = 0; ch < 3; ch++) assert.equal(r.images[a]!.data[i * 3 + ch], images[src]!.data[i * 3 + ch]);
            assert.equal(r.view.labels[a * plane + i], view.labels[src * plane + i]);
            assert.equal(r.view.confidence[a * plane + i], view.confidence[src * plane + i]);
            assert.equal(r.view.reliability![a * plane + i], view.reliability![src * plane + i]);
            for (let k = 0; k < c; k++) assert.equal(r.view.probs![(a * c + k) * plane + i], view.probs![(src * c + k) * plane + i]);
          }
        }
        assert.equal(r.mixedFraction, mixed / (n * plane));
      });
    }

    it("'none' returns the batch unchanged; MOCM without reliability is an error", () => {
      const r = mixBatch(images, view, 'none', new Rng(1));
      assert.equal(r.view, view);
      assert.equal(r.mixedFraction, 0);
      const { reliability: _r, ...noRel } = view;
      assert.throws(() => mixBatch(images, noRel, 'mocm', new Rng(1)), /MOCM needs the metric reliability/);
    });
  });

  describe('weighting registry and loop switches', () => {
    const v: TeacherView = { n: 1, height: 1, width: 4, numClasses: 3, labels: Uint8Array.from([0, 255, 2, 1]), confidence: Float32Array.from([0.9, 0.8, 0.4, 0.6]), reliability: Float32Array.from([0.3, 0.7, 0.2, 0.5]) };

    it('built-ins: reliability, uniform, confidence (0 where ŷ = 255)', () => {
      assert.deepEqual(Array.from(makeWeighting('reliability', {}).fn(v)), [0.3, 0, 0.2, 0.5].map(Math.fround));
      assert.deepEqual(Array.from(makeWeighting('uniform', {}).fn(v)), [1, 0, 1, 1]);
      assert.deepEqual(Array.from(makeWeighting('confidence', {}).fn(v)), [0.9, 0, 0.4, 0.6].map(Math.fround));
      assert.throws(() => makeWeighting('nope', {}), /unknown weighting 'nope' \(known: .*reliability/);
    });

    it('a registered weighting plugs in by name, its parameters validated by its own schema', () => {
      if (!weightingNames().includes('test-threshold')) {
        registerWeighting({
          name: 'test-threshold', doc: 'w_i = 1[q_i ≥ τ]', needs: {},
          params: { tau: { type: 'number', default: 0.9, min: 0, max: 1, doc: 'τ' } },
          create: (p) => (view) => Float32Array.from(view.confidence, (q, i) => (view.labels[i] !== 255 && q >= p.tau ? 1 : 0)),
        });
      }
      assert.throws(() => registerWeighting({ name: 'uniform', doc: '', needs: {}, params: {}, create: () => () => new Float32Array(0) }), /already registered/);
      const s = loopSettings(tinyConfig({ metric: { enabled: false }, mocm: { selection: 'random' } }), { name: 'test-threshold', params: { tau: 0.5 } });
      assert.deepEqual(Array.from(s.weightFn(v)), [1, 0, 0, 1]);
      assert.equal(s.metric, false);
      assert.equal(s.warmup, 0);
      assert.equal(s.mixing, 'classmix-random');
      const cfg = validateAdaptConfig({ stvm: { metric: { enabled: false }, mocm: { selection: 'random' } }, weighting: { name: 'test-threshold', params: { tau: 0.7 } } }, 'x.json');
      assert.deepEqual(cfg.weightingParams, { tau: 0.7 });
      assert.throws(() => validateAdaptConfig({ stvm: { metric: { enabled: false }, mocm: { selection: 'random' } }, weighting: { name: 'test-threshold', params: { tau: 3 } } }, 'x.json'),
        (e: unknown) => e instanceof ConfigError && /weighting\.params\.tau/.test(e.message) && /x\.json/.test(e.message));
    });

    it('inconsistent switches are config errors naming the field', () => {
      assert.throws(() => loopSettings(tinyConfig({ metric: { enabled: false } })), (e: unknown) => e instanceof ConfigError && /stvm\.weighting/.test(e.message));
      assert.throws(() => loopSettings(tinyConfig({ metric: { enabled: false }, weighting: 'uniform' })), /stvm\.mocm\.selection/);
      assert.throws(() => validateAdaptConfig({ iterations: 10, stvm: { metric: { warmupIters: 10 } } }, 'c.json'), /iterations.*warmupIters.*c\.json|c\.json/);
      assert.throws(() => validateAdaptConfig({ augment: { cropWidht: 3 } }, 'c.json'), (e: unknown) => e instanceof ConfigError && /augment\.cropWidht/.test(e.message));
      const s = loopSettings(tinyConfig({ mocm: { enabled: false }, teacher: 'fixed-source', weighting: 'uniform' }));
      assert.equal(s.mixing, 'none');
      assert.equal(s.teacher, 'fixed-source');
    });
  });

  it('baseline configuration: metric off, fixed source teacher — no metric program, teacher never moves', async () => {
    const alg = await tinyAlgorithm(tinyConfig({ metric: { enabled: false }, mocm: { selection: 'random' }, weighting: 'confidence', teacher: 'fixed-source' }));
    try {
      assert.ok(!(await alg.teacherSide.runner.stateInfo()).has(PROXIES), 'no metric state on the teacher side');
      const t0 = await alg.teacher.weights();
      const m = await alg.step(0);
      await alg.step(1);
      assert.equal(m['metric_loss'], undefined);
      assert.equal(m['ema_alpha'], undefined);
      assert.ok(Number.isFinite(m['student_loss']));
      const t1 = await alg.teacher.weights();
      for (const [k, v] of t0) assert.deepEqual(t1.get(k)!.data, v.data);
    } finally {
      await alg.close();
    }
  });

  it('the EMA program on the teacher runner equals the equation θ_t ← α·θ_t + (1−α)·θ_s (ema.ts emaUpdate)', async () => {
    const alg = await tinyAlgorithm(tinyConfig({ ema: { maxDecay: 0.9 } }));
    try {
      for (let t = 0; t < 2; t++) await alg.step(t);
      const teacher = await alg.teacher.weights();
      const student = await alg.student.weights();
      await alg.teacherSide.ema(student, 0.7);
      const after = await alg.teacher.weights();
      for (const [k, v] of teacher) {
        const want = Float32Array.from(v.data as Float32Array);
        emaUpdate(want, student.get(k)!.data as Float32Array, 0.7);
        const got = after.get(k)!.data as Float32Array;
        for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-6 * Math.max(1, Math.abs(want[i]!)), `${k}[${i}]: ${got[i]} vs ${want[i]}`);
      }
    } finally {
      await alg.close();
    }
  });

  describe('target data carries no labels', () => {
    it('compile time: a LabelledDataset is not an UnlabelledDataset, and a target batch has no labels field', () => {
      const labelled = undefined as unknown as LabelledDataset;
      const opts = { batch: 2, seed: 0, augment: { crop: [8, 8] as [number, number] }, normalize: {} };
      // @ts-expect-error — adaptation accepts images-only datasets (use imagesOnly())
      const bad = () => new TargetBatches(labelled, opts);
      assert.equal(typeof bad, 'function');
      const b = undefined as unknown as TargetBatch;
      // @ts-expect-error — there is no label field to read
      const noLabels = () => b.labels;
      assert.equal(typeof noLabels, 'function');
    });

    it('runtime: target batches of an on-disk dataset whose label files are unreadable never touch them', async () => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'stvm-nolabels-'));
      try {
        const src = tinyTargets(4);
        fs.mkdirSync(path.join(root, 'train', 'images'), { recursive: true });
        fs.mkdirSync(path.join(root, 'train', 'labels'), { recursive: true });
        for (let i = 0; i < src.size; i++) {
          await writePng(path.join(root, 'train', 'images', `0001TP_${i}.png`), await src.readImage(i));
          fs.writeFileSync(path.join(root, 'train', 'labels', `0001TP_${i}.png`), 'not a png');
        }
        const spec = { kind: 'camvid', root, split: 'train' };
        const ds = await openUnlabelledDataset(spec);
        assert.deepEqual(Object.keys(ds).filter((k) => /label/i.test(k)), ['labelled'], 'no label path or reader on the dataset object');
        assert.equal(ds.labelled, false);
        const batches = new TargetBatches(ds, { batch: 2, seed: 1, augment: { crop: [32, 24] }, normalize: {} });
        for (let t = 0; t < 4; t++) {
          const b = await batches.at(t);
          assert.deepEqual(b.images.shape, [2, 3, 24, 32]);
          assert.ok(!('labels' in b));
        }
        const labelled = await openLabelledDataset(spec);
        await assert.rejects(() => labelled.readLabel(0), 'the label files are unreadable: reading them would have failed above');
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    });
  });
});
