/**
 * Raw label value → train id lookup tables.
 *
 * An IdMap is two arrays indexed by the raw stored value v (size 256 for 8-bit labels, 65536
 * for 16-bit ones): lut[v] is the train id (255 = ignore) and known[v] = 1 when v is in the
 * dataset's class table. A value outside the table maps to 255 too, but is counted, so that a
 * wrong dataset, a wrong protocol or a corrupt label shows up instead of silently shrinking the
 * evaluated area.
 */
import { IGNORE_INDEX } from './protocols.js';

export interface IdMap {
  /** Human-readable name, e.g. 'cityscapes labelId → cityscapes19'. */
  readonly name: string;
  readonly lut: Uint8Array;
  readonly known: Uint8Array;
}

/**
 * Builds a map from explicit entries: `toTrain` lists raw value → train id for the classes of
 * the protocol; `ignored` lists raw values that are in the table but not evaluated.
 */
export function buildIdMap(
  name: string,
  size: 256 | 65536,
  toTrain: ReadonlyMap<number, number>,
  ignored: Iterable<number>,
): IdMap {
  const lut = new Uint8Array(size).fill(IGNORE_INDEX);
  const known = new Uint8Array(size);
  for (const v of ignored) {
    if (v >= 0 && v < size) known[v] = 1;
  }
  for (const [v, t] of toTrain) {
    if (!(v >= 0 && v < size)) throw new Error(`${name}: raw value ${v} outside 0..${size - 1}`);
    if (!(t >= 0 && t < IGNORE_INDEX)) throw new Error(`${name}: train id ${t} for raw value ${v} out of range`);
    lut[v] = t;
    known[v] = 1;
  }
  return { name, lut, known };
}

/** Per raw value, the number of pixels whose value was outside the class table. */
export type OutOfTableCounts = Map<number, number>;

/**
 * out[i] = lut[raw[i]]; raw values with known[v] = 0 (and values beyond the table size) become
 * 255 and are added to `counts` (value → pixels). Returns the number of such pixels.
 */
export function applyIdMap(raw: Uint8Array | Uint16Array, map: IdMap, out: Uint8Array, counts?: OutOfTableCounts): number {
  if (out.length !== raw.length) throw new Error('applyIdMap: output length differs from input length');
  const { lut, known } = map;
  const size = lut.length;
  let unknown = 0;
  let local: Map<number, number> | undefined;
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i]!;
    if (v < size && known[v] === 1) {
      out[i] = lut[v]!;
    } else {
      out[i] = IGNORE_INDEX;
      unknown++;
      local ??= new Map();
      local.set(v, (local.get(v) ?? 0) + 1);
    }
  }
  if (counts && local) for (const [v, n] of local) counts.set(v, (counts.get(v) ?? 0) + n);
  return unknown;
}
