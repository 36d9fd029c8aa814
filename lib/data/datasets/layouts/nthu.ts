/**
 * NTHU cross-city (Chen et al., ICCV 2017): <City>/Images/Train/*.png (unlabelled, for
 * adaptation), <City>/Images/Test/*.png with <City>/Labels/Test/*_eval.png (Cityscapes
 * labelIds, evaluated on the 13 shared classes). Cities: Rome, Rio, Tokyo, Taipei.
 */
import { join } from 'node:path';
import { scanFlat } from '../fs-scan.js';
import type { DatasetLayout, LayoutOptions } from '../layout.js';
import { cityscapesIdMap } from '../mappings.js';
import type { DatasetProblem } from '../problems.js';

export const NTHU_CITIES = ['Rome', 'Rio', 'Tokyo', 'Taipei'] as const;

const FOLDER: Record<string, string> = { train: 'Train', test: 'Test' };

function city(opts: LayoutOptions): string {
  if (!opts.city) throw new Error('nthu: a city is required (Rome, Rio, Tokyo, Taipei)');
  return opts.city;
}

export const nthuLayout: DatasetLayout = {
  kind: 'nthu',
  description: '<City>/Images/{Train,Test}/*.png, <City>/Labels/Test/*_eval.png (Cityscapes labelIds)',
  splits: ['train', 'test'],
  labelledSplits: ['test'],
  protocols: ['cityscapes13'],
  defaultProtocol: 'cityscapes13',
  labelChannel: 0,
  cities: NTHU_CITIES,
  idMap: cityscapesIdMap,
  async scanImages(root, split, opts) {
    const problems: DatasetProblem[] = [];
    const dir = join(root, city(opts), 'Images', FOLDER[split]!);
    const entries = await scanFlat(dir, '.png', `NTHU ${city(opts)} ${split} images`, problems);
    return { entries, problems };
  },
  async scanLabels(root, split, opts) {
    const problems: DatasetProblem[] = [];
    const dir = join(root, city(opts), 'Labels', FOLDER[split]!);
    const entries = await scanFlat(dir, '_eval.png', `NTHU ${city(opts)} ${split} labels`, problems);
    return { entries, problems };
  },
  expectedLabelPath(root, split, key, _imagePath, opts) {
    return join(root, city(opts), 'Labels', FOLDER[split]!, `${key}_eval.png`);
  },
};
