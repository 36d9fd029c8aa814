/** Conversion between the engine's TensorData and onnxruntime-node tensors. */
import * as ort from 'onnxruntime-node';
import type { DType, TensorData, TypedArray } from '../ir/tensor.js';

const ORT_TYPE: Record<DType, ort.Tensor.Type> = {
  float32: 'float32', float64: 'float64', int64: 'int64', int32: 'int32', uint8: 'uint8', bool: 'bool',
};

export function toOrt(t: TensorData): ort.Tensor {
  return new ort.Tensor(ORT_TYPE[t.dtype], t.data as never, [...t.shape]);
}

export function fromOrt(t: ort.Tensor): TensorData {
  const dtype = (Object.entries(ORT_TYPE).find(([, v]) => v === t.type)?.[0] ?? 'float32') as DType;
  return { dtype, shape: [...t.dims], data: t.data as TypedArray };
}
