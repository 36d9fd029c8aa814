/**
 * Dataset check: scans a dataset split and reports EVERY problem at once (missing folders,
 * image/label count mismatch, unpaired names, unreadable — corrupt or truncated — files,
 * label values outside the class table counted per value, image/label size mismatch), plus the
 * class pixel histogram of the labels in the chosen protocol.
 */
import { readImage, readImageHeader } from '../io/image.js';
import { readLabel } from '../io/label.js';
import { applyIdMap, type OutOfTableCounts } from '../datasets/id-map.js';
import type { FileEntry } from '../datasets/layout.js';
import type { DatasetProblem } from '../datasets/problems.js';
import { scanImages, scanPairs, type Pair } from '../datasets/scan.js';
import { resolveSpec, type DatasetSpec } from '../datasets/spec.js';
import { IGNORE_INDEX, type ProtocolId } from '../datasets/protocols.js';
import { runPool } from './pool.js';

export interface CheckOptions {
  /** 'full' decodes every image (finds truncated files); 'header' reads sizes only. Default 'full'. */
  readonly images?: 'full' | 'header';
  /** Files decoded at once (default 4). */
  readonly concurrency?: number;
  /** Example files listed per out-of-table value (default 3). */
  readonly maxExamples?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface ClassHistogram {
  readonly classes: readonly string[];
  /** Pixels per class (index = train id). */
  readonly pixels: number[];
  /** Pixels whose label is in the table but ignored (255 after mapping). */
  readonly ignorePixels: number;
  /** Pixels whose raw value is outside the class table. */
  readonly outOfTablePixels: number;
  readonly totalPixels: number;
}

export interface CheckReport {
  readonly id: string;
  readonly kind: string;
  readonly root: string;
  readonly splits: readonly string[];
  readonly protocol: ProtocolId;
  /** False for splits without public labels (only images are checked). */
  readonly labelled: boolean;
  readonly imageMode: 'full' | 'header';
  readonly images: number;
  readonly labels: number;
  readonly pairs: number;
  /** Distinct image sizes with their counts. */
  readonly imageSizes: { width: number; height: number; count: number }[];
  readonly problems: DatasetProblem[];
  readonly histogram: ClassHistogram | null;
  readonly elapsedMs: number;
}

interface Size {
  width: number;
  height: number;
}

export async function checkDataset(spec: DatasetSpec, opts: CheckOptions = {}): Promise<CheckReport> {
  const t0 = Date.now();
  const r = resolveSpec(spec, false);
  // labels are checked when every split has public labels (CamVid test, NTHU train: images only)
  const labelled = r.splits.every((s) => r.layout.labelledSplits.includes(s));
  const imageMode = opts.images ?? 'full';
  const concurrency = opts.concurrency ?? 4;
  const maxExamples = opts.maxExamples ?? 3;

  let images: FileEntry[];
  let labels: FileEntry[] = [];
  let pairs: Pair[] = [];
  const problems: DatasetProblem[] = [];
  if (labelled) {
    const s = await scanPairs(r);
    ({ images, labels, pairs } = s);
    problems.push(...s.problems);
  } else {
    const s = await scanImages(r);
    images = s.images;
    problems.push(...s.problems);
  }

  const total = images.length + labels.length;
  let done = 0;
  const tick = (): void => {
    done++;
    opts.onProgress?.(done, total);
  };

  const imageSize = new Map<string, Size>();
  const unreadable: DatasetProblem[] = [];
  await runPool(images, concurrency, async (e) => {
    try {
      const s = imageMode === 'full' ? await readImage(e.path) : await readImageHeader(e.path);
      imageSize.set(e.path, { width: s.width, height: s.height });
    } catch (err) {
      unreadable.push({ kind: 'unreadable', role: 'image', path: e.path, reason: (err as Error).message });
    }
    tick();
  });

  const labelSize = new Map<string, Size>();
  let histogram: ClassHistogram | null = null;
  const oot = new Map<number, { pixels: number; files: number; examples: string[] }>();
  if (labelled) {
    const map = r.layout.idMap(r.protocol.id);
    const counts = new Float64Array(256);
    await runPool(labels, concurrency, async (e) => {
      try {
        const raw = await readLabel(e.path, { channel: r.layout.labelChannel });
        labelSize.set(e.path, { width: raw.width, height: raw.height });
        const mapped = new Uint8Array(raw.data.length);
        const fileCounts: OutOfTableCounts = new Map();
        applyIdMap(raw.data, map, mapped, fileCounts);
        for (let i = 0; i < mapped.length; i++) counts[mapped[i]!]!++;
        for (const [v, n] of fileCounts) {
          let o = oot.get(v);
          if (!o) oot.set(v, (o = { pixels: 0, files: 0, examples: [] }));
          o.pixels += n;
          o.files++;
          if (o.examples.length < maxExamples) o.examples.push(e.path);
        }
      } catch (err) {
        unreadable.push({ kind: 'unreadable', role: 'label', path: e.path, reason: (err as Error).message });
      }
      tick();
    });
    let outOfTablePixels = 0;
    for (const o of oot.values()) outOfTablePixels += o.pixels;
    const nc = r.protocol.numClasses;
    let totalPixels = 0;
    for (const c of counts) totalPixels += c;
    histogram = {
      classes: r.protocol.classes,
      pixels: Array.from(counts.subarray(0, nc)),
      ignorePixels: counts[IGNORE_INDEX]! - outOfTablePixels,
      outOfTablePixels,
      totalPixels,
    };
  }

  unreadable.sort((a, b) => ((a as { path: string }).path < (b as { path: string }).path ? -1 : 1));
  problems.push(...unreadable);
  for (const p of pairs) {
    const a = imageSize.get(p.image);
    const b = labelSize.get(p.label);
    if (a && b && (a.width !== b.width || a.height !== b.height)) {
      problems.push({
        kind: 'size-mismatch',
        name: p.key,
        image: p.image,
        label: p.label,
        imageSize: [a.width, a.height],
        labelSize: [b.width, b.height],
      });
    }
  }
  for (const [value, o] of [...oot].sort((x, y) => x[0] - y[0])) {
    o.examples.sort();
    problems.push({ kind: 'out-of-table', value, pixels: o.pixels, files: o.files, examples: o.examples });
  }

  const sizes = new Map<string, { width: number; height: number; count: number }>();
  for (const s of imageSize.values()) {
    const k = `${s.width}x${s.height}`;
    const e = sizes.get(k);
    if (e) e.count++;
    else sizes.set(k, { ...s, count: 1 });
  }
  return {
    id: r.id,
    kind: r.layout.kind,
    root: r.root,
    splits: r.splits,
    protocol: r.protocol.id,
    labelled,
    imageMode,
    images: images.length,
    labels: labels.length,
    pairs: pairs.length,
    imageSizes: [...sizes.values()].sort((a, b) => b.count - a.count),
    problems,
    histogram,
    elapsedMs: Date.now() - t0,
  };
}
