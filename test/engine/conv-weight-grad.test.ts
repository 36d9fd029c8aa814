/**
 * The dW formulations of conv-util.ts against a direct float64 evaluation of
 *   dW[m,c,i,j] = Σ_{n,y,x} dY[n,m,y,x] · Xpad[n, c, y·s + i·d, x·s + j·d]
 * (depthwise: m = c, one input channel per filter) on geometries with strides, dilations,
 * asymmetric pads, rows/columns no window reads and kernel taps that read only padding. Group 1:
 * 'gather' (one im2col Gather + one Gemm, the default), 'gather-pad' (the same over a spatially
 * padded copy), 'conv' (one Conv with dY as the kernel, the default for C ≤ 4) and 'taps' (one
 * Slice + Gemm per kernel tap); depthwise: 'conv' (one
 * grouped Conv with dY as the kernel, the default) and 'taps' (Slice · dY, ReduceSum per tap).
 */
import assert from 'node:assert/strict';
import { conv2d, convGradTuning, convWeightGrad, type ConvWeightGradMethod, type DepthwiseWeightGradMethod } from '../../lib/engine/autodiff/grads/conv-util.js';
import { GraphBuilder } from '../../lib/engine/ir/builder.js';
import type { Graph } from '../../lib/engine/ir/graph.js';
import { f32 } from '../../lib/engine/ir/tensor.js';
import { runGraph } from '../../lib/engine/runtime/run-graph.js';

interface Geo { x: [number, number, number, number]; w: [number, number, number, number]; s: [number, number]; d: [number, number]; pads: [number, number, number, number] }

const GEOS: Geo[] = [
  { x: [2, 3, 7, 9], w: [4, 3, 3, 3], s: [1, 1], d: [1, 1], pads: [1, 1, 1, 1] },
  { x: [2, 3, 8, 7], w: [5, 3, 3, 3], s: [2, 2], d: [1, 1], pads: [1, 1, 1, 1] },
  { x: [1, 2, 9, 10], w: [3, 2, 3, 3], s: [1, 1], d: [2, 3], pads: [2, 3, 2, 3] },
  { x: [2, 3, 11, 10], w: [4, 3, 7, 7], s: [2, 2], d: [1, 1], pads: [3, 3, 3, 3] },
  { x: [2, 2, 8, 9], w: [3, 2, 2, 3], s: [3, 2], d: [1, 1], pads: [0, 1, 2, 0] },
  // dilation above the height: the taps of the first and last kernel rows read only padding (dead)
  { x: [2, 6, 5, 7], w: [3, 6, 3, 3], s: [1, 1], d: [6, 4], pads: [6, 4, 6, 4] },
  { x: [1, 8, 6, 5], w: [4, 8, 3, 3], s: [1, 1], d: [1, 1], pads: [1, 1, 1, 1] },
];
/** Index of the GEOS entry with dead taps, and its live taps (the middle kernel row). */
const DEAD = 5;

/** Depthwise geometries (w [C,1,kh,kw], group C); the last two leave rows/columns that no window reads. */
const DW_GEOS: Geo[] = [
  { x: [2, 4, 7, 9], w: [4, 1, 3, 3], s: [1, 1], d: [1, 1], pads: [1, 1, 1, 1] },
  { x: [3, 3, 8, 7], w: [3, 1, 3, 3], s: [2, 2], d: [1, 1], pads: [0, 0, 1, 1] },
  { x: [2, 5, 9, 10], w: [5, 1, 3, 3], s: [1, 1], d: [2, 3], pads: [2, 3, 2, 3] },
  { x: [2, 3, 10, 11], w: [3, 1, 3, 3], s: [2, 2], d: [1, 1], pads: [0, 0, 0, 0] },
  { x: [1, 2, 12, 9], w: [2, 1, 5, 3], s: [3, 2], d: [1, 1], pads: [1, 0, 2, 1] },
];

const vals = (n: number, k: number) => Array.from({ length: n }, (_, i) => Math.sin(0.37 * i + k) * (1 + (i % 5) / 4));

function direct(geo: Geo, xv: number[], dyv: number[], ho: number, wo: number, depthwise = false): number[] {
  const [N, C, H, W] = geo.x;
  const [M, Cg, KH, KW] = geo.w;
  const out = new Array<number>(M * Cg * KH * KW).fill(0);
  for (let m = 0; m < M; m++) for (let cg = 0; cg < Cg; cg++) for (let i = 0; i < KH; i++) for (let j = 0; j < KW; j++) {
    const c = depthwise ? m : cg;
    let acc = 0;
    for (let n = 0; n < N; n++) for (let y = 0; y < ho; y++) for (let x = 0; x < wo; x++) {
      const r = y * geo.s[0] + i * geo.d[0] - geo.pads[0];
      const q = x * geo.s[1] + j * geo.d[1] - geo.pads[1];
      if (r < 0 || r >= H || q < 0 || q >= W) continue;
      acc += dyv[((n * M + m) * ho + y) * wo + x]! * xv[((n * C + c) * H + r) * W + q]!;
    }
    out[((m * Cg + cg) * KH + i) * KW + j] = acc;
  }
  return out;
}

/**
 * Builds Conv(x, w) on `geo` (group C when depthwise), forms dW with the current convGradTuning,
 * runs it and checks it against `direct`; returns the graph for structural checks.
 */
async function checkDw(geo: Geo, k: number, depthwise: boolean): Promise<Graph> {
  const g = new GraphBuilder(depthwise ? 'dw_depthwise' : 'dw');
  const x = g.input('x', 'float32', geo.x);
  const w = g.input('w', 'float32', geo.w);
  const y = g.op1('Conv', [x, w], { strides: geo.s, dilations: geo.d, pads: geo.pads, kernel_shape: [geo.w[2], geo.w[3]], ...(depthwise ? { group: geo.x[1] } : {}) });
  const [, , ho, wo] = g.shape(y) as [number, number, number, number];
  const dy = g.input('dy', 'float32', g.shape(y));
  const p = conv2d(g, g.graph.nodes.find((n) => n.op === 'Conv')!);
  assert.equal(p.depthwise, depthwise);
  const dw = convWeightGrad(g, p, x, dy);
  g.output(dw);
  const xv = vals(geo.x.reduce((a, b) => a * b, 1), k), dyv = vals(g.shape(y).reduce((a, b) => a * b, 1), (depthwise ? 20 : 10) + k);
  const r = await runGraph(g.graph, { x: f32(geo.x, xv), w: f32(geo.w, vals(geo.w.reduce((a, b) => a * b, 1), 3)), dy: f32(g.shape(y), dyv) });
  assert.deepEqual(r[dw]!.shape, geo.w);
  const got = Array.from(r[dw]!.data as Float32Array);
  const want = direct(geo, xv, dyv, ho, wo, depthwise);
  const scale = Math.max(...want.map(Math.abs));
  want.forEach((v, i) => assert.ok(Math.abs(got[i]! - v) <= 1e-5 * scale, `geometry ${k} dW[${i}]: ${got[i]} vs ${v}`));
  return g.graph;
}

/** Runs `fn` with one convGradTuning knob set, restoring it afterwards. */
async function withTuning<K extends keyof typeof convGradTuning>(key: K, value: (typeof convGradTuning)[K], fn: () => Promise<void>): Promise<void> {
  const saved = convGradTuning[key];
  convGradTuning[key] = value;
  try {
    await fn();
  } finally {
    convGradTuning[key] = saved;
  }
}

describe('conv weight gradient: gather, gather-pad, conv and taps formulations', () => {
  for (const method of ['gather', 'gather-pad', 'conv', 'taps'] as ConvWeightGradMethod[]) {
    it(`'${method}' matches a direct float64 evaluation on strided, dilated and padded geometries`, () => withTuning('convWeightGradMaxC', 0, () => withTuning('weightGrad', method, async () => {
      for (const [k, geo] of GEOS.entries()) {
        const { nodes } = await checkDw(geo, k, false);
        const k2 = geo.w[2] * geo.w[3];
        if (method.startsWith('gather') && k2 > 1) assert.equal(nodes.filter((n) => n.op === 'Gemm').length, 1);
        if (method === 'conv' && k2 > 1) assert.equal(nodes.filter((n) => n.op === 'Conv').length, 2);
      }
    })));
  }

  it("'gather' leaves dead taps out of the im2col: 3 of 9 taps gathered when the dilation exceeds the height", () => withTuning('convWeightGradMaxC', 0, async () => {
    const graph = await checkDw(GEOS[DEAD]!, DEAD, false);
    const gathers = graph.nodes.filter((n) => n.op === 'Gather');
    assert.equal(gathers.length, 2, 'the im2col Gather and the Gather that puts the live taps in place');
    assert.deepEqual(graph.values.get(gathers[0]!.inputs[1]!)?.shape, [2 * 5 * 7, 3]);
  }));

  it('by default a convolution with at most 4 input channels forms dW by one Conv, a wider one by the Gather', async () => {
    const first = (await checkDw(GEOS[0]!, 0, false)).nodes; // C = 3
    assert.equal(first.filter((n) => n.op === 'Conv').length, 2);
    assert.equal(first.filter((n) => n.op === 'Gather').length, 0);
    const wide = (await checkDw(GEOS[6]!, 6, false)).nodes; // C = 8
    assert.equal(wide.filter((n) => n.op === 'Gather').length, 1);
  });
});

describe('conv weight gradient: depthwise conv and taps formulations', () => {
  for (const method of ['conv', 'taps'] as DepthwiseWeightGradMethod[]) {
    it(`'${method}' matches a direct float64 evaluation on strided, dilated and padded geometries`, () => withTuning('depthwiseWeightGrad', method, async () => {
      for (const [k, geo] of DW_GEOS.entries()) {
        const { nodes } = await checkDw(geo, k, true);
        // 'conv' forms dW with one Conv besides the forward one
        if (method === 'conv') assert.equal(nodes.filter((n) => n.op === 'Conv').length, 2);
      }
    }));
  }
});
