/**
 * An imported ONNX model (test/fixtures/models/seg11_train.onnx, imported with
 * `node dist/cli/import-model.js`) adapted through the services — a real nats-server, the
 * teacher and student services as child processes, gRPC in between — against the
 * single-process run of the same config: a 'sync' run must reproduce it bit for bit (every
 * per-step loss, student_loss, metric_loss…, the final mIoU, the adapted teacher's tensors),
 * and the exported model.onnx takes 'image' like the single-process export; a teacher killed
 * mid-run (the run goes back to its checkpoint and the teacher's state is imported again) and
 * a student killed mid-run (resumed from its checkpoint) still reproduce it exactly.
 *
 * An imported model file stores the graph's bytes as the uint8 tensor '__onnx_model__'
 * (lib/model/model-file.ts ONNX_TENSOR): it must travel as neither a parameter nor weights.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeModel } from '../../lib/engine/onnx/decode.js';
import { loadModelFile, ONNX_TENSOR } from '../../lib/model/model-file.js';
import type { NatsServerHandle } from '../../lib/services/local/nats-server.js';
import type { ServiceProcess } from '../../lib/services/local/service-process.js';
import { validateAdaptConfig } from '../../lib/train/adapt-config.js';
import { adaptRun } from '../../lib/train/adapt-run.js';
import { assertSameRun, runOnStudent, startTeacherStudent, steps, type TeacherStudent } from '../helpers/distributed-run.js';

const run = promisify(execFile);
const FIXTURE = 'test/fixtures/models/seg11_train.onnx';

describe('distributed run of an imported ONNX model (real nats-server, teacher and student processes)', function () {
  this.timeout(240_000);
  let dir = '';
  let source = '';
  let pair: TeacherStudent | undefined;
  let nats: NatsServerHandle | undefined;
  let teacher: ServiceProcess | undefined;
  let student: ServiceProcess | undefined;
  let config: Record<string, unknown>;
  let single = '';

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sfda-dist-imported-'));
    source = path.join(dir, 'source.model.ckpt');
    await run('node', ['dist/cli/import-model.js', '--onnx', FIXTURE, '--protocol', 'camvid11', '--input-size', '64x48', '--out', source]);
    const m = await loadModelFile(source);
    assert.ok(m.onnx !== undefined, 'an imported model file');
    assert.deepEqual(m.meta.inputSize, [64, 48]);
    config = {
      name: 'stvm', iterations: 5, batch: 2, seed: 7, source,
      target: { source: 'synthstreet', style: 'dusk', count: 6, width: 64, height: 48 },
      augment: { cropWidth: 64, cropHeight: 48 },
      eval: { source: 'synthstreet', style: 'dusk', count: 2, width: 64, height: 48 },
      stvm: { metric: { hidden: 16, dim: 8, warmupIters: 1 } },
      runtime: { threads: 1, checkpointEvery: 2 },
    };
    single = path.join(dir, 'single');
    await adaptRun({ cfg: validateAdaptConfig(config), out: single, resume: false, console: 'none', progress: false });
    pair = await startTeacherStudent();
    ({ nats, teacher, student } = pair);
  });

  after(async () => {
    await pair?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("sync: every per-step loss and the final mIoU equal the single-process run's, bit for bit; model.onnx takes 'image'", async () => {
    const out = path.join(dir, 'sync');
    assert.equal(await runOnStudent(student!, teacher!, { id: 'imported-sync', runDir: out, config, sourceModel: source }), 'FINISHED');

    // the oracle has something to compare: 5 steps, the metric network trained after its warm-up
    const want = steps(single);
    assert.deepEqual(want.map((r) => r['step']), [0, 1, 2, 3, 4]);
    for (const k of ['loss', 'student_loss', 'metric_loss']) {
      assert.ok(want.some((r) => typeof r[k] === 'number' && Number.isFinite(r[k])), `the single-process run logs ${k}`);
    }
    for (const r of steps(out)) for (const k of ['loss', 'student_loss', 'metric_loss']) {
      assert.equal(r[k] === undefined, want.find((w) => w['step'] === r['step'])![k] === undefined, `step ${r['step']}: ${k} logged by both runs or neither`);
    }
    assertSameRun(out, single);

    // the adapted models: the same tensors, bit for bit, the ONNX graph kept and not a parameter
    const src = await loadModelFile(source);
    for (const who of ['teacher', 'student']) {
      const a = await loadModelFile(path.join(out, `${who}.model.ckpt`));
      const b = await loadModelFile(path.join(single, `${who}.model.ckpt`));
      assert.ok(a.onnx !== undefined && b.onnx !== undefined, `${who}.model.ckpt is an imported model file`);
      assert.deepEqual(new Uint8Array(a.onnx), new Uint8Array(src.onnx!), `${who}: the ONNX graph is the source's`);
      assert.ok(!a.tensors.has(ONNX_TENSOR), `${who}: ${ONNX_TENSOR} is not a tensor of the network`);
      assert.deepEqual([...a.tensors.keys()].sort(), [...b.tensors.keys()].sort(), `${who}: the same tensors`);
      for (const [k, t] of b.tensors) {
        const x = a.tensors.get(k)!.data as Float32Array, y = t.data as Float32Array;
        assert.ok(x.length === y.length && x.every((v, i) => Object.is(v, y[i])), `${who}: ${k} differs from the single-process run's`);
      }
    }
    const adapted = await loadModelFile(path.join(out, 'teacher.model.ckpt'));
    const differs = (k: string) => {
      const x = src.tensors.get(k)!.data as Float32Array, y = adapted.tensors.get(k)!.data as Float32Array;
      return x.some((v, i) => v !== y[i]);
    };
    assert.ok(differs('classifier.weight') && differs('conv1.weight'), 'the convolutions were adapted');

    // the export: model.onnx with the input 'image' at the model's size, and its sidecar
    const file = path.join(out, 'model.onnx');
    assert.ok(fs.existsSync(file), 'model.onnx');
    assert.ok(fs.existsSync(`${file}.json`), 'model.onnx.json');
    const dec = decodeModel(new Uint8Array(fs.readFileSync(file)));
    assert.deepEqual(dec.graph.inputs.filter((i) => !dec.graph.initializers.has(i.name)).map((i) => [i.name, i.shape]), [['image', [1, 3, 48, 64]]]);
    assert.deepEqual(dec.graph.outputs.map((o) => o.name), ['logits']);
    assert.deepEqual(new Uint8Array(fs.readFileSync(file)), new Uint8Array(fs.readFileSync(path.join(single, 'model.onnx'))), 'the same exported model as the single-process run');
  });

  it('teacher killed mid-run and restarted: the run still reproduces the single-process run exactly', async () => {
    const out = path.join(dir, 'teacher-kill');
    const phase = await runOnStudent(student!, teacher!, {
      id: 'imported-teacher-kill', runDir: out, config, sourceModel: source,
      during: async () => { await teacher!.kill(); await new Promise((r) => setTimeout(r, 300)); await teacher!.restart(); },
    });
    assert.equal(phase, 'FINISHED');
    assert.match(fs.readFileSync(path.join(out, 'log.jsonl'), 'utf8'), /teacher (lost the run|unavailable)/);
    assertSameRun(out, single);
  });

  it('student killed mid-run: a new student resumes the run from its checkpoint and reproduces the oracle', async () => {
    const out = path.join(dir, 'student-kill');
    const o = { id: 'imported-student-kill', runDir: out, config, sourceModel: source };
    await assert.rejects(runOnStudent(student!, teacher!, { ...o, during: async () => { await student!.kill(); } }));
    await student!.restart();
    assert.equal(await runOnStudent(student!, teacher!, { ...o, resume: true }), 'FINISHED');
    assertSameRun(out, single);
  });
});
