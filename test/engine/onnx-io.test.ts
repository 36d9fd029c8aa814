/**
 * ONNX import/export: decoder round trip and robustness, import of a model written by
 * torch.onnx.export (forward and gradients against PyTorch, test/fixtures/models/small_torch.*
 * from tools/pytorch/export_small_model.py), and inference export checked with Python
 * onnxruntime and PyTorch's eval-mode output.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { backward } from '../../lib/engine/autodiff/backward.js';
import type { Graph, Node } from '../../lib/engine/ir/graph.js';
import { tensor, type TensorData } from '../../lib/engine/ir/tensor.js';
import { decodeModel, OnnxDecodeError } from '../../lib/engine/onnx/decode.js';
import { encodeGraph, encodeModel, encodeTensor } from '../../lib/engine/onnx/encode.js';
import { inferenceGraph, saveInferenceModel } from '../../lib/engine/onnx/export.js';
import { ImportError, importModel } from '../../lib/engine/onnx/import.js';
import { ProtoWriter } from '../../lib/engine/onnx/wire.js';
import { runGraph } from '../../lib/engine/runtime/run-graph.js';

const MODEL = path.resolve(process.cwd(), 'test/fixtures/models/small_torch.onnx');
const REF = path.resolve(process.cwd(), 'test/fixtures/models/small_torch.json');

interface Summary { shape: number[]; mean: number; std: number; min: number; max: number; l2: number; max_abs: number; indices: number[]; values: number[]; head: number[] }
interface Reference {
  input_name: string; output_name: string; input_shape: number[]; num_parameters: number;
  forward_train: Summary; forward_eval: Summary; loss: number; grads: Record<string, Summary>;
}

/** The fixture's input and loss weights: exact formulas of the flat index (see the Python tool). */
const formulaInput = (n: number) => Float32Array.from({ length: n }, (_, i) => ((i * 37 + 11) % 101) / 50 - 1);
const formulaWeights = (n: number) => Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 1000) / 500 - 1);

/**
 * One relative error for a tensor against its PyTorch summary: the largest of
 * max|a−b|/max|b| over the sampled values and the first 16 values, and the relative errors
 * of the L2 norm and of max|.|.
 */
function summaryErr(got: ArrayLike<number>, ref: Summary): number {
  const scale = Math.max(ref.max_abs, 1e-12);
  let err = 0;
  ref.indices.forEach((j, k) => { err = Math.max(err, Math.abs(got[j]! - ref.values[k]!) / scale); });
  ref.head.forEach((v, j) => { err = Math.max(err, Math.abs(got[j]! - v) / scale); });
  let ss = 0;
  let mx = 0;
  for (let i = 0; i < got.length; i++) { ss += got[i]! * got[i]!; mx = Math.max(mx, Math.abs(got[i]!)); }
  err = Math.max(err, Math.abs(Math.sqrt(ss) - ref.l2) / Math.max(ref.l2, 1e-12), Math.abs(mx - ref.max_abs) / scale);
  return err;
}

function python(code: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('python3', ['-c', code, ...args], { encoding: 'utf8', timeout: 60000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

describe('ONNX decode', () => {
  it('round-trips a graph with every attribute kind and every dtype through encode → decode', () => {
    const attrs: Node['attrs'] = {
      i: { kind: 'int', value: -7 },
      big: { kind: 'int', value: 2 ** 40 + 3 },
      f: { kind: 'float', value: 0.1 },
      s: { kind: 'string', value: 'héllo' },
      t: { kind: 'tensor', value: tensor('int64', [2, 2], [1, -2, 3, 2 ** 33]) },
      is: { kind: 'ints', value: [1, -1, 0, 123456789] },
      fs: { kind: 'floats', value: [1.5, -2.25, 1e-3] },
      ss: { kind: 'strings', value: ['a', '', 'c'] },
      e: { kind: 'ints', value: [] },
    };
    const inits = new Map<string, TensorData>([
      ['w32', tensor('float32', [2, 3], [1, 2, 3, -4, 5.5, 6])],
      ['w64', tensor('float64', [3], [Math.PI, -1e-300, 2])],
      ['i64', tensor('int64', [2], [-(2 ** 40), 5])],
      ['i32', tensor('int32', [1, 2], [-3, 2 ** 31 - 1])],
      ['u8', tensor('uint8', [3], [0, 128, 255])],
      ['b', tensor('bool', [2], [1, 0])],
      ['scalar', tensor('float32', [], [2.5])],
      ['empty', tensor('float32', [0, 4], [])],
    ]);
    const g: Graph = {
      name: 'rt',
      nodes: [{ op: 'MyOp', name: 'n0', inputs: ['x', '', 'w32'], outputs: ['y', 'z'], attrs, domain: 'test.domain' }],
      inputs: [{ name: 'x', dtype: 'float32', shape: [2, 3] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [4] }, { name: 'z', dtype: 'int64', shape: [] }],
      initializers: inits,
      values: new Map([['x', { name: 'x', dtype: 'float32', shape: [2, 3] }], ['y', { name: 'y', dtype: 'float32', shape: [4] }],
        ['z', { name: 'z', dtype: 'int64', shape: [] }]]),
    };
    const m = decodeModel(encodeModel(g, { valueInfo: true }));
    assert.equal(m.irVersion, 8);
    assert.deepEqual(m.opsetImports, [{ domain: '', version: 17 }]);
    assert.equal(m.graph.name, 'rt');
    const n = m.graph.nodes[0]!;
    assert.deepEqual({ ...n, attrs: undefined }, { op: 'MyOp', name: 'n0', inputs: ['x', '', 'w32'], outputs: ['y', 'z'], attrs: undefined, domain: 'test.domain' });
    const want: Record<string, unknown> = { ...attrs, f: { kind: 'float', value: Math.fround(0.1) }, fs: { kind: 'floats', value: [1.5, -2.25, Math.fround(1e-3)] } };
    assert.deepEqual(Object.keys(n.attrs).sort(), Object.keys(want).sort());
    for (const [k, a] of Object.entries(n.attrs)) {
      if (a.kind === 'tensor') {
        assert.equal(a.value.dtype, 'int64');
        assert.deepEqual(a.value.shape, [2, 2]);
        assert.deepEqual(Array.from(a.value.data as BigInt64Array), [1n, -2n, 3n, 2n ** 33n]);
      } else assert.deepEqual(a, want[k], `attribute ${k}`);
    }
    assert.deepEqual([...m.graph.initializers.keys()], [...inits.keys()]);
    for (const [k, t] of inits) {
      const d = m.graph.initializers.get(k)!;
      assert.equal(d.dtype, t.dtype, k);
      assert.deepEqual(d.shape, t.shape, k);
      assert.deepEqual(Array.from(d.data as ArrayLike<number>), Array.from(t.data as ArrayLike<number>), k);
    }
    assert.deepEqual(m.graph.inputs, [{ name: 'x', elemType: 1, dtype: 'float32', shape: [2, 3] }]);
    assert.deepEqual(m.graph.outputs.map((o) => [o.name, o.dtype, o.shape]), [['y', 'float32', [4]], ['z', 'int64', []]]);
  });

  it('reads packed and unpacked repeated fields, typed data fields and symbolic dims alike', () => {
    // TensorProto with unpacked dims and one fixed32 per float_data element
    const t1 = new ProtoWriter().int(1, 2).int(1, 2).int(2, 1).string(8, 'unpacked_f');
    for (const v of [1, -2, 3.5, 4]) t1.float(4, v);
    const t2 = new ProtoWriter().packedInts(1, [3]).int(2, 1).string(8, 'packed_f').packedFloats(4, [0.5, 1.5, -2.5]);
    const t3 = new ProtoWriter().packedInts(1, [3]).int(2, 7).string(8, 'packed_i64').packedInts(7, [-1, 2 ** 35, 0]);
    const t4 = new ProtoWriter().int(1, 2).int(2, 7).string(8, 'unpacked_i64').int(7, -5n).int(7, 6);
    const t5 = new ProtoWriter().packedInts(1, [3]).int(2, 9).string(8, 'bool_i32').packedInts(5, [1, 0, 1]);
    const dbl = new ProtoWriter(); // double_data: one fixed64 per element is not written by ProtoWriter; packed form
    const dv = new DataView(new ArrayBuffer(16));
    dv.setFloat64(0, 0.1, true);
    dv.setFloat64(8, -3, true);
    dbl.packedInts(1, [2]).int(2, 11).string(8, 'packed_f64').bytes(10, new Uint8Array(dv.buffer));
    const t6 = new ProtoWriter().packedInts(1, [2]).int(2, 6).string(8, 'i32').int(5, -7).int(5, 8);
    const attrPacked = new ProtoWriter().string(1, 'axes').packedInts(8, [0, -1, 2]).int(20, 7);
    const attrPackedF = new ProtoWriter().string(1, 'scales').packedFloats(7, [1, 2]).int(20, 6);
    const attrUntyped = new ProtoWriter().string(1, 'alpha').float(2, 0.25);
    const node = new ProtoWriter().string(1, 'x').string(2, 'y').string(3, 'n').string(4, 'Foo')
      .message(5, attrPacked).message(5, attrPackedF).message(5, attrUntyped);
    const typeProto = (shapeProto: ProtoWriter) => new ProtoWriter().message(1, new ProtoWriter().int(1, 1).message(2, shapeProto));
    const shape = new ProtoWriter().message(1, new ProtoWriter().string(2, 'batch')).message(1, new ProtoWriter().int(1, 3)).message(1, new ProtoWriter());
    const input = new ProtoWriter().string(1, 'x').message(2, typeProto(shape));
    const graph = new ProtoWriter().message(1, node).string(2, 'packed')
      .message(5, t1).message(5, t2).message(5, t3).message(5, t4).message(5, t5).message(5, dbl).message(5, t6).message(11, input);
    const model = new ProtoWriter().int(1, 8).message(7, graph).message(8, new ProtoWriter().int(2, 17)).finish();
    const m = decodeModel(model);
    const v = (k: string) => Array.from(m.graph.initializers.get(k)!.data as ArrayLike<number | bigint>, Number);
    assert.deepEqual(m.graph.initializers.get('unpacked_f')!.shape, [2, 2]);
    assert.deepEqual(v('unpacked_f'), [1, -2, 3.5, 4]);
    assert.deepEqual(v('packed_f'), [0.5, 1.5, -2.5]);
    assert.deepEqual(v('packed_i64'), [-1, 2 ** 35, 0]);
    assert.deepEqual(v('unpacked_i64'), [-5, 6]);
    assert.equal(m.graph.initializers.get('bool_i32')!.dtype, 'bool');
    assert.deepEqual(v('bool_i32'), [1, 0, 1]);
    assert.deepEqual(v('packed_f64'), [0.1, -3]);
    assert.deepEqual(v('i32'), [-7, 8]);
    const a = m.graph.nodes[0]!.attrs;
    assert.deepEqual(a['axes'], { kind: 'ints', value: [0, -1, 2] });
    assert.deepEqual(a['scales'], { kind: 'floats', value: [1, 2] });
    assert.deepEqual(a['alpha'], { kind: 'float', value: 0.25 });
    assert.deepEqual(m.graph.inputs[0]!.shape, ['batch', 3, null]);
  });

  it('rejects empty, truncated and corrupt files with a clear error', () => {
    const bytes = new Uint8Array(fs.readFileSync(MODEL));
    assert.throws(() => decodeModel(new Uint8Array(0)), /empty/);
    for (const cut of [7, 1000, Math.floor(bytes.length / 2), bytes.length - 3]) {
      assert.throws(() => decodeModel(bytes.subarray(0, cut)), (e: Error) => e instanceof OnnxDecodeError && /truncated/.test(e.message), `cut at ${cut}`);
    }
    assert.throws(() => decodeModel(new TextEncoder().encode('this is a text file, not an ONNX model\n')), OnnxDecodeError);
    const garbage = Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24);
    assert.throws(() => decodeModel(garbage), OnnxDecodeError);
  });

  it('names the tensor or node of unsupported features: external data, subgraphs, float16', () => {
    const wrap = (graph: ProtoWriter) => new ProtoWriter().int(1, 8).message(7, graph).message(8, new ProtoWriter().int(2, 17)).finish();
    const ext = new ProtoWriter().packedInts(1, [4]).int(2, 1).string(8, 'big.weight')
      .message(13, new ProtoWriter().string(1, 'location').string(2, 'weights.bin')).int(14, 1);
    assert.throws(() => decodeModel(wrap(new ProtoWriter().message(5, ext))), /'big\.weight'.*external/);
    const sub = new ProtoWriter().string(1, 'then_branch').message(6, new ProtoWriter().string(2, 'g')).int(20, 5);
    const ifNode = new ProtoWriter().string(1, 'c').string(2, 'y').string(3, 'my_if').string(4, 'If').message(5, sub);
    assert.throws(() => decodeModel(wrap(new ProtoWriter().message(1, ifNode))), /'then_branch' of node #0 'my_if' \(If\).*subgraph/);
    const half = new ProtoWriter().packedInts(1, [1]).int(2, 10).string(8, 'half.w').bytes(9, new Uint8Array(2));
    assert.throws(() => decodeModel(wrap(new ProtoWriter().message(5, half))), /'half\.w'.*FLOAT16/);
  });
});

describe('ONNX import of a torch.onnx.export model (small_torch.onnx)', function () {
  this.timeout(60000);
  const ref = JSON.parse(fs.readFileSync(REF, 'utf8')) as Reference;
  const shape = ref.input_shape;
  const n = shape.reduce((a, b) => a * b, 1);
  const x = tensor('float32', shape, formulaInput(n));

  it('resolves the dynamic axes and folds the shape subgraph away', () => {
    const m = importModel(new Uint8Array(fs.readFileSync(MODEL)), { inputShapes: { [ref.input_name]: shape } });
    assert.equal(m.opset, 17);
    assert.deepEqual(m.inputs, [ref.input_name]);
    assert.deepEqual(m.outputs, [ref.output_name]);
    const g = m.builder.graph;
    assert.deepEqual(g.values.get(ref.output_name)!.shape, ref.forward_train.shape);
    const ops = new Set(g.nodes.map((nd) => nd.op));
    for (const op of ['Shape', 'Gather', 'Unsqueeze', 'Concat', 'Cast', 'Slice', 'Constant', 'Identity']) assert.ok(!ops.has(op), `${op} left in the graph`);
    assert.deepEqual([...ops].sort(), ['Add', 'BatchNormalization', 'Conv', 'MaxPool', 'Relu', 'Resize']);
    assert.deepEqual([...m.trainable].sort(), Object.keys(ref.grads).sort());
    for (const w of m.trainable) assert.ok(g.initializers.has(w), `${w} is an initializer`);
    assert.equal(m.bnStats.length, 5);
    assert.equal(m.trainable.reduce((a, w) => a + g.initializers.get(w)!.data.length, 0), ref.num_parameters);
    assert.throws(() => importModel(new Uint8Array(fs.readFileSync(MODEL)), { inputShapes: {} }), /no static shape given for graph input 'input'/);
    assert.throws(() => importModel(new Uint8Array(fs.readFileSync(MODEL)), { inputShapes: { input: [2, 4, 32, 40] } }), /dimension 1 is fixed to 3/);
  });

  it('forward output matches PyTorch (train-mode BN)', async () => {
    const m = importModel(new Uint8Array(fs.readFileSync(MODEL)), { inputShapes: { [ref.input_name]: shape } });
    const out = await runGraph(m.builder.graph, { [ref.input_name]: x }, [m.outputs[0]!]);
    const err = summaryErr(out[m.outputs[0]!]!.data as Float32Array, ref.forward_train);
    assert.ok(err <= 1e-4, `relative error ${err.toExponential(2)} > 1e-4`);
  });

  it('gradients of sum(out·G) match PyTorch autograd within 1e-4 relative per tensor', async () => {
    const m = importModel(new Uint8Array(fs.readFileSync(MODEL)), { inputShapes: { [ref.input_name]: shape } });
    const g = m.builder;
    const out = m.outputs[0]!;
    const gw = g.constant(tensor('float32', g.shape(out), formulaWeights(ref.forward_train.shape.reduce((a, b) => a * b, 1))), 'G');
    const loss = g.op1('ReduceSum', [g.op1('Mul', [out, gw])], { keepdims: 0 });
    const grads = backward(g, loss, m.trainable);
    const fetch = [loss, ...m.trainable.map((w) => grads.get(w)!)];
    for (const f of fetch) g.output(f);
    const res = await runGraph(g.graph, { [ref.input_name]: x }, fetch);
    const lossVal = (res[loss]!.data as Float32Array)[0]!;
    assert.ok(Math.abs(lossVal - ref.loss) <= 1e-4 * Math.max(1, Math.abs(ref.loss)), `loss ${lossVal} vs PyTorch ${ref.loss}`);
    const bad: string[] = [];
    for (const w of m.trainable) {
      const err = summaryErr(res[grads.get(w)!]!.data as Float32Array, ref.grads[w]!);
      if (!(err <= 1e-4)) bad.push(`${w}: ${err.toExponential(2)}`);
    }
    assert.deepEqual(bad, [], `gradients off by more than 1e-4 relative: ${bad.join('; ')}`);
  });
});

describe('ONNX inference export', function () {
  this.timeout(90000);
  const ref = JSON.parse(fs.readFileSync(REF, 'utf8')) as Reference;
  const shape = ref.input_shape;
  const n = shape.reduce((a, b) => a * b, 1);

  it('writes an eval-mode model that Python onnxruntime runs like the engine and like PyTorch eval()', async function () {
    const probe = python('import onnxruntime, numpy', []);
    if (!probe.ok) {
      console.log(`      skipped: python3 with onnxruntime and numpy is not available (${probe.out.trim().split('\n').pop()})`);
      this.skip();
    }
    const m = importModel(new Uint8Array(fs.readFileSync(MODEL)), { inputShapes: { [ref.input_name]: shape } });
    const g = m.builder;
    // a training graph: loss and backward nodes are present and must be left out of the export
    const loss = g.op1('ReduceSum', [m.outputs[0]!], { keepdims: 0 });
    backward(g, loss, m.trainable);
    const params = new Map(m.initializers.map((k) => [k, g.graph.initializers.get(k)!]));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-export-'));
    try {
      const file = path.join(dir, 'model.onnx');
      const bytes = await saveInferenceModel(file, g.graph, params, { outputs: m.outputs });
      assert.deepEqual(new Uint8Array(fs.readFileSync(file)), bytes);
      assert.deepEqual(fs.readdirSync(dir), ['model.onnx'], 'no temp file left behind');
      const dec = decodeModel(bytes);
      const bns = dec.graph.nodes.filter((nd) => nd.op === 'BatchNormalization');
      assert.equal(bns.length, 5);
      for (const bn of bns) {
        assert.equal(bn.outputs.length, 1);
        assert.ok(bn.attrs['training_mode'] === undefined);
      }
      assert.ok(!dec.graph.nodes.some((nd) => nd.op === 'ReduceSum'), 'loss/backward nodes were exported');
      assert.deepEqual(dec.graph.inputs.map((i) => i.name), [ref.input_name]);

      const x = tensor('float32', shape, formulaInput(n));
      const engine = await runGraph(inferenceGraph(g.graph, params, { outputs: m.outputs }), { [ref.input_name]: x });
      const mine = engine[m.outputs[0]!]!.data as Float32Array;
      const inFile = path.join(dir, 'x.f32');
      const outFile = path.join(dir, 'y.f32');
      fs.writeFileSync(inFile, x.data as Float32Array);
      const py = python([
        'import sys, numpy as np, onnxruntime as ort',
        's = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])',
        'x = np.fromfile(sys.argv[2], dtype=np.float32).reshape([int(d) for d in sys.argv[4].split(",")])',
        'y = s.run(None, {s.get_inputs()[0].name: x})[0]',
        'np.ascontiguousarray(y, dtype=np.float32).tofile(sys.argv[3])',
      ].join('\n'), [file, inFile, outFile, shape.join(',')]);
      assert.ok(py.ok, `python onnxruntime failed: ${py.out}`);
      const theirs = new Float32Array(new Uint8Array(fs.readFileSync(outFile)).buffer);
      assert.equal(theirs.length, mine.length);
      let maxDiff = 0;
      for (let i = 0; i < mine.length; i++) maxDiff = Math.max(maxDiff, Math.abs(mine[i]! - theirs[i]!));
      assert.ok(maxDiff <= 1e-5, `Python onnxruntime vs engine: max abs diff ${maxDiff.toExponential(2)} > 1e-5`);
      const err = summaryErr(theirs, ref.forward_eval);
      assert.ok(err <= 1e-4, `exported model vs PyTorch eval(): relative error ${err.toExponential(2)} > 1e-4`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bakes in the given parameter values and rejects a mismatched one', async () => {
    const m = importModel(new Uint8Array(fs.readFileSync(MODEL)), { inputShapes: { [ref.input_name]: shape } });
    const g = m.builder.graph;
    const x = tensor('float32', shape, formulaInput(n));
    // the classifier bias is added before the bilinear resize, whose weights sum to 1: raising
    // class k's bias by δ_k raises every output of class k by δ_k
    const bias = g.initializers.get('cls.bias')!;
    const delta = [0.5, -1, 2, 0, 0.25];
    const moved = tensor('float32', bias.shape, Array.from(bias.data as Float32Array, (v, k) => v + delta[k]!));
    const before = (await runGraph(inferenceGraph(g, new Map(), { outputs: m.outputs }), { [ref.input_name]: x }))[m.outputs[0]!]!.data as Float32Array;
    const after = (await runGraph(inferenceGraph(g, new Map([['cls.bias', moved]]), { outputs: m.outputs }), { [ref.input_name]: x }))[m.outputs[0]!]!.data as Float32Array;
    const hw = shape[2]! * shape[3]!;
    let err = 0;
    for (let i = 0; i < after.length; i++) err = Math.max(err, Math.abs(after[i]! - before[i]! - delta[Math.floor(i / hw) % delta.length]!));
    assert.ok(err < 1e-5, `output moved by the bias change ± ${err}`);

    const params = new Map([['conv1.weight', tensor('float32', [1], [0])]]);
    assert.throws(() => inferenceGraph(m.builder.graph, params, { outputs: m.outputs }), /'conv1\.weight'.*\[1\].*\[16,3,3,3\]/);
  });
});

describe('ONNX import: opset conversions and errors', () => {
  /** A hand-written model (encodeGraph + the given opset) of a few nodes on input x [2,6]. */
  function model(nodes: Node[], opset: number, inits: [string, TensorData][] = [], outputs = ['y']): Uint8Array {
    const g: Graph = {
      name: 'h', nodes, inputs: [{ name: 'x', dtype: 'float32', shape: [2, 6] }],
      outputs: outputs.map((o) => ({ name: o, dtype: 'float32', shape: [] })), initializers: new Map(inits), values: new Map(),
    };
    return new ProtoWriter().int(1, 8).message(7, encodeGraph(g)).message(8, new ProtoWriter().string(1, '').int(2, opset)).finish();
  }
  const node = (op: string, inputs: string[], outputs: string[], attrs: Node['attrs'] = {}): Node => ({ op, name: `${op}_${outputs[0]}`, inputs, outputs, attrs });
  const xv = Float32Array.from({ length: 12 }, (_, i) => i * 0.5 - 2);

  it('converts opset-18 Reduce* axes inputs, Split num_outputs and Pad axes, removes Identity and folds Constant', async () => {
    const axesT = tensor('int64', [1], [1]);
    const bytes = model([
      node('Identity', ['x'], ['xi']),
      node('Constant', [], ['axes'], { value: { kind: 'tensor', value: axesT } }),
      node('ReduceMean', ['xi', 'axes'], ['mean'], { keepdims: { kind: 'int', value: 0 } }),
      node('Split', ['xi'], ['a', 'b', 'c'], { axis: { kind: 'int', value: 1 }, num_outputs: { kind: 'int', value: 3 } }),
      node('Identity', ['c'], ['y']),
      node('ReduceMax', ['x'], ['same'], { noop_with_empty_axes: { kind: 'int', value: 1 } }),
      node('Pad', ['x', 'pads', '', 'padaxes'], ['padded']),
    ], 18, [['pads', tensor('int64', [2], [1, 2])], ['padaxes', tensor('int64', [1], [-1])]], ['mean', 'a', 'y', 'same', 'padded']);
    const m = importModel(bytes, { inputShapes: { x: [2, 6] } });
    const g = m.builder.graph;
    assert.deepEqual(g.nodes.map((nd) => nd.op), ['ReduceMean', 'Split', 'Identity', 'Pad', 'Identity']);
    const rm = g.nodes[0]!;
    assert.deepEqual(rm.inputs, ['x']);
    assert.deepEqual(rm.attrs['axes'], { kind: 'ints', value: [1] });
    assert.deepEqual(m.outputs, ['mean', 'a', 'y', 'same', 'padded']);
    assert.deepEqual(g.values.get('padded')!.shape, [2, 9]);
    const res = await runGraph(g, { x: tensor('float32', [2, 6], xv) });
    const row = (r: number, from: number, to: number) => Array.from(xv.slice(r * 6 + from, r * 6 + to));
    const mean = [0, 1].map((r) => row(r, 0, 6).reduce((s, v) => s + v, 0) / 6);
    Array.from(res['mean']!.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - mean[i]!) < 1e-6));
    assert.deepEqual(Array.from(res['a']!.data as Float32Array), [...row(0, 0, 2), ...row(1, 0, 2)]);
    assert.deepEqual(Array.from(res['y']!.data as Float32Array), [...row(0, 4, 6), ...row(1, 4, 6)]);
    assert.deepEqual(Array.from(res['same']!.data as Float32Array), Array.from(xv));
    assert.deepEqual(Array.from(res['padded']!.data as Float32Array), [0, ...row(0, 0, 6), 0, 0, 0, ...row(1, 0, 6), 0, 0]);
  });

  it('gives clear errors for old opsets, foreign domains and non-constant shapes', () => {
    const relu = [node('Relu', ['x'], ['y'])];
    assert.throws(() => importModel(model(relu, 11), { inputShapes: { x: [2, 6] } }), (e: Error) => e instanceof ImportError && /opset 11.*re-export it with opset_version=17/.test(e.message));
    assert.throws(() => importModel(model(relu, 19), { inputShapes: { x: [2, 6] } }), /opset 19/);
    assert.doesNotThrow(() => importModel(model(relu, 13), { inputShapes: { x: [2, 6] } }));
    assert.throws(() => importModel(model([{ ...relu[0]!, domain: 'com.microsoft' }], 17), { inputShapes: { x: [2, 6] } }), /'Relu_y'.*com\.microsoft/);
    assert.throws(() => importModel(model(relu, 17), { inputShapes: { x: [2, 6], z: [1] } }), /'z'.*not a graph input/);
    assert.throws(() => importModel(model([node('Relu', ['q'], ['y'])], 17), { inputShapes: { x: [2, 6] } }), /Relu node 'Relu_y'.*'q'/);
    // a Reshape whose target shape is computed from a weight cannot be resolved statically
    const w = tensor('float32', [2], [3, 4]);
    const bytes = model([node('Cast', ['w'], ['s'], { to: { kind: 'int', value: 7 } }), node('Reshape', ['x', 's'], ['y'])], 17, [['w', w]]);
    assert.throws(() => importModel(bytes, { inputShapes: { x: [2, 6] } }), /Reshape.*not a constant/);
  });

  it('keeps encodeTensor output decodable (raw_data, unaligned offsets)', () => {
    const t = tensor('float64', [3], [1.25, -2, 3]);
    const w = new ProtoWriter().int(1, 8).message(7, new ProtoWriter().string(2, 'x').message(5, encodeTensor('odd', t))).message(8, new ProtoWriter().int(2, 17));
    const dec = decodeModel(w.finish());
    assert.deepEqual(Array.from(dec.graph.initializers.get('odd')!.data as Float64Array), [1.25, -2, 3]);
  });
});
