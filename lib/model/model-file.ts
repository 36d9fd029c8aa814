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
import { buildImportedNet, type ImportedNetMeta } from './imported-net.js';

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

/**
 * Metadata of an imported ONNX graph (cli/import-model.ts, lib/model/imported-net.ts): no
 * DeepLab spec; `imported` says how the graph is used. The file stores the graph's bytes as
 * the uint8 tensor ONNX_TENSOR and its float initializers (weights, BN statistics) by name.
 */
export interface ImportedModelMeta extends Omit<ModelMeta, 'spec'> {
  readonly spec?: undefined;
  readonly imported: ImportedNetMeta;
}

/** A DeepLab model file's metadata or an imported graph's. */
export type AnyModelMeta = ModelMeta | ImportedModelMeta;

export interface SegModelFile {
  readonly meta: ModelMeta;
  /** Every initializer of the network (PyTorch names), incl. BN running statistics. */
  readonly tensors: Map<string, TensorData>;
  readonly onnx?: undefined;
}

export interface ImportedModelFile {
  readonly meta: ImportedModelMeta;
  /** Every float32 initializer of the graph (the trained / adapted values). */
  readonly tensors: Map<string, TensorData>;
  /** The ONNX graph (its initializer values are overridden by `tensors`). */
  readonly onnx: Uint8Array;
}

export type AnyModelFile = SegModelFile | ImportedModelFile;

export const isImportedMeta = (m: AnyModelMeta): m is ImportedModelMeta => (m as ImportedModelMeta).imported !== undefined;

/** Name of the tensor that holds an imported model's ONNX bytes in the model file. */
export const ONNX_TENSOR = '__onnx_model__';

/** Number of classes the model predicts. */
export const numClassesOf = (meta: AnyModelMeta): number => meta.classes.length;

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
  const meta = validateAnyModelMeta(file, raw);
  if (isImportedMeta(meta)) throw new ModelFileError(file, `is an imported ONNX graph (cli/import-model.js); this command supports DeepLab model files only (STvM adaptation, evaluate and predict take imported models)`);
  return meta;
}

/** validateModelMeta for DeepLab and imported-graph metadata. */
export function validateAnyModelMeta(file: string, raw: unknown): AnyModelMeta {
  const m = raw as Record<string, unknown> | null;
  if (!m || typeof m !== 'object' || m['format'] !== MODEL_FORMAT) throw new ModelFileError(file, `is not a segmentation model file (metadata.format must be '${MODEL_FORMAT}')`);
  if (m['version'] !== 1) throw new ModelFileError(file, `metadata.version ${JSON.stringify(m['version'])} is not supported (expected 1)`);
  if (m['imported'] !== undefined) return validateImportedMeta(file, m);
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

function validateImportedMeta(file: string, m: Record<string, unknown>): ImportedModelMeta {
  const im = m['imported'] as Record<string, unknown> | null;
  const str = (k: string) => typeof im?.[k] === 'string' && (im[k] as string) !== '';
  if (!im || typeof im !== 'object' || im['format'] !== 'onnx' || !str('input') || !str('output') || !str('features') || !Number.isInteger(im['opset'])) {
    throw new ModelFileError(file, `metadata.imported must be {format: 'onnx', input, output, features, opset} (got ${JSON.stringify(im)})`);
  }
  if (m['spec'] !== undefined) throw new ModelFileError(file, 'metadata has both spec (DeepLab) and imported (ONNX graph)');
  const classes = m['classes'];
  if (!Array.isArray(classes) || classes.length === 0 || !classes.every((c) => typeof c === 'string')) throw new ModelFileError(file, 'metadata.classes must list the class names');
  if (typeof m['protocol'] !== 'string') throw new ModelFileError(file, 'metadata.protocol must be a string');
  const size = m['inputSize'];
  if (!Array.isArray(size) || size.length !== 2 || !size.every((v) => Number.isInteger(v) && v > 0)) throw new ModelFileError(file, `metadata.inputSize must be [width, height] (got ${JSON.stringify(size)})`);
  return {
    format: MODEL_FORMAT, version: 1,
    imported: { format: 'onnx', input: im['input'] as string, output: im['output'] as string, features: im['features'] as string, opset: im['opset'] as number },
    normalize: checkNorm(file, m['normalize']), protocol: m['protocol'], classes: [...classes] as string[],
    inputSize: [size[0] as number, size[1] as number], ...(m['source'] !== undefined ? { source: m['source'] as JsonValue } : {}),
  };
}

/** The tensors (names, dtypes, shapes) a network of `spec` has: its parameters (not the graph's
 *  anonymous constants, e.g. the MobileNetV2's ReLU6 bounds). */
export function expectedTensors(spec: DeepLabSpec): Map<string, TensorSpec> {
  const { g, model } = createDeepLab({ ...spec, upsampleLogits: false }, 1, 33, 33, 'shape_probe');
  return specsOf(model.params.all.map((p) => [p.name, g.graph.initializers.get(p.name)!] as const));
}

/** Writes a model file atomically. */
export async function saveSegModel(file: string, m: AnyModelFile): Promise<void> {
  if (m.onnx === undefined) {
    await saveCheckpoint(file, { step: 0, tensors: m.tensors, metadata: m.meta as unknown as JsonValue });
    return;
  }
  const tensors = new Map(m.tensors);
  tensors.set(ONNX_TENSOR, { dtype: 'uint8', shape: [m.onnx.length], data: m.onnx });
  await saveCheckpoint(file, { step: 0, tensors, metadata: m.meta as unknown as JsonValue });
}

/** Reads and verifies a DeepLab model file (metadata, and every tensor against the spec's network). */
export async function loadSegModel(file: string): Promise<SegModelFile> {
  const m = await loadModelFile(file);
  if (m.onnx !== undefined) validateModelMeta(file, m.meta); // throws: not a DeepLab
  return m as SegModelFile;
}

/** Reads and verifies a model file: a DeepLab or an imported ONNX graph. */
export async function loadModelFile(file: string): Promise<AnyModelFile> {
  const ck = await loadCheckpoint(file);
  const meta = validateAnyModelMeta(file, ck.metadata);
  if (isImportedMeta(meta)) {
    const bytes = ck.tensors.get(ONNX_TENSOR);
    if (bytes === undefined || bytes.dtype !== 'uint8') throw new ModelFileError(file, `an imported model file must hold its ONNX graph as the uint8 tensor '${ONNX_TENSOR}'`);
    const onnx = bytes.data as Uint8Array;
    const tensors = new Map(ck.tensors);
    tensors.delete(ONNX_TENSOR);
    const [w, h] = meta.inputSize;
    let expect: Map<string, TensorSpec>;
    try {
      const { model } = buildImportedNet(onnx, meta.imported, 1, h, w, 'shape_probe');
      expect = new Map(model.params.all.map((p) => [p.name, { dtype: 'float32' as const, shape: [...p.shape] }]));
    } catch (e) {
      throw new ModelFileError(file, `its ONNX graph does not import: ${(e as Error).message}`);
    }
    verifyTensors(file, tensors, expect);
    return { meta, tensors, onnx };
  }
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

/** readSidecar that also accepts an imported graph's metadata. */
export function readAnySidecar(onnxFile: string): AnyModelMeta | undefined {
  const p = sidecarPath(onnxFile);
  if (!fs.existsSync(p)) return undefined;
  return validateAnyModelMeta(p, JSON.parse(fs.readFileSync(p, 'utf8')));
}
