// Original file: proto/sfda/v1/common.proto

import type { Long } from '@grpc/proto-loader';

/**
 * The teacher weights every answer was computed with: the EMA version (the student step whose
 * weights were last folded in; 0 = the source model) and the SHA-256 of the weights.
 */
export interface WeightsVersion {
  'version'?: (number | string | Long);
  'digest'?: (string);
}

/**
 * The teacher weights every answer was computed with: the EMA version (the student step whose
 * weights were last folded in; 0 = the source model) and the SHA-256 of the weights.
 */
export interface WeightsVersion__Output {
  'version': (number);
  'digest': (string);
}
