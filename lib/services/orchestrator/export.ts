/**
 * Export: a finished run's model.onnx (the teacher as a plain inference ONNX model) and its
 * sidecar model.onnx.json (normalisation, classes) copied to the requested path, each written
 * atomically (lib/util/atomic-write.ts) — the sidecar first, so a model that appears always
 * has its sidecar. `path` may be an existing directory (the file is then <dir>/<run_id>.onnx).
 * A run that has not finished is FAILED_PRECONDITION saying where it is.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { FailedPrecondition, InvalidArgument } from '../grpc/index.js';
import { readResults } from './run-files.js';
import type { RunRecord } from './run-record.js';

export interface ExportedModel {
  readonly path: string;
  /** SHA-256 (hex) of the written ONNX file. */
  readonly sha256: string;
  /** The teacher version the model holds. */
  readonly version: number;
  readonly sidecar: boolean;
}

export async function exportRunModel(rec: RunRecord, target: string): Promise<ExportedModel> {
  if (rec.phase !== 'FINISHED') {
    throw new FailedPrecondition(`run ${rec.run_id} has not finished (phase ${rec.phase}, step ${rec.step}/${rec.iterations}): there is no final model to export yet`);
  }
  const src = path.join(rec.run_dir, 'model.onnx');
  if (!fs.existsSync(src)) throw new FailedPrecondition(`run ${rec.run_id} is FINISHED but ${src} does not exist`);
  let out = path.resolve(target);
  if (fs.existsSync(out) && fs.statSync(out).isDirectory()) out = path.join(out, `${rec.run_id}.onnx`);
  if (path.resolve(out) === path.resolve(src)) throw new InvalidArgument(`path: ${target} is the run's own model file`, 'path');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const sidecarSrc = `${src}.json`;
  const sidecar = fs.existsSync(sidecarSrc);
  if (sidecar) await writeFileAtomic(`${out}.json`, fs.readFileSync(sidecarSrc));
  const bytes = fs.readFileSync(src);
  await writeFileAtomic(out, bytes);
  return {
    path: out, sha256: createHash('sha256').update(bytes).digest('hex'),
    version: readResults(rec.run_dir)?.teacher_version ?? rec.teacher_version, sidecar,
  };
}
