/**
 * Weight snapshots (lib/services/sync/snapshot.ts) and the staleness bound (staleness.ts):
 * bit-exact round trips, aligned arrays, the digest's independence from insertion order, and
 * every kind of damage reported as SnapshotCorruptError naming run, version and the problem.
 */
import assert from 'node:assert/strict';
import { tensor, type TensorData } from '../../lib/engine/ir/tensor.js';
import { SnapshotCorruptError, SyncError } from '../../lib/services/sync/errors.js';
import { decodeSnapshot, encodeSnapshot, readSnapshotHeader, weightsDigest } from '../../lib/services/sync/snapshot.js';
import { checkStaleness, staleness, StalenessExceededError } from '../../lib/services/sync/staleness.js';
import { sampleWeights } from './sync-fixtures.js';

function bits(t: TensorData): Buffer {
  return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

describe('sync/snapshot', () => {
  it('round-trips tensors bit-exactly into aligned, owned typed arrays', () => {
    const w = sampleWeights();
    const { payload, header } = encodeSnapshot('run-a', 7, w, { step: 7 });
    assert.equal(header.run, 'run-a');
    assert.equal(header.version, 7);
    assert.equal(header.sha256, weightsDigest(w));
    const { header: h2, tensors } = decodeSnapshot(payload, { run: 'run-a', version: 7, digest: header.sha256 });
    assert.deepEqual(h2.meta, { step: 7 });
    assert.deepEqual([...tensors.keys()].sort(), [...w.keys()].sort());
    for (const [name, t] of w) {
      const back = tensors.get(name)!;
      assert.equal(back.dtype, t.dtype, name);
      assert.deepEqual(back.shape, t.shape, name);
      assert.equal(back.data.constructor, t.data.constructor, name);
      assert.ok(bits(back).equals(bits(t)), `${name}: bytes differ`);
      assert.equal(back.data.byteOffset % 8, 0, `${name}: not 8-byte aligned`);
      assert.notEqual(back.data.buffer, payload.buffer, `${name}: aliases the payload`);
    }
    // NaN payload bits survive (a Float32Array copy through numbers would canonicalise them).
    assert.equal(new Uint32Array(tensors.get('layer1.0.conv1.weight')!.data.buffer, tensors.get('layer1.0.conv1.weight')!.data.byteOffset, 4)[3], 0x7fc00001);
  });

  it('decodes from an unaligned view of a larger buffer', () => {
    const w = sampleWeights(3);
    const { payload } = encodeSnapshot('r', 1, w);
    const big = new Uint8Array(payload.length + 3);
    big.set(payload, 3);
    const { tensors } = decodeSnapshot(big.subarray(3));
    for (const [name, t] of w) assert.ok(bits(tensors.get(name)!).equals(bits(t)), name);
  });

  it('the digest depends on names, shapes and values, not on insertion order', () => {
    const w = sampleWeights();
    const reversed = new Map([...w].reverse());
    assert.equal(weightsDigest(reversed), weightsDigest(w));
    assert.match(weightsDigest(w), /^[0-9a-f]{64}$/);
    const changed = sampleWeights();
    (changed.get('bn1.running_mean')!.data as Float32Array)[1] = -1.2500001;
    assert.notEqual(weightsDigest(changed), weightsDigest(w));
    const renamed = new Map([...w].map(([k, v]) => [k === 'scalar' ? 'scalar2' : k, v] as const));
    assert.notEqual(weightsDigest(renamed), weightsDigest(w));
    const reshaped = new Map(w);
    reshaped.set('bn1.running_mean', tensor('float32', [3, 1], [0.5, -1.25, 3]));
    assert.notEqual(weightsDigest(reshaped), weightsDigest(w));
  });

  it('a flipped byte in the tensor data is a checksum mismatch naming run and version', () => {
    const { payload, header } = encodeSnapshot('run-x', 12, sampleWeights());
    const { header: parsed, dataStart } = readSnapshotHeader(payload);
    const conv = parsed.tensors.find((t) => t.name === 'layer1.0.conv1.weight')!;
    for (const at of [conv.offset, conv.offset + conv.bytes - 1, parsed.tensors.find((t) => t.name === 'scalar')!.offset]) {
      const bad = payload.slice();
      bad[dataStart + at] ^= 0x01;
      assert.throws(() => decodeSnapshot(bad), (e: unknown) => {
        assert.ok(e instanceof SnapshotCorruptError);
        assert.equal(e.run, 'run-x');
        assert.equal(e.version, 12);
        assert.match(e.message, /run 'run-x', v12.*checksum mismatch/);
        return true;
      });
    }
    // A flipped bit in the padding after 'mask' (3 bytes) is damage too.
    const mask = parsed.tensors.find((t) => t.name === 'mask')!;
    const padded = payload.slice();
    padded[dataStart + mask.offset + mask.bytes] = 1;
    assert.throws(() => decodeSnapshot(padded), /run 'run-x', v12\): non-zero padding byte at data offset/);
    assert.doesNotThrow(() => decodeSnapshot(payload, { digest: header.sha256 }));
  });

  it('truncation, trailing bytes, bad magic, broken header and expectation mismatches are detected', () => {
    const { payload } = encodeSnapshot('run-t', 3, sampleWeights());
    const cases: [Uint8Array, RegExp][] = [
      [payload.subarray(0, payload.length - 1), /truncated: \d+ bytes, the header needs \d+/],
      [payload.subarray(0, 20), /truncated: 20 bytes, the header alone needs/],
      [payload.subarray(0, 5), /truncated: 5 bytes/],
      [new Uint8Array([...payload, 0]), /1 trailing bytes/],
      [Uint8Array.from([0x50, 0x4b, 3, 4, ...payload.subarray(4)]), /not a weight snapshot/],
    ];
    const brokenJson = payload.slice();
    brokenJson[8] = 0x5b; // '{"' → '[}': not JSON
    brokenJson[9] = 0x7d;
    cases.push([brokenJson, /header is not valid JSON/]);
    for (const [p, re] of cases) {
      assert.throws(() => decodeSnapshot(p, { run: 'run-t', version: 3 }), (e: unknown) => {
        assert.ok(e instanceof SnapshotCorruptError, String(e));
        assert.match(e.message, /run 'run-t', v3/);
        assert.match(e.message, re);
        return true;
      });
    }
    assert.throws(() => decodeSnapshot(payload, { run: 'other' }), /header names run 'run-t'/);
    assert.throws(() => decodeSnapshot(payload, { version: 4 }), /header says v3/);
    assert.throws(() => decodeSnapshot(payload, { digest: '0'.repeat(64) }), /header digest .* differs/);
    const { header } = readSnapshotHeader(payload);
    assert.equal(header.tensors.length, 7);
    assert.deepEqual(header.tensors.map((t) => t.name), [...header.tensors.map((t) => t.name)].sort());
  });

  it('rejects ill-formed tensors and versions when encoding', () => {
    const bad = new Map<string, TensorData>([['w', { dtype: 'float32', shape: [2, 2], data: new Float32Array(3) }]]);
    assert.throws(() => encodeSnapshot('r', 1, bad), /'w' has 3 values for shape \[2,2\]/);
    const wrongKind = new Map<string, TensorData>([['w', { dtype: 'float32', shape: [2], data: new Float64Array(2) }]]);
    assert.throws(() => encodeSnapshot('r', 1, wrongKind), /'w' is float32 but holds a Float64Array/);
    assert.throws(() => encodeSnapshot('r', -1, new Map()), (e: unknown) => e instanceof SyncError && /version must be an integer/.test(e.message));
    const { payload } = encodeSnapshot('r', 0, new Map());
    assert.equal(decodeSnapshot(payload).tensors.size, 0);
  });
});

describe('sync/staleness', () => {
  it('is student step − teacher version, within the bound', () => {
    assert.equal(staleness(10, 7), 3);
    assert.equal(checkStaleness(10, 10, 0), 0);
    assert.equal(checkStaleness(10, 6, 4), 4);
  });

  it('fails clearly past the bound or when the teacher is ahead', () => {
    assert.throws(() => checkStaleness(20, 5, 8), (e: unknown) => {
      assert.ok(e instanceof StalenessExceededError);
      assert.match(e.message, /teacher is 15 steps stale \(student step 20, teacher version v5\), over the bound of 8/);
      return true;
    });
    assert.throws(() => checkStaleness(3, 9, 8), /teacher version v9 is ahead of the student \(step 3\)/);
    assert.throws(() => staleness(1.5, 0), /studentStep must be an integer/);
  });
});
