/** Errors of static shape inference and of the backward pass name the op and the node. */
import assert from 'node:assert/strict';
import { GraphBuilder } from '../../lib/engine/ir/builder.js';
import { ShapeError } from '../../lib/engine/ir/shape-registry.js';
import { backward } from '../../lib/engine/autodiff/backward.js';
import { NoGradientError } from '../../lib/engine/autodiff/registry.js';

function throwsNaming(fn: () => unknown, cls: new (...a: never[]) => Error, ...parts: (string | RegExp)[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`);
    for (const p of parts) assert.match(e.message, typeof p === 'string' ? new RegExp(p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : p);
    return true;
  });
}

describe('shape and gradient errors name the op and the node', () => {
  it('Reshape whose shape is a graph input (not a constant) cannot be resolved statically', () => {
    const g = new GraphBuilder('e1');
    const x = g.input('x', 'float32', [2, 3]);
    const s = g.input('s', 'int64', [2]);
    throwsNaming(() => g.op1('Reshape', [x, s], {}, { name: 'my_reshape' }), ShapeError, 'Reshape', "'my_reshape'", 'not a constant', "'s'");
  });

  it('Slice with non-constant starts is a ShapeError', () => {
    const g = new GraphBuilder('e2');
    const x = g.input('x', 'float32', [4]);
    const st = g.input('st', 'int64', [1]);
    throwsNaming(() => g.op1('Slice', [x, st, g.constI64([3])], {}, { name: 'sl' }), ShapeError, 'Slice', "'sl'", 'starts');
  });

  it('incompatible broadcast shapes raise', () => {
    const g = new GraphBuilder('e3');
    const a = g.input('a', 'float32', [2, 3]);
    const b = g.input('b', 'float32', [4]);
    throwsNaming(() => g.op1('Add', [a, b], {}, { name: 'bad_add' }), ShapeError, 'Add', "'bad_add'", '[2,3]', '[4]', 'broadcast');
    throwsNaming(() => g.op1('Where', [g.input('c', 'bool', [3]), a, b], {}, { name: 'bad_where' }), ShapeError, 'Where', "'bad_where'");
  });

  it('Expand to an incompatible shape, Concat of mismatched inputs and bad Squeeze axes raise', () => {
    const g = new GraphBuilder('e4');
    const x = g.input('x', 'float32', [3, 2]);
    throwsNaming(() => g.op1('Expand', [x, g.constI64([4, 3])], {}, { name: 'ex' }), ShapeError, 'Expand', "'ex'");
    throwsNaming(() => g.op1('Concat', [x, g.input('y', 'float32', [2, 2])], { axis: 1 }, { name: 'cat' }), ShapeError, 'Concat', "'cat'");
    throwsNaming(() => g.op1('Squeeze', [x, g.constI64([0])], {}, { name: 'sq' }), ShapeError, 'Squeeze', "'sq'", 'size 3');
    throwsNaming(() => g.op('Split', [x], { axis: 1 }, { name: 'sp', outputs: 3 }), ShapeError, 'Split', "'sp'");
  });

  it('NonZero has no static shape', () => {
    const g = new GraphBuilder('e5');
    const x = g.input('x', 'float32', [3]);
    throwsNaming(() => g.op1('NonZero', [x], {}, { name: 'nz' }), ShapeError, 'NonZero', "'nz'", 'depends on the data');
  });

  it('LayerNormalization: statistic outputs keep the outer axes; bad axis, Scale/B shape or stash_type raise', () => {
    const g = new GraphBuilder('e8');
    const x = g.input('x', 'float32', [2, 3, 4]);
    const s = g.input('s', 'float32', [3, 4]);
    const [y, mean, inv] = g.op('LayerNormalization', [x, s], { axis: 1 }, { outputs: 3 });
    assert.deepEqual([g.shape(y!), g.shape(mean!), g.shape(inv!)], [[2, 3, 4], [2, 1, 1], [2, 1, 1]]);
    throwsNaming(() => g.op1('LayerNormalization', [x, s], { axis: 3 }, { name: 'ln_axis' }), ShapeError, 'LayerNormalization', "'ln_axis'", 'axis 3');
    throwsNaming(() => g.op1('LayerNormalization', [x, s], {}, { name: 'ln_scale' }), ShapeError, "'ln_scale'", 'input 1 [3,4]', '[4]');
    throwsNaming(() => g.op1('LayerNormalization', [x, s, g.input('b', 'float32', [4])], { axis: -2 }, { name: 'ln_bias' }), ShapeError, "'ln_bias'", 'input 2 [4]');
    throwsNaming(() => g.op1('LayerNormalization', [x, s], { axis: 1, stash_type: 0 }, { name: 'ln_stash' }), ShapeError, "'ln_stash'", 'stash_type 0');
  });

  it('an op with no gradient rule on the path from the loss raises NoGradientError', () => {
    const g = new GraphBuilder('e6');
    const x = g.input('x', 'float32', [2, 3]);
    const w = g.input('w', 'float32', [3]);
    const y = g.op1('Floor', [g.op1('Mul', [x, w])], {}, { name: 'the_floor' });
    const loss = g.op1('ReduceSum', [y], { keepdims: 0 });
    throwsNaming(() => backward(g, loss, [w]), NoGradientError, 'Floor', "'the_floor'");
  });

  it('an op with no gradient rule off the path is fine', () => {
    const g = new GraphBuilder('e7');
    const x = g.input('x', 'float32', [2, 3]);
    const w = g.input('w', 'float32', [3]);
    const off = g.op1('Floor', [x]);
    const loss = g.op1('ReduceSum', [g.op1('Mul', [off, w])], { keepdims: 0 });
    assert.ok(backward(g, loss, [w]).get(w) !== undefined);
  });
});
