// Original file: proto/sfda/v1/common.proto

/**
 * Element type of a Tensor's bytes (little-endian, row-major).
 */
export const DType = {
  DTYPE_UNSPECIFIED: 'DTYPE_UNSPECIFIED',
  DTYPE_FLOAT32: 'DTYPE_FLOAT32',
  DTYPE_UINT8: 'DTYPE_UINT8',
  DTYPE_UINT16: 'DTYPE_UINT16',
  DTYPE_INT64: 'DTYPE_INT64',
} as const;

/**
 * Element type of a Tensor's bytes (little-endian, row-major).
 */
export type DType =
  | 'DTYPE_UNSPECIFIED'
  | 0
  | 'DTYPE_FLOAT32'
  | 1
  | 'DTYPE_UINT8'
  | 2
  | 'DTYPE_UINT16'
  | 3
  | 'DTYPE_INT64'
  | 4

/**
 * Element type of a Tensor's bytes (little-endian, row-major).
 */
export type DType__Output = typeof DType[keyof typeof DType]
