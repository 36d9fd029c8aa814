/**
 * SYNTHIA-RAND-CITYSCAPES: RGB/NNNNNNN.png and GT/LABELS/NNNNNNN.png, labels 16-bit PNG with
 * the SYNTHIA class id in the first channel (the second holds instance ids). One split, 'all'
 * (9 400 frames). Protocols: cityscapes16 (default) and cityscapes13; cityscapes19 is allowed
 * (terrain, truck, train exist in the id table) but is not the benchmark's protocol.
 */
import { join } from 'node:path';
import { scanFlat } from '../fs-scan.js';
import type { DatasetLayout } from '../layout.js';
import { synthiaIdMap } from '../mappings.js';
import type { DatasetProblem } from '../problems.js';

export const synthiaLayout: DatasetLayout = {
  kind: 'synthia',
  description: 'RGB/*.png, GT/LABELS/*.png (16-bit, class id in channel 0)',
  splits: ['all'],
  labelledSplits: ['all'],
  protocols: ['cityscapes16', 'cityscapes13', 'cityscapes19'],
  defaultProtocol: 'cityscapes16',
  labelChannel: 0,
  idMap: synthiaIdMap,
  async scanImages(root) {
    const problems: DatasetProblem[] = [];
    const entries = await scanFlat(join(root, 'RGB'), '.png', 'SYNTHIA RGB images', problems);
    return { entries, problems };
  },
  async scanLabels(root) {
    const problems: DatasetProblem[] = [];
    const entries = await scanFlat(join(root, 'GT', 'LABELS'), '.png', 'SYNTHIA GT/LABELS', problems);
    return { entries, problems };
  },
  expectedLabelPath(root, _split, key) {
    return join(root, 'GT', 'LABELS', `${key}.png`);
  },
};
