/** From a data section of a config to loader sources and datasets. */
import { openLabelledDataset, type DatasetSpec } from '../data/datasets/index.js';
import type { LabelledDataset } from '../data/datasets/types.js';
import type { SourceSpec } from '../data/loader/source.js';
import type { DataConfig } from './source-config.js';
import { synthStreetDataset } from './synth-dataset.js';

export function datasetSpecOf(d: DataConfig): DatasetSpec {
  const prefixes = d.sequences.split(',').map((s) => s.trim()).filter((s) => s !== '');
  return { kind: d.kind, root: d.root, split: d.split, ...(prefixes.length ? { namePrefixes: prefixes } : {}), ...(d.city ? { city: d.city } : {}) };
}

/** The loader source of a data section (labelled). */
export function loaderSourceOf(d: DataConfig): SourceSpec {
  if (d.source === 'synthstreet') return { kind: 'synthstreet', seed: d.synthSeed, count: d.count, style: d.style, width: d.width, height: d.height };
  return { kind: 'dataset', dataset: datasetSpecOf(d), labels: true };
}

/** The labelled dataset of a data section. */
export async function labelledDatasetOf(d: DataConfig): Promise<LabelledDataset> {
  if (d.source === 'synthstreet') return synthStreetDataset({ seed: d.synthSeed, count: d.count, style: d.style, width: d.width, height: d.height });
  return openLabelledDataset(datasetSpecOf(d));
}
