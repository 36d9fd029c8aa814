/** Tensor codec without a network: validation, aligned copies of unaligned bytes, quantisation bounds. */
import assert from 'node:assert/strict';
import { tensor } from '../../lib/engine/ir/tensor.js';
import type { TensorData } from '../../lib/engine/ir/tensor.js';
import {
  decodeFloatMap, decodeTensor, encodeFloatMap, encodeTensor, InvalidArgument, QUANT_MAX_ERROR, TensorDecodeError, TensorEncodeError,
} from '../../lib/services/grpc/index.js';
import type { TensorMessage } from '../../lib/services/grpc/index.js';
import { status } from '@grpc/grpc-js';

/** The message's bytes placed at an odd offset of a larger buffer (as proto-loader hands them out). */
function unaligned(msg: TensorMessage, offset = 3): TensorMessage {
  const bytes = msg.data as Uint8Array;
  const big = Buffer.alloc(bytes.length + offset + 5, 0xab);
  const view = big.subarray(offset, offset + bytes.length);
  view.set(bytes);
  return { ...msg, data: view };
}

function throwsDecode(fn: () => unknown, message: RegExp | string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TensorDecodeError && e instanceof InvalidArgument, String(e));
    assert.equal(e.code, status.INVALID_ARGUMENT);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

describe('tensor codec', () => {
  const cases: TensorData[] = [
    tensor('float32', [3, 5], Float32Array.from({ length: 15 }, (_, i) => (i - 7) / 3)),
    tensor('uint8', [4, 4], Uint8Array.from({ length: 16 }, (_, i) => 255 - i * 9)),
    tensor('int64', [2, 3], BigInt64Array.from([-(2n ** 62n), -1n, 0n, 1n, 2n ** 40n + 3n, 2n ** 63n - 1n])),
  ];
  for (const t of cases) {
    it(`decodes ${t.dtype} from unaligned bytes into an aligned copy`, () => {
      const msg = unaligned(encodeTensor(t, 'x'));
      assert.notEqual((msg.data as Uint8Array).byteOffset % 8, 0);
      const back = decodeTensor(msg, 'x');
      assert.equal(back.dtype, t.dtype);
      assert.deepEqual(back.shape, t.shape);
      assert.deepEqual(back.data, t.data);
      assert.equal(back.data.byteOffset, 0);
      (msg.data as Uint8Array).fill(0);
      assert.deepEqual(back.data, t.data, 'the decoded tensor does not alias the message');
    });
  }

  it('encodes a copy (the message does not alias the tensor)', () => {
    const t = tensor('float32', [2], [1, 2]);
    const msg = encodeTensor(t);
    (t.data as Float32Array)[0] = 9;
    assert.deepEqual(decodeTensor(msg, 't').data, Float32Array.from([1, 2]));
  });

  it('names the field and the sizes when bytes and shape disagree', () => {
    throwsDecode(() => decodeTensor({ dtype: 'DTYPE_FLOAT32', shape: [2, 3, 4, 4], data: Buffer.alloc(1000) }, 'images'),
      'images: 1000 bytes but shape [2,3,4,4] float32 needs 384');
    throwsDecode(() => decodeTensor({ dtype: 'DTYPE_INT64', shape: [3], data: Buffer.alloc(23) }, 'ids'), 'ids: 23 bytes but shape [3] int64 needs 24');
  });

  it('rejects unknown dtypes, bad shapes, missing tensors, stray scales', () => {
    throwsDecode(() => decodeTensor({ dtype: 'DTYPE_UNSPECIFIED', shape: [1], data: Buffer.alloc(1) }, 'a'), /^a: dtype DTYPE_UNSPECIFIED is not one of/);
    throwsDecode(() => decodeTensor({ dtype: 9, shape: [1], data: Buffer.alloc(1) }, 'a'), /^a: dtype 9 /);
    throwsDecode(() => decodeTensor({ dtype: 'DTYPE_UINT8', shape: [2, -1], data: Buffer.alloc(0) }, 'b'), /^b: shape \[2,-1\] has a dimension that is not a non-negative integer/);
    throwsDecode(() => decodeTensor({ dtype: 'DTYPE_UINT8', shape: [1.5], data: Buffer.alloc(0) }, 'b'), /not a non-negative integer/);
    throwsDecode(() => decodeTensor({ dtype: 'DTYPE_UINT8', shape: [2 ** 31, 2 ** 31, 2 ** 31], data: Buffer.alloc(0) }, 'b'), /^b: shape .* is too large/);
    throwsDecode(() => decodeTensor(null, 'c'), 'c: required (missing)');
    throwsDecode(() => decodeTensor({ dtype: 'DTYPE_FLOAT32', shape: [1], data: Buffer.alloc(4), scale: 0.5 }, 'd'), /^d: scale applies to UINT8\/UINT16 only/);
    throwsDecode(() => decodeTensor({ dtype: 'DTYPE_UINT16', shape: [1], data: Buffer.alloc(2) }, 'e'), /^e: UINT16 is only for quantised float maps/);
    throwsDecode(() => decodeTensor({ dtype: 'DTYPE_UINT8', shape: [1], data: Buffer.alloc(1), scale: -1 }, 'f'), /^f: scale -1/);
  });

  it('checks expected dtype, rank and dimensions', () => {
    const msg = encodeTensor(tensor('float32', [2, 3, 8, 8]), 'images');
    assert.deepEqual(decodeTensor(msg, 'images', { dtype: 'float32', shape: [null, 3, null, null] }).shape, [2, 3, 8, 8]);
    throwsDecode(() => decodeTensor(msg, 'images', { dtype: 'uint8' }), 'images: dtype float32, expected uint8');
    throwsDecode(() => decodeTensor(msg, 'images', { rank: 3 }), 'images: shape [2,3,8,8] has rank 4, expected 3');
    throwsDecode(() => decodeTensor(msg, 'images', { shape: [null, 1, null, null] }), 'images: shape [2,3,8,8], expected [?,1,?,?]');
  });

  it('refuses to encode dtypes without a wire form and data that does not fit the shape', () => {
    assert.throws(() => encodeTensor(tensor('float64', [1]), 'w'), (e) => e instanceof TensorEncodeError && /w: dtype float64 has no wire form/.test(e.message));
    assert.throws(() => encodeTensor({ dtype: 'float32', shape: [3], data: new Float32Array(2) }), TensorEncodeError);
    assert.throws(() => encodeTensor({ dtype: 'float32', shape: [2], data: new Uint8Array(2) }), TensorEncodeError);
  });

  describe('quantised float maps', () => {
    // Every float32 in a dense grid of [0, 1] plus the worst cases (midpoints between levels).
    function grid(levels: number): Float32Array {
      const n = 200_003;
      const v = new Float32Array(n + levels);
      for (let i = 0; i < n; i++) v[i] = i / (n - 1);
      for (let k = 0; k < levels; k++) v[n + k] = (k + 0.5) / levels;
      return v;
    }

    for (const bits of [8, 16] as const) {
      it(`${bits} bits: max error within ${QUANT_MAX_ERROR[bits].toExponential(3)} and close to it, exact at 0 and 1`, () => {
        const levels = bits === 8 ? 255 : 65535;
        const v = grid(levels);
        const msg = encodeFloatMap(v, [v.length], bits, 'r');
        assert.equal((msg.data as Buffer).length, v.length * (bits / 8));
        // The scale travels as a proto float: decode it from its float32 value as the wire does.
        const back = decodeFloatMap(unaligned({ ...msg, scale: Math.fround(msg.scale as number) }), 'r').data as Float32Array;
        let maxErr = 0;
        for (let i = 0; i < v.length; i++) maxErr = Math.max(maxErr, Math.abs(back[i]! - v[i]!));
        assert.ok(maxErr <= QUANT_MAX_ERROR[bits], `max error ${maxErr} > bound ${QUANT_MAX_ERROR[bits]}`);
        assert.ok(maxErr >= 0.49 / levels, `max error ${maxErr}: the bound is not tight`);
        const ends = decodeFloatMap(encodeFloatMap(Float32Array.from([0, 1]), [2], bits), 'e').data;
        assert.deepEqual(ends, Float32Array.from([0, 1]));
      });
    }

    it('clamps values outside [0, 1], refuses NaN, bits 0 is exact float32', () => {
      const q = decodeFloatMap(encodeFloatMap(Float32Array.from([-0.5, 1.5, 0.25]), [3], 8), 'c').data;
      assert.deepEqual(Array.from(q as Float32Array).slice(0, 2), [0, 1]);
      assert.throws(() => encodeFloatMap(Float32Array.from([NaN]), [1], 16, 'rel'), /rel: NaN at index 0/);
      const exact = Float32Array.from([0.123456789, 0.987654321]);
      const m0 = encodeFloatMap(exact, [2], 0);
      assert.equal(m0.dtype, 'DTYPE_FLOAT32');
      assert.deepEqual(decodeFloatMap(m0, 'x').data, exact);
    });

    it('applies a general scale and offset; a raw uint8 tensor is not a float map', () => {
      const t = decodeTensor({ dtype: 'DTYPE_UINT8', shape: [3], data: Buffer.from([0, 10, 200]), scale: 0.5, offset: -1 }, 'g');
      assert.deepEqual(t, { dtype: 'float32', shape: [3], data: Float32Array.from([-1, 4, 99]) });
      throwsDecode(() => decodeFloatMap(encodeTensor(tensor('uint8', [1])), 'labels'), 'labels: dtype uint8, expected float32');
    });
  });
});
