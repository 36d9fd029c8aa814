/**
 * EXPERIMENT (benchmark only, not used by training): run the step's convolutions on
 * onnxruntime's NCHWc kernels although their weights are graph inputs.
 *
 * onnxruntime's CPU optimizer rewrites Conv into its blocked-layout kernels
 * (com.microsoft.nchwc.Conv) only when the weight is a constant initializer; a training step
 * feeds weights as inputs, so every Conv runs on the slower plain NCHW path. The nchwc Conv
 * kernel itself accepts a runtime weight in the blocked layout OIHW(Bi)(Bo), which is a
 * Reshape + Transpose of the ordinary [M, C, kh, kw] weight:
 *   Wb = Reshape(Transpose(Reshape(W, [M/B, B, C/B, B, kh, kw]), [0, 2, 4, 5, 3, 1]), [M, C, kh, kw])
 * and the activations go through ReorderInput / ReorderOutput (NCHW ↔ NCHW{B}c). The block
 * size B (16 with AVX-512, 8 with AVX2) is read from a probe: a constant-weight Conv optimized
 * by onnxruntime, whose reordered weight is compared with both layouts.
 *
 * `lowerConvsToNchwc` rewrites every group-1 2-D Conv whose channel counts are multiples of B;
 * `withNchwcOpset` appends the com.microsoft.nchwc opset import to encoded model bytes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { attrInt, attrInts, type Graph, type Node } from '../lib/engine/ir/graph.js';
import { GraphBuilder } from '../lib/engine/ir/builder.js';
import { tensor } from '../lib/engine/ir/tensor.js';
import { decodeModel } from '../lib/engine/onnx/decode.js';
import { encodeModel } from '../lib/engine/onnx/encode.js';
import { ProtoWriter } from '../lib/engine/onnx/wire.js';

export const NCHWC = 'com.microsoft.nchwc';

/** The NCHWc block size of this CPU, or undefined when onnxruntime does not use NCHWc here. */
export async function probeNchwcBlock(): Promise<number | undefined> {
  const c = 32;
  const g = new GraphBuilder('probe');
  const x = g.input('x', 'float32', [1, c, 6, 6]);
  const wv = Float32Array.from({ length: c * c * 9 }, (_, i) => i);
  const w = g.initializer('w', tensor('float32', [c, c, 3, 3], wv));
  g.output(g.op1('Conv', [x, w], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nchwc-probe-'));
  const file = path.join(dir, 'opt.onnx');
  try {
    const s = await ort.InferenceSession.create(encodeModel(g.graph), { graphOptimizationLevel: 'all', optimizedModelFilePath: file, logSeverityLevel: 3 });
    await s.release();
    const m = decodeModel(fs.readFileSync(file));
    const conv = m.graph.nodes.find((n) => n.op === 'Conv' && n.domain === NCHWC);
    const rw = conv && m.graph.initializers.get(conv.inputs[1]!);
    if (!rw) return undefined;
    for (const b of [16, 8, 4]) {
      const expect = blocked(wv, c, c, 3, 3, b);
      if (expect.every((v, i) => v === (rw.data as Float32Array)[i])) return b;
    }
    return undefined;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** OIHW → OIHW(Bi)(Bo) in plain JS (for the probe). */
function blocked(w: Float32Array, m: number, c: number, kh: number, kw: number, b: number): Float32Array {
  const out = new Float32Array(w.length);
  let o = 0;
  for (let mo = 0; mo < m / b; mo++) for (let co = 0; co < c / b; co++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
    for (let ci = 0; ci < b; ci++) for (let mi = 0; mi < b; mi++) out[o++] = w[(((mo * b + mi) * c + co * b + ci) * kh + i) * kw + j]!;
  }
  return out;
}

/** A copy of `graph` with eligible Conv nodes on NCHWc kernels. Returns the graph and the count. */
export function lowerConvsToNchwc(graph: Graph, block: number): { graph: Graph; converted: number } {
  const g = new GraphBuilder({ ...graph, nodes: [], inputs: [...graph.inputs], outputs: [...graph.outputs], initializers: new Map(graph.initializers), values: new Map(graph.values) });
  const nodes: Node[] = [];
  let converted = 0;
  const int64 = (vals: number[]) => g.constant(tensor('int64', [vals.length], vals), 'nchwc_shape');
  for (const n of graph.nodes) {
    const ws = n.op === 'Conv' && !n.domain ? graph.values.get(n.inputs[1]!)?.shape : undefined;
    const ok = ws !== undefined && ws.length === 4 && attrInt(n, 'group', 1) === 1 && ws[0]! % block === 0 && ws[1]! % block === 0
      && (attrInts(n, 'strides', [1, 1]) ?? [1, 1]).every((s) => s <= 2);
    if (!ok) { nodes.push(n); continue; }
    const [m, c, kh, kw] = ws as [number, number, number, number];
    const id = `${n.name}/nchwc`;
    const mk = (op: string, inputs: string[], outputs: string[], attrs: Node['attrs'] = {}, domain?: string): Node => ({ op, name: `${id}/${op}_${outputs[0]}`, inputs, outputs, attrs, ...(domain ? { domain } : {}) });
    const xb = `${id}/x`, w6 = `${id}/w6`, wt = `${id}/wt`, wb = `${id}/w`, yb = `${id}/y`;
    nodes.push(mk('ReorderInput', [n.inputs[0]!], [xb], { channels_last: { kind: 'int', value: 0 } }, NCHWC));
    nodes.push(mk('Reshape', [n.inputs[1]!, int64([m / block, block, c / block, block, kh, kw])], [w6]));
    nodes.push(mk('Transpose', [w6], [wt], { perm: { kind: 'ints', value: [0, 2, 4, 5, 3, 1] } }));
    nodes.push(mk('Reshape', [wt, int64([m, c, kh, kw])], [wb]));
    nodes.push({ ...n, name: `${id}/conv`, domain: NCHWC, inputs: [xb, wb, ...n.inputs.slice(2)], outputs: [yb] });
    nodes.push(mk('ReorderOutput', [yb], [n.outputs[0]!], { channels_last: { kind: 'int', value: 0 }, channels: { kind: 'int', value: m } }, NCHWC));
    converted++;
  }
  g.graph.nodes = nodes;
  return { graph: g.graph, converted };
}

/** Model bytes with an extra opset import for com.microsoft.nchwc (ModelProto field 8). */
export function withNchwcOpset(bytes: Uint8Array): Uint8Array {
  const extra = new ProtoWriter().message(8, new ProtoWriter().string(1, NCHWC).int(2, 1)).finish();
  const out = new Uint8Array(bytes.length + extra.length);
  out.set(bytes);
  out.set(extra, bytes.length);
  return out;
}
