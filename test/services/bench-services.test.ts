/**
 * bench/services.ts: the smoke run end to end (a real nats-server, the teacher and student
 * service processes, a single-process run, the EMA sync measurement) writes services.json in
 * the shape the lead's report reads, with finite positive numbers, and services.md; and the
 * per-run timing statistics on hand-made metrics records.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stepStats, type StepRecord } from '../../bench/services.js';

const SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'services.js');

function run(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    p.on('error', reject);
    p.on('exit', (code) => resolve({ code, out }));
  });
}

const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-3, `${what}: ${a} vs ${b}`);

const finitePositive = (v: unknown, what: string) => {
  assert.equal(typeof v, 'number', `${what}: ${String(v)} is not a number`);
  assert.ok(Number.isFinite(v as number) && (v as number) > 0, `${what}: ${String(v)} is not finite and positive`);
};

describe('bench:services (bench/services.ts)', function () {
  this.timeout(240_000);

  it('stepStats: per-iteration wall time from cumulative wall_s, metric warm-up and runner warm-up excluded', () => {
    // 2 metric warm-up iterations, then 4 student steps of 100, 300, 200, 200 ms; batch 2, skip 1
    const wall = [0.05, 0.1, 0.2, 0.5, 0.7, 0.9];
    const recs: StepRecord[] = wall.map((w, i) => ({
      step: i, wall_s: w, ms_teacher: 20, ...(i < 2 ? { warmup: 1 } : { staleness: i - 1, ms_ema: 10 }),
    }));
    const s = stepStats(recs, 2, 1);
    assert.equal(s.student_steps, 4);
    assert.equal(s.measured, 3);
    assert.equal(s.measured_from_step, 3);
    near(s.images_per_s, (2 * 3) / 0.7, 'images/s');
    near(s.step_ms_median, 200, 'median ms');
    near(s.step_ms_mean, 233.33, 'mean ms (2 decimals)');
    near(s.teacher_wait_fraction, 60 / 700, 'teacher wait');
    near(s.ema_wait_fraction, 30 / 700, 'EMA wait');
    assert.equal(s.staleness_mean, 2.5);
    assert.equal(s.staleness_max, 4);
    assert.throws(() => stepStats(recs, 2, 4), /none left/);
    assert.throws(() => stepStats(recs.slice(1), 2, 0), /without gaps/);
  });

  it('--smoke writes services.json with the expected shape and finite positive numbers, and services.md', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sfda-bench-services-test-'));
    try {
      const r = await run(['--smoke', '--out', out]);
      assert.equal(r.code, 0, r.out.slice(-4000));
      const j = JSON.parse(fs.readFileSync(path.join(out, 'services.json'), 'utf8'));
      assert.deepEqual(Object.keys(j.sync), ['distributed_over_single']);
      assert.deepEqual(Object.keys(j.pipelined).sort(), ['distributed_over_single', 'miou_delta', 'staleness_mean', 'teacher_wait_fraction']);
      finitePositive(j.sync.distributed_over_single, 'sync.distributed_over_single');
      for (const k of ['distributed_over_single', 'teacher_wait_fraction', 'staleness_mean']) finitePositive(j.pipelined?.[k], `pipelined.${k}`);
      assert.ok(j.pipelined.teacher_wait_fraction < 1, `teacher_wait_fraction ${j.pipelined.teacher_wait_fraction} is a share`);
      // a difference of two mIoUs: finite, of either sign
      assert.equal(typeof j.pipelined.miou_delta, 'number');
      assert.ok(Number.isFinite(j.pipelined.miou_delta) && Math.abs(j.pipelined.miou_delta) <= 1, `miou_delta ${j.pipelined.miou_delta}`);
      assert.ok(Array.isArray(j.ema_sync) && j.ema_sync.length === 2, 'ema_sync: two sizes');
      for (const [i, e] of (j.ema_sync as Record<string, unknown>[]).entries()) {
        assert.deepEqual(Object.keys(e).sort(), ['latency_ms', 'mb_per_s', 'params'], 'ema_sync entries: exactly params, mb_per_s, latency_ms');
        for (const k of ['params', 'mb_per_s', 'latency_ms']) finitePositive(e[k], `ema_sync[${i}].${k}`);
      }
      assert.equal(j.meta.smoke, true);
      assert.ok(j.meta.notes.some((n: string) => /random tiny/.test(n)), 'meta.notes says the model is a random tiny one');
      for (const k of ['loadavg_start', 'loadavg_end']) assert.ok(Array.isArray(j.meta[k]) && j.meta[k].length === 3, k);
      assert.equal(j.runs.length, 1);
      for (const m of ['single', 'sync', 'pipelined']) finitePositive(j.runs[0][m].images_per_s, `runs[0].${m}.images_per_s`);
      // sync is bit-identical to the single-process run
      assert.equal(j.runs[0].sync.teacher_miou, j.runs[0].single.teacher_miou);
      const md = fs.readFileSync(path.join(out, 'services.md'), 'utf8');
      assert.match(md, /SMOKE RUN/);
      assert.match(md, /\| distributed pipelined \|/);
      assert.match(md, /Load average/);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
