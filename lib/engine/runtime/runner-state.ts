/**
 * Saving and restoring everything a TrainStepRunner holds under a name prefix, so several
 * runners' states share one checkpoint ('student/…', 'teacher/…', 'tent/…').
 */
import type { TensorData } from '../ir/tensor.js';
import type { TrainStepRunner } from './train-step-runner.js';

/** Every state tensor of the runner, keyed `${prefix}${name}`. */
export async function prefixedState(runner: TrainStepRunner, prefix: string): Promise<Map<string, TensorData>> {
  const s = await runner.getState();
  return new Map([...s].map(([k, v]) => [prefix + k, v]));
}

/**
 * Loads the runner's state from prefixed tensors; every tensor must carry the prefix and every
 * tensor the runner holds must be present (errors name the tensor and `who`).
 */
export async function restorePrefixedState(runner: TrainStepRunner, prefix: string, tensors: ReadonlyMap<string, TensorData>, who: string): Promise<void> {
  const own = new Map<string, TensorData>();
  for (const [k, v] of tensors) {
    if (!k.startsWith(prefix)) throw new Error(`${who}: unexpected state tensor '${k}'`);
    own.set(k.slice(prefix.length), v);
  }
  const info = await runner.stateInfo();
  for (const k of info.keys()) if (!own.has(k)) throw new Error(`${who}: state tensor '${prefix}${k}' is missing from the checkpoint`);
  await runner.setState(own);
}
