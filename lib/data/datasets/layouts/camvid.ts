/**
 * CamVid as laid out in ../shared/data/camvid: <split>/images/*.png and <split>/labels/*.png
 * (8-bit gray, 0..10 = class, 255 = void). The test split's labels are withheld: it opens
 * unlabelled only. A frame's sequence is the prefix of its name (0001TP, 0006R0, 0016E5, Seq05VD).
 */
import { join } from 'node:path';
import { scanFlat } from '../fs-scan.js';
import type { DatasetLayout } from '../layout.js';
import { camvidIdMap } from '../mappings.js';
import type { DatasetProblem } from '../problems.js';

export const camvidLayout: DatasetLayout = {
  kind: 'camvid',
  description: '<split>/images/*.png, <split>/labels/*.png (0..10 classes, 255 void)',
  splits: ['train', 'val', 'test'],
  labelledSplits: ['train', 'val'],
  protocols: ['camvid11'],
  defaultProtocol: 'camvid11',
  labelChannel: 0,
  idMap: () => camvidIdMap(),
  async scanImages(root, split) {
    const problems: DatasetProblem[] = [];
    const entries = await scanFlat(join(root, split, 'images'), '.png', `CamVid ${split} images`, problems);
    return { entries, problems };
  },
  async scanLabels(root, split) {
    const problems: DatasetProblem[] = [];
    const entries = await scanFlat(join(root, split, 'labels'), '.png', `CamVid ${split} labels`, problems);
    return { entries, problems };
  },
  expectedLabelPath(root, split, key) {
    return join(root, split, 'labels', `${key}.png`);
  },
};
