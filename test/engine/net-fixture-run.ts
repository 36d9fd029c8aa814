/**
 * Shared by the network tests against PyTorch fixtures (models.test.ts, models-mnv2.test.ts):
 * the initial-weights check and one forward + CE + backward run of a built net case.
 */
import assert from 'node:assert/strict';
import { backward } from '../../lib/engine/autodiff/backward.js';
import type { GraphBuilder } from '../../lib/engine/ir/builder.js';
import { softmaxCrossEntropy } from '../../lib/engine/losses/cross-entropy.js';
import type { SegModel } from '../../lib/engine/models/index.js';
import { runGraph } from '../../lib/engine/runtime/run-graph.js';
import type { Batch } from '../../bench/nets/net-case.js';

/** Every parameter's initial sum equals the fixture's (the same weights as the PyTorch mirror). */
export function assertInitialWeights(g: GraphBuilder, model: SegModel, paramSums: Record<string, number>): void {
  for (const p of model.params.all) {
    const d = g.graph.initializers.get(p.name)!.data as Float32Array;
    let s = 0;
    for (const v of d) s += v;
    assert.ok(Math.abs(s - paramSums[p.name]!) <= 1e-6 * Math.max(1, Math.abs(paramSums[p.name]!)) + 1e-3, `${p.name}: initial weights differ from the fixture's (sum ${s} vs ${paramSums[p.name]})`);
  }
}

/**
 * Adds the weighted cross-entropy and the backward pass (seeded with dL/dz) to the case's graph,
 * runs it on the batch and returns every fetched value: the loss, logits, features, each
 * trainable parameter's gradient and the BN running-statistic updates.
 */
export async function runNetCase(g: GraphBuilder, model: SegModel, batch: Batch): Promise<{ val: (name: string) => Float32Array; loss: string; grads: ReadonlyMap<string, string | undefined> }> {
  const labels = g.input('labels', 'int64', batch.labels.shape);
  const weights = g.input('weights', 'float32', batch.weights.shape);
  const ce = softmaxCrossEntropy(g, model.logitsFull!, labels, { weights });
  const grads = backward(g, model.logitsFull!, model.params.trainable, { seed: ce.dLogits });
  const fetch = [ce.loss, model.logits, model.features];
  for (const p of model.params.trainable) {
    const gn = grads.get(p);
    assert.ok(gn !== undefined, `no gradient for ${p}`);
    fetch.push(gn);
  }
  for (const u of model.bnUpdates) fetch.push(u.newMean, u.newVar);
  for (const f of fetch) g.output(f);
  const out = await runGraph(g.graph, { image: batch.image, labels: batch.labels, weights: batch.weights });
  return { val: (n: string) => out[n]!.data as Float32Array, loss: ce.loss, grads };
}
