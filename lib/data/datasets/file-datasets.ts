/**
 * The two dataset implementations over files on disk. ImageFolderDataset holds image paths
 * and nothing else; PairedFileDataset holds image/label pairs and the id map.
 */
import { ImageFileError } from '../io/errors.js';
import { readImage } from '../io/image.js';
import { readLabel } from '../io/label.js';
import type { RgbImage } from '../io/types.js';
import { applyIdMap, type IdMap, type OutOfTableCounts } from './id-map.js';
import type { ClassProtocol } from './protocols.js';
import type { Pair } from './scan.js';
import type { LabelledDataset, LabelledSample, TrainIdLabel, UnlabelledDataset } from './types.js';

function checkIndex(i: number, size: number, id: string): number {
  if (!Number.isInteger(i) || i < 0 || i >= size) throw new RangeError(`${id}: index ${i} outside 0..${size - 1}`);
  return i;
}

/** Images only. Its fields are the image names and paths: no label is reachable from it. */
export class ImageFolderDataset implements UnlabelledDataset {
  readonly labelled = false as const;
  readonly id: string;
  readonly #names: readonly string[];
  readonly #paths: readonly string[];

  constructor(id: string, images: readonly { key: string; path: string }[]) {
    this.id = id;
    this.#names = Object.freeze(images.map((e) => e.key));
    this.#paths = Object.freeze(images.map((e) => e.path));
    Object.freeze(this);
  }

  get size(): number {
    return this.#names.length;
  }

  name(i: number): string {
    return this.#names[checkIndex(i, this.size, this.id)]!;
  }

  readImage(i: number): Promise<RgbImage> {
    return readImage(this.#paths[checkIndex(i, this.size, this.id)]!);
  }
}

/** Image/label pairs; labels are mapped to the protocol's train ids on read. */
export class PairedFileDataset implements LabelledDataset {
  readonly labelled = true as const;
  readonly id: string;
  readonly protocol: ClassProtocol;
  readonly #pairs: readonly Pair[];
  readonly #map: IdMap;
  readonly #channel: number;
  readonly #outOfTable: OutOfTableCounts = new Map();

  constructor(id: string, protocol: ClassProtocol, pairs: readonly Pair[], map: IdMap, labelChannel: number) {
    this.id = id;
    this.protocol = protocol;
    this.#pairs = Object.freeze([...pairs]);
    this.#map = map;
    this.#channel = labelChannel;
    Object.freeze(this);
  }

  get size(): number {
    return this.#pairs.length;
  }

  name(i: number): string {
    return this.#pairs[checkIndex(i, this.size, this.id)]!.key;
  }

  readImage(i: number): Promise<RgbImage> {
    return readImage(this.#pairs[checkIndex(i, this.size, this.id)]!.image);
  }

  async readLabel(i: number): Promise<TrainIdLabel> {
    const p = this.#pairs[checkIndex(i, this.size, this.id)]!;
    const raw = await readLabel(p.label, { channel: this.#channel });
    const data = new Uint8Array(raw.width * raw.height);
    applyIdMap(raw.data, this.#map, data, this.#outOfTable);
    return { width: raw.width, height: raw.height, data };
  }

  async readSample(i: number): Promise<LabelledSample> {
    const p = this.#pairs[checkIndex(i, this.size, this.id)]!;
    const [image, label] = await Promise.all([this.readImage(i), this.readLabel(i)]);
    if (image.width !== label.width || image.height !== label.height) {
      throw new ImageFileError(
        p.label,
        `label size ${label.width}x${label.height} differs from image ${p.image} (${image.width}x${image.height})`,
      );
    }
    return { name: p.key, image, label };
  }

  outOfTableCounts(): OutOfTableCounts {
    return new Map(this.#outOfTable);
  }

  imagesOnly(): UnlabelledDataset {
    return new ImageFolderDataset(this.id, this.#pairs.map((p) => ({ key: p.key, path: p.image })));
  }
}
