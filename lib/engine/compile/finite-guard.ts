/**
 * The NaN/Inf guard of a training step.
 *
 *   finite = ¬isnan( Σ_k Σ_i (x_k,i · 0) )
 *
 * x·0 is 0 for every finite x and NaN for ±Inf and NaN, so the sum is NaN exactly when some
 * element of some x_k is not finite (no overflow, unlike a sum of squares). `guard` then keeps
 * the old value of a state tensor when the step is not finite: next = Where(finite, new, old).
 */
import type { GraphBuilder } from '../ir/builder.js';

/** Bool scalar: every element of every value is finite. */
export function finiteFlag(g: GraphBuilder, values: readonly string[]): string {
  const zero = g.constF32(0);
  const parts = values.map((v) => g.op1('ReduceSum', [g.op1('Mul', [v, zero], {}, { name: 'finite_probe' })], { keepdims: 0 }));
  const total = parts.length === 1 ? parts[0]! : g.op1('Sum', parts, {}, { name: 'finite_sum' });
  return g.op1('Not', [g.op1('IsNaN', [total])], {}, { name: 'finite' });
}

/** The committed value of a state tensor named `outName`: Where(finite, next, prev), or Identity(next) without a guard. */
export function commit(g: GraphBuilder, finite: string | undefined, next: string, prev: string, outName: string): string {
  if (finite === undefined) return g.op1('Identity', [next], {}, { outputName: outName });
  return g.op1('Where', [finite, next, prev], {}, { name: 'guard', outputName: outName });
}
