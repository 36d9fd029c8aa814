/**
 * Scanning a resolved spec: list images (and, when asked, labels) of every split, keep the
 * requested name prefixes, pair images with labels by key and record every problem.
 */
import type { FileEntry } from './layout.js';
import type { DatasetProblem } from './problems.js';
import type { ResolvedSpec } from './spec.js';

export interface Pair {
  readonly key: string;
  readonly image: string;
  readonly label: string;
}

export interface ImageScan {
  readonly images: FileEntry[];
  readonly problems: DatasetProblem[];
}

export interface PairScan {
  readonly images: FileEntry[];
  readonly labels: FileEntry[];
  readonly pairs: Pair[];
  readonly problems: DatasetProblem[];
}

function keep(r: ResolvedSpec, e: FileEntry): boolean {
  return r.namePrefixes === undefined || r.namePrefixes.some((p) => e.key.startsWith(p));
}

function duplicates(entries: readonly FileEntry[], problems: DatasetProblem[]): void {
  const seen = new Map<string, string[]>();
  for (const e of entries) {
    const l = seen.get(e.key);
    if (l) l.push(e.path);
    else seen.set(e.key, [e.path]);
  }
  for (const [name, paths] of seen) if (paths.length > 1) problems.push({ kind: 'duplicate-name', name, paths });
}

/** Images only: never lists a label folder. */
export async function scanImages(r: ResolvedSpec): Promise<ImageScan> {
  const images: FileEntry[] = [];
  const problems: DatasetProblem[] = [];
  for (const split of r.splits) {
    const s = await r.layout.scanImages(r.root, split, r.opts);
    images.push(...s.entries.filter((e) => keep(r, e)));
    problems.push(...s.problems);
  }
  duplicates(images, problems);
  return { images, problems };
}

/** Images and labels, paired by key. */
export async function scanPairs(r: ResolvedSpec): Promise<PairScan> {
  const images: FileEntry[] = [];
  const labels: FileEntry[] = [];
  const pairs: Pair[] = [];
  const problems: DatasetProblem[] = [];
  for (const split of r.splits) {
    const si = await r.layout.scanImages(r.root, split, r.opts);
    const sl = await r.layout.scanLabels(r.root, split, r.opts);
    problems.push(...si.problems, ...sl.problems);
    const imgs = si.entries.filter((e) => keep(r, e));
    const labs = sl.entries.filter((e) => keep(r, e));
    images.push(...imgs);
    labels.push(...labs);
    const byKey = new Map<string, FileEntry>();
    for (const l of labs) byKey.set(l.key, l);
    const used = new Set<string>();
    for (const im of imgs) {
      const l = byKey.get(im.key);
      if (l) {
        pairs.push({ key: im.key, image: im.path, label: l.path });
        used.add(im.key);
      } else {
        const expectedLabel = r.layout.expectedLabelPath(r.root, split, im.key, im.path, r.opts);
        problems.push({ kind: 'unpaired-image', name: im.key, path: im.path, expectedLabel });
      }
    }
    for (const l of labs) if (!used.has(l.key)) problems.push({ kind: 'unpaired-label', name: l.key, path: l.path });
  }
  duplicates(images, problems);
  duplicates(labels, problems);
  if (images.length !== labels.length) problems.unshift({ kind: 'count-mismatch', images: images.length, labels: labels.length });
  return { images, labels, pairs, problems };
}
