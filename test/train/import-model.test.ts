/**
 * Bring your own model: a PyTorch model exported to ONNX (test/fixtures/models/seg11_*.onnx,
 * tools/pytorch/export_import_fixtures.py; 11 classes = camvid11) imported with
 * `node dist/cli/import-model.js`, adapted with 3 STvM iterations through `node dist/cli/adapt.js`,
 * the adapted model exported and run by Python onnxruntime like the engine runs it; AdaBN, TENT
 * and `adapt --dry-run` on it, and their refusal (STvM's note) on a graph without BN; the import
 * errors (folded BN warning, opset, dynamic size, op without gradient, feature tensor, classes).
 * The larger reference models (torchvision's, a SegFormer) are test/train/reference-models.test.ts.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeModel } from '../../lib/engine/onnx/decode.js';
import { IMAGENET_NORMALIZATION, loadModelFile, loadSegModel, saveSegModel, type AnyModelFile } from '../../lib/model/model-file.js';
import { openModel } from '../../lib/model/model-predictor.js';
import { toBatch } from '../../lib/model/to-batch.js';
import { synthStreetDataset, synthStreetImages } from '../../lib/train/synth-dataset.js';
import { tensor, type TensorData } from '../../lib/engine/ir/tensor.js';
import type { Graph, Node } from '../../lib/engine/ir/graph.js';
import { encodeModel } from '../../lib/engine/onnx/encode.js';
import { analyzeImport } from '../../lib/model/imported-net.js';
import { adaBN } from '../../lib/method/baselines/adabn.js';
import { TentAlgorithm } from '../../lib/method/baselines/tent.js';
import { TargetBatches } from '../../lib/method/stvm/target-batches.js';

const run = promisify(execFile);
const FIX = 'test/fixtures/models';
const IMPORT = 'dist/cli/import-model.js';

function python(code: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('python3', ['-c', code, ...args], { encoding: 'utf8', timeout: 60000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** Runs import-model; resolves with rc, stdout, stderr (never rejects). */
async function importModelCli(args: string[]): Promise<{ rc: number; stdout: string; stderr: string }> {
  return runCli([IMPORT, ...args]);
}

/** Runs `node args…`; resolves with rc, stdout, stderr (never rejects). */
async function runCli(args: string[]): Promise<{ rc: number; stdout: string; stderr: string }> {
  try {
    const r = await run('node', args);
    return { rc: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { rc: x.code ?? -1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}

describe('import-model: adapting an imported PyTorch ONNX model', function () {
  this.timeout(120000);
  let dir = '';
  let source = '';

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stvm-byom-'));
    source = path.join(dir, 'source.model.ckpt');
    fs.writeFileSync(path.join(dir, 'tiny.json'), JSON.stringify({
      iterations: 3, batch: 2,
      target: { source: 'synthstreet', style: 'dusk', count: 4, width: 64, height: 48 },
      augment: { cropWidth: 64, cropHeight: 48 },
      eval: { source: 'synthstreet', style: 'dusk', count: 2, width: 64, height: 48 },
      stvm: { metric: { hidden: 16, dim: 8, warmupIters: 1 } },
      runtime: { threads: 1 },
    }));
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('imports a training-mode export: ONNX bytes in the file, features chosen automatically, BN frozen, Conv weights trainable', async () => {
    const r = await importModelCli(['--onnx', `${FIX}/seg11_train.onnx`, '--protocol', 'camvid11', '--input-size', '64x48', '--out', source]);
    assert.equal(r.rc, 0, r.stderr);
    assert.match(r.stdout, /features: '\/Relu_3_output_0' \[1,32,12,16\]/);
    assert.equal(r.stderr, '', 'no warning for a model with BN');
    const m = await loadModelFile(source);
    assert.ok(m.onnx !== undefined && m.meta.imported !== undefined);
    assert.deepEqual(m.meta.imported, { format: 'onnx', input: 'input', output: 'logits', features: '/Relu_3_output_0', opset: 17 });
    assert.deepEqual(m.meta.inputSize, [64, 48]);
    assert.equal(m.meta.classes.length, 11);
    assert.deepEqual(new Uint8Array(m.onnx), new Uint8Array(fs.readFileSync(`${FIX}/seg11_train.onnx`)));
    for (const k of ['conv1.weight', 'classifier.weight', 'classifier.bias', 'bn1.weight', 'bn1.running_mean', 'bn4.running_var']) assert.ok(m.tensors.has(k), k);
    // DeepLab-only commands refuse it with a clear message
    await assert.rejects(loadSegModel(source), /imported ONNX graph.*DeepLab model files only/);
  });

  it('adapts it with 3 STvM iterations (adapt CLI); the exported model runs in Python onnxruntime like the engine', async function () {
    const out = path.join(dir, 'run');
    await run('node', ['dist/cli/adapt.js', '--config', path.join(dir, 'tiny.json'), '--source', source, '--out', out, '--quiet']);
    for (const f of ['metrics.jsonl', 'teacher.model.ckpt', 'student.model.ckpt', 'model.onnx', 'model.onnx.json', 'results.json']) assert.ok(fs.existsSync(path.join(out, f)), `missing ${f}`);
    const steps = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>).filter((r) => r['kind'] === undefined);
    assert.deepEqual(steps.map((r) => r['step']), [0, 1, 2]);
    for (const r of steps.slice(1)) for (const k of ['student_loss', 'metric_loss', 'mean_reliability']) assert.ok(Number.isFinite(r[k]), `${k} in ${JSON.stringify(r)}`);
    const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    assert.equal(config.sourceModel.imported.features, '/Relu_3_output_0');

    // the adapted teacher: convolutions changed, and with the default stvm.bn.mode 'adabn-train'
    // BN too (statistics re-estimated on the target by AdaBN, γ/β trained, all EMA'd into the teacher)
    assert.equal(config.stvm.bn.mode, 'adabn-train');
    const src = await loadModelFile(source);
    const teacher = await loadModelFile(path.join(out, 'teacher.model.ckpt'));
    assert.ok(teacher.onnx !== undefined);
    const differs = (k: string, t: AnyModelFile = teacher) => {
      const a = src.tensors.get(k)!.data as Float32Array;
      const b = t.tensors.get(k)!.data as Float32Array;
      return a.some((v, i) => v !== b[i]);
    };
    const BN = ['bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var', 'bn4.running_var'];
    assert.ok(differs('classifier.weight') && differs('conv1.weight'), 'the convolutions were adapted');
    for (const k of BN) assert.ok(differs(k), `${k} adapted`);
    // stvm.bn.mode 'frozen-source': BN stays the source's
    const frozenOut = path.join(dir, 'run-frozen');
    await run('node', ['dist/cli/adapt.js', '--config', path.join(dir, 'tiny.json'), '--source', source, '--out', frozenOut, '--set', 'stvm.bn.mode=frozen-source', '--quiet']);
    const frozen = await loadModelFile(path.join(frozenOut, 'teacher.model.ckpt'));
    assert.ok(differs('classifier.weight', frozen) && differs('conv1.weight', frozen), 'frozen-source: the convolutions were adapted');
    for (const k of BN) assert.ok(!differs(k, frozen), `frozen-source: ${k} is frozen`);

    // the exported ONNX model: input 'image' [1,3,48,64], eval-mode BN, output 'logits'
    const file = path.join(out, 'model.onnx');
    const dec = decodeModel(new Uint8Array(fs.readFileSync(file)));
    assert.deepEqual(dec.graph.inputs.filter((i) => !dec.graph.initializers.has(i.name)).map((i) => [i.name, i.shape]), [['image', [1, 3, 48, 64]]]);
    assert.deepEqual(dec.graph.outputs.map((o) => o.name), ['logits']);
    assert.ok(dec.graph.nodes.filter((n) => n.op === 'BatchNormalization').every((n) => n.outputs.length === 1));

    const ds = synthStreetDataset({ seed: 1001, count: 1, style: 'dusk', width: 64, height: 48 });
    const x = toBatch([await ds.readImage(0)], IMAGENET_NORMALIZATION);
    const ck = await openModel(path.join(out, 'teacher.model.ckpt'), { threads: 1 });
    const ox = await openModel(file, { threads: 1 });
    const mine = (await ck.logits(x)).data as Float32Array;
    const ort = (await ox.logits(x)).data as Float32Array;
    await ck.close();
    await ox.close();
    assert.equal(mine.length, 11 * 48 * 64);
    let nodeDiff = 0;
    for (let i = 0; i < mine.length; i++) nodeDiff = Math.max(nodeDiff, Math.abs(mine[i]! - ort[i]!));
    assert.ok(nodeDiff <= 1e-4, `onnxruntime-node vs engine: ${nodeDiff}`);

    const probe = python('import onnxruntime, numpy', []);
    if (!probe.ok) {
      console.log(`      skipped the Python check: python3 with onnxruntime and numpy is not available (${probe.out.trim().split('\n').pop()})`);
      this.skip();
    }
    const inFile = path.join(dir, 'x.f32');
    const outFile = path.join(dir, 'y.f32');
    fs.writeFileSync(inFile, x.data as Float32Array);
    const py = python([
      'import sys, numpy as np, onnxruntime as ort',
      's = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])',
      'x = np.fromfile(sys.argv[2], dtype=np.float32).reshape(1, 3, 48, 64)',
      'y = s.run(None, {s.get_inputs()[0].name: x})[0]',
      'np.ascontiguousarray(y, dtype=np.float32).tofile(sys.argv[3])',
    ].join('\n'), [file, inFile, outFile]);
    assert.ok(py.ok, `python onnxruntime failed: ${py.out}`);
    const theirs = new Float32Array(new Uint8Array(fs.readFileSync(outFile)).buffer);
    assert.equal(theirs.length, mine.length);
    let maxDiff = 0;
    for (let i = 0; i < mine.length; i++) maxDiff = Math.max(maxDiff, Math.abs(mine[i]! - theirs[i]!));
    assert.ok(maxDiff <= 1e-4, `Python onnxruntime vs engine: max abs diff ${maxDiff.toExponential(2)} > 1e-4`);
  });

  it('a sum of classifiers (LR-ASPP) is the classifier; Linear layers exported as MatMul are trained like convolutions', () => {
    // x [1,3,8,8] → Conv a [1,4,8,8] → Relu; tokens [1,64,4] → MatMul(·, Transpose(lin.weight [5,4])) + lin.bias → h [1,5,8,8];
    // logits = Conv lo(a) + Conv hi(h) [1,11,8,8] (torchvision's LRASPP head: low_classifier(low) + high_classifier(high))
    const f = (shape: number[]) => tensor('float32', shape, Array.from({ length: shape.reduce((p, q) => p * q, 1) }, (_, i) => Math.sin(i + shape.length)));
    const i64 = (v: number[]) => tensor('int64', [v.length], v);
    const node = (op: string, inputs: string[], out: string, attrs: Node['attrs'] = {}): Node => ({ op, name: `/${op}_${out}`, inputs, outputs: [out], attrs });
    const ints = (value: number[]) => ({ kind: 'ints' as const, value });
    const g: Graph = {
      name: 'lraspp_like',
      nodes: [
        node('Conv', ['input', 'conv.weight'], 'a0', { pads: ints([1, 1, 1, 1]) }),
        node('Relu', ['a0'], 'a'),
        node('Reshape', ['a', 'shape_tokens'], 'a_flat'),
        node('Transpose', ['a_flat'], 'tokens', { perm: ints([0, 2, 1]) }),
        node('Transpose', ['lin.weight'], 'lin_wt'),
        node('MatMul', ['tokens', 'lin_wt'], 'mm'),
        node('Add', ['lin.bias', 'mm'], 'lin'),
        node('Transpose', ['lin'], 'lin_t', { perm: ints([0, 2, 1]) }),
        node('Reshape', ['lin_t', 'shape_map'], 'h'),
        node('Conv', ['a', 'lo.weight', 'lo.bias'], 'lo'),
        node('Conv', ['h', 'hi.weight', 'hi.bias'], 'hi'),
        node('Add', ['lo', 'hi'], 'logits'),
      ],
      inputs: [{ name: 'input', dtype: 'float32', shape: [1, 3, 8, 8] }],
      outputs: [{ name: 'logits', dtype: 'float32', shape: [1, 11, 8, 8] }],
      initializers: new Map([
        ['conv.weight', f([4, 3, 3, 3])], ['lin.weight', f([5, 4])], ['lin.bias', f([5])],
        ['lo.weight', f([11, 4, 1, 1])], ['lo.bias', f([11])], ['hi.weight', f([11, 5, 1, 1])], ['hi.bias', f([11])],
        ['shape_tokens', i64([1, 4, 64])], ['shape_map', i64([1, 5, 8, 8])],
      ]),
      values: new Map(),
    };
    const a = analyzeImport(encodeModel(g), undefined, undefined);
    assert.equal(a.meta.features, 'h', 'the features: the input of the term with the most channels');
    assert.deepEqual([...a.head].sort(), ['hi.bias', 'hi.weight', 'lo.bias', 'lo.weight']);
    assert.deepEqual([...a.trainable].sort(), ['conv.weight', 'hi.bias', 'hi.weight', 'lin.bias', 'lin.weight', 'lo.bias', 'lo.weight']);
    assert.equal(a.numClasses, 11);
  });

  describe('BN methods on imported graphs', () => {
    const same = (a: TensorData, b: TensorData) => (a.data as Float32Array).every((v, i) => v === (b.data as Float32Array)[i]);
    const target = () => synthStreetImages({ seed: 7, count: 4, style: 'dusk', width: 64, height: 48 });

    it('AdaBN and TENT adapt a graph with BN; adapt --dry-run reads it', async () => {
      const m = await loadModelFile(source);
      const stats = [...m.tensors.keys()].filter((k) => /running_(mean|var)$/.test(k));
      assert.equal(stats.length, 8);
      const adapted = await adaBN(m, target(), { batch: 2, threads: 1 });
      assert.ok(adapted.onnx !== undefined, 'still an imported model');
      for (const [k, t] of m.tensors) assert.equal(same(t, adapted.tensors.get(k)!), !stats.includes(k), `${k}: ${stats.includes(k) ? 're-estimated' : 'unchanged'}`);

      const batches = new TargetBatches(target(), { batch: 2, seed: 1, augment: { crop: [64, 48], flip: 0.5 }, normalize: m.meta.normalize });
      const tent = await TentAlgorithm.create({ model: m, batches, batch: 2, crop: [64, 48], lr: 1e-2, threads: 1, inThread: true });
      try {
        assert.deepEqual([...tent.affine].sort(), ['bn1.bias', 'bn1.weight', 'bn2.bias', 'bn2.weight', 'bn3.bias', 'bn3.weight', 'bn4.bias', 'bn4.weight']);
        const r = await tent.step(0);
        assert.ok(Number.isFinite(r.loss) && r.loss! > 0);
        const after = await tent.modelTensors();
        const moved = [...m.tensors.keys()].filter((k) => !same(m.tensors.get(k)!, after.get(k)!)).sort();
        assert.deepEqual(moved, [...tent.affine, ...stats].sort(), 'TENT moves BN γ/β and (momentum 0.1) the running statistics only');
        const file = path.join(dir, 'tent.onnx');
        await tent.exportModel(file);
        const ox = await openModel(file, { threads: 1 });
        const x = toBatch([await synthStreetDataset({ seed: 1001, count: 1, style: 'dusk', width: 64, height: 48 }).readImage(0)], IMAGENET_NORMALIZATION);
        const a = (await ox.logits(x)).data as Float32Array;
        await ox.close();
        const ckFile = path.join(dir, 'tent.model.ckpt');
        await saveSegModel(ckFile, await tent.adaptedModel());
        const ck = await openModel(ckFile, { threads: 1 });
        const b = (await ck.logits(x)).data as Float32Array;
        await ck.close();
        let d = 0;
        for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
        assert.ok(d <= 1e-4, `exported TENT model vs the adapted model file: ${d}`);
      } finally {
        await tent.close();
      }

      const dry = await run('node', ['dist/cli/adapt.js', '--config', path.join(dir, 'tiny.json'), '--source', source, '--out', path.join(dir, 'dry'), '--dry-run']);
      assert.match(dry.stdout, /imported ONNX graph \(opset 17, input 'input', features '\/Relu_3_output_0'\), 11 classes/);
      assert.doesNotMatch(dry.stdout, /no BatchNormalization/);
    });

    it('a graph without BN (folded by an eval-mode export): AdaBN, TENT and the BN modes that need BN refuse, saying why; STvM with \'frozen-source\' runs and logs a note', async () => {
      const folded = path.join(dir, 'folded.model.ckpt');
      assert.equal((await importModelCli(['--onnx', `${FIX}/seg11_folded.onnx`, '--protocol', 'camvid11', '--input-size', '64x48', '--out', folded])).rc, 0);
      const m = await loadModelFile(folded);
      await assert.rejects(adaBN(m, target(), { batch: 2, threads: 1 }), /AdaBN: the model has no BatchNorm layer.*frozen-source/);
      const batches = new TargetBatches(target(), { batch: 2, seed: 1, augment: { crop: [64, 48] }, normalize: m.meta.normalize });
      await assert.rejects(TentAlgorithm.create({ model: m, batches, batch: 2, crop: [64, 48], threads: 1, inThread: true }), /TENT: the network has no BatchNorm layer.*frozen-source/);
      // the default stvm.bn.mode ('adabn-train') needs BN: the dry run and the run say so and name the BN-free option
      const cfg = path.join(dir, 'tiny.json');
      const dryDefault = await runCli(['dist/cli/adapt.js', '--config', cfg, '--source', folded, '--out', path.join(dir, 'dry-folded0'), '--dry-run']);
      assert.equal(dryDefault.rc, 1);
      assert.match(dryDefault.stdout, /has no BatchNormalization layer.*'frozen-source' is the only BN mode/);
      assert.match(dryDefault.stdout, /stvm\.bn\.mode.*frozen-source/);
      const runDefault = await runCli(['dist/cli/adapt.js', '--config', cfg, '--source', folded, '--out', path.join(dir, 'run-folded0'), '--quiet']);
      assert.notEqual(runDefault.rc, 0);
      assert.match(runDefault.stderr, /stvm\.bn\.mode[\s\S]*BatchNorm[\s\S]*'frozen-source'/);
      // with stvm.bn.mode 'frozen-source' it runs, and logs the note
      const dry = await run('node', ['dist/cli/adapt.js', '--config', cfg, '--source', folded, '--out', path.join(dir, 'dry-folded'), '--dry-run', '--set', 'stvm.bn.mode=frozen-source']);
      assert.match(dry.stdout, /has no BatchNormalization layer.*'frozen-source' is the only BN mode/);
      const out = path.join(dir, 'run-folded');
      await run('node', ['dist/cli/adapt.js', '--config', cfg, '--source', folded, '--out', out, '--iterations', '2', '--set', 'stvm.bn.mode=frozen-source', '--quiet']);
      const notes = fs.readFileSync(path.join(out, 'log.jsonl'), 'utf8').split('\n').filter((l) => /has no BatchNormalization layer/.test(l));
      assert.equal(notes.length, 1, 'the run logs the note once');
      assert.ok(fs.existsSync(path.join(out, 'model.onnx')));
    });
  });

  describe('import errors', () => {
    const args = (onnx: string, ...more: string[]) => ['--onnx', `${FIX}/${onnx}`, '--protocol', 'camvid11', '--out', path.join(dir, `${onnx}.ckpt`), ...more];

    it('BN folded (eval-mode export): imports with a warning that AdaBN/TENT have nothing to adapt and how to re-export', async () => {
      const r = await importModelCli(args('seg11_folded.onnx', '--input-size', '64x48'));
      assert.equal(r.rc, 0, r.stderr);
      assert.match(r.stderr, /warning: the model has no BatchNormalization node/);
      assert.match(r.stderr, /AdaBN and TENT have nothing to adapt/);
      assert.match(r.stderr, /training=torch\.onnx\.TrainingMode\.TRAINING, do_constant_folding=False/);
    });

    it('an opset outside 13–18', async () => {
      const r = await importModelCli(args('seg11_opset19.onnx', '--input-size', '64x48'));
      assert.equal(r.rc, 1);
      assert.match(r.stderr, /opset 19; the engine imports opsets 13–18/);
    });

    it('a dynamic dimension without a size', async () => {
      const r = await importModelCli(args('seg11_train.onnx'));
      assert.equal(r.rc, 1);
      assert.match(r.stderr, /dynamic height \(dimension 2, 'height'\) and width \(dimension 3, 'width'\) and no size was given: pass --input-size/);
    });

    it('an op without a gradient rule between the logits and a trainable weight (names op and node)', async () => {
      const r = await importModelCli(args('seg11_elu.onnx', '--input-size', '64x48'));
      assert.equal(r.rc, 1);
      assert.match(r.stderr, /no gradient rule is registered for op Elu \(node '\/Elu'\)/);
    });

    it('an unknown feature tensor', async () => {
      const r = await importModelCli(args('seg11_train.onnx', '--input-size', '64x48', '--features', 'layer9.out'));
      assert.equal(r.rc, 1);
      assert.match(r.stderr, /unknown feature tensor 'layer9\.out'.*default is the classifier's input '\/Relu_3_output_0'/);
    });

    it('a feature tensor at another resolution than the logits', async () => {
      const r = await importModelCli(args('seg11_train.onnx', '--input-size', '64x48', '--features', '/Relu_output_0'));
      assert.equal(r.rc, 1);
      assert.match(r.stderr, /feature tensor '\/Relu_output_0' has shape \[1,8,48,64\]; it must be \[1,F,12,16\]/);
    });

    it('a class count that does not match the protocol', async () => {
      const r = await importModelCli(['--onnx', `${FIX}/small_torch.onnx`, '--protocol', 'camvid11', '--input-size', '64x48', '--out', path.join(dir, 'small.ckpt')]);
      assert.equal(r.rc, 1);
      assert.match(r.stderr, /predicts 5 classes but protocol 'camvid11' has 11/);
      assert.ok(!fs.existsSync(path.join(dir, 'small.ckpt')));
    });
  });
});
