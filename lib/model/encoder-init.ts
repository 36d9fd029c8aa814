/**
 * Encoder-initialisation files: pretrained encoder weights (convolutions, BN affine parameters
 * and running statistics) that source training starts from (`model.init` of a source config)
 * while the head stays randomly initialised. Written at set-up time by cli/fetch-encoder.ts
 * (never committed: they are derived from a downloaded package). Format: a checkpoint
 * (lib/engine/runtime/checkpoint.ts, atomic, checksummed) whose
 *
 * - tensors are the encoder's parameters under the project's names (e.g.
 *   `encoder.blocks.3.depthwise.weight`, layout OIHW as every conv in the engine), exactly the
 *   'backbone' group of the model spec the file was made for;
 * - metadata is `EncoderInitMeta` (below): the encoder kind and width, the BN ε and the input
 *   normalisation the weights expect, and provenance (package, version, integrity, licence,
 *   what the weights are, how they were converted and verified).
 */
import { loadCheckpoint, saveCheckpoint, type JsonValue } from '../engine/runtime/checkpoint.js';
import { sameShape, shapeStr, type TensorData } from '../engine/ir/tensor.js';
import type { DeepLabSpec, EncoderKind } from '../engine/models/spec.js';
import type { ParamInfo } from '../engine/models/params.js';
import type { Normalization } from './model-file.js';

export const ENCODER_INIT_FORMAT = 'stvm-encoder-init';

export interface EncoderInitMeta {
  readonly format: typeof ENCODER_INIT_FORMAT;
  readonly version: 1;
  readonly encoder: EncoderKind;
  /** MobileNetV2 width multiplier of the weights. */
  readonly widthMult: number;
  /** BN ε the running statistics were estimated with (Keras: 1e-3). */
  readonly bnEps: number;
  /** The input normalisation the weights expect, x = (v/255 − mean)/std. */
  readonly normalize: Normalization;
  /** Where the weights come from and how they were converted (free-form JSON, shown by --help/docs). */
  readonly provenance: JsonValue;
}

export interface EncoderInit {
  readonly meta: EncoderInitMeta;
  readonly tensors: Map<string, TensorData>;
}

export class EncoderInitError extends Error {
  constructor(file: string, msg: string) {
    super(`encoder init ${file}: ${msg}`);
    this.name = 'EncoderInitError';
  }
}

export async function saveEncoderInit(file: string, init: EncoderInit): Promise<void> {
  await saveCheckpoint(file, { step: 0, tensors: init.tensors, metadata: init.meta as unknown as JsonValue });
}

function validateMeta(file: string, raw: unknown): EncoderInitMeta {
  const m = raw as Record<string, unknown> | null;
  if (!m || typeof m !== 'object' || m['format'] !== ENCODER_INIT_FORMAT) throw new EncoderInitError(file, `is not an encoder-initialisation file (metadata.format must be '${ENCODER_INIT_FORMAT}'; make one with node dist/cli/fetch-encoder.js)`);
  if (m['version'] !== 1) throw new EncoderInitError(file, `metadata.version ${JSON.stringify(m['version'])} is not supported (expected 1)`);
  if (m['encoder'] !== 'mobilenetv2' && m['encoder'] !== 'resnet') throw new EncoderInitError(file, `metadata.encoder must be 'mobilenetv2' or 'resnet' (got ${JSON.stringify(m['encoder'])})`);
  const num = (k: string) => {
    if (typeof m[k] !== 'number' || !(m[k] as number > 0)) throw new EncoderInitError(file, `metadata.${k} must be a positive number (got ${JSON.stringify(m[k])})`);
    return m[k] as number;
  };
  const n = m['normalize'] as Normalization | undefined;
  const ok3 = (a: unknown) => Array.isArray(a) && a.length === 3 && a.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (!n || !ok3(n.mean) || !ok3(n.std)) throw new EncoderInitError(file, `metadata.normalize must be {mean: [3 numbers], std: [3 numbers]} (got ${JSON.stringify(n)})`);
  return {
    format: ENCODER_INIT_FORMAT, version: 1, encoder: m['encoder'], widthMult: num('widthMult'), bnEps: num('bnEps'),
    normalize: { mean: [...n.mean], std: [...n.std] }, provenance: (m['provenance'] ?? null) as JsonValue,
  };
}

/** Reads and checks an encoder-initialisation file (format, metadata; the checkpoint's checksum). */
export async function loadEncoderInit(file: string): Promise<EncoderInit> {
  let ck;
  try {
    ck = await loadCheckpoint(file);
  } catch (e) {
    throw new EncoderInitError(file, `${(e as Error).message}${/ENOENT|cannot be read/.test((e as Error).message) ? ' (make it with node dist/cli/fetch-encoder.js; see docs/encoders.md)' : ''}`);
  }
  return { meta: validateMeta(file, ck.metadata), tensors: ck.tensors };
}

/**
 * Puts the encoder weights of `init` into `state` (a compiled program's initial state, by
 * parameter name), after checking that they fit the network: the spec's encoder and width
 * equal the file's, and the file holds exactly the network's 'backbone' tensors with their
 * shapes (errors name the file and the first offending tensors). Returns the number of tensors
 * set. Parameters outside the backbone (the head) keep their seeded initial values.
 */
export function applyEncoderInit(file: string, init: EncoderInit, spec: DeepLabSpec, params: readonly ParamInfo[], state: Map<string, TensorData>): number {
  const encoder = spec.encoder ?? 'resnet';
  if (init.meta.encoder !== encoder) throw new EncoderInitError(file, `holds a '${init.meta.encoder}' encoder, but the model's encoder is '${encoder}'`);
  if (encoder === 'mobilenetv2' && spec.mobilenetv2?.widthMult !== init.meta.widthMult) {
    throw new EncoderInitError(file, `holds MobileNetV2 width ${init.meta.widthMult}, but the model's is ${spec.mobilenetv2?.widthMult}`);
  }
  const backbone = params.filter((p) => p.group === 'backbone');
  const missing = backbone.filter((p) => !init.tensors.has(p.name)).map((p) => p.name);
  if (missing.length > 0) throw new EncoderInitError(file, `lacks ${missing.length} encoder tensor(s) of the model, e.g. '${missing.slice(0, 3).join("', '")}'`);
  const names = new Set(backbone.map((p) => p.name));
  const extra = [...init.tensors.keys()].filter((k) => !names.has(k));
  if (extra.length > 0) throw new EncoderInitError(file, `has ${extra.length} tensor(s) that are not encoder parameters of the model, e.g. '${extra.slice(0, 3).join("', '")}'`);
  for (const p of backbone) {
    const t = init.tensors.get(p.name)!;
    if (t.dtype !== 'float32' || !sameShape(t.shape, p.shape)) throw new EncoderInitError(file, `tensor '${p.name}' is ${t.dtype} ${shapeStr(t.shape)}, the model expects float32 ${shapeStr(p.shape)}`);
    if (!state.has(p.name)) throw new EncoderInitError(file, `the program has no state tensor '${p.name}' to initialise`);
    state.set(p.name, t);
  }
  return backbone.length;
}
