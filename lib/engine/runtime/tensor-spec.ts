/** The dtype and shape of a named tensor: what a model expects of a checkpoint or a feed. */
import type { DType, Shape, TensorData } from '../ir/tensor.js';

export interface TensorSpec {
  readonly dtype: DType;
  readonly shape: Shape;
}

/** The specs of a set of tensors. */
export function specsOf(tensors: Iterable<readonly [string, TensorData | TensorSpec]>): Map<string, TensorSpec> {
  const out = new Map<string, TensorSpec>();
  for (const [k, v] of tensors) out.set(k, { dtype: v.dtype, shape: [...v.shape] });
  return out;
}
