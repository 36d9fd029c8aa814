/** Checkpoints: exact round trip, verification against the model, truncation and corruption, resume. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileTrainStep } from '../../lib/engine/compile/index.js';
import { f32, tensor, type TensorData } from '../../lib/engine/ir/tensor.js';
import { CheckpointError, loadCheckpoint, saveCheckpoint, specsOf, TensorStore, TrainStepRunner, writeFileAtomic } from '../../lib/engine/runtime/index.js';
import { buildQuadModel, f32t, loadOptimFixtures } from './optim-model.js';

const bits = (t: TensorData) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex');

describe('checkpoints', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-test-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const sample = () => new Map<string, TensorData>([
    ['conv1.weight', f32([2, 3], [1.5, -0, NaN, Infinity, -Infinity, 1e-45])],
    ['optim/step', f32([], [41])],
    ['bn.num_batches', tensor('int64', [2], new BigInt64Array([9007199254740993n, -5n]))],
    ['mask', tensor('bool', [3], [1, 0, 1])],
    ['lut', tensor('uint8', [5], [0, 7, 255, 3, 1])],
    ['idx', tensor('int32', [1, 2], [-7, 2147483647])],
    ['ema', tensor('float64', [2], [Math.PI, -1e-300])],
    ['empty', f32([0, 4], [])],
  ]);

  it('round-trips every tensor bit-exactly with step and metadata', async () => {
    const file = path.join(dir, 'a.ckpt');
    const tensors = sample();
    const metadata = { rng: { student: [1, 2, 3], teacher: 'abc' }, config: { lr: 2.5e-4 }, note: null };
    await saveCheckpoint(file, { step: 1234, tensors, metadata });
    const back = await loadCheckpoint(file, { expect: specsOf(tensors) });
    assert.equal(back.step, 1234);
    assert.deepEqual(back.metadata, metadata);
    assert.deepEqual([...back.tensors.keys()], [...tensors.keys()]);
    for (const [k, t] of tensors) {
      const b = back.tensors.get(k)!;
      assert.equal(b.dtype, t.dtype, k);
      assert.deepEqual(b.shape, t.shape, k);
      assert.equal(bits(b), bits(t), `${k} bytes differ`);
    }
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.includes('.tmp-')), [], 'no temporary files remain');
  });

  it('verifies names, dtypes and shapes against the model, naming the first mismatching tensor', async () => {
    const file = path.join(dir, 'b.ckpt');
    await saveCheckpoint(file, { step: 1, tensors: sample() });
    const expect = specsOf(sample());
    const wrongShape = new Map(expect).set('conv1.weight', { dtype: 'float32', shape: [3, 2] });
    await assert.rejects(loadCheckpoint(file, { expect: wrongShape }), (e: Error) => e instanceof CheckpointError && /tensor 'conv1\.weight' has shape \[2,3\] but the model expects \[3,2\]/.test(e.message) && e.message.includes(file));
    const wrongType = new Map(expect).set('idx', { dtype: 'int64', shape: [1, 2] });
    await assert.rejects(loadCheckpoint(file, { expect: wrongType }), /tensor 'idx' is int32 but the model expects int64/);
    const missing = new Map(expect).set('head.bias', { dtype: 'float32', shape: [19] });
    await assert.rejects(loadCheckpoint(file, { expect: missing }), /tensor 'head\.bias' is missing \(the model expects float32 \[19\]\)/);
    const fewer = new Map(expect);
    fewer.delete('lut');
    await assert.rejects(loadCheckpoint(file, { expect: fewer }), /tensor 'lut' is not part of the model/);
  });

  it('rejects truncated, corrupted and foreign files with a clear error', async () => {
    const file = path.join(dir, 'c.ckpt');
    await saveCheckpoint(file, { step: 3, tensors: sample() });
    const full = fs.readFileSync(file);
    const cut = path.join(dir, 'cut.ckpt');
    for (const n of [full.length - 1, full.length - 40, 100, 10, 0]) {
      fs.writeFileSync(cut, full.subarray(0, n));
      await assert.rejects(loadCheckpoint(cut), (e: Error) => e instanceof CheckpointError && /is truncated/.test(e.message), `cut at ${n}`);
    }
    const flipped = Buffer.from(full);
    flipped[flipped.length - 60]! ^= 0x01;
    fs.writeFileSync(cut, flipped);
    await assert.rejects(loadCheckpoint(cut), /checksum mismatch: the file is corrupted/);
    fs.writeFileSync(cut, Buffer.concat([Buffer.from('PK\x03\x04'), full.subarray(4)]));
    await assert.rejects(loadCheckpoint(cut), /is not a checkpoint/);
    await assert.rejects(loadCheckpoint(path.join(dir, 'none.ckpt')), /cannot be read/);
  });

  it('writes atomically: a failed write leaves the previous file intact', async () => {
    const file = path.join(dir, 'd.ckpt');
    await saveCheckpoint(file, { step: 1, tensors: sample() });
    const before = fs.readFileSync(file);
    const bad = new Map(sample()).set('broken', { dtype: 'float32', shape: [4], data: new Float32Array(3) });
    await assert.rejects(saveCheckpoint(file, { step: 2, tensors: bad }), /tensor 'broken' has 3 values for shape \[4\]/);
    assert.ok(fs.readFileSync(file).equals(before));
    // a write that fails at the rename (the target is a non-empty directory) cleans up its temp file
    const blocked = path.join(dir, 'blocked');
    fs.mkdirSync(blocked);
    fs.writeFileSync(path.join(blocked, 'keep'), 'x');
    await assert.rejects(writeFileAtomic(blocked, [Buffer.from('abc'), Buffer.from('def')]));
    assert.equal(fs.readFileSync(path.join(blocked, 'keep'), 'utf8'), 'x');
    await writeFileAtomic(path.join(dir, 'note.json'), '{"ok":true}');
    assert.equal(fs.readFileSync(path.join(dir, 'note.json'), 'utf8'), '{"ok":true}');
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.includes('.tmp-')), []);
  });

  it('TensorStore saves and loads a named parameter store', async () => {
    const file = path.join(dir, 'e.ckpt');
    const store = new TensorStore(sample());
    await store.save(file, { step: 7, metadata: { v: 1 } });
    const { store: back, step, metadata } = await TensorStore.load(file, { expect: store.specs() });
    assert.equal(step, 7);
    assert.deepEqual(metadata, { v: 1 });
    assert.ok(back instanceof TensorStore);
    for (const [k, t] of store) assert.equal(bits(back.get(k)!), bits(t));
  });

  it('resuming from a checkpoint reproduces uninterrupted training exactly', async () => {
    const fx = loadOptimFixtures().find((f) => f.name === 'adamw')!;
    const { g, loss } = buildQuadModel(fx);
    const step = compileTrainStep(g, { loss, groups: [{ params: ['w', 'b'] }, { params: ['u'], lrMult: 3 }], optimizer: { kind: 'adamw', weightDecay: 0.1 } });
    const file = path.join(dir, 'resume.ckpt');
    const a = await TrainStepRunner.start({ threads: 1 });
    const b = await TrainStepRunner.start({ threads: 1 });
    try {
      await a.addProgram('t', step, { initState: true });
      for (let s = 0; s < 6; s++) {
        if (s === 3) await saveCheckpoint(file, { step: s, tensors: await a.getState(), metadata: { rng: 'state' } });
        await a.trainStep('t', { x: f32t(fx.data[s]!) }, { lr: 0.01 });
      }
      await b.addProgram('t', step);
      const ck = await loadCheckpoint(file, { expect: specsOf(step.initialState) });
      await b.setState(ck.tensors);
      for (let s = ck.step; s < 6; s++) await b.trainStep('t', { x: f32t(fx.data[s]!) }, { lr: 0.01 });
      const [sa, sb] = [await a.getState(), await b.getState()];
      assert.equal(sa.size, step.initialState.size);
      for (const [k, t] of sa) assert.equal(bits(sb.get(k)!), bits(t), `${k} differs after resume`);
      // and the checkpointed state really is mid-training state (not the initial one)
      assert.equal((ck.tensors.get('optim/step')!.data as Float32Array)[0], 3);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
