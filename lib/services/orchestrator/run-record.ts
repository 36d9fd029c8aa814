/**
 * run.json: the orchestrator's record of one run, beside the run's checkpoints in
 * <runsRoot>/<run_id>/. It is the run's state on disk — phase, last step, teacher version,
 * last checkpoint, restarts — so a restarted orchestrator knows every run and follows the
 * active ones again. Always written atomically (lib/util/atomic-write.ts); mIoU NaN is null.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../util/atomic-write.js';
import type { RunInfo } from '../../../proto/gen/sfda/v1/RunInfo.js';
import { isRunPhase, type RunPhase } from './phases.js';

export const RUN_RECORD_FILE = 'run.json';

export type RunMode = 'sync' | 'pipelined';
export const RUN_MODES: readonly RunMode[] = ['sync', 'pipelined'];

export interface RunRecord {
  run_id: string;
  phase: RunPhase;
  /** ISO times. */
  created: string;
  updated: string;
  mode: RunMode;
  /** 0 in sync mode. */
  max_staleness: number;
  /** Hash of the run's resolved record (the student's config.json), once the student wrote it. */
  config_hash?: string;
  /** The algorithm name (config `name`). */
  method: string;
  source_model: string;
  run_dir: string;
  step: number;
  iterations: number;
  teacher_version: number;
  last_checkpoint: string;
  /** Why the run failed, or the latest trouble reaching the student ('' when none). */
  error: string;
  /** Latest teacher mIoU (0–1): the student's diagnostic evaluation, results.json or Evaluate; null when none. */
  miou: number | null;
  /** Addresses of the pair (student, teacher) the run is assigned to; '' while QUEUED. */
  student: string;
  teacher: string;
  /** Latest weights version the student published to NATS (orchestrator.weightsHead; 0: unknown). */
  published_version?: number;
  /** Times the orchestrator resumed the run automatically after losing the student. */
  restarts: number;
  /** Cumulative wall time of the run as the student reports it (s). */
  wall_s: number;
  /** The latest scalar metrics of a step (loss, lr, ...). */
  metrics: Record<string, number>;
  /** The latest Evaluate call: mIoU, split, images, teacher version, time. */
  last_eval?: { miou: number | null; split: string; images: number; teacher_version: number; at: string };
}

export function recordPath(runDir: string): string {
  return path.join(runDir, RUN_RECORD_FILE);
}

/** The record as JSON text (2-space indented, trailing newline). */
export function serializeRecord(r: RunRecord): string {
  return `${JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}

/** Writes <run_dir>/run.json atomically. */
export async function writeRecord(r: RunRecord): Promise<void> {
  await writeFileAtomic(recordPath(r.run_dir), serializeRecord(r));
}

const num = (v: unknown, d = 0): number => (typeof v === 'number' && Number.isFinite(v) ? v : d);
const str = (v: unknown, d = ''): string => (typeof v === 'string' ? v : d);

/**
 * Parses run.json text (tolerant: missing fields get defaults; an unknown phase becomes
 * FAILED with a note). `runDir` is where the file was found (it wins over the stored run_dir,
 * so a moved runs folder still works). Throws on text that is not a JSON object.
 */
export function parseRecord(text: string, runDir: string): RunRecord {
  const o = JSON.parse(text) as Record<string, unknown>;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new Error('not a JSON object');
  const phaseRaw = str(o['phase']);
  const known = isRunPhase(phaseRaw);
  const metrics: Record<string, number> = {};
  if (typeof o['metrics'] === 'object' && o['metrics'] !== null) {
    for (const [k, v] of Object.entries(o['metrics'] as Record<string, unknown>)) if (typeof v === 'number') metrics[k] = v;
  }
  const rec: RunRecord = {
    run_id: str(o['run_id'], path.basename(runDir)),
    phase: known ? phaseRaw : 'FAILED',
    created: str(o['created']),
    updated: str(o['updated']),
    mode: o['mode'] === 'pipelined' ? 'pipelined' : 'sync',
    max_staleness: num(o['max_staleness']),
    method: str(o['method']),
    source_model: str(o['source_model']),
    run_dir: runDir,
    step: num(o['step']),
    iterations: num(o['iterations']),
    teacher_version: num(o['teacher_version']),
    last_checkpoint: str(o['last_checkpoint']),
    error: known ? str(o['error']) : `run.json had an unknown phase '${phaseRaw}'`,
    miou: typeof o['miou'] === 'number' ? o['miou'] : null,
    student: str(o['student']),
    teacher: str(o['teacher']),
    restarts: num(o['restarts']),
    wall_s: num(o['wall_s']),
    metrics,
    ...(typeof o['config_hash'] === 'string' ? { config_hash: o['config_hash'] } : {}),
    ...(typeof o['published_version'] === 'number' ? { published_version: o['published_version'] } : {}),
    ...(typeof o['last_eval'] === 'object' && o['last_eval'] !== null ? { last_eval: o['last_eval'] as RunRecord['last_eval'] & object } : {}),
  };
  return rec;
}

/** Reads <runDir>/run.json, or undefined when there is none. */
export function readRecord(runDir: string): RunRecord | undefined {
  const p = recordPath(runDir);
  if (!fs.existsSync(p)) return undefined;
  return parseRecord(fs.readFileSync(p, 'utf8'), runDir);
}

/**
 * Every run.json directly under runsRoot (<runsRoot>/<id>/run.json), sorted by creation time.
 * Unreadable files are reported through `onError` and skipped.
 */
export function listRecords(runsRoot: string, onError: (file: string, err: Error) => void = () => {}): RunRecord[] {
  if (!fs.existsSync(runsRoot)) return [];
  const out: RunRecord[] = [];
  for (const e of fs.readdirSync(runsRoot, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const dir = path.join(runsRoot, e.name);
    try {
      const r = readRecord(dir);
      if (r) out.push(r);
    } catch (err) {
      onError(recordPath(dir), err as Error);
    }
  }
  return out.sort((a, b) => a.created.localeCompare(b.created) || a.run_id.localeCompare(b.run_id));
}

/** The RunInfo message of a record (mIoU NaN when none). */
export function toRunInfo(r: RunRecord): RunInfo {
  return {
    run_id: r.run_id, phase: r.phase, step: r.step, iterations: r.iterations, teacher_version: r.teacher_version,
    run_dir: r.run_dir, mode: r.mode, created: r.created, updated: r.updated, miou: r.miou ?? Number.NaN,
    error: r.error, last_checkpoint: r.last_checkpoint, method: r.method, student: r.student, teacher: r.teacher,
  };
}
