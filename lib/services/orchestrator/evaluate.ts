/**
 * Evaluate: the mIoU of a run's current teacher on the run config's labelled evaluation split
 * (evalDataset(cfg.eval, protocol) + evalOptions(cfg, meta), the same split and options as the
 * run's own diagnostic evaluation), predicting through Teacher.Predict: each normalised batch
 * is encoded with the tensor codec (split so that no message exceeds the size limit) and the
 * uint8 labels decoded. The teacher is live, so a running run is evaluated at whatever version
 * it serves; the reply carries the version of the last batch (a change during the evaluation
 * is logged).
 *
 * When the teacher does not have the run loaded (NOT_FOUND / FAILED_PRECONDITION, or it is
 * unreachable) and the run is FINISHED, the run's teacher.model.ckpt is evaluated in this
 * process instead (lib/model/model-predictor.ts openModel); the reply's `split` says so
 * ("… [local teacher.model.ckpt: …]"). An unfinished run whose teacher does not have it is
 * FAILED_PRECONDITION; an unreachable teacher is UNAVAILABLE. With out_dir, prediction PNGs
 * (train ids) and the first `overlays` colour overlays are written there (evaluatePredictor's
 * export option).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import type { TensorData } from '../../engine/ir/tensor.js';
import type { EvaluationResult } from '../../eval/results.js';
import { loadSegModel, readSidecar, type ModelMeta } from '../../model/model-file.js';
import { openModel } from '../../model/model-predictor.js';
import type { Logger } from '../../run/logger.js';
import { evalDataset, evalOptions } from '../../train/adapt-data.js';
import { evaluatePredictor, type EvaluateOptions } from '../../train/evaluate.js';
import { decodeTensor, encodeTensor, FailedPrecondition, GrpcError, Internal, isServiceError, unary } from '../grpc/index.js';
import type { Peer } from './clients.js';
import { parseResolvedConfig } from '../run-config.js';
import { readResults, readRunConfig, RUN_CONFIG_FILE } from './run-files.js';
import type { RunRecord } from './run-record.js';

export interface EvaluateDeps {
  readonly teacher: Peer<'Teacher'>;
  /** Deadline of one Teacher.Predict call (ms). */
  readonly predictDeadlineMs: number;
  /** Largest message the orchestrator sends (the Predict images are split to fit). */
  readonly maxMessageBytes: number;
  /** Colour overlays written with out_dir. */
  readonly overlays: number;
  readonly logger: Logger;
}

export interface EvaluateParams {
  /** 0: the config's eval.limit (0 there: every image). */
  readonly limit: number;
  /** '' = write nothing. */
  readonly outDir: string;
}

export interface RunEvaluation {
  readonly result: EvaluationResult;
  readonly split: string;
  readonly weights: { version: number; digest: string };
  /** True when teacher.model.ckpt was evaluated in the orchestrator. */
  readonly local: boolean;
}

/** Codes of a teacher that cannot evaluate this run now (a finished run is evaluated locally). */
const NOT_LOADED = [status.NOT_FOUND, status.FAILED_PRECONDITION];
const UNREACHABLE = [status.UNAVAILABLE, status.DEADLINE_EXCEEDED];

class TeacherCannotServe extends Error {
  constructor(readonly error: Error & { code: status; details: string }) {
    super(error.details);
  }
}

const metaCache = new Map<string, ModelMeta>();

/** The model metadata of a run (normalisation, protocol, classes): model.onnx.json, else the source model's. */
export async function runModelMeta(rec: RunRecord, logger?: Logger): Promise<ModelMeta> {
  const onnx = path.join(rec.run_dir, 'model.onnx');
  try {
    const side = fs.existsSync(onnx) ? readSidecar(onnx) : undefined;
    if (side) return side;
  } catch (e) {
    logger?.warn('unreadable model sidecar: using the source model\'s metadata', { run_id: rec.run_id, error: (e as Error).message });
  }
  let meta = metaCache.get(rec.source_model);
  if (!meta) {
    if (!fs.existsSync(rec.source_model)) throw new FailedPrecondition(`run ${rec.run_id}: its source model ${rec.source_model} is not readable here`);
    meta = (await loadSegModel(rec.source_model)).meta;
    metaCache.set(rec.source_model, meta);
  }
  return meta;
}

/** A BatchPredictor over Teacher.Predict, in chunks that fit the message limit. */
function teacherPredictor(rec: RunRecord, deps: EvaluateDeps, seen: { calls: number; versions: Set<number>; last: { version: number; digest: string } }) {
  return async (images: TensorData): Promise<Uint8Array> => {
    const [n, c, h, w] = images.shape as [number, number, number, number];
    const perImage = c * h * w * 4;
    const chunk = Math.max(1, Math.min(n, Math.floor((deps.maxMessageBytes * 0.9) / perImage)));
    const out = new Uint8Array(n * h * w);
    for (let s = 0; s < n; s += chunk) {
      const m = Math.min(chunk, n - s);
      const part: TensorData = { dtype: 'float32', shape: [m, c, h, w], data: (images.data as Float32Array).subarray(s * c * h * w, (s + m) * c * h * w) };
      let reply;
      try {
        reply = await unary(deps.teacher.client, 'Predict', { run_id: rec.run_id, images: encodeTensor(part, 'images') }, { deadlineMs: deps.predictDeadlineMs });
      } catch (e) {
        if (seen.calls === 0 && isServiceError(e) && (NOT_LOADED.includes(e.code) || UNREACHABLE.includes(e.code))) throw new TeacherCannotServe(e);
        if (isServiceError(e)) throw new GrpcError(e.code, `teacher at ${deps.teacher.address}: Predict: ${e.details}`);
        throw e;
      }
      seen.calls++;
      let labels: TensorData;
      try {
        labels = decodeTensor(reply.labels, 'labels', { dtype: 'uint8', shape: [m, h, w] });
      } catch (e) {
        throw new Internal(`teacher at ${deps.teacher.address}: bad Predict reply: ${(e as Error).message}`);
      }
      out.set(labels.data as Uint8Array, s * h * w);
      if (reply.weights) {
        seen.last = { version: reply.weights.version, digest: reply.weights.digest };
        seen.versions.add(reply.weights.version);
      }
    }
    return out;
  };
}

function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

export async function evaluateRun(rec: RunRecord, params: EvaluateParams, deps: EvaluateDeps): Promise<RunEvaluation> {
  const json = readRunConfig(rec.run_dir);
  if (json === undefined) throw new FailedPrecondition(`run ${rec.run_id}: ${path.join(rec.run_dir, RUN_CONFIG_FILE)} is missing`);
  const cfg = parseResolvedConfig(json, RUN_CONFIG_FILE);
  const meta = await runModelMeta(rec, deps.logger);
  const ds = await evalDataset(cfg.eval, meta.protocol);
  const base = evalOptions(cfg, meta);
  const opts: EvaluateOptions = {
    ...base,
    ...(params.limit > 0 ? { limit: params.limit } : {}),
    ...(params.outDir ? { export: { dir: path.resolve(params.outDir), predictions: true, overlays: deps.overlays } } : {}),
  };
  const seen = { calls: 0, versions: new Set<number>(), last: { version: rec.teacher_version, digest: '' } };
  try {
    const ev = await evaluatePredictor(teacherPredictor(rec, deps, seen), ds, opts);
    if (seen.versions.size > 1) {
      deps.logger.warn('the teacher weights changed during the evaluation', { run_id: rec.run_id, versions: [...seen.versions].sort((a, b) => a - b).join(',') });
    }
    return { result: ev.result, split: ds.id, weights: seen.last, local: false };
  } catch (e) {
    if (!(e instanceof TeacherCannotServe)) throw e;
    const why = `${e.error.code === status.NOT_FOUND ? 'does not have the run loaded' : 'cannot serve it'} (${e.error.details})`;
    if (rec.phase !== 'FINISHED') {
      if (UNREACHABLE.includes(e.error.code)) throw new GrpcError(e.error.code, `teacher at ${deps.teacher.address}: Predict: ${e.error.details}`);
      throw new FailedPrecondition(`run ${rec.run_id} (${rec.phase}): the teacher at ${deps.teacher.address} ${why}; evaluate while the run runs there, or after it has finished`);
    }
    const ckpt = path.join(rec.run_dir, 'teacher.model.ckpt');
    if (!fs.existsSync(ckpt)) throw new FailedPrecondition(`run ${rec.run_id}: the teacher ${why}, and ${ckpt} does not exist`);
    deps.logger.info('evaluating the finished run locally', { run_id: rec.run_id, file: ckpt, teacher: why });
    const model = await openModel(ckpt, { batch: base.batch ?? 4 });
    try {
      const ev = await evaluatePredictor(model.predict, ds, opts);
      const version = readResults(rec.run_dir)?.teacher_version ?? rec.teacher_version;
      return { result: ev.result, split: `${ds.id} [local teacher.model.ckpt: the teacher ${e.error.code === status.NOT_FOUND ? 'does not have the run loaded' : 'is unavailable'}]`, weights: { version, digest: sha256File(ckpt) }, local: true };
    } finally {
      await model.close();
    }
  }
}
