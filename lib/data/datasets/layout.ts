/**
 * A dataset layout: where a split's images and labels live on disk, how an image is paired
 * with its label (a shared key), which class protocols the labels support and how raw label
 * values map to each. Images and labels are scanned separately, so opening a dataset for
 * adaptation never lists or reads the label folders.
 */
import type { IdMap } from './id-map.js';
import type { DatasetProblem } from './problems.js';
import type { ProtocolId } from './protocols.js';

/** A file found by a scan; `key` pairs an image with its label and is the sample's name. */
export interface FileEntry {
  readonly key: string;
  readonly path: string;
}

export interface ScanResult {
  readonly entries: FileEntry[];
  readonly problems: DatasetProblem[];
}

export interface LayoutOptions {
  /** NTHU cross-city: the city (Rome, Rio, Tokyo, Taipei). */
  readonly city?: string;
}

export interface DatasetLayout {
  readonly kind: string;
  /** One line: the folder pattern. */
  readonly description: string;
  readonly splits: readonly string[];
  /** Splits whose labels are public (the others can only be opened unlabelled). */
  readonly labelledSplits: readonly string[];
  readonly protocols: readonly ProtocolId[];
  readonly defaultProtocol: ProtocolId;
  /** Channel of the label PNG that holds the class id (SYNTHIA: 0 of a 16-bit RGB file). */
  readonly labelChannel: number;
  /** Allowed values of LayoutOptions.city, when the layout needs one. */
  readonly cities?: readonly string[];
  idMap(protocol: ProtocolId): IdMap;
  scanImages(root: string, split: string, opts: LayoutOptions): Promise<ScanResult>;
  scanLabels(root: string, split: string, opts: LayoutOptions): Promise<ScanResult>;
  /** Where the label of image `key` is expected (for messages). */
  expectedLabelPath(root: string, split: string, key: string, imagePath: string, opts: LayoutOptions): string;
}
