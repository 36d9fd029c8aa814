/**
 * A tiny random source model (small DeepLab, 11 CamVid classes, input 64×48) written as a model
 * file: what the adaptation, services and CLI tests adapt on SynthStreet frames in seconds.
 */
import { PROTOCOLS } from '../../lib/data/datasets/protocols.js';
import { createDeepLab, smallDeepLabSpec } from '../../lib/engine/models/index.js';
import { IMAGENET_NORMALIZATION, saveSegModel } from '../../lib/model/model-file.js';

export async function writeTinySourceModel(file: string): Promise<void> {
  const spec = smallDeepLabSpec({ widths: [8, 8, 16, 16], stemWidth: 8, numClasses: 11, asppDilations: [1, 2], bn: 'train', seed: 3 });
  const { g } = createDeepLab(spec, 1, 33, 33);
  await saveSegModel(file, {
    meta: { format: 'stvm-segmodel', version: 1, spec, normalize: IMAGENET_NORMALIZATION, protocol: 'camvid11', classes: PROTOCOLS.camvid11.classes, inputSize: [64, 48] },
    tensors: new Map(g.graph.initializers),
  });
}
