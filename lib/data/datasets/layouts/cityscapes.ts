/**
 * Cityscapes: leftImg8bit/<split>/<city>/<city>_<seq>_<frame>_leftImg8bit.png and
 * gtFine/<split>/<city>/<city>_<seq>_<frame>_gtFine_labelIds.png (labelIds, 8-bit gray).
 * The test split's public labels are placeholders, so it opens unlabelled only.
 */
import { basename, dirname, join } from 'node:path';
import { scanNested } from '../fs-scan.js';
import type { DatasetLayout } from '../layout.js';
import { cityscapesIdMap } from '../mappings.js';
import type { DatasetProblem } from '../problems.js';

const IMAGE_SUFFIX = '_leftImg8bit.png';
const LABEL_SUFFIX = '_gtFine_labelIds.png';
const OTHER_GT = /_gtFine_(color|instanceIds|labelTrainIds)\.png$|_gtFine_polygons\.json$/;

export const cityscapesLayout: DatasetLayout = {
  kind: 'cityscapes',
  description: `leftImg8bit/<split>/<city>/*${IMAGE_SUFFIX}, gtFine/<split>/<city>/*${LABEL_SUFFIX}`,
  splits: ['train', 'val', 'test'],
  labelledSplits: ['train', 'val'],
  protocols: ['cityscapes19', 'cityscapes16', 'cityscapes13'],
  defaultProtocol: 'cityscapes19',
  labelChannel: 0,
  idMap: cityscapesIdMap,
  async scanImages(root, split) {
    const problems: DatasetProblem[] = [];
    const entries = await scanNested(join(root, 'leftImg8bit', split), IMAGE_SUFFIX, 'Cityscapes images', problems);
    return { entries, problems };
  },
  async scanLabels(root, split) {
    const problems: DatasetProblem[] = [];
    const entries = await scanNested(join(root, 'gtFine', split), LABEL_SUFFIX, 'Cityscapes gtFine labels', problems, (f) =>
      OTHER_GT.test(f),
    );
    return { entries, problems };
  },
  expectedLabelPath(root, split, key, imagePath) {
    return join(root, 'gtFine', split, basename(dirname(imagePath)), `${key}${LABEL_SUFFIX}`);
  },
};
