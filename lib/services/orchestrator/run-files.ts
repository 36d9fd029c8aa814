/**
 * What the orchestrator reads from a run directory that the student writes (adapt-run.ts):
 * checkpoints/latest.json ({step, file}), results.json (the final diagnostic mIoU), config.json
 * (the resolved record, whose hash is the run's config hash) — and run.config.json, the
 * resolved config the orchestrator validated and sent, which a resume sends again.
 * Readers never throw on a missing or half-written file: they return undefined.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { configHash } from '../../train/config-hash.js';

export const RUN_CONFIG_FILE = 'run.config.json';

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The latest checkpoint: its step and absolute path (checkpoints/latest.json), with the pointer's mtime. */
export function latestCheckpointOf(runDir: string): { step: number; path: string; mtimeMs: number } | undefined {
  const p = path.join(runDir, 'checkpoints', 'latest.json');
  const l = readJson(p) as { step?: unknown; file?: unknown } | undefined;
  if (!l || typeof l.step !== 'number' || typeof l.file !== 'string') return undefined;
  let mtimeMs = 0;
  try {
    mtimeMs = fs.statSync(p).mtimeMs;
  } catch {
    // gone meanwhile
  }
  return { step: l.step, path: path.join(runDir, 'checkpoints', l.file), mtimeMs };
}

export interface RunResults {
  /** Teacher mIoU of the final diagnostic evaluation (undefined when none was configured). */
  miou?: number;
  iterations?: number;
  teacher_version?: number;
}

/** results.json of a finished run. */
export function readResults(runDir: string): RunResults | undefined {
  const r = readJson(path.join(runDir, 'results.json')) as Record<string, unknown> | undefined;
  if (!r || typeof r !== 'object') return undefined;
  const teacher = r['teacher'] as { mIoU?: unknown } | undefined;
  return {
    ...(teacher && typeof teacher.mIoU === 'number' ? { miou: teacher.mIoU } : {}),
    ...(typeof r['iterations'] === 'number' ? { iterations: r['iterations'] } : {}),
    ...(typeof r['teacher_version'] === 'number' ? { teacher_version: r['teacher_version'] } : {}),
  };
}

/** configHash of the student's config.json (= adapt-run's hash), once it exists. */
export function configHashOf(runDir: string): string | undefined {
  const c = readJson(path.join(runDir, 'config.json'));
  return c === undefined ? undefined : configHash(c);
}

export async function writeRunConfig(runDir: string, json: string): Promise<void> {
  await writeFileAtomic(path.join(runDir, RUN_CONFIG_FILE), `${json}\n`);
}

/** run.config.json's text, or undefined. */
export function readRunConfig(runDir: string): string | undefined {
  try {
    return fs.readFileSync(path.join(runDir, RUN_CONFIG_FILE), 'utf8').trim();
  } catch {
    return undefined;
  }
}
