/**
 * Dataset specs: which dataset (kind), where (root), which split(s), which class protocol.
 * Validated at once; a bad field gets an error naming it and listing the allowed values.
 */
import type { DatasetLayout, LayoutOptions } from './layout.js';
import { getProtocol, type ClassProtocol } from './protocols.js';
import { camvidLayout } from './layouts/camvid.js';
import { cityscapesLayout } from './layouts/cityscapes.js';
import { gta5Layout } from './layouts/gta5.js';
import { nthuLayout } from './layouts/nthu.js';
import { synthiaLayout } from './layouts/synthia.js';

export interface DatasetSpec {
  /** cityscapes | gta5 | synthia | nthu | camvid (or a registered layout). */
  readonly kind: string;
  /** The dataset's root folder. */
  readonly root: string;
  /** A split, or several joined by '+' (e.g. 'train+val'). */
  readonly split: string;
  /** Class protocol of the labels (default: the layout's). */
  readonly protocol?: string;
  /** NTHU cross-city: Rome | Rio | Tokyo | Taipei. */
  readonly city?: string;
  /** Keep only samples whose name starts with one of these (e.g. CamVid sequence '0001TP'). */
  readonly namePrefixes?: readonly string[];
}

export interface ResolvedSpec {
  readonly layout: DatasetLayout;
  readonly root: string;
  readonly splits: readonly string[];
  readonly protocol: ClassProtocol;
  readonly opts: LayoutOptions;
  readonly namePrefixes: readonly string[] | undefined;
  /** e.g. 'camvid/train', 'nthu/Rome/test'. */
  readonly id: string;
}

const layouts = new Map<string, DatasetLayout>();
for (const l of [cityscapesLayout, gta5Layout, synthiaLayout, nthuLayout, camvidLayout]) layouts.set(l.kind, l);

/** Adds a dataset layout (e.g. a generated dataset written to disk). */
export function registerDatasetLayout(layout: DatasetLayout): void {
  if (layouts.has(layout.kind)) throw new Error(`dataset layout '${layout.kind}' is already registered`);
  layouts.set(layout.kind, layout);
}

export function datasetKinds(): string[] {
  return [...layouts.keys()];
}

export function getLayout(kind: string): DatasetLayout {
  const l = layouts.get(kind);
  if (!l) throw new Error(`dataset spec: field 'kind' = '${kind}' is not one of ${datasetKinds().join(', ')}`);
  return l;
}

/** Validates a spec; `labelled` asks that every split have public labels. */
export function resolveSpec(spec: DatasetSpec, labelled: boolean): ResolvedSpec {
  if (spec === null || typeof spec !== 'object') throw new Error('dataset spec: expected an object');
  if (typeof spec.kind !== 'string') throw new Error("dataset spec: field 'kind' is missing");
  const layout = getLayout(spec.kind);
  if (typeof spec.root !== 'string' || spec.root === '') throw new Error("dataset spec: field 'root' must be a non-empty path");
  if (typeof spec.split !== 'string' || spec.split === '') throw new Error("dataset spec: field 'split' is missing");
  const splits = spec.split.split('+');
  for (const s of splits) {
    if (!layout.splits.includes(s)) {
      throw new Error(`dataset spec: field 'split' = '${s}' is not one of ${layout.splits.join(', ')} for ${layout.kind}`);
    }
    if (labelled && !layout.labelledSplits.includes(s)) {
      throw new Error(
        `dataset spec: split '${s}' of ${layout.kind} has no public labels (labelled splits: ${layout.labelledSplits.join(', ')}); open it unlabelled`,
      );
    }
  }
  if (new Set(splits).size !== splits.length) throw new Error(`dataset spec: field 'split' = '${spec.split}' repeats a split`);
  const protocolId = spec.protocol ?? layout.defaultProtocol;
  if (!(layout.protocols as readonly string[]).includes(protocolId)) {
    throw new Error(`dataset spec: field 'protocol' = '${protocolId}' is not one of ${layout.protocols.join(', ')} for ${layout.kind}`);
  }
  const protocol = getProtocol(protocolId);
  if (layout.cities) {
    if (!spec.city || !layout.cities.includes(spec.city)) {
      throw new Error(`dataset spec: field 'city' = '${spec.city ?? ''}' must be one of ${layout.cities.join(', ')} for ${layout.kind}`);
    }
  } else if (spec.city !== undefined) {
    throw new Error(`dataset spec: field 'city' is not used by ${layout.kind}`);
  }
  if (spec.namePrefixes !== undefined) {
    if (!Array.isArray(spec.namePrefixes) || spec.namePrefixes.some((p) => typeof p !== 'string' || p === '')) {
      throw new Error("dataset spec: field 'namePrefixes' must be a list of non-empty strings");
    }
  }
  const opts: LayoutOptions = spec.city ? { city: spec.city } : {};
  const id = [layout.kind, spec.city, spec.split].filter(Boolean).join('/') + (spec.namePrefixes ? `[${spec.namePrefixes.join(',')}]` : '');
  return { layout, root: spec.root, splits, protocol, opts, namePrefixes: spec.namePrefixes ? [...spec.namePrefixes] : undefined, id };
}
