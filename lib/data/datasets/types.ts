/**
 * Dataset types. Adaptation code receives an UnlabelledDataset: an object that holds image
 * paths only (no label paths, no label reader, no hidden field), so target labels cannot be
 * reached from it. Evaluation and source training use a LabelledDataset. The literal `labelled`
 * field makes the two types incompatible: a LabelledDataset cannot be passed where an
 * UnlabelledDataset is expected (use `imagesOnly()`, which builds a new label-free object).
 */
import type { RgbImage } from '../io/types.js';
import type { OutOfTableCounts } from './id-map.js';
import type { ClassProtocol } from './protocols.js';

export interface UnlabelledDataset {
  readonly labelled: false;
  /** e.g. 'camvid/train' or 'nthu/Rome/train'. */
  readonly id: string;
  /** Number of images. */
  readonly size: number;
  /** Stable image name (file stem without dataset suffixes), e.g. '0001TP_006690'. */
  name(i: number): string;
  /** The i-th image as 8-bit RGB. */
  readImage(i: number): Promise<RgbImage>;
}

/** A label map in train ids of a protocol (0..C-1, 255 = ignore). */
export interface TrainIdLabel {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export interface LabelledSample {
  readonly name: string;
  readonly image: RgbImage;
  readonly label: TrainIdLabel;
}

export interface LabelledDataset {
  readonly labelled: true;
  readonly id: string;
  readonly size: number;
  readonly protocol: ClassProtocol;
  name(i: number): string;
  readImage(i: number): Promise<RgbImage>;
  /** The i-th label mapped to train ids; raw values outside the class table become 255 and are counted. */
  readLabel(i: number): Promise<TrainIdLabel>;
  /** Image and label together; throws (naming both files) when their sizes differ. */
  readSample(i: number): Promise<LabelledSample>;
  /** Raw value → pixels, for every label value met so far that is outside the class table. */
  outOfTableCounts(): OutOfTableCounts;
  /** A new, label-free dataset over the same images (for adaptation). */
  imagesOnly(): UnlabelledDataset;
}
