/**
 * GTA5 (Playing for Data): images/NNNNN.png and labels/NNNNN.png; labels are 8-bit palette PNGs
 * whose indices are Cityscapes labelIds. One split, 'all' (24 966 frames).
 */
import { join } from 'node:path';
import { scanFlat } from '../fs-scan.js';
import type { DatasetLayout } from '../layout.js';
import { cityscapesIdMap } from '../mappings.js';
import type { DatasetProblem } from '../problems.js';

export const gta5Layout: DatasetLayout = {
  kind: 'gta5',
  description: 'images/NNNNN.png, labels/NNNNN.png (palette PNG, indices = Cityscapes labelIds)',
  splits: ['all'],
  labelledSplits: ['all'],
  protocols: ['cityscapes19', 'cityscapes16', 'cityscapes13'],
  defaultProtocol: 'cityscapes19',
  labelChannel: 0,
  idMap: cityscapesIdMap,
  async scanImages(root) {
    const problems: DatasetProblem[] = [];
    const entries = await scanFlat(join(root, 'images'), '.png', 'GTA5 images', problems);
    return { entries, problems };
  },
  async scanLabels(root) {
    const problems: DatasetProblem[] = [];
    const entries = await scanFlat(join(root, 'labels'), '.png', 'GTA5 labels', problems);
    return { entries, problems };
  },
  expectedLabelPath(root, _split, key) {
    return join(root, 'labels', `${key}.png`);
  },
};
