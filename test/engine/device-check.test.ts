/**
 * The device check (bench/device-check.ts, issue 10) on the CPU: its pieces (placement parsing,
 * the agreement measure), a short run of the script itself (probe + in-graph ClassMix against the
 * TypeScript mixing, --provider cpu) with the files it writes, and its usage errors. The full CPU
 * dry run (`tools/device-check.sh dry-run`, every stage and benchmark case) takes minutes and is
 * run by hand (docs/gpu.md).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { f32 } from '../../lib/engine/ir/tensor.js';
import { repoRoot } from '../../lib/run/code-version.js';
import { GpuMemSampler } from '../../bench/device-env.js';
import { caseFor, DEVICE_CASES, parsePlacement, relErr } from '../../bench/device-stages.js';

const SCRIPT = path.join(repoRoot(), 'dist', 'bench', 'device-check.js');

describe('device check (bench/device-check.ts)', function () {
  this.timeout(300000);

  it("parses onnxruntime's verbose node placement: counts per provider, the ops left on the CPU, ops without a kernel", () => {
    const V = '2026-12-03 12:00:00.0 [V:onnxruntime:, session_state.cc:1345 VerifyEachNodeIsAssignedToAnEp]';
    const log = [
      '@@placement-begin step',
      '\u001b[0;93m2026 [I:onnxruntime:, cuda_execution_provider.cc:2 GetCapability] CUDA kernel not found in registries for Op type: Where node name: w1\u001b[m',
      `${V}  Node(s) placed on [CUDAExecutionProvider]. Number of nodes: 3`,
      `${V}   Conv (c1)`,
      `${V}  Node(s) placed on [CPUExecutionProvider]. Number of nodes: 2`,
      `${V}   Where (w1)`,
      `${V}   Shape (s1)`,
      '@@placement-end step',
      '@@placement-begin mix',
      `${V}  All nodes placed on [CUDAExecutionProvider]. Number of nodes: 47`,
      '@@placement-end mix',
    ].join('\n');
    assert.deepEqual(parsePlacement(log), {
      step: { counts: { CUDAExecutionProvider: 3, CPUExecutionProvider: 2 }, cpu_ops: { Where: 1, Shape: 1 }, no_kernel: ['Where'] },
      mix: { counts: { CUDAExecutionProvider: 47 }, cpu_ops: {}, no_kernel: [] },
    });
  });

  it('agreement measure: max|x−ref| over max(max|ref|, rms ref); a finite/non-finite mismatch is infinite', () => {
    assert.equal(relErr(f32([3], [1, 2, 4]), f32([3], [1, 2, 4])).err, 0);
    assert.ok(Math.abs(relErr(f32([2], [1.001, 2]), f32([2], [1, 2])).err - 0.0005) < 1e-7);
    assert.equal(relErr(f32([2], [NaN, 2]), f32([2], [1, 2])).err, Infinity);
    assert.equal(relErr(f32([2], [NaN, 2]), f32([2], [NaN, 2])).err, 0);
    assert.equal(relErr(f32([1], [1]), f32([2], [1, 2])).err, Infinity);
  });

  it("the issue's cases at full size, shrunken for the dry run", () => {
    assert.deepEqual(Object.keys(DEVICE_CASES), ['small8', 'r101', 'r101b2']);
    assert.deepEqual(caseFor('small8', 'full').batch, [8, 180, 240]);
    assert.deepEqual(caseFor('r101', 'full').batch, [1, 512, 1024]);
    assert.deepEqual(caseFor('r101b2', 'full').batch, [2, 512, 1024]);
    assert.match(caseFor('r101', 'small').name, /1x3x64x128 \(dry-run size\)$/);
    assert.throws(() => caseFor('r50', 'full'), /unknown case 'r50'/);
  });

  it('--provider cpu --only probe,agree-mix: runs, writes the agreement and the report, ClassMix bitwise equal', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'device-check-out-'));
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'device-check-state-'));
    try {
      const r = spawnSync(process.execPath, [SCRIPT, '--provider', 'cpu', '--size', 'small', '--only', 'probe,agree-mix', '--out', out, '--state', state, '--budget-s', '240'], { encoding: 'utf8', timeout: 280000, env: { ...process.env, OUT: '' } });
      assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
      assert.deepEqual(fs.readdirSync(out).sort(), ['device-check-all.json', 'device-check-all.log', 'engine-gpu-agreement.json']);
      const ag = JSON.parse(fs.readFileSync(path.join(out, 'engine-gpu-agreement.json'), 'utf8')) as Record<string, any>;
      assert.equal(ag['provider'], 'cpu');
      assert.equal(ag['probe'].ok, true);
      assert.equal(ag['agree-mix'].ok, true, JSON.stringify(ag['agree-mix']));
      assert.equal(ag['agree-mix'].cases.length, 3);
      assert.equal(ag['ok'], true);
      const rep = JSON.parse(fs.readFileSync(path.join(out, 'device-check-all.json'), 'utf8')) as { stages: { name: string; status: string }[] };
      assert.deepEqual(rep.stages.map((s) => `${s.name}:${s.status}`), ['probe:ok', 'agree-mix:ok']);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
      fs.rmSync(state, { recursive: true, force: true });
    }
  });

  it('GPU memory sampler: peak of nvidia-smi memory.used over the baseline and of the compute processes (a fake nvidia-smi)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-smi-'));
    const counter = path.join(dir, 'n');
    fs.writeFileSync(counter, '0');
    // memory.used: 1000 at the baseline, then 1000 + 100·k; compute apps: two processes, 300 MiB + 40·k
    fs.writeFileSync(path.join(dir, 'nvidia-smi'), [
      '#!/bin/sh',
      `n=$(cat ${counter})`,
      'case "$1" in',
      `  --query-gpu=*) echo $((1000 + 100 * n)); echo $((n + 1)) > ${counter} ;;`,
      '  --query-compute-apps=*) echo "123, 300"; echo "456, $((40 * n))" ;;',
      'esac',
    ].join('\n'));
    fs.chmodSync(path.join(dir, 'nvidia-smi'), 0o755);
    const oldPath = process.env['PATH'];
    process.env['PATH'] = `${dir}:${oldPath}`;
    try {
      assert.equal(GpuMemSampler.available(), true);
      fs.writeFileSync(counter, '0');
      const s = new GpuMemSampler();
      await s.start(20);
      await new Promise((r) => setTimeout(r, 200));
      const m = await s.stop();
      const n = Number(fs.readFileSync(counter, 'utf8'));
      assert.ok(m.samples >= 2, JSON.stringify(m));
      assert.equal(m.device_delta_mb, 100 * (n - 1));
      assert.equal(m.compute_apps_mb, 300 + 40 * n, 'each tick reads the apps after memory.used (which counts)');
      assert.deepEqual(await s.stop(), m, 'stop is idempotent');
    } finally {
      process.env['PATH'] = oldPath;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bad flags: exit 2 naming the flag; --help exits 0', () => {
    const bad = spawnSync(process.execPath, [SCRIPT, '--only', 'warp'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--only: unknown stage 'warp'/);
    const help = spawnSync(process.execPath, [SCRIPT, '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--phase +a: environment \+ PyTorch sides/);
  });
});
