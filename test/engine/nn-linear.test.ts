/**
 * Linear layers beyond the generic PyTorch fixtures (test/fixtures/ops/{conv,gemm,matmul,
 * batchnorm,pad}_*.json): unsupported attributes are errors naming op and node, the backward
 * graphs take the lean paths (1×1 dW is one Gemm, no dX for an input that needs none, stride-1
 * dX is a Conv), and the train-mode BatchNormalization lowering shares the batch statistics
 * with the gradient and documents onnxruntime's own running_var.
 */
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../../lib/engine/ir/builder.js';
import { backward } from '../../lib/engine/autodiff/backward.js';
import { lowerTrainingBatchNorm } from '../../lib/engine/ir/lower-batchnorm.js';
import { encodeModel } from '../../lib/engine/onnx/encode.js';
import { runGraph } from '../../lib/engine/runtime/run-graph.js';
import { toOrt } from '../../lib/engine/runtime/ort-tensor.js';
import { f32, numel, tensor } from '../../lib/engine/ir/tensor.js';
import type { Graph } from '../../lib/engine/ir/graph.js';

function rand(shape: number[], seed: number, lo = -1, hi = 1) {
  let s = seed >>> 0;
  const v = Array.from({ length: numel(shape) }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((hi - lo) * s) / 2 ** 32;
  });
  return f32(shape, v);
}

const count = (g: Graph, op: string) => g.nodes.filter((n) => n.op === op).length;

/** Conv → ReduceSum loss; returns the builder and the gradients of the requested inputs. */
function convNet(xs: number[], ws: number[], attrs: Record<string, number | number[] | string>, wrt: ('x' | 'w')[]) {
  const g = new GraphBuilder('conv');
  const x = g.input('x', 'float32', xs);
  const w = g.input('w', 'float32', ws);
  const y = g.op1('Conv', [x, w], attrs, { name: 'conv1' });
  const loss = g.op1('ReduceSum', [g.op1('Mul', [y, y])], { keepdims: 0 });
  const names = { x, w };
  const grads = backward(g, loss, wrt.map((k) => names[k]));
  return { g, grads, x, w };
}

describe('linear layers: shapes, errors and backward structure', () => {
  it('Conv with auto_pad SAME_UPPER is an error naming op and node', () => {
    const g = new GraphBuilder('t');
    const x = g.input('x', 'float32', [1, 2, 5, 5]);
    const w = g.input('w', 'float32', [3, 2, 3, 3]);
    assert.throws(() => g.op1('Conv', [x, w], { auto_pad: 'SAME_UPPER' }, { name: 'stem' }), /Conv node 'stem'.*auto_pad 'SAME_UPPER'/);
  });

  it('Conv with group not in {1, C==M} builds but its gradient is an error naming op and node', () => {
    const g = new GraphBuilder('t');
    const x = g.input('x', 'float32', [1, 4, 5, 5]);
    const w = g.input('w', 'float32', [4, 2, 3, 3]);
    const y = g.op1('Conv', [x, w], { group: 2 }, { name: 'grouped' });
    assert.deepEqual(g.shape(y), [1, 4, 3, 3]);
    const loss = g.op1('ReduceSum', [y], { keepdims: 0 });
    assert.throws(() => backward(g, loss, [w]), /Conv node 'grouped'.*group=2/);
  });

  it('Conv shape inference rejects mismatched channels and kernel_shape', () => {
    const g = new GraphBuilder('t');
    const x = g.input('x', 'float32', [1, 3, 5, 5]);
    const w = g.input('w', 'float32', [4, 2, 3, 3]);
    assert.throws(() => g.op1('Conv', [x, w], {}, { name: 'bad' }), /Conv node 'bad'/);
    const w2 = g.input('w2', 'float32', [4, 3, 3, 3]);
    assert.throws(() => g.op1('Conv', [x, w2], { kernel_shape: [2, 2] }, { name: 'bad2' }), /Conv node 'bad2'.*kernel_shape/);
  });

  it('ConvTranspose shape follows s(in−1)+output_padding+d(k−1)+1−pads', () => {
    const g = new GraphBuilder('t');
    const x = g.input('x', 'float32', [2, 4, 3, 5]);
    const w = g.input('w', 'float32', [4, 3, 3, 2]);
    const y = g.op1('ConvTranspose', [x, w], { strides: [2, 3], dilations: [1, 2], pads: [1, 0, 0, 2], output_padding: [1, 2] });
    assert.deepEqual(g.shape(y), [2, 3, 2 * 2 + 1 + 2 + 1 - 1, 3 * 4 + 2 + 2 + 1 - 2]);
  });

  it('a 1×1 stride-1 unpadded conv takes dW as one Gemm (no Slice, no Pad, no Concat)', () => {
    const { g } = convNet([2, 4, 3, 3], [5, 4, 1, 1], {}, ['w']);
    assert.equal(count(g.graph, 'Gemm'), 1);
    assert.equal(count(g.graph, 'Slice') + count(g.graph, 'Pad') + count(g.graph, 'Concat'), 0);
  });

  it('no dX is emitted when the input needs no gradient (first layer)', () => {
    // 8 input channels: dW by the im2col Gather + Gemm (conv-util.ts 'gather'; 3 would take the Conv form)
    const { g } = convNet([2, 8, 8, 8], [4, 8, 3, 3], { strides: [2, 2], pads: [1, 1, 1, 1] }, ['w']);
    assert.equal(count(g.graph, 'Conv'), 1);
    assert.equal(count(g.graph, 'ConvTranspose'), 0);
    assert.equal(count(g.graph, 'Gemm'), 1);
    assert.equal(count(g.graph, 'Gather'), 1);
  });

  it('dX is a flipped-kernel Conv at stride 1 and a ConvTranspose at stride 2', () => {
    const s1 = convNet([1, 2, 6, 6], [3, 2, 3, 3], { pads: [1, 1, 1, 1] }, ['x']).g.graph;
    assert.equal(count(s1, 'Conv'), 2);
    assert.equal(count(s1, 'ConvTranspose'), 0);
    const s2 = convNet([1, 2, 6, 6], [3, 2, 3, 3], { strides: [2, 2], pads: [1, 1, 1, 1] }, ['x']).g.graph;
    assert.equal(count(s2, 'Conv'), 1);
    assert.equal(count(s2, 'ConvTranspose'), 1);
  });

  it('Gemm, MatMul, Pad and BatchNormalization shape errors name the node', () => {
    const g = new GraphBuilder('t');
    const a = g.input('a', 'float32', [3, 4]);
    const b = g.input('b', 'float32', [5, 4]);
    assert.throws(() => g.op1('Gemm', [a, b], {}, { name: 'fc' }), /Gemm node 'fc'.*inner dimensions/);
    assert.deepEqual(g.shape(g.op1('Gemm', [a, b], { transB: 1 })), [3, 5]);
    assert.throws(() => g.op1('MatMul', [a, b], {}, { name: 'mm' }), /MatMul node 'mm'/);
    const x = g.input('x', 'float32', [1, 2, 3, 3]);
    assert.throws(() => g.op1('Pad', [x, g.constI64([0, 0, 3, 0, 0, 0, 0, 0])], { mode: 'reflect' }, { name: 'rp' }), /Pad node 'rp'.*reflect/);
    assert.throws(() => g.op1('Pad', [x, g.constI64([0, 0, 0, 0])], {}, { name: 'p4' }), /Pad node 'p4'/);
    const c = g.input('chan', 'float32', [3]);
    assert.throws(() => g.op1('BatchNormalization', [x, c, c, c, c], {}, { name: 'bn' }), /BatchNormalization node 'bn'/);
  });
});

describe('train-mode BatchNormalization lowering', () => {
  const xs = [4, 3, 5, 2];
  const n = 4 * 5 * 2;
  const momentum = 0.7;

  function bnGraph(withBackward: boolean) {
    const g = new GraphBuilder('bn');
    const x = g.input('x', 'float32', xs);
    const [s, b, m, v] = ['s', 'b', 'm', 'v'].map((k) => g.input(k, 'float32', [3]));
    const [y, rm, rv] = g.op('BatchNormalization', [x, s!, b!, m!, v!], { training_mode: 1, momentum, epsilon: 1e-5 }, { outputs: 3, name: 'bn1' });
    [y, rm, rv].forEach((o) => g.output(o!));
    if (withBackward) {
      const loss = g.op1('ReduceSum', [g.op1('Mul', [y!, y!])], { keepdims: 0 });
      const grads = backward(g, loss, [x, s!]);
      for (const gr of grads.values()) g.output(gr!);
    }
    return { g, y: y!, rm: rm!, rv: rv! };
  }
  const feeds = { x: rand(xs, 1, -2, 3), s: rand([3], 2, 0.5, 1.5), b: rand([3], 3), m: rand([3], 4), v: rand([3], 5, 0.5, 2) };

  it('leaves graphs without train-mode BN untouched and does not modify its input', () => {
    const g = new GraphBuilder('plain');
    const x = g.input('x', 'float32', [2, 3]);
    g.output(g.op1('Mul', [x, x]));
    assert.equal(lowerTrainingBatchNorm(g.graph), g.graph);
    const { g: bg } = bnGraph(true);
    const before = bg.graph.nodes.length;
    const lowered = lowerTrainingBatchNorm(bg.graph);
    assert.notEqual(lowered, bg.graph);
    assert.equal(bg.graph.nodes.length, before);
    assert.equal(count(bg.graph, 'BatchNormalization'), 1);
    assert.equal(count(lowered, 'BatchNormalization'), 0);
  });

  it('computes the batch statistics once for forward and backward', () => {
    const lowered = lowerTrainingBatchNorm(bnGraph(true).g.graph);
    // mean and biased variance; the gradient rule's statistics are the same nodes, moved up
    assert.equal(count(lowered, 'ReduceMean'), 2);
    assert.equal(count(lowered, 'Sqrt'), 1);
    const pos = new Map<string, number>();
    lowered.nodes.forEach((nd, i) => nd.outputs.forEach((o) => pos.set(o, i)));
    lowered.nodes.forEach((nd, i) => nd.inputs.forEach((inp) => {
      if (pos.has(inp)) assert.ok(pos.get(inp)! < i, `${nd.name} reads ${inp} before it is computed`);
    }));
  });

  it('matches onnxruntime native Y and running_mean; running_var uses the unbiased variance (PyTorch), ORT the biased one', async () => {
    const { g, y, rm, rv } = bnGraph(false);
    const ours = await runGraph(g.graph, feeds);
    const session = await ort.InferenceSession.create(encodeModel(g.graph), { executionProviders: ['cpu'] });
    const nat = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, toOrt(t)])));
    await session.release();
    const close = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
      for (let i = 0; i < b.length; i++) assert.ok(Math.abs(Number(a[i]) - Number(b[i])) < 1e-5 * (1 + Math.abs(Number(b[i]))), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
    };
    close(ours[y]!.data as Float32Array, nat[y]!.data as Float32Array, 'Y');
    close(ours[rm]!.data as Float32Array, nat[rm]!.data as Float32Array, 'running_mean');
    // (rv' − m·rv): ours blends σ²·n/(n−1), onnxruntime blends σ² (the ONNX spec's literal formula)
    const v = feeds.v.data as Float32Array;
    const oursBlend = Array.from(ours[rv]!.data as Float32Array, (r, i) => r - momentum * v[i]!);
    const natBlend = Array.from(nat[rv]!.data as Float32Array, (r, i) => (r - momentum * v[i]!) * (n / (n - 1)));
    close(oursBlend, natBlend, 'running_var blend');
    assert.ok(Math.abs(oursBlend[0]! - natBlend[0]! * ((n - 1) / n)) > 1e-4, 'the two conventions must differ for this test to mean anything');
  });

  it('an n = 1 batch has no unbiased variance: the lowering says so, naming the node', () => {
    const g = new GraphBuilder('one');
    const x = g.input('x', 'float32', [1, 2]);
    const c = g.constant(tensor('float32', [2], [1, 1]));
    g.op('BatchNormalization', [x, c, c, c, c], { training_mode: 1 }, { outputs: 3, name: 'bn_single' }).forEach((o) => g.output(o));
    assert.throws(() => lowerTrainingBatchNorm(g.graph), /BatchNormalization node 'bn_single'.*more than 1 value/);
  });
});
