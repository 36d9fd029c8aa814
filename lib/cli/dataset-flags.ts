/**
 * The dataset flags shared by the dataset commands (dataset-check, evaluate-preds):
 * --kind, --root, --split (required), --protocol, --city, --prefix (repeatable) → a DatasetSpec.
 * Empty strings count as missing; a missing required flag is a UsageError naming it.
 */
import type { DatasetSpec } from '../data/datasets/spec.js';
import { UsageError, type ParsedFlags } from './args.js';

/** A string flag's value, or undefined when absent or empty. */
export function strFlag(f: ParsedFlags, k: string): string | undefined {
  const v = f[k];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The DatasetSpec of --kind/--root/--split/--protocol/--city/--prefix. */
export function datasetSpecFromFlags(f: ParsedFlags): DatasetSpec {
  for (const k of ['kind', 'root', 'split']) if (strFlag(f, k) === undefined) throw new UsageError(`--${k} is required`);
  const protocol = strFlag(f, 'protocol');
  const city = strFlag(f, 'city');
  const prefixes = Array.isArray(f['prefix']) ? f['prefix'] : undefined;
  return {
    kind: strFlag(f, 'kind')!,
    root: strFlag(f, 'root')!,
    split: strFlag(f, 'split')!,
    ...(protocol ? { protocol } : {}),
    ...(city ? { city } : {}),
    ...(prefixes ? { namePrefixes: prefixes } : {}),
  };
}
