/**
 * Zero-copy hand-over of tensors between threads: the ArrayBuffers that a typed array owns
 * entirely are moved (transferred) instead of copied; views into a larger or shared buffer
 * (Node's Buffer pool, SharedArrayBuffer) are copied by the structured clone as usual.
 * After a transfer the sender's arrays are detached (length 0).
 */
import type { TensorData } from '../ir/tensor.js';

export function transferList(tensors: Iterable<TensorData>): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const t of tensors) {
    const b = t.data.buffer;
    if (b instanceof ArrayBuffer && t.data.byteOffset === 0 && t.data.byteLength === b.byteLength && b.byteLength > 0) out.add(b);
  }
  return [...out];
}

/** A copy of a tensor whose data owns its own buffer (safe to transfer). */
export function ownedCopy(t: TensorData): TensorData {
  return { dtype: t.dtype, shape: [...t.shape], data: t.data.slice() };
}
