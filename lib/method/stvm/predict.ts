/** Label prediction on a runner with a predict program per input shape (compiled on first use). */
import type { TrainStepRunner } from '../../engine/runtime/index.js';
import type { TensorData } from '../../engine/ir/tensor.js';
import type { NetSource } from './net.js';
import { predictProgram } from './programs.js';
import { predictKey } from './runner-options.js';

/** Runs (compiling on first use) the predict program for the batch's shape on a runner. */
export async function predictWith(runner: TrainStepRunner, known: Set<string>, net: NetSource, images: TensorData): Promise<Uint8Array> {
  const [n, , h, w] = images.shape as [number, number, number, number];
  const key = predictKey(images.shape);
  if (!known.has(key)) {
    await runner.addProgram(key, predictProgram(net, n, h, w));
    known.add(key);
  }
  const o = await runner.run(key, { image: images }, { transfer: false });
  return o['pred']!.data as Uint8Array;
}
