// Original file: proto/sfda/v1/common.proto

import type { DType as _sfda_v1_DType, DType__Output as _sfda_v1_DType__Output } from '../../sfda/v1/DType.js';

/**
 * A dense tensor. data.length must equal product(shape) * sizeof(dtype): a mismatch is
 * INVALID_ARGUMENT. A float map may travel quantised: dtype UINT8/UINT16 with scale > 0 means
 * value = stored * scale + offset (reliabilities in [0, 1]: scale = 1/255 or 1/65535).
 */
export interface Tensor {
  'dtype'?: (_sfda_v1_DType);
  'shape'?: (number)[];
  'data'?: (Buffer | Uint8Array | string);
  'scale'?: (number | string);
  'offset'?: (number | string);
}

/**
 * A dense tensor. data.length must equal product(shape) * sizeof(dtype): a mismatch is
 * INVALID_ARGUMENT. A float map may travel quantised: dtype UINT8/UINT16 with scale > 0 means
 * value = stored * scale + offset (reliabilities in [0, 1]: scale = 1/255 or 1/65535).
 */
export interface Tensor__Output {
  'dtype': (_sfda_v1_DType__Output);
  'shape': (number)[];
  'data': (Buffer);
  'scale': (number);
  'offset': (number);
}
