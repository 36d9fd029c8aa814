/**
 * The class weights a source model was trained with (median-frequency balancing, written by
 * source training into meta.source.classWeights). Adapted models keep their origin's provenance
 * under meta.source.from (AdaBN, TENT, STvM), so the chain is followed back to the source.
 */
import type { JsonValue } from '../engine/runtime/checkpoint.js';

/** w^src [C], or undefined when the model (and its origins) carry none. */
export function sourceClassWeights(source: JsonValue | undefined, numClasses: number): Float32Array | undefined {
  for (let s = source, depth = 0; s !== null && s !== undefined && typeof s === 'object' && !Array.isArray(s) && depth < 16; depth++) {
    const w = s['classWeights'];
    if (Array.isArray(w)) {
      if (w.length !== numClasses || !w.every((v) => typeof v === 'number' && Number.isFinite(v) && v > 0)) {
        throw new Error(`model metadata: source.classWeights must be ${numClasses} positive numbers, got ${JSON.stringify(w).slice(0, 80)}`);
      }
      return Float32Array.from(w as number[]);
    }
    s = s['from'];
  }
  return undefined;
}
