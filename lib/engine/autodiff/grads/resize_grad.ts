/**
 * Resize (modes linear and nearest; opset 13–17 attributes). The forward stays an ONNX Resize
 * node. Only the last two axes (H, W) may be resized; per axis the op is a constant matrix
 * (interp-matrix.ts), Y = A_h · X · A_wᵀ, so
 *   dX = A_hᵀ · dY · A_w          (two MatMuls with constant [H,Ho] and [Wo,W]; an axis whose
 *                                  matrix is the identity is skipped; the cheaper order is used)
 * Nearest upsampling by integer factors (every output reads input floor(x/k)) is the cheaper
 *   dX = ReduceSum(Reshape(dY, [..., H, k_h, W, k_w]), axes of k_h, k_w).
 * Unsupported (error naming the node): mode cubic, coordinate_transformation_mode
 * tf_crop_and_resize, exclude_outside=1, any resized axis other than the last two.
 * `resize` builds the forward node for models so that onnxruntime can load it (see there).
 */
import { attrInt, attrString, type Node } from '../../ir/graph.js';
import type { Attrs, GraphBuilder } from '../../ir/builder.js';
import { onnxResizeShapeDisagrees, resizeGeometry, type ResizeGeometry } from '../../ir/shapes/resize-geometry.js';
import { tensor } from '../../ir/tensor.js';
import { registerGrad } from '../registry.js';
import {
  COORD_MODES, NEAREST_MODES, integerUpFactor, interpMatrix, isIdentity, nearestIndices, transpose,
  type AxisInterp, type CoordMode, type NearestMode,
} from './interp-matrix.js';

export class ResizeGradError extends Error {
  constructor(node: Node, msg: string) {
    super(`Resize node '${node.name}': ${msg}`);
    this.name = 'ResizeGradError';
  }
}

/** The interpolation settings of a Resize node, validated for differentiation. */
export function resizeInterp(node: Node): AxisInterp {
  const mode = attrString(node, 'mode', 'nearest');
  const coord = attrString(node, 'coordinate_transformation_mode', 'half_pixel');
  const nearest = attrString(node, 'nearest_mode', 'round_prefer_floor');
  if (mode !== 'linear' && mode !== 'nearest') throw new ResizeGradError(node, `mode '${mode}' has no gradient rule (supported: linear, nearest)`);
  if (!COORD_MODES.includes(coord as CoordMode)) throw new ResizeGradError(node, `coordinate_transformation_mode '${coord}' is not supported (supported: ${COORD_MODES.join(', ')})`);
  if (!NEAREST_MODES.includes(nearest as NearestMode)) throw new ResizeGradError(node, `nearest_mode '${nearest}' is not supported`);
  if (attrInt(node, 'exclude_outside', 0) !== 0) throw new ResizeGradError(node, 'exclude_outside=1 is not supported');
  if (attrInt(node, 'antialias', 0) !== 0) throw new ResizeGradError(node, 'antialias=1 is not supported');
  return { mode, coord: coord as CoordMode, nearest: nearest as NearestMode };
}

/** The geometry of a Resize node in graph g. */
export function resizeGeometryOf(g: GraphBuilder, node: Node): ResizeGeometry {
  const inp = (i: number) => (node.inputs[i] ? node.inputs[i] : undefined);
  const sc = inp(2);
  const sz = inp(3);
  return resizeGeometry(node, g.shape(node.inputs[0]!), sc ? g.constValue(sc) : undefined, sz ? g.constValue(sz) : undefined,
    { scales: sc !== undefined, sizes: sz !== undefined });
}

interface AxisPlan { axis: number; inLen: number; outLen: number; matrix: Float64Array | undefined; upFactor: number }

registerGrad('Resize', ({ g, node, dy, wants }) => {
  if (!wants[0]) return [];
  const it = resizeInterp(node);
  const geo = resizeGeometryOf(g, node);
  const r = geo.inSize.length;
  const plans: AxisPlan[] = [];
  for (let a = 0; a < r; a++) {
    const inLen = geo.inSize[a]!;
    const outLen = geo.outSize[a]!;
    const m = interpMatrix(inLen, outLen, geo.scales[a]!, it);
    const identity = isIdentity(m, outLen, inLen);
    if (!identity && a < r - 2) throw new ResizeGradError(node, `axis ${a} is resized (${inLen} → ${outLen}); the gradient supports resizing the last two axes only`);
    if (identity) continue;
    const up = it.mode === 'nearest' ? integerUpFactor(nearestIndices(inLen, outLen, geo.scales[a]!, it), inLen) : 0;
    plans.push({ axis: a, inLen, outLen, matrix: m, upFactor: up });
  }
  const d = dy[0]!;
  if (plans.length === 0) return [d];
  const dtype = g.dtype(d);
  if (plans.every((p) => p.upFactor > 0)) return [blockSum(g, d, geo.inSize, plans)];

  const row = plans.find((p) => p.axis === r - 2 && r >= 2);
  const col = plans.find((p) => p.axis === r - 1);
  const left = (x: string) => g.op1('MatMul', [g.constant(tensor(dtype, [row!.inLen, row!.outLen], transpose(row!.matrix!, row!.outLen, row!.inLen)), 'resize_AhT'), x]);
  const right = (x: string) => g.op1('MatMul', [x, g.constant(tensor(dtype, [col!.outLen, col!.inLen], col!.matrix!), 'resize_Aw')]);
  if (row === undefined) return [right(d)];
  if (col === undefined) return [left(d)];
  const [H, Ho, W, Wo] = [row.inLen, row.outLen, col.inLen, col.outLen];
  const leftFirst = H * Ho * Wo + H * Wo * W <= Ho * Wo * W + H * Ho * W;
  return [leftFirst ? right(left(d)) : left(right(d))];
});

/** Adjoint of integer nearest upsampling: sum each k_h × k_w block of dY. */
function blockSum(g: GraphBuilder, d: string, inSize: readonly number[], plans: readonly AxisPlan[]): string {
  const split: number[] = [];
  const axes: number[] = [];
  inSize.forEach((n, a) => {
    split.push(n);
    const p = plans.find((q) => q.axis === a);
    if (p !== undefined) {
      split.push(p.upFactor);
      axes.push(split.length - 1);
    }
  });
  const rs = g.op1('Reshape', [d, g.constI64(split)]);
  return g.op1('ReduceSum', [rs, g.constI64(axes)], { keepdims: 0 });
}

/**
 * Resize for models: X resized by constant scales or to constant sizes (one of them). Where
 * ONNX's load-time shape inference would disagree with the kernel's output size (float32
 * rounding of in·scale, see onnxResizeShapeDisagrees), a Reshape to the true shape follows the
 * node so that onnxruntime accepts the graph.
 */
export function resize(g: GraphBuilder, x: string, attrs: Attrs, by: { scales?: readonly number[]; sizes?: readonly number[] }, opts: { name?: string } = {}): string {
  if ((by.scales === undefined) === (by.sizes === undefined)) throw new Error('resize: give exactly one of scales and sizes');
  const sc = by.scales ? g.constant(tensor('float32', [by.scales.length], by.scales), 'resize_scales') : '';
  const inputs = by.sizes ? [x, '', '', g.constI64(by.sizes)] : [x, '', sc];
  const y = g.op1('Resize', inputs, attrs, opts.name ? { name: opts.name } : {});
  const node = g.graph.nodes[g.graph.nodes.length - 1]!;
  return onnxResizeShapeDisagrees(resizeGeometryOf(g, node), by.scales !== undefined) ? g.op1('Reshape', [y, g.constI64(g.shape(y))]) : y;
}
