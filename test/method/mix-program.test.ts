/**
 * The MOCM/ClassMix mixing program (lib/method/stvm/mix-program.ts) against the TypeScript
 * mixing (mixing.ts mixBatch; mocm.ts maskOfClasses + transforms/mix.ts mixWithMask): every
 * output bitwise equal — the mask, the mixed labels/confidence/reliability/probs (with NaN, ±Inf
 * and −0 among the values), the mixed fraction, and the mixed normalised image equal to
 * normalising the TS-mixed uint8 images.
 */
import assert from 'node:assert/strict';
import { Rng } from '../../lib/data/rng.js';
import { mixWithMask } from '../../lib/data/transforms/mix.js';
import { normalizePreset, writeCHW } from '../../lib/data/transforms/normalize.js';
import type { ImageU8 } from '../../lib/data/transforms/types.js';
import { tensor, type TensorData } from '../../lib/engine/ir/tensor.js';
import { runGraph } from '../../lib/engine/runtime/run-graph.js';
import { TrainStepRunner } from '../../lib/engine/runtime/index.js';
import { mixBatch, type MixingMode } from '../../lib/method/stvm/mixing.js';
import { mixProgram, type MixProgramOptions, type MixSelect } from '../../lib/method/stvm/mix-program.js';
import { maskOfClasses } from '../../lib/method/stvm/mocm.js';
import type { TeacherView } from '../../lib/method/weighting/registry.js';

const NORM = normalizePreset('imagenet');
const SPECIAL = [NaN, Infinity, -Infinity, -0, 0, 1e-45, 3.4e38];
/** onnxruntime's CPU Where turns a −0 from its X input into +0: no −0 in 'where' runs. */
const SPECIAL_WHERE = SPECIAL.filter((v) => !Object.is(v, -0));
const SELECTS: MixSelect[] = ['gather', 'where'];

function bytes(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function sameBits(got: TensorData, want: ArrayBufferView, what: string): void {
  assert.equal(got.data.constructor, want.constructor, `${what}: element type`);
  assert.ok(bytes(got.data).equals(bytes(want)), `${what}: not bitwise equal`);
}

/** Random float map with a few special values (NaN, ±Inf, −0, …). */
function floats(rng: Rng, len: number, special: readonly number[]): Float32Array {
  return Float32Array.from({ length: len }, () => (rng.bool(0.1) ? special[rng.int(special.length)]! : rng.range(-2, 2)));
}

/** Random pseudo-labels in [0, C) with ~20 % 255 (and `beyond`: some labels in [C, 255)). */
function labelsOf(rng: Rng, len: number, c: number, beyond = false): Uint8Array {
  return Uint8Array.from({ length: len }, () => (rng.bool(0.2) ? 255 : beyond && rng.bool(0.1) ? c + rng.int(255 - c) : rng.int(c)));
}

interface Batch {
  n: number; h: number; w: number; c: number;
  raw: ImageU8[];
  view: Required<TeacherView>;
}

function batchOf(rng: Rng, n: number, h: number, w: number, c: number, select: MixSelect, beyond = false): Batch {
  const sp = select === 'where' ? SPECIAL_WHERE : SPECIAL;
  const plane = h * w;
  const raw = Array.from({ length: n }, () => ({ width: w, height: h, channels: 3, data: Uint8Array.from({ length: 3 * plane }, () => rng.int(256)) }));
  const view = {
    n, height: h, width: w, numClasses: c,
    labels: labelsOf(rng, n * plane, c, beyond),
    confidence: floats(rng, n * plane, sp),
    reliability: floats(rng, n * plane, sp),
    probs: floats(rng, n * c * plane, sp),
  };
  return { n, h, w, c, raw, view };
}

function normalised(images: readonly ImageU8[], h: number, w: number): Float32Array {
  const x = new Float32Array(images.length * 3 * h * w);
  images.forEach((img, i) => writeCHW(img, x, i * 3 * h * w, NORM));
  return x;
}

function feedsOf(b: Batch, classes: Float32Array | Uint8Array, opts: MixProgramOptions): Record<string, TensorData> {
  const { n, h, w, c, view } = b;
  return {
    labels: opts.labels === 'int64' ? tensor('int64', [n, h, w], BigInt64Array.from(view.labels, (v) => BigInt(v))) : tensor('uint8', [n, h, w], view.labels),
    classes: opts.classes === 'bool' ? tensor('bool', [n, c], classes as Uint8Array) : tensor('float32', [n, c], classes as Float32Array),
    image: tensor('float32', [n, 3, h, w], normalised(b.raw, h, w)),
    confidence: tensor('float32', [n, h, w], view.confidence),
    ...(opts.reliability ? { reliability: tensor('float32', [n, h, w], view.reliability) } : {}),
    ...(opts.probs ? { probs: tensor('float32', [n, c, h, w], view.probs) } : {}),
  };
}

async function runMix(b: Batch, classes: Float32Array | Uint8Array, opts: MixProgramOptions): Promise<Record<string, TensorData>> {
  const prog = mixProgram(b.n, b.h, b.w, b.c, opts);
  return runGraph(prog.graph, feedsOf(b, classes, opts));
}

/** The TS reference: per image a, M = maskOfClasses(ŷ_a, chosen_a), everything mixWithMask'ed with b = (a+1) mod N. */
function reference(b: Batch, chosen: number[][]) {
  const { n, h, w, c, raw, view } = b;
  const plane = h * w;
  const mask = new Uint8Array(n * plane);
  const labels = new Uint8Array(n * plane);
  const conf = new Float32Array(n * plane);
  const rel = new Float32Array(n * plane);
  const probs = new Float32Array(n * c * plane);
  const images: ImageU8[] = [];
  let count = 0;
  const map = <T extends Uint8Array | Float32Array>(src: T, a: number, len: number) => ({ width: w, height: h, data: src.subarray(a * len, (a + 1) * len) as T });
  for (let a = 0; a < n; a++) {
    const p = (a + 1) % n;
    const m = maskOfClasses(view.labels.subarray(a * plane, (a + 1) * plane), chosen[a]!);
    mask.set(m, a * plane);
    for (const v of m) count += v;
    images.push(mixWithMask(m, raw[a]!, raw[p]!));
    labels.set(mixWithMask(m, map(view.labels, a, plane), map(view.labels, p, plane)).data, a * plane);
    conf.set(mixWithMask(m, map(view.confidence, a, plane), map(view.confidence, p, plane)).data, a * plane);
    rel.set(mixWithMask(m, map(view.reliability, a, plane), map(view.reliability, p, plane)).data, a * plane);
    const pa = { channels: c, height: h, width: w, data: view.probs.subarray(a * c * plane, (a + 1) * c * plane) };
    const pb = { channels: c, height: h, width: w, data: view.probs.subarray(p * c * plane, (p + 1) * c * plane) };
    probs.set(mixWithMask(m, pa, pb).data, a * c * plane);
  }
  return { mask, labels, conf, rel, probs, images, fraction: count / (n * plane) };
}

function check(out: Record<string, TensorData>, ref: ReturnType<typeof reference>, b: Batch, opts: MixProgramOptions, what: string): void {
  sameBits(out['mask']!, ref.mask, `${what}: mask`);
  sameBits(out['image_mixed']!, normalised(ref.images, b.h, b.w), `${what}: image = normalise(TS-mixed uint8)`);
  sameBits(out['labels_mixed']!, opts.labels === 'int64' ? BigInt64Array.from(ref.labels, (v) => BigInt(v)) : ref.labels, `${what}: labels`);
  sameBits(out['confidence_mixed']!, ref.conf, `${what}: confidence`);
  if (opts.reliability) sameBits(out['reliability_mixed']!, ref.rel, `${what}: reliability`);
  else assert.equal(out['reliability_mixed'], undefined);
  if (opts.probs) sameBits(out['probs_mixed']!, ref.probs, `${what}: probs`);
  else assert.equal(out['probs_mixed'], undefined);
  const f = out['mixed_fraction']!;
  assert.deepEqual([...f.shape], []);
  assert.ok(Object.is(f.data[0], Math.fround(ref.fraction)), `${what}: mixed_fraction ${f.data[0]} vs ${ref.fraction}`);
}

const SIZES: Array<[number, number]> = [[4, 5], [7, 3], [16, 24]];

function optsFor(i: number): MixProgramOptions {
  return { labels: i % 2 ? 'int64' : 'uint8', classes: (i >> 1) % 2 ? 'bool' : 'float32', reliability: i % 3 !== 2, probs: i % 4 !== 3 };
}

describe('MOCM/ClassMix mixing program', function () {
  this.timeout(120000);

  for (const select of SELECTS) it(`select '${select}': equals mixBatch bitwise (mask, mixed maps, fraction; image = normalise(mixed uint8)) for N = 1, 2, 3`, async () => {
    let i = 0;
    for (const n of [1, 2, 3]) {
      for (const [h, w] of SIZES) {
        for (const mode of ['classmix-random', 'mocm'] as MixingMode[]) {
          const c = i % 2 ? 19 : 5;
          const opts = { ...optsFor(i++), select };
          const rng = new Rng(['mix-program', n, h, w, mode, select]);
          const b = batchOf(rng, n, h, w, c, select);
          const mix = mixBatch(b.raw, b.view, mode, rng.fork('mixBatch'));
          const classes = opts.classes === 'bool' ? new Uint8Array(n * c) : new Float32Array(n * c);
          mix.chosen.forEach((cs, a) => cs.forEach((k) => { classes[a * c + k] = 1; }));
          const out = await runMix(b, classes, opts);
          const what = `N=${n} ${h}×${w} C=${c} ${mode} ${JSON.stringify(opts)}`;
          const ref = reference(b, mix.chosen);
          // the reference is mixBatch itself
          assert.ok(bytes(ref.labels).equals(bytes(mix.view.labels)), `${what}: reference vs mixBatch labels`);
          assert.ok(bytes(ref.conf).equals(bytes(mix.view.confidence)), `${what}: reference vs mixBatch confidence`);
          assert.ok(bytes(ref.rel).equals(bytes(mix.view.reliability!)), `${what}: reference vs mixBatch reliability`);
          assert.ok(bytes(ref.probs).equals(bytes(mix.view.probs!)), `${what}: reference vs mixBatch probs`);
          ref.images.forEach((img, a) => assert.ok(bytes(img.data).equals(bytes(mix.images[a]!.data)), `${what}: reference vs mixBatch image ${a}`));
          assert.equal(ref.fraction, mix.mixedFraction);
          check(out, ref, b, opts, what);
          // the mixed normalised image equals normalising mixBatch's uint8 images
          sameBits(out['image_mixed']!, normalised(mix.images, h, w), `${what}: image vs normalise(mixBatch images)`);
        }
      }
    }
  });

  for (const select of SELECTS) it(`select '${select}': any multi-hot (absent classes, empty and full sets, non-0/1 values, labels ≥ C) equals maskOfClasses + mixWithMask`, async () => {
    let i = 0;
    for (const n of [1, 2, 3]) {
      for (const [h, w] of SIZES) {
        const c = i % 2 ? 7 : 19;
        const opts = { ...optsFor(i), reliability: true, probs: true, select };
        const rng = new Rng(['mix-program-any', n, h, w, i++, select]);
        const b = batchOf(rng, n, h, w, c, select, true);
        const classes = opts.classes === 'bool' ? new Uint8Array(n * c) : new Float32Array(n * c);
        const chosen: number[][] = [];
        for (let a = 0; a < n; a++) {
          // image 0 of N=3: empty set; image 1 of N=3: every class; else a random subset
          const pick = n === 3 && a === 0 ? [] : n === 3 && a === 1 ? Array.from({ length: c }, (_, k) => k) : Array.from({ length: c }, (_, k) => k).filter(() => rng.bool(0.4));
          chosen.push(pick);
          for (const k of pick) classes[a * c + k] = opts.classes === 'bool' ? 1 : [1, 0.5, -3, Infinity, NaN][rng.int(5)]!;
        }
        const out = await runMix(b, classes, opts);
        check(out, reference(b, chosen), b, opts, `N=${n} ${h}×${w} C=${c} ${JSON.stringify(opts)}`);
      }
    }
  });

  it("pins onnxruntime's CPU Where: a −0 from the selected X comes out +0 (why 'gather' is the default)", async () => {
    const [n, h, w, c] = [2, 1, 4, 3];
    const b = batchOf(new Rng('mix-program-negzero'), n, h, w, c, 'gather');
    b.view.labels.set([0, 0, 1, 1, 0, 0, 1, 1]);
    b.view.confidence.set([-0, 1, -0, 2, -0, 3, -0, 4]);
    const classes = new Float32Array([1, 0, 0, 1, 0, 0]); // class 0 chosen: pixels 0,1 of each image from A
    const ref = reference(b, [[0], [0]]);
    const gather = await runMix(b, classes, { select: 'gather' });
    sameBits(gather['confidence_mixed']!, ref.conf, 'gather');
    const where = await runMix(b, classes, { select: 'where' });
    const got = [...where['confidence_mixed']!.data as Float32Array];
    // from A (M = 1): −0 → +0; from B (M = 0): −0 stays −0
    assert.ok(Object.is(got[0], 0) && Object.is(got[4], 0), `where, from A: ${got}`);
    assert.ok(Object.is(got[2], -0) && Object.is(got[6], -0), `where, from B: ${got}`);
    assert.ok(Object.is(ref.conf[0], -0));
  });

  it('runs as an eval program on a TrainStepRunner (no state) with the same outputs', async () => {
    const [n, h, w, c] = [3, 8, 6, 5];
    const opts: MixProgramOptions = { reliability: true, probs: true };
    const rng = new Rng('mix-program-runner');
    const b = batchOf(rng, n, h, w, c, 'gather');
    const chosen = [[0, 2], [], [1, 3, 4]];
    const classes = new Float32Array(n * c);
    chosen.forEach((cs, a) => cs.forEach((k) => { classes[a * c + k] = 1; }));
    const prog = mixProgram(n, h, w, c, opts);
    assert.equal(prog.signature.state.length, 0);
    assert.deepEqual(Object.keys(prog.signature.outputs).sort(), ['confidence_mixed', 'image_mixed', 'labels_mixed', 'mask', 'mixed_fraction', 'probs_mixed', 'reliability_mixed']);
    const runner = await TrainStepRunner.start({ inThread: true, threads: 1 });
    try {
      await runner.addProgram('mix', prog);
      const out = await runner.run('mix', feedsOf(b, classes, opts), { transfer: false });
      check(out, reference(b, chosen), b, opts, 'runner');
    } finally {
      await runner.close();
    }
  });
});
