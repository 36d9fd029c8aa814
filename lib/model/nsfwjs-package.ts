/**
 * The pretrained MobileNetV2 encoder's source: the npm package nsfwjs 4.4.0 (MIT, Infinite
 * Red), whose default model is a Keras 2.2.4 MobileNetV2-1.0 (224×224 input, BatchNorm kept as
 * separate layers) fine-tuned from ImageNet into a 5-class NSFW classifier (layers up to
 * block_10 frozen at their ImageNet values during the fine-tuning, block_11 onwards and the
 * Dense head trained), converted to TF.js with uint8 weight quantisation.
 *
 * - `NSFWJS`: the pinned package (version, registry tarball, SHA-512 integrity, licence).
 * - `readTarGz`: the files of an npm tarball (gzip + ustar/pax), no tar binary needed.
 * - `loadNsfwjsModel`: checks the tarball's integrity and reads the bundled MobileNetV2 model
 *   (tfjs-weights.ts readBundledModel).
 * - `nsfwjsEncoderInit`: the encoder-initialisation file's content (encoder-init.ts).
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { JsonValue } from '../engine/runtime/checkpoint.js';
import { convertKerasMobileNetV2, type KerasHeadLayer } from './keras-mobilenetv2.js';
import { ENCODER_INIT_FORMAT, type EncoderInit } from './encoder-init.js';
import { readBundledModel, TfjsFormatError, type TfjsModel } from './tfjs-weights.js';

export const NSFWJS = {
  package: 'nsfwjs',
  version: '4.4.0',
  tarball: 'https://registry.npmjs.org/nsfwjs/-/nsfwjs-4.4.0.tgz',
  /** dist.integrity of nsfwjs@4.4.0 on registry.npmjs.org. */
  integrity: 'sha512-krC1fgeTLXtZwgdpKJ0jm7hqv0gTSRQQRL+FhOaxaJ9Wj92t42BO3csO2odwgTAgZgf2RvkwPtp0R8Aa7dc+MA==',
  license: 'MIT',
  copyright: 'Copyright (c) 2019 Infinite Red, Inc.',
  homepage: 'https://github.com/infinitered/nsfwjs',
  training: 'https://github.com/GantMan/nsfw_model',
  /** The bundled model files inside the tarball. */
  modelJs: 'package/dist/models/mobilenet_v2/model.min.js',
  modelDir: 'package/dist/models/mobilenet_v2/',
  classes: ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'],
  /** nsfwjs feeds the model x = v/255 ∈ [0, 1] (dist/esm/core.js). */
  inputScale: 'v/255',
  inputSize: 224,
} as const;

/** `sha512-<base64>` of bytes (the npm integrity string). */
export function sha512Integrity(bytes: Uint8Array): string {
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
}

/** Every regular file of a .tar.gz (ustar, with pax 'x' / GNU 'L' long names), by path. */
export function readTarGz(bytes: Uint8Array, where: string): Map<string, Uint8Array> {
  let tar: Buffer;
  try {
    tar = gunzipSync(bytes);
  } catch (e) {
    throw new TfjsFormatError(`${where}: not a gzip tarball (${(e as Error).message})`);
  }
  const files = new Map<string, Uint8Array>();
  const str = (b: Buffer, o: number, n: number) => {
    const s = b.subarray(o, o + n);
    const z = s.indexOf(0);
    return s.subarray(0, z < 0 ? n : z).toString('utf8');
  };
  let off = 0;
  let longName: string | undefined;
  while (off + 512 <= tar.length) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const size = parseInt(str(h, 124, 12).trim() || '0', 8);
    if (!Number.isFinite(size) || size < 0) throw new TfjsFormatError(`${where}: corrupt tar header at byte ${off}`);
    const type = String.fromCharCode(h[156]!);
    const body = tar.subarray(off + 512, off + 512 + size);
    if (body.length < size) throw new TfjsFormatError(`${where}: truncated tar entry at byte ${off}`);
    const prefix = str(h, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${str(h, 0, 100)}` : str(h, 0, 100));
    longName = undefined;
    if (type === 'x') {
      const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
      if (m) longName = m[1];
    } else if (type === 'L') {
      longName = str(body, 0, size);
    } else if (type === '0' || type === '\0') {
      files.set(name, new Uint8Array(body));
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

export interface NsfwjsModel {
  readonly model: TfjsModel;
  /** The tarball's integrity string (checked against NSFWJS.integrity unless told not to). */
  readonly integrity: string;
  readonly licenseText: string;
}

/**
 * Reads the MobileNetV2 model of an nsfwjs tarball. The tarball must match the pinned
 * integrity (a different file is an error saying so) unless `expectIntegrity` is null (tests
 * with synthetic packages).
 */
export function loadNsfwjsModel(tgz: Uint8Array, where: string, expectIntegrity: string | null = NSFWJS.integrity): NsfwjsModel {
  const integrity = sha512Integrity(tgz);
  if (expectIntegrity !== null && integrity !== expectIntegrity) {
    throw new TfjsFormatError(`${where}: integrity ${integrity} is not that of ${NSFWJS.package}@${NSFWJS.version} (${expectIntegrity}); delete the file and fetch it again`);
  }
  const files = readTarGz(tgz, where);
  const modelJs = files.get(NSFWJS.modelJs);
  if (!modelJs) throw new TfjsFormatError(`${where}: has no ${NSFWJS.modelJs} (not the nsfwjs package layout this converter knows)`);
  const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
  const model = readBundledModel(text(modelJs), `${where}:${NSFWJS.modelJs}`, (p) => {
    const f = `${NSFWJS.modelDir}${p}.min.js`;
    const b = files.get(f);
    return b ? { text: text(b), source: `${where}:${f}` } : undefined;
  });
  const lic = files.get('package/LICENSE');
  return { model, integrity, licenseText: lic ? text(lic) : '' };
}

/**
 * The Dense head of a Keras classifier from its layers-model topology: the Dense layers in
 * order with their activations, after a (global) average pooling and a Flatten of the
 * MobileNetV2 features (Dropout = identity at inference). An unexpected topology is an error.
 */
export function kerasDenseHead(topology: unknown, where: string): KerasHeadLayer[] {
  const layers = (topology as { model_config?: { config?: { layers?: { class_name: string; name: string; config: Record<string, unknown> }[] } } })?.model_config?.config?.layers;
  if (!Array.isArray(layers)) throw new TfjsFormatError(`${where}: modelTopology.model_config.config.layers is missing`);
  const at = layers.findIndex((l) => l.name === 'out_relu');
  if (at < 0) throw new TfjsFormatError(`${where}: no 'out_relu' layer (not a Keras MobileNetV2)`);
  const head: KerasHeadLayer[] = [];
  for (const l of layers.slice(at + 1)) {
    if (l.class_name === 'Dense') {
      const act = l.config['activation'];
      if (act !== 'relu' && act !== 'softmax' && act !== 'linear') throw new TfjsFormatError(`${where}: Dense layer '${l.name}' has activation ${JSON.stringify(act)}`);
      head.push({ kernel: `${l.name}/kernel`, bias: `${l.name}/bias`, activation: act });
    } else if (!['AveragePooling2D', 'GlobalAveragePooling2D', 'Flatten', 'Dropout'].includes(l.class_name)) {
      throw new TfjsFormatError(`${where}: unexpected layer '${l.name}' (${l.class_name}) in the classifier head`);
    }
  }
  if (head.length === 0) throw new TfjsFormatError(`${where}: no Dense layer after out_relu`);
  return head;
}

/**
 * The encoder-initialisation content of an nsfwjs model: width 1.0, BN ε 1e-3, inputs
 * x = v/255 ∈ [0, 1] — what nsfwjs feeds its model, and what its BN running statistics fit
 * (measured on CamVid frames, docs/encoders.md: normalised BN inputs average |mean| 0.23, std
 * 0.97 over the 33 BN layers up to block 10 with [0, 1] inputs, against 0.70 / 1.44 with Keras
 * MobileNetV2's usual [−1, 1]).
 */
export function nsfwjsEncoderInit(m: NsfwjsModel, where: string, verification: JsonValue = null): EncoderInit {
  const tensors = convertKerasMobileNetV2(m.model.weights, 1, where);
  const stored = [...m.model.weights.values()].map((w) => w.stored ?? w.dtype);
  const provenance: JsonValue = {
    package: NSFWJS.package,
    version: NSFWJS.version,
    tarball: NSFWJS.tarball,
    integrity: m.integrity,
    license: NSFWJS.license,
    copyright: NSFWJS.copyright,
    homepage: NSFWJS.homepage,
    training: NSFWJS.training,
    model: `${NSFWJS.modelJs} (Keras ${String((m.model.json.modelTopology as { keras_version?: string })?.keras_version ?? '?')} MobileNetV2-1.0, 224×224)`,
    description: 'NSFW classifier fine-tuned from ImageNet (layers up to block_10 kept at their ImageNet values, block_11 onwards fine-tuned); uint8-quantised',
    quantization: [...new Set(stored)].join(', '),
    converted: 'cli/fetch-encoder.ts: Keras HWIO / depthwise kernels transposed to OIHW, BN gamma/beta/moving_mean/moving_variance → weight/bias/running_mean/running_var; Conv_1 and the Dense head are not part of the encoder',
    verification,
  };
  return {
    meta: { format: ENCODER_INIT_FORMAT, version: 1, encoder: 'mobilenetv2', widthMult: 1, bnEps: 1e-3, normalize: { mean: [0, 0, 0], std: [1, 1, 1] }, provenance },
    tensors,
  };
}
