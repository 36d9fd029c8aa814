import type { TensorData } from '../engine/ir/tensor.js';

/**
 * Label predictions for a batch: `images` is a normalised float32 NCHW batch [N, C, H, W]
 * (normalised as the model's `Normalization` says); the result is N·H·W class ids (uint8,
 * row-major [N, H, W]) at the input resolution.
 */
export type BatchPredictor = (images: TensorData) => Promise<Uint8Array>;
