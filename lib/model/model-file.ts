/**
 * The segmentation model file that source training writes and adaptation, evaluation and
 * prediction load ("model checkpoint", `*.model.ckpt`). It is a checkpoint of
 * lib/engine/runtime/checkpoint.ts (format STVMCKPT v1: atomic, checksummed) whose
 *
 * - tensors are every initializer of the network under its PyTorch state-dict name
 *   (conv weights, BN weight/bias/running_mean/running_var, classifier weights/biases), i.e.
 *   exactly what `createDeepLab(spec, …)` creates, with the trained values;
 * - metadata is a `ModelMeta` JSON object:
 *     { format: 'stvm-segmodel', version: 1,
 *       spec:      the DeepLabSpec (lib/engine/models/spec.ts; validated on load),
 *       normalize: { mean: [r,g,b], std: [r,g,b] }  network input x = (v/255 − mean)/std,
 *       protocol:  class protocol id (e.g. 'camvid11'), classes: class names (index = train id),
 *       inputSize: [width, height]  the image size the model was trained/evaluated at (the
 *                  size of the exported ONNX model; other sizes work, the net is convolutional),
 *       source:    free-form provenance (config hash, run dir, iterations) }.
 *
 * The same metadata (without tensors) is written next to an exported ONNX model as
 * `<model>.onnx.json`, so evaluate/predict know the normalisation of an ONNX file too.
 */
import fs from 'node:fs';
import type { TensorData } from '../engine/ir/tensor.js';
import { loadCheckpoint, saveCheckpoint, verifyTensors, type JsonValue } from '../engine/runtime/checkpoint.js';
import { specsOf, type TensorSpec } from '../engine/runtime/tensor-spec.js';
import { createDeepLab } from '../engine/models/deeplab.js';
import { validateDeepLabSpec, type DeepLabSpec } from '../engine/models/spec.js';

export const MODEL_FORMAT = 'stvm-segmodel';

/** Network input normalisation on the [0, 1] scale: x = (v/255 − mean_c) / std_c. */
export interface Normalization {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

export const IMAGENET_NORMALIZATION: Normalization = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

export interface ModelMeta {
  readonly format: typeof MODEL_FORMAT;
  readonly version: 1;
  readonly spec: DeepLabSpec;
  readonly normalize: Normalization;
  readonly protocol: string;
  readonly classes: readonly string[];
  /** [width, height]. */
  readonly inputSize: readonly [number, number];
  readonly source?: JsonValue;
}

export interface SegModelFile {
  readonly meta: ModelMeta;
  /** Every initializer of the network (PyTorch names), incl. BN running statistics. */
  readonly tensors: Map<string, TensorData>;
}

export class ModelFileError extends Error {
  constructor(file: string, msg: string) {
    super(`model ${file}: ${msg}`);
    this.name = 'ModelFileError';
  }
}

function checkNorm(file: string, n: unknown): Normalization {
  const o = n as Normalization | undefined;
  const ok = (a: unknown) => Array.isArray(a) && a.length === 3 && a.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (!o || !ok(o.mean) || !ok(o.std) || !o.std.every((s) => s > 0)) throw new ModelFileError(file, `metadata.normalize must be {mean: [3 numbers], std: [3 positive numbers]} (got ${JSON.stringify(n)})`);
  return { mean: [...o.mean], std: [...o.std] };
}

/** Validates model metadata read from a file (checkpoint or ONNX sidecar); errors name the field. */
export function validateModelMeta(file: string, raw: unknown): ModelMeta {
  const m = raw as Record<string, unknown> | null;
  if (!m || typeof m !== 'object' || m['format'] !== MODEL_FORMAT) throw new ModelFileError(file, `is not a segmentation model file (metadata.format must be '${MODEL_FORMAT}')`);
  if (m['version'] !== 1) throw new ModelFileError(file, `metadata.version ${JSON.stringify(m['version'])} is not supported (expected 1)`);
  let spec: DeepLabSpec;
  try {
    spec = validateDeepLabSpec(m['spec'], 'metadata.spec');
  } catch (e) {
    throw new ModelFileError(file, (e as Error).message);
  }
  const classes = m['classes'];
  if (!Array.isArray(classes) || classes.length !== spec.numClasses || !classes.every((c) => typeof c === 'string')) {
    throw new ModelFileError(file, `metadata.classes must list ${spec.numClasses} class names (spec.numClasses)`);
  }
  if (typeof m['protocol'] !== 'string') throw new ModelFileError(file, 'metadata.protocol must be a string');
  const size = m['inputSize'];
  if (!Array.isArray(size) || size.length !== 2 || !size.every((v) => Number.isInteger(v) && v > 0)) throw new ModelFileError(file, `metadata.inputSize must be [width, height] (got ${JSON.stringify(size)})`);
  return {
    format: MODEL_FORMAT, version: 1, spec, normalize: checkNorm(file, m['normalize']), protocol: m['protocol'], classes: [...classes] as string[],
    inputSize: [size[0] as number, size[1] as number], ...(m['source'] !== undefined ? { source: m['source'] as JsonValue } : {}),
  };
}

/** The tensors (names, dtypes, shapes) a network of `spec` has. */
export function expectedTensors(spec: DeepLabSpec): Map<string, TensorSpec> {
  const { g } = createDeepLab({ ...spec, upsampleLogits: false }, 1, 33, 33, 'shape_probe');
  return specsOf(g.graph.initializers);
}

/** Writes a model file atomically. */
export async function saveSegModel(file: string, m: SegModelFile): Promise<void> {
  await saveCheckpoint(file, { step: 0, tensors: m.tensors, metadata: m.meta as unknown as JsonValue });
}

/** Reads and verifies a model file (metadata, and every tensor against the spec's network). */
export async function loadSegModel(file: string): Promise<SegModelFile> {
  const ck = await loadCheckpoint(file);
  const meta = validateModelMeta(file, ck.metadata);
  const expect = expectedTensors(meta.spec);
  verifyTensors(file, ck.tensors, expect);
  return { meta, tensors: ck.tensors };
}

/** Path of the metadata sidecar of an exported ONNX model. */
export const sidecarPath = (onnxFile: string): string => `${onnxFile}.json`;

/** Reads the sidecar of an ONNX model, or undefined when there is none. */
export function readSidecar(onnxFile: string): ModelMeta | undefined {
  const p = sidecarPath(onnxFile);
  if (!fs.existsSync(p)) return undefined;
  return validateModelMeta(p, JSON.parse(fs.readFileSync(p, 'utf8')));
}
