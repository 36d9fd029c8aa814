/**
 * Gradient rules, one per op, each in its own file under grads/ and registered here
 * (the tfjs-core pattern). A rule receives the forward node and the gradients of its outputs,
 * writes backward nodes with the builder and returns the gradients of its inputs.
 */
import type { GraphBuilder } from '../ir/builder.js';
import type { Node } from '../ir/graph.js';

export interface GradContext {
  /** Builder to emit backward nodes into (the same graph as the forward pass). */
  readonly g: GraphBuilder;
  /** The forward node. */
  readonly node: Node;
  /** Gradient of each output; undefined where no gradient flows into that output. */
  readonly dy: readonly (string | undefined)[];
  /** wants[i]: whether input i needs a gradient. A rule may skip work for the others. */
  readonly wants: readonly boolean[];
}

/** Returns the gradient of each input (undefined where none is needed or it is zero). */
export type GradRule = (ctx: GradContext) => (string | undefined)[];

const rules = new Map<string, GradRule>();

export function registerGrad(op: string, rule: GradRule): void {
  if (rules.has(op)) throw new Error(`gradient rule for ${op} registered twice`);
  rules.set(op, rule);
}

export function gradRule(op: string): GradRule | undefined {
  return rules.get(op);
}

export function registeredGradOps(): string[] {
  return [...rules.keys()].sort();
}

/** Thrown when the backward pass meets an op that has no gradient rule. */
export class NoGradientError extends Error {
  constructor(node: Node) {
    super(`no gradient rule is registered for op ${node.op} (node '${node.name}'); it lies on the path from the loss to a trainable parameter`);
    this.name = 'NoGradientError';
  }
}
