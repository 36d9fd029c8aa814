/**
 * Reusable scratch buffers for the renderer (one per name, grown on demand), so rendering a
 * frame allocates only its outputs. Rendering is synchronous, so sharing within a thread is
 * safe; a buffer's content is undefined when handed out unless `fill` is given.
 */
type Ctor<T> = { new (n: number): T };
type Typed = Float32Array | Uint16Array | Uint8Array | Float64Array;

const pool = new Map<string, Typed>();

export function scratch<T extends Typed>(name: string, ctor: Ctor<T>, n: number, fill?: number): T {
  let a = pool.get(name) as T | undefined;
  if (a === undefined || a.length < n || !(a instanceof ctor)) {
    a = new ctor(Math.max(n, 1));
    pool.set(name, a);
  }
  const v = (a.length === n ? a : a.subarray(0, n)) as T;
  if (fill !== undefined) v.fill(fill);
  return v;
}
