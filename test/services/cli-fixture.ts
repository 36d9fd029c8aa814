/**
 * For the `sfda` tests: a fake Orchestrator (a real gRPC server on loopback implementing
 * sfda.v1.Orchestrator with canned answers, built with lib/services/grpc), `sfda` run
 * in-process with captured output, and `sfda` run as a child process (the real exit code).
 *
 * Canned runs: 'r-done' (FINISHED), 'r-run' (RUNNING: its WatchRun streams progress, then
 * FINISHED), 'r-fail' (RUNNING: streams, then FAILED), 'r-flaky' (RUNNING: the first WatchRun
 * ends after one event without a terminal phase — as on an orchestrator shutdown — the second
 * streams to FINISHED), 'r-slow' (RUNNING: streams an event every 50 ms until the call ends;
 * FINISHED once `finish('r-slow')` is called). Unknown run ids are NOT_FOUND.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, InvalidArgument, NotFound, type GrpcServer, type ServerTlsFiles, type ServiceImpl } from '../../lib/services/grpc/index.js';
import type { OrchestratorHandlers } from '../../proto/gen/sfda/v1/Orchestrator.js';
import type { OrchStartRunRequest__Output } from '../../proto/gen/sfda/v1/OrchStartRunRequest.js';
import type { Progress__Output } from '../../proto/gen/sfda/v1/Progress.js';
import type { RunInfo__Output } from '../../proto/gen/sfda/v1/RunInfo.js';
import { runSfda } from '../../orchestrator/cli/app.js';

export const TOKEN = 'cli-test-token';
export const SFDA = fileURLToPath(new URL('../../orchestrator/cli/sfda.js', import.meta.url));

export function runInfo(run_id: string, o: Partial<RunInfo__Output> = {}): RunInfo__Output {
  return {
    run_id, phase: 'RUNNING', step: 0, iterations: 4, teacher_version: 0, run_dir: '', mode: 'sync',
    created: '2024-05-01T12:00:00Z', updated: '2024-05-01T12:00:01Z', miou: NaN, error: '', last_checkpoint: '', method: 'stvm',
    student: '127.0.0.1:50052', teacher: '127.0.0.1:50051', ...o,
  };
}

function progress(run_id: string, step: number, phase: string, o: Partial<Progress__Output> = {}): Progress__Output {
  return {
    run_id, step, iterations: 4, metrics: { loss: 1 / (step + 1), mean_reliability: 0.5 + step / 10 }, teacher_version: Math.max(0, step - 1),
    phase, miou: NaN, message: '', wall_s: step * 0.5, ...o,
  };
}

export interface FakeOrchestrator {
  server: GrpcServer;
  address: string;
  runs: Map<string, RunInfo__Output>;
  /** StartRun requests received. */
  starts: OrchStartRunRequest__Output[];
  /** WatchRun calls per run id. */
  watches: Map<string, number>;
  port: number;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startFakeOrchestrator(runDir: string, o: { port?: number; tls?: ServerTlsFiles; runs?: Map<string, RunInfo__Output> } = {}): Promise<FakeOrchestrator> {
  const runs = new Map<string, RunInfo__Output>([
    ['r-done', runInfo('r-done', { phase: 'FINISHED', step: 4, teacher_version: 4, miou: 0.4123, run_dir: runDir, last_checkpoint: path.join(runDir, 'checkpoints', 'step-0000004.ckpt') })],
    ['r-run', runInfo('r-run', { step: 1, teacher_version: 1, run_dir: runDir })],
    ['r-fail', runInfo('r-fail', { step: 1, run_dir: runDir })],
    ['r-flaky', runInfo('r-flaky', { step: 1, run_dir: runDir })],
    ['r-slow', runInfo('r-slow', { step: 1, iterations: 1000, run_dir: runDir })],
  ]);
  for (const [k, v] of o.runs ?? []) runs.set(k, v);
  const starts: OrchStartRunRequest__Output[] = [];
  const watches = new Map<string, number>();
  const get = (id: string) => {
    const r = runs.get(id);
    if (!r) throw new NotFound(`run '${id}' not found`);
    return r;
  };
  const impl: ServiceImpl<OrchestratorHandlers> = {
    StartRun: (req) => {
      starts.push(req);
      const cfg = JSON.parse(req.config_json) as { name?: string };
      for (const k of Object.keys(req.overrides)) if (k === 'bogus') throw new InvalidArgument(`config field 'bogus': unknown field`, 'bogus');
      const id = req.run_id || `${cfg.name ?? 'run'}-1`;
      const info = runInfo(id, { phase: 'STARTING', iterations: Number(req.overrides['iterations'] ?? 4), mode: req.mode || 'sync', run_dir: runDir });
      runs.set(id, info);
      // a started run follows the 'r-run' script
      return info;
    },
    StopRun: (req) => {
      const r = get(req.run_id);
      r.phase = 'STOPPING';
      return r;
    },
    ResumeRun: (req) => {
      const r = get(req.run_id);
      r.phase = 'RUNNING';
      return r;
    },
    GetRun: (req) => get(req.run_id),
    ListRuns: () => ({ runs: [...runs.values()] }),
    WatchRun: async (req, ctx) => {
      const r = get(req.run_id);
      const n = (watches.get(r.run_id) ?? 0) + 1;
      watches.set(r.run_id, n);
      if (r.run_id === 'r-slow') {
        for (let step = r.step; !ctx.signal.aborted && r.phase === 'RUNNING'; step++) {
          if (!(await ctx.send(progress(r.run_id, step, 'RUNNING', { iterations: 1000 })))) return;
          await sleep(50);
        }
        if (r.phase !== 'RUNNING') await ctx.send(progress(r.run_id, r.step, r.phase, { iterations: 1000 }));
        return;
      }
      if (r.run_id === 'r-flaky' && n === 1) {
        await ctx.send(progress(r.run_id, 1, 'RUNNING'));
        return; // ends without a terminal phase, like a shutdown
      }
      const failing = r.run_id === 'r-fail';
      for (let step = r.step; step <= 3; step++) {
        if (!(await ctx.send(progress(r.run_id, step, 'RUNNING', step === 3 && !failing ? { miou: 0.35 } : {})))) return;
        await sleep(5);
      }
      const last = failing
        ? progress(r.run_id, 3, 'FAILED', { message: 'student at 127.0.0.1:1 failed: out of memory' })
        : progress(r.run_id, 4, 'FINISHED', { miou: 0.4123 });
      Object.assign(r, { phase: last.phase, step: last.step, teacher_version: last.teacher_version, miou: last.miou, error: failing ? last.message : '' });
      await ctx.send(last);
    },
    Evaluate: (req) => {
      get(req.run_id);
      return {
        run_id: req.run_id, miou: 0.4123, pixel_accuracy: 0.875, class_iou: { road: 0.9, car: 0.5, sky: NaN },
        weights: { version: 4, digest: 'ab'.repeat(32) }, split: 'val', images: req.limit || 10,
      };
    },
    Export: (req) => {
      get(req.run_id);
      return { path: req.path, sha256: 'cd'.repeat(32), weights: { version: 4, digest: 'ab'.repeat(32) } };
    },
  };
  const server = createServer({ token: TOKEN });
  server.add('Orchestrator', impl);
  server.setServing(true);
  const port = await server.bind(`127.0.0.1:${o.port ?? 0}`, o.tls);
  return { server, address: `127.0.0.1:${port}`, port, runs, starts, watches, close: async () => { await server.shutdown(1000); } };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment of a test run of sfda: without the caller's SFDA_* variables. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SFDA_')) env[k] = v;
  return { ...env, ...extra };
}

/** Runs sfda in this process. */
export async function sfda(args: readonly string[], o: { cwd: string; env?: NodeJS.ProcessEnv; signal?: AbortSignal; tty?: boolean }): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runSfda(args, {
    out: (s) => { stdout += s; },
    err: (s) => { stderr += s; },
    errIsTTY: o.tty ?? false,
    env: cleanEnv(o.env),
    cwd: o.cwd,
    signal: o.signal ?? new AbortController().signal,
  });
  return { code, stdout, stderr };
}

/** Runs `node dist/orchestrator/cli/sfda.js args…` as a child process. */
export function sfdaProcess(args: readonly string[], o: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SFDA, ...args], { cwd: o.cwd, env: cleanEnv(o.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sfda ${args.join(' ')} did not exit within ${o.timeoutMs ?? 30_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, o.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(t);
      resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr });
    });
  });
}

/** A log.jsonl with a few records in runDir. */
export function writeRunLog(runDir: string): void {
  fs.mkdirSync(runDir, { recursive: true });
  const recs = [
    { t: '2024-05-01T12:00:00.000Z', level: 'info', msg: 'run started', component: 'student', iterations: 4 },
    { t: '2024-05-01T12:00:01.000Z', level: 'debug', msg: 'batch', step: 1 },
    { t: '2024-05-01T12:00:02.000Z', level: 'warn', msg: 'teacher slow', wait_ms: 1234.5678, peer: 'teacher at 127.0.0.1:1' },
  ];
  fs.writeFileSync(path.join(runDir, 'log.jsonl'), `${recs.map((r) => JSON.stringify(r)).join('\n')}\nnot json\n`);
}
