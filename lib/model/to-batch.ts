/** Normalised network input from 8-bit images. */
import type { TensorData } from '../engine/ir/tensor.js';
import { writeCHW } from '../data/transforms/normalize.js';
import type { ImageU8 } from '../data/transforms/types.js';
import type { Normalization } from './model-file.js';

/** Stacks images (all of one size) into a normalised float32 NCHW batch. */
export function toBatch(images: readonly ImageU8[], norm: Normalization): TensorData {
  const { width: w, height: h } = images[0]!;
  const data = new Float32Array(images.length * 3 * w * h);
  images.forEach((im, n) => {
    if (im.width !== w || im.height !== h) throw new Error(`toBatch: image ${n} is ${im.width}x${im.height}, image 0 is ${w}x${h}`);
    writeCHW(im, data, n * 3 * w * h, norm);
  });
  return { dtype: 'float32', shape: [images.length, 3, h, w], data };
}
