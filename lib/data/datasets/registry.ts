/**
 * Opening datasets from a spec: openDataset({kind, root, split, protocol, labels}).
 * `labels: false` (adaptation) scans the image folders only and returns an UnlabelledDataset;
 * `labels: true` (evaluation, source training) pairs images with labels and returns a
 * LabelledDataset. Any problem on disk (missing folder, unpaired files, …) is an error that
 * lists all of them; `dataset-check` gives the full report, decoding every file.
 */
import { ImageFolderDataset, PairedFileDataset } from './file-datasets.js';
import { DatasetError } from './problems.js';
import { scanImages, scanPairs } from './scan.js';
import { resolveSpec, type DatasetSpec } from './spec.js';
import type { LabelledDataset, UnlabelledDataset } from './types.js';

function hint(spec: DatasetSpec): string {
  const args = [`--kind ${spec.kind}`, `--root ${spec.root}`, `--split ${spec.split}`];
  if (spec.city) args.push(`--city ${spec.city}`);
  return `Run \`node dist/cli/dataset-check.js ${args.join(' ')}\` for a full report.`;
}

/** Images of a split, without labels (for adaptation). */
export async function openUnlabelledDataset(spec: DatasetSpec): Promise<UnlabelledDataset> {
  const r = resolveSpec(spec, false);
  const s = await scanImages(r);
  if (s.problems.length > 0) throw new DatasetError(`cannot open ${r.id} at ${r.root}`, s.problems, hint(spec));
  return new ImageFolderDataset(r.id, s.images);
}

/** Image/label pairs of a split, labels in the spec's protocol (for evaluation, source training). */
export async function openLabelledDataset(spec: DatasetSpec): Promise<LabelledDataset> {
  const r = resolveSpec(spec, true);
  const s = await scanPairs(r);
  if (s.problems.length > 0) throw new DatasetError(`cannot open ${r.id} at ${r.root}`, s.problems, hint(spec));
  return new PairedFileDataset(r.id, r.protocol, s.pairs, r.layout.idMap(r.protocol.id), r.layout.labelChannel);
}

export function openDataset(spec: DatasetSpec & { labels: false }): Promise<UnlabelledDataset>;
export function openDataset(spec: DatasetSpec & { labels: true }): Promise<LabelledDataset>;
/** Opens a dataset; `labels` chooses the type (see the two functions above). */
export function openDataset(spec: DatasetSpec & { labels: boolean }): Promise<UnlabelledDataset | LabelledDataset> {
  return spec.labels ? openLabelledDataset(spec) : openUnlabelledDataset(spec);
}
