/**
 * Bytes a run passes between the host (JavaScript memory) and onnxruntime: every feed (data,
 * learning rate, state) and every fetched output, as the runtime hands them to and takes them
 * from `session.run`. With the CUDA (or WebGPU) provider and CPU tensors, onnxruntime copies
 * each feed host → device and each fetch device → host on every run, so these are the
 * host ⇄ device bytes of a step (docs/gpu.md, "State on the device"). Tensors whose data
 * already lives on the device (onnxruntime-common location 'gpu-buffer' or 'ml-tensor') are
 * not counted: they do not cross.
 */
import type { TensorData } from '../ir/tensor.js';

/** Host ⇄ runtime bytes of one run. */
export interface RunIoBytes {
  /** feeds handed to session.run (host → device with a GPU provider) */
  readonly bytesIn: number;
  /** fetched outputs (device → host) */
  readonly bytesOut: number;
}

/** Totals over the runs counted so far. */
export interface IoStats {
  readonly runs: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** the last run's bytes (zeros before the first run) */
  readonly last: RunIoBytes;
}

/** A tensor as onnxruntime-common describes it (ort.Tensor), or the engine's TensorData. */
export type CountedTensor = TensorData | { readonly location?: string; readonly data?: unknown; readonly dims?: readonly number[] };

const DEVICE_LOCATIONS = new Set(['gpu-buffer', 'ml-tensor', 'texture']);

/** Bytes of one tensor's host data (0 for device-resident tensors and strings). */
export function tensorBytes(t: CountedTensor): number {
  const loc = (t as { location?: unknown }).location;
  if (typeof loc === 'string' && DEVICE_LOCATIONS.has(loc)) return 0;
  const d = (t as { data?: unknown }).data;
  return ArrayBuffer.isView(d) ? d.byteLength : 0;
}

/** Sum of tensorBytes over a feed or fetch map. */
export function mapBytes(m: Readonly<Record<string, CountedTensor>>): number {
  let n = 0;
  for (const t of Object.values(m)) n += tensorBytes(t);
  return n;
}

/** Accumulates RunIoBytes. */
export class IoCounter {
  private runs = 0;
  private bytesIn = 0;
  private bytesOut = 0;
  private last: RunIoBytes = { bytesIn: 0, bytesOut: 0 };

  add(r: RunIoBytes): void {
    if (!(Number.isFinite(r.bytesIn) && r.bytesIn >= 0 && Number.isFinite(r.bytesOut) && r.bytesOut >= 0)) throw new Error(`IoCounter: bad byte counts ${JSON.stringify(r)}`);
    this.runs++;
    this.bytesIn += r.bytesIn;
    this.bytesOut += r.bytesOut;
    this.last = { bytesIn: r.bytesIn, bytesOut: r.bytesOut };
  }

  stats(): IoStats {
    return { runs: this.runs, bytesIn: this.bytesIn, bytesOut: this.bytesOut, last: this.last };
  }

  reset(): void {
    this.runs = 0;
    this.bytesIn = 0;
    this.bytesOut = 0;
    this.last = { bytesIn: 0, bytesOut: 0 };
  }
}
