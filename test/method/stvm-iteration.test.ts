/**
 * The STvM iteration on a tiny DeepLab (5 classes, 32×24 crops, in-thread runners): what one
 * iteration changes (student, teacher by the EMA rule, metric network), what the metric
 * warm-up leaves alone, the weighted loss against a cross-entropy computed here in float64
 * from the network's logits, and exact resume through saveState/loadState.
 */
import assert from 'node:assert/strict';
import { tensor, type TensorData } from '../../lib/engine/ir/tensor.js';
import { runGraph } from '../../lib/engine/runtime/run-graph.js';
import { Rng } from '../../lib/data/rng.js';
import { emaDecay } from '../../lib/method/stvm/ema.js';
import { buildNet, PROXIES, StudentSide } from '../../lib/method/stvm/index.js';
import { getWeighting } from '../../lib/method/weighting/index.js';
import { CROP, TINY_SPEC, tinyAlgorithm, tinyConfig } from './stvm-helpers.js';

const f32 = (t: TensorData) => t.data as Float32Array;

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) / Math.max(1e-3, Math.abs(b[i]!)));
  return m;
}

function differs(a: Map<string, TensorData>, b: Map<string, TensorData>, name: string): boolean {
  const x = f32(a.get(name)!), y = f32(b.get(name)!);
  return x.some((v, i) => v !== y[i]);
}

describe('STvM iteration (tiny DeepLab)', function () {
  this.timeout(60000);

  it('one iteration trains the metric network and the student, and moves the teacher by θ_t ← α θ_t + (1−α) θ_s', async () => {
    const alg = await tinyAlgorithm(tinyConfig());
    try {
      const names = alg.student.params.all;
      assert.ok(names.length > 10);
      await alg.step(0);
      const teacherOld = await alg.teacher.weights();
      const studentOld = await alg.student.weights();
      const metricOld = await alg.teacherSide.runner.getState([PROXIES, 'metric.conv1.weight']);
      const m = await alg.step(1);
      const teacherNew = await alg.teacher.weights();
      const studentNew = await alg.student.weights();
      const metricNew = await alg.teacherSide.runner.getState([PROXIES, 'metric.conv1.weight']);

      assert.equal(m['ema_alpha'], emaDecay(1, 0.99));
      assert.equal(m['ema_alpha'], 0.5, 'α_1 = min(1 − 1/2, 0.99)');
      assert.ok(Number.isFinite(m['student_loss']) && Number.isFinite(m['metric_loss']));
      assert.ok(m['mean_reliability']! > 0 && m['mean_reliability']! <= 1);
      for (const k of ['ms_teacher', 'ms_metric', 'ms_mocm', 'ms_student', 'ms_ema']) assert.ok(m[k]! >= 0, k);
      assert.ok(differs(metricOld, metricNew, PROXIES) && differs(metricOld, metricNew, 'metric.conv1.weight'), 'metric network and proxies were updated');
      const changed = names.filter((p) => differs(studentOld, studentNew, p));
      assert.ok(changed.length > names.length / 2, `student changed (${changed.length}/${names.length} tensors)`);
      let moved = 0;
      for (const p of names) {
        const told = f32(teacherOld.get(p)!), s = f32(studentNew.get(p)!);
        const expect = new Float32Array(told.length);
        for (let i = 0; i < told.length; i++) expect[i] = 0.5 * told[i]! + 0.5 * s[i]!;
        const err = maxRelDiff(f32(teacherNew.get(p)!), expect);
        assert.ok(err < 1e-5, `${p}: teacher_new differs from α·teacher_old + (1−α)·student_new by ${err}`);
        if (differs(teacherOld, teacherNew, p)) moved++;
      }
      assert.ok(moved > names.length / 2, 'the teacher moved');
    } finally {
      await alg.close();
    }
  });

  it('metric warm-up iterations train only the metric network (student and teacher unchanged)', async () => {
    const alg = await tinyAlgorithm(tinyConfig({ metric: { hidden: 16, dim: 8, warmupIters: 2, maxLocations: 20 } }));
    try {
      const t0 = await alg.teacher.weights();
      const s0 = await alg.student.weights();
      const p0 = await alg.teacherSide.runner.getState([PROXIES]);
      const m0 = await alg.step(0);
      const m1 = await alg.step(1);
      assert.equal(m0['warmup'], 1);
      assert.equal(m1['student_loss'], undefined, 'no student step during the warm-up');
      const t1 = await alg.teacher.weights();
      const s1 = await alg.student.weights();
      for (const p of alg.student.params.all) {
        assert.ok(!differs(t0, t1, p), `teacher ${p} changed during the warm-up`);
        assert.ok(!differs(s0, s1, p), `student ${p} changed during the warm-up`);
      }
      assert.ok(differs(p0, await alg.teacherSide.runner.getState([PROXIES]), PROXIES), 'the proxies trained during the warm-up');
      assert.equal(alg.lrAt(2), 0.01, 'the student schedule starts after K_w');
      const m2 = await alg.step(2);
      assert.ok(Number.isFinite(m2['student_loss']) && m2['lr'] === 0.01 && m2['ema_alpha'] === 0);
    } finally {
      await alg.close();
    }
  });

  describe('student loss L = (1/N_v) Σ_i w_i·CE_i against a float64 CE from the logits', () => {
    const N = 2, [W, H] = CROP, C = TINY_SPEC.numClasses;
    const rng = new Rng('ce-check');
    const image = tensor('float32', [N, 3, H, W], Float32Array.from({ length: N * 3 * H * W }, () => rng.normal(0, 1)));
    const labels = Uint8Array.from({ length: N * H * W }, () => (rng.float() < 0.15 ? 255 : rng.int(C)));
    const view = { n: N, height: H, width: W, numClasses: C, labels, confidence: new Float32Array(N * H * W).fill(0.5) };

    async function expected(weights: Float32Array, groups = 1): Promise<number> {
      const { g, model } = buildNet({ spec: TINY_SPEC, allowInit: true }, N, H, W, 'ref');
      g.output(model.logitsFull!);
      const z = f32((await runGraph(g.graph, { image }))[model.logitsFull!]!);
      const sum = new Float64Array(groups), nValid = new Float64Array(groups);
      const plane = H * W;
      for (let b = 0; b < N; b++) for (let i = 0; i < plane; i++) {
        const grp = Math.floor(b / (N / groups));
        const y = labels[b * plane + i]!;
        if (y === 255) continue;
        let mx = -Infinity;
        for (let c = 0; c < C; c++) mx = Math.max(mx, z[(b * C + c) * plane + i]!);
        let se = 0;
        for (let c = 0; c < C; c++) se += Math.exp(z[(b * C + c) * plane + i]! - mx);
        sum[grp] += weights[b * plane + i]! * (mx + Math.log(se) - z[(b * C + y) * plane + i]!);
        nValid[grp]++;
      }
      let loss = 0;
      for (let k = 0; k < groups; k++) loss += sum[k]! / nValid[k]!;
      return loss;
    }

    async function studentLoss(weights: Float32Array, normaliser: 'valid-pixels' | 'weight-sum', groups = 1): Promise<number> {
      const st = await StudentSide.start({ net: { spec: TINY_SPEC, allowInit: true }, batch: N / groups, crop: [H, W], cfg: tinyConfig().student, loss: { normaliser, groups }, runner: { inThread: true, threads: 1 } });
      try {
        return (await st.step({ ...image, data: f32(image).slice() }, labels, weights, 0.01, 0)).loss;
      } finally {
        await st.close();
      }
    }

    it("uniform weighting (w = 1 on labelled pixels) is the plain CE; 'weight-sum' then agrees", async () => {
      const w = getWeighting('uniform').create({})(view);
      assert.ok(w.every((v, i) => v === (labels[i] === 255 ? 0 : 1)));
      const ref = await expected(w);
      const got = await studentLoss(w, 'valid-pixels');
      assert.ok(Math.abs(got - ref) <= 1e-5 * ref, `loss ${got} vs float64 CE ${ref}`);
      const ws = await studentLoss(w, 'weight-sum');
      assert.ok(Math.abs(ws - ref) <= 1e-5 * ref, `weight-sum loss ${ws} vs ${ref}`);
    });

    it('reliability weights scale each pixel and the mean stays over the N valid pixels', async () => {
      const r = Float32Array.from({ length: N * H * W }, () => rng.float());
      const w = getWeighting('reliability').create({})({ ...view, reliability: r });
      const ref = await expected(w);
      const got = await studentLoss(w, 'valid-pixels');
      assert.ok(Math.abs(got - ref) <= 1e-5 * ref, `loss ${got} vs float64 ${ref}`);
    });

    it('with the un-mixed loss (row 13) the batch is two groups, each normalised over its own valid pixels', async () => {
      const r = Float32Array.from({ length: N * H * W }, () => rng.float());
      const ref = await expected(r, 2);
      const got = await studentLoss(r, 'valid-pixels', 2);
      assert.ok(Math.abs(got - ref) <= 1e-5 * ref, `loss ${got} vs float64 ${ref}`);
      assert.ok(Math.abs(got - (await expected(r, 1))) > 1e-3 * ref, 'differs from one group');
    });
  });

  it('mocm.unmixedLoss: an iteration trains on the mixed and the un-mixed batch', async () => {
    const alg = await tinyAlgorithm(tinyConfig({ mocm: { unmixedLoss: true } }));
    try {
      const m = await alg.step(0);
      assert.ok(Number.isFinite(m['student_loss']) && m['student_loss']! > 0);
    } finally {
      await alg.close();
    }
  });

  it('exact resume: saveState → new algorithm → loadState continues with identical losses', async () => {
    const cfg = tinyConfig({ metric: { hidden: 16, dim: 8, warmupIters: 1, maxLocations: 20 } });
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
    assert.ok([...saved.tensors.keys()].some((k) => k.startsWith('teacher/metric-optim/')) && [...saved.tensors.keys()].some((k) => k.startsWith('student/optim/')));
    const b = await tinyAlgorithm(cfg);
    try {
      await b.loadState(saved);
      for (let t = 2; t < 4; t++) {
        const m = await b.step(t);
        for (const k of ['student_loss', 'metric_loss', 'mean_reliability', 'mixed_fraction', 'ema_alpha', 'teacher_version']) {
          assert.equal(m[k], straight[t]![k], `iteration ${t}: ${k} ${m[k]} vs uninterrupted ${straight[t]![k]}`);
        }
      }
    } finally {
      await b.close();
    }
  });
});
