/**
 * One whole STvM iteration against an independent PyTorch implementation
 * (tools/pytorch/stvm_iteration.py → test/fixtures/method/stvm_iteration.json), float64 there,
 * float32 here, every tensor within 1e-4 relative (max |a − b| / max |b| per tensor):
 * the real TeacherCore (teacher forward, metric step with Proxy-Anchor + AdamW, reliability)
 * and StudentSide (the weighted SGD step with train-mode BN whose statistics come from the
 * un-mixed images), a given ClassMix mask, and the EMA with BN buffers — as the loop runs
 * them. Also the information-maximisation loss and its gradient (im_loss.json), and the
 * student step with ordinary train-mode BN plus the IM terms. The largest error (≈5e-5, the SGD
 * momentum of the stem BN's γ, a sum of 1280 terms with cancellation) is the size of PyTorch's
 * own float32-vs-float64 difference on that tensor.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { backward } from '../../lib/engine/autodiff/backward.js';
import { GraphBuilder } from '../../lib/engine/ir/builder.js';
import { tensor, type TensorData } from '../../lib/engine/ir/tensor.js';
import { informationMaximisation } from '../../lib/engine/losses/information-maximisation.js';
import { validateDeepLabSpec } from '../../lib/engine/models/spec.js';
import { runGraph } from '../../lib/engine/runtime/run-graph.js';
import { stvmConfig } from '../../lib/method/stvm/config.js';
import { adaptationNet, studentStepOptions } from '../../lib/method/stvm/bn-mode.js';
import { PROXIES } from '../../lib/method/stvm/programs.js';
import { StudentSide } from '../../lib/method/stvm/student-side.js';
import { TeacherCore } from '../../lib/method/stvm/teacher-core.js';
import { TeacherSide } from '../../lib/method/stvm/teacher-side.js';
import { getWeighting } from '../../lib/method/weighting/index.js';

interface Arr { shape: number[]; data: number[] }
type ArrMap = Record<string, Arr>;
interface StudentExpect { loss: number; state: ArrMap; momentum_buffer: ArrMap; im_entropy?: number; im_diversity?: number }
interface Fixture {
  spec: unknown; batch: number; height: number; width: number; config: Record<string, unknown>; ema_alpha: number; teacher_version_before: number;
  im: { entropy: number; diversity: number };
  weights: ArrMap; metric_weights: ArrMap; images: Arr; mask: Arr;
  expected: {
    labels_feat: number[]; labels: number[]; confidence: Arr; metric_loss: number; sim: Arr; reliability_feat: Arr; reliability: Arr;
    metric_state: ArrMap; metric_adamw: ArrMap; student: StudentExpect; teacher: ArrMap; student_mixed_im: StudentExpect;
  };
}

const TOL = 1e-4;
const load = <T>(name: string): T => JSON.parse(fs.readFileSync(`test/fixtures/method/${name}.json`, 'utf8')) as T;
const t32 = (a: Arr): TensorData => tensor('float32', a.shape, a.data);

/** max |a − b| / max |b| over one tensor. */
function rel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'sizes differ');
  let num = 0, den = 1e-30;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(Number(a[i]) - Number(b[i])));
    den = Math.max(den, Math.abs(Number(b[i])));
  }
  return num / den;
}

/** Compares every expected tensor with `got` (by name); returns the largest error and where. */
function compareAll(what: string, got: ReadonlyMap<string, TensorData>, want: ArrMap, name = (k: string) => k): { max: number; at: string; n: number } {
  let max = 0, at = '', n = 0;
  for (const [k, v] of Object.entries(want)) {
    const t = got.get(name(k));
    assert.ok(t, `${what}: no tensor '${name(k)}'`);
    assert.deepEqual([...t.shape], v.shape, `${what} '${k}': shape`);
    const e = rel(t.data as Float32Array, v.data);
    assert.ok(e < TOL, `${what} '${k}': relative error ${e.toExponential(2)}`);
    if (e >= max) { max = e; at = k; }
    n++;
  }
  return { max, at, n };
}

const scalarRel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
const report: string[] = [];
const note = (s: string) => report.push(s);

describe('STvM iteration vs an independent PyTorch implementation', function () {
  this.timeout(120000);
  after(() => {
    if (report.length) console.log(`      measured max relative errors:\n${report.map((r) => `        ${r}`).join('\n')}`);
  });

  it('information maximisation: L_ent, L_div and the gradient of λ_ent·L_ent + λ_div·L_div w.r.t. the logits', async () => {
    const fx = load<{ logits: Arr; cases: { entropy_weight: number; diversity_weight: number; entropy: number; diversity: number; loss: number; grad: Arr }[] }>('im_loss');
    for (const c of fx.cases) {
      const g = new GraphBuilder('im');
      const z = g.input('z', 'float32', fx.logits.shape);
      const r = informationMaximisation(g, z);
      const loss = g.op1('Add', [g.op1('Mul', [r.entropy, g.constF32(c.entropy_weight)]), g.op1('Mul', [r.diversity, g.constF32(c.diversity_weight)])]);
      const grad = backward(g, loss, [z]).get(z)!;
      for (const o of [r.entropy, r.diversity, loss, grad]) g.output(o);
      const out = await runGraph(g.graph, { z: t32(fx.logits) });
      const num = (n: string) => Number(out[n]!.data[0]);
      const errs = [scalarRel(num(r.entropy), c.entropy), scalarRel(num(r.diversity), c.diversity), scalarRel(num(loss), c.loss)];
      const eg = rel(out[grad]!.data as Float32Array, c.grad.data);
      assert.ok(Math.max(...errs) < TOL && eg < TOL, `λ=(${c.entropy_weight}, ${c.diversity_weight}): loss terms ${errs.map((e) => e.toExponential(2))}, gradient ${eg.toExponential(2)}`);
      note(`IM λ=(${c.entropy_weight}, ${c.diversity_weight}): L_ent/L_div/L ${errs.map((e) => e.toExponential(1)).join('/')}, dL/dz ${eg.toExponential(1)}`);
    }
  });

  describe('one iteration (stvm.bn.mode train, statsFrom unmixed)', () => {
    const fx = load<Fixture>('stvm_iteration');
    const ex = fx.expected;
    const spec = validateDeepLabSpec(fx.spec);
    const N = fx.batch, H = fx.height, W = fx.width, C = spec.numClasses, plane = H * W;
    const cfg = stvmConfig(fx.config);
    const weights = new Map(Object.entries(fx.weights).map(([k, v]) => [k, t32(v)]));
    const net = adaptationNet({ spec, weights }, cfg);
    const runner = { inThread: true, threads: 1 } as const;
    const images = t32(fx.images);
    const x = images.data as Float32Array;
    const mask = fx.mask.data;

    async function teacherSide(): Promise<TeacherSide> {
      const side = await TeacherSide.start({ net, batch: N, crop: [H, W], numClasses: C, metric: { cfg: cfg.metric, seed: 0 }, runner });
      await side.runner.setState(new Map(Object.entries(fx.metric_weights).map(([k, v]) => [k, t32(v)])));
      return side;
    }

    /** x̃_i = M_i·x_i + (1−M_i)·x_{i+1 mod N} for images [N,3,H,W] or maps [N,H,W] (a given mask). */
    function mix<T extends Float32Array | Uint8Array>(a: T, channels: number): T {
      const out = new (a.constructor as new (n: number) => T)(a.length);
      for (let i = 0; i < N; i++) {
        const j = (i + 1) % N;
        for (let c = 0; c < channels; c++) for (let p = 0; p < plane; p++) {
          const m = mask[i * plane + p]!;
          out[(i * channels + c) * plane + p] = m > 0 ? a[(i * channels + c) * plane + p]! : a[(j * channels + c) * plane + p]!;
        }
      }
      return out;
    }

    it('teacher forward, metric step, reliability, mixed weighted student step and EMA (BN buffers included) equal PyTorch', async () => {
      // S before the update, from a second teacher side in the same state (TeacherCore does not hand it out)
      const probe = await teacherSide();
      let sim: Float32Array;
      try {
        const f = await probe.forward({ ...images, data: x.slice() });
        const onehot = new Float32Array(ex.labels_feat.length * C);
        ex.labels_feat.forEach((y, i) => { onehot[i * C + y] = 1; });
        sim = (await probe.metricStep(f.features, onehot, new Float32Array(ex.labels_feat.length).fill(1), 0)).sim;
      } finally {
        await probe.close();
      }

      const side = await teacherSide();
      const core = new TeacherCore(side, { cfg, seed: 0, numClasses: C, metric: true });
      const student = await StudentSide.start({ net, batch: N, crop: [H, W], cfg: cfg.student, loss: studentStepOptions(cfg), runner });
      try {
        // the teacher at version 4: the EMA of version 5 then decays with α = min(1 − 1/5, 0.99)
        await core.setState(await core.getState(), fx.teacher_version_before);
        assert.equal(core.alphaFor(fx.teacher_version_before + 1), fx.ema_alpha);
        const out = await core.label({ t: 0, images: { ...images, data: x.slice() }, probs: false, minVersion: 0 });

        assert.deepEqual([...out.labels], ex.labels, 'teacher labels ŷ at the crop');
        const eConf = rel(out.confidence, ex.confidence.data);
        const eLoss = scalarRel(out.metrics['metric_loss']!, ex.metric_loss);
        const eSim = rel(sim, ex.sim.data);
        const eRel = rel(out.reliability!, ex.reliability.data);
        assert.ok(eConf < TOL, `confidence ${eConf}`);
        assert.ok(eLoss < TOL, `metric loss ${out.metrics['metric_loss']} vs ${ex.metric_loss}`);
        assert.ok(eSim < TOL, `S ${eSim}`);
        assert.ok(eRel < TOL, `reliability ${eRel}`);
        note(`teacher labels ŷ at the crop exact (at the feature grid: implied by the metric loss), confidence q ${eConf.toExponential(1)}, metric loss ${eLoss.toExponential(1)}, S ${eSim.toExponential(1)}, reliability r ${eRel.toExponential(1)}`);

        // the given mask, the reliability weighting, the batch [x̃; x] with the x half unlabelled
        const xm = mix(x, 3), ym = mix(out.labels, 1), rm = mix(out.reliability!, 1);
        const view = { n: N, height: H, width: W, numClasses: C, labels: ym, confidence: mix(out.confidence, 1), reliability: rm };
        const wts = getWeighting('reliability').create({})(view);
        assert.equal(studentStepOptions(cfg).groups, 2);
        const imgs = new Float32Array(2 * x.length);
        imgs.set(xm);
        imgs.set(x, x.length);
        const labs = new Uint8Array(2 * N * plane).fill(255);
        labs.set(ym);
        const ws = new Float32Array(2 * N * plane);
        ws.set(wts);
        const r = await student.step(tensor('float32', [2 * N, 3, H, W], imgs), labs, ws, cfg.student.lr, 0);
        const eStud = scalarRel(r.loss, ex.student.loss);
        assert.ok(eStud < TOL, `student loss ${r.loss} vs ${ex.student.loss}`);
        await core.update(fx.teacher_version_before + 1, () => student.weights());

        const sState = await student.getState();
        const s = compareAll('student', sState, ex.student.state);
        const mb = compareAll('student momentum', sState, ex.student.momentum_buffer, (k) => `optim/momentum_buffer/${k}`);
        assert.equal(s.n, student.params.all.length, 'every student EMA tensor is in the fixture');
        const tState = await core.getState();
        const t = compareAll('teacher', tState, ex.teacher);
        assert.equal(t.n, side.params.all.length);
        assert.ok(side.params.all.some((p) => p.endsWith('running_var')), 'the EMA covers the BN running statistics');
        const m = compareAll('metric', tState, ex.metric_state);
        const adam = compareAll('metric AdamW', tState, ex.metric_adamw, (k) => `metric-optim/${k}`);
        assert.ok(tState.has(PROXIES));
        note(`student loss ${eStud.toExponential(1)}; student tensors (${s.n}) ${s.max.toExponential(1)} at ${s.at}; SGD momentum buffers (${mb.n}) ${mb.max.toExponential(1)} at ${mb.at}`);
        note(`teacher after the EMA (${t.n} tensors, BN buffers included) ${t.max.toExponential(1)} at ${t.at}`);
        note(`metric head + proxies (${m.n}) ${m.max.toExponential(1)} at ${m.at}; AdamW moments (${adam.n}) ${adam.max.toExponential(1)} at ${adam.at}`);
      } finally {
        await Promise.allSettled([core.close(), student.close()]);
      }
    });

    it("student step with ordinary train-mode BN on x̃ (statsFrom 'mixed') and the information-maximisation terms equals PyTorch", async () => {
      const c2 = stvmConfig({ ...fx.config, bn: { mode: 'train', statsFrom: 'mixed' }, regularisers: { imEntropy: fx.im.entropy, imDiversity: fx.im.diversity } });
      const opts = studentStepOptions(c2);
      assert.equal(opts.groups, 1);
      const student = await StudentSide.start({ net: adaptationNet({ spec, weights }, c2), batch: N, crop: [H, W], cfg: c2.student, loss: opts, runner });
      try {
        // the mixed batch from PyTorch's teacher labels and reliabilities (the first test checks ours equal them)
        const labels = Uint8Array.from(ex.labels);
        const xm = mix(x, 3), ym = mix(labels, 1), rm = mix(Float32Array.from(ex.reliability.data), 1);
        const r = await student.step(tensor('float32', [N, 3, H, W], xm), ym, rm, c2.student.lr, 0);
        const want = ex.student_mixed_im;
        const e = [scalarRel(r.loss, want.loss), scalarRel(r.metrics['im_entropy']!, want.im_entropy!), scalarRel(r.metrics['im_diversity']!, want.im_diversity!)];
        assert.ok(Math.max(...e) < TOL, `loss / L_ent / L_div ${e}`);
        const st = await student.getState();
        const s = compareAll('student', st, want.state);
        const mb = compareAll('student momentum', st, want.momentum_buffer, (k) => `optim/momentum_buffer/${k}`);
        note(`mixed-BN + IM student: loss/L_ent/L_div ${e.map((v) => v.toExponential(1)).join('/')}; tensors ${s.max.toExponential(1)} at ${s.at}; momentum ${mb.max.toExponential(1)} at ${mb.at}`);
      } finally {
        await student.close();
      }
    });
  });
});
