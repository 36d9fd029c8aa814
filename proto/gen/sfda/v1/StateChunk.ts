// Original file: proto/sfda/v1/common.proto


/**
 * One chunk of a state transfer (checkpoint tensors), streamed in order.
 */
export interface StateChunk {
  /**
   * Set on the first chunk only: JSON with the tensor names, dtypes, shapes and the total size.
   */
  'header_json'?: (string);
  'data'?: (Buffer | Uint8Array | string);
  /**
   * SHA-256 (hex) of the whole payload, on the last chunk only.
   */
  'sha256'?: (string);
}

/**
 * One chunk of a state transfer (checkpoint tensors), streamed in order.
 */
export interface StateChunk__Output {
  /**
   * Set on the first chunk only: JSON with the tensor names, dtypes, shapes and the total size.
   */
  'header_json': (string);
  'data': (Buffer);
  /**
   * SHA-256 (hex) of the whole payload, on the last chunk only.
   */
  'sha256': (string);
}
