/**
 * AveragePool: Y[n,c,o] = (1/cnt(o)) Σ_{i ∈ window(o) ∩ X} X[n,c,i], so the exact adjoint is
 *   dX[n,c,i] = Σ_{o : i ∈ window(o)} dY[n,c,o] / cnt(o),
 * a ConvTranspose of dY (viewed as [N·C, 1, out...]) with a constant all-ones kernel [1,1,k...]
 * and the forward's strides and pads. The divisor is separable, cnt(o) = Π_axes cnt_a(o_a), with,
 * per axis (start = o·s − pb, end = min(start + k, in + pe)):
 *   count_include_pad=1: cnt_a = end − start          (windows clipped to the padded input)
 *   count_include_pad=0: cnt_a = min(end, in) − max(start, 0)
 * (PyTorch's and onnxruntime's rule, ceil_mode included). A constant divisor is folded into the
 * kernel (one ConvTranspose); a varying one is a constant map [out...] multiplied into dY first.
 * A ceil_mode window that overhangs the padded input widens the end pad of the ConvTranspose so
 * its output is exactly in; otherwise output_padding = in + pe − ((o−1)s + k − pb) ∈ [0, s−1].
 *
 * `averagePool` builds the forward pool for models so that onnxruntime can load it (see there).
 */
import type { Attrs, GraphBuilder } from '../../ir/builder.js';
import { toAttr } from '../../ir/attrs.js';
import { attrInt, attrString, type Attr, type Node } from '../../ir/graph.js';
import { floorModeEndPads, onnxPoolShapeDisagrees, poolGeometry, type PoolGeometry } from '../../ir/shapes/pool-geometry.js';
import { tensor } from '../../ir/tensor.js';
import { registerGrad } from '../registry.js';

/** Per-axis divisors cnt_a(o) of an AveragePool node. */
export function averagePoolCounts(geo: PoolGeometry, countIncludePad: boolean): number[][] {
  return geo.outSize.map((outLen, a) => {
    const [k, s, pb, pe, n] = [geo.kernel[a]!, geo.strides[a]!, geo.padsBegin[a]!, geo.padsEnd[a]!, geo.inSize[a]!];
    const c: number[] = [];
    for (let o = 0; o < outLen; o++) {
      const start = o * s - pb;
      const end = Math.min(start + k, n + pe);
      c.push(countIncludePad ? end - start : Math.max(0, Math.min(end, n) - Math.max(start, 0)));
    }
    return c;
  });
}

function checkSupported(node: Node, geo: PoolGeometry): void {
  if (geo.dilations.some((d) => d !== 1)) throw new Error(`AveragePool node '${node.name}': dilations ≠ 1 have no gradient rule`);
}

registerGrad('AveragePool', ({ g, node, dy, wants }) => {
  if (!wants[0] || dy[0] === undefined) return [undefined];
  const x = node.inputs[0]!;
  const xs = g.shape(x);
  const dtype = g.dtype(x);
  const geo = poolGeometry(node, xs);
  checkSupported(node, geo);
  const counts = averagePoolCounts(geo, attrInt(node, 'count_include_pad', 0) === 1);
  const uniform = counts.every((c) => c.every((v) => v === c[0]));
  let d = dy[0];
  let kernelValue = 1;
  if (uniform) {
    kernelValue = 1 / counts.reduce((p, c) => p * c[0]!, 1);
  } else {
    const inv: number[] = [];
    const rec = (a: number, prod: number): void => {
      if (a === counts.length) { inv.push(prod === 0 ? 0 : 1 / prod); return; }
      for (const v of counts[a]!) rec(a + 1, prod * v);
    };
    rec(0, 1);
    d = g.op1('Mul', [d, g.constant(tensor(dtype, geo.outSize, inv), 'avgpool_inv_count')]);
  }
  const [N, C] = [xs[0]!, xs[1]!];
  const d4 = g.op1('Reshape', [d, g.constI64([N * C, 1, ...geo.outSize])]);
  const kernel = g.constant(tensor(dtype, [1, 1, ...geo.kernel], new Array(geo.kernel.reduce((p, k) => p * k, 1)).fill(kernelValue)), 'avgpool_kernel');
  const padsEnd: number[] = [];
  const outPad: number[] = [];
  geo.outSize.forEach((o, a) => {
    const [k, s, pb, pe, n] = [geo.kernel[a]!, geo.strides[a]!, geo.padsBegin[a]!, geo.padsEnd[a]!, geo.inSize[a]!];
    const t = (o - 1) * s + k - pb;
    if (t > n + pe) { padsEnd.push(t - n); outPad.push(0); } else { padsEnd.push(pe); outPad.push(n + pe - t); }
  });
  const dx = g.op1('ConvTranspose', [d4, kernel], {
    kernel_shape: geo.kernel, strides: geo.strides, pads: [...geo.padsBegin, ...padsEnd],
    ...(outPad.some((p) => p !== 0) ? { output_padding: outPad } : {}),
  });
  return [g.op1('Reshape', [dx, g.constI64(xs)])];
});

/**
 * AveragePool for models. A ceil_mode=1 pool whose last-window rule drops a window gets a wrong
 * shape from ONNX's shape inference inside onnxruntime, which then refuses the graph at
 * optimisation levels ≥ basic wherever that output meets a tensor of the true shape. So:
 * count_include_pad=0 is written as the identical floor-mode pool with widened end pads;
 * count_include_pad=1 (whose divisor depends on the original pads) keeps the node and follows it
 * with a Reshape to the true shape, which onnxruntime's inference takes from the constant.
 */
export function averagePool(g: GraphBuilder, x: string, attrs: Attrs, opts: { name?: string } = {}): string {
  const tagged: Record<string, Attr> = {};
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) tagged[k] = toAttr(k, v);
  const probe: Node = { op: 'AveragePool', name: opts.name ?? 'averagePool', inputs: [x], outputs: [], attrs: tagged };
  const nameOpt = opts.name ? { name: opts.name } : {};
  const geo = poolGeometry(probe, g.shape(x));
  if (!['NOTSET', 'VALID'].includes(attrString(probe, 'auto_pad', 'NOTSET')) || !onnxPoolShapeDisagrees(geo)) return g.op1('AveragePool', [x], attrs, nameOpt);
  const pe = attrInt(probe, 'count_include_pad', 0) === 0 ? floorModeEndPads(geo) : undefined;
  if (pe !== undefined) {
    const { auto_pad: _drop, ...rest } = attrs;
    return g.op1('AveragePool', [x], { ...rest, ceil_mode: 0, pads: [...geo.padsBegin, ...pe] }, nameOpt);
  }
  const y = g.op1('AveragePool', [x], attrs, nameOpt);
  return g.op1('Reshape', [y, g.constI64(g.shape(y))]);
}
