/**
 * Shared fixtures of the sync tests: small weight maps whose float32 values stress
 * bit-exactness (NaN payloads, −0, denormals, infinities), plus int64 and uint8 tensors.
 */
import { tensor, type TensorData } from '../../lib/engine/ir/tensor.js';

/** Float32 values that stress bit-exactness: NaN payloads, −0, denormals, infinities. */
export function awkwardF32(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  const u = new Uint32Array(a.buffer);
  let x = seed * 2654435761 >>> 0 || 1;
  for (let i = 0; i < n; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; u[i] = x; }
  if (n > 4) { a[0] = -0; a[1] = Infinity; a[2] = 1e-45; u[3] = 0x7fc00001; }
  return a;
}

export function sampleWeights(seed = 1): Map<string, TensorData> {
  return new Map<string, TensorData>([
    ['layer1.0.conv1.weight', tensor('float32', [4, 3, 3, 3], awkwardF32(108, seed))],
    ['classifier.conv2d_list.0.bias', tensor('float32', [5], awkwardF32(5, seed + 1))],
    ['bn1.running_mean', tensor('float32', [3], [0.5, -1.25, 3])],
    ['scalar', tensor('float32', [], [42])],
    ['empty', tensor('float32', [0, 7])],
    ['bn1.num_batches_tracked', tensor('int64', [], [123456789012])],
    ['mask', tensor('uint8', [3], [0, 255, 7])],
  ]);
}

/** Byte-exact equality of two tensors (dtype, shape, bytes). */
export function sameTensor(a: TensorData, b: TensorData): boolean {
  return a.dtype === b.dtype && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i])
    && Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength));
}

/** A deep copy (owned buffers) of a weight map. */
export function cloneWeights(w: ReadonlyMap<string, TensorData>): Map<string, TensorData> {
  return new Map([...w].map(([k, t]) => [k, { dtype: t.dtype, shape: [...t.shape], data: t.data.slice() }] as const));
}
