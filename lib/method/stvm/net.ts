/**
 * The segmentation network of a self-training run: a DeepLab (lib/engine/models) built at one
 * input shape with the source model's weights put into its initializers.
 *
 * BatchNorm (NetSource.bn, set from stvm.bn.mode by the algorithm):
 * - 'frozen' (default; stvm.bn.mode 'frozen-source' and 'adabn'): the DeepLab-v2 SFDA
 *   convention (stvm-method.md row 1): every program builds eval-mode BN whose running
 *   statistics and affine parameters are constants of the graph (the source model's, or the
 *   AdaBN-estimated ones); the trainable parameters (what the student trains and the teacher
 *   averages) are the convolution weights and biases.
 * - 'train' (stvm.bn.mode 'train'/'adabn-train'): the student's step builds train-mode BN
 *   (batch statistics, γ/β trainable, running statistics updated as buffers); every other
 *   program (teacher forward, predict) builds eval-mode BN whose γ, β and running statistics
 *   are STATE, so the teacher's follow the student's through the EMA and each runner predicts
 *   with its own. A network without BatchNorm is a config error in this mode.
 */
import { createDeepLab, validateDeepLabSpec, type DeepLabSpec, type SegModel } from '../../engine/models/index.js';
import type { GraphBuilder } from '../../engine/ir/builder.js';
import { sameShape, shapeStr, type TensorData } from '../../engine/ir/tensor.js';
import { buildImportedNet, type ImportedNetMeta } from '../../model/imported-net.js';
import type { AnyModelFile } from '../../model/model-file.js';
import { ConfigError } from '../../util/config-error.js';

/** How the network's BatchNorm runs (see the file comment). */
export type NetBn = 'frozen' | 'train';

/**
 * The network of a run: the project's DeepLab (`spec`) or an imported ONNX graph
 * (`imported`, lib/model/imported-net.ts: same frozen-BN convention, trainable = Conv/Gemm
 * weights and biases).
 */
export type NetSource = DeepLabNetSource | ImportedNetSource;

export interface ImportedNetSource {
  readonly imported: { readonly onnx: Uint8Array; readonly info: ImportedNetMeta };
  /** Values of the graph's float initializers (the model file's tensors). */
  readonly weights?: ReadonlyMap<string, TensorData>;
  readonly allowInit?: boolean;
  /** BatchNorm of the adaptation programs (default 'frozen'). */
  readonly bn?: NetBn;
}

/** The network of a model file. */
export function netSourceOf(m: AnyModelFile): NetSource {
  if (m.onnx !== undefined) return { imported: { onnx: m.onnx, info: m.meta.imported }, weights: m.tensors };
  return { spec: m.meta.spec, weights: m.tensors };
}

export interface DeepLabNetSource {
  /** The architecture (bn and upsampleLogits are overridden: frozen BN, logits upsampled). */
  readonly spec: DeepLabSpec;
  /**
   * Values of the model's initializers (the source checkpoint), by PyTorch-style name. Every
   * initializer of the model must be present unless `allowInit` (tests: seeded init values).
   */
  readonly weights?: ReadonlyMap<string, TensorData>;
  readonly allowInit?: boolean;
  /** BatchNorm of the adaptation programs (default 'frozen'). */
  readonly bn?: NetBn;
}

/** The adaptation form of a spec: frozen (or train-mode) BN, upsampled logits. */
export function adaptSpec(spec: DeepLabSpec, bn: 'frozen' | 'train' = 'frozen'): DeepLabSpec {
  return validateDeepLabSpec({ ...spec, bn, upsampleLogits: true });
}

export interface BuildNetOptions {
  /**
   * Build the training form: train-mode BN when src.bn is 'train' (the student's step).
   * Default false: eval-mode BN (teacher forward, predict, export).
   */
  readonly train?: boolean;
  /** Train-mode BN: batch statistics from rows [first, first + count) of the batch (bn-rows.ts). */
  readonly bnStatsRows?: readonly [number, number];
}

/** Whether a parameter is a BatchNorm tensor (γ, β, running mean or variance). */
export const isBnParam = (p: { readonly role: string }): boolean => p.role.startsWith('bn_');

/** Builds the network on input 'image' [n, C, h, w] with the source weights. */
export function buildNet(src: NetSource, n: number, h: number, w: number, name: string, opts: BuildNetOptions = {}): { g: GraphBuilder; model: SegModel } {
  const train = src.bn === 'train' && opts.train === true;
  const rows = train && opts.bnStatsRows ? { bnStatsRows: opts.bnStatsRows } : {};
  const { g, model } = 'imported' in src
    ? buildImportedNet(src.imported.onnx, src.imported.info, n, h, w, name, { bn: train ? 'train' : 'frozen', ...rows })
    : createDeepLab(adaptSpec(src.spec, train ? 'train' : 'frozen'), n, h, w, name, rows);
  if (src.bn === 'train' && !model.params.all.some(isBnParam)) {
    throw new ConfigError('stvm.bn.mode', "'train' needs BatchNorm layers, and this network has none (BN folded into the convolutions by an eval-mode export?); use 'frozen-source'");
  }
  const missing: string[] = [];
  for (const p of model.params.all) {
    const t = src.weights?.get(p.name);
    if (t === undefined) {
      missing.push(p.name);
      continue;
    }
    if (t.dtype !== 'float32' || !sameShape(t.shape, p.shape)) {
      throw new Error(`source model: tensor '${p.name}' is ${t.dtype} ${shapeStr(t.shape)} but the network expects float32 ${shapeStr(p.shape)} (does the checkpoint match the model spec?)`);
    }
    g.graph.initializers.set(p.name, t);
  }
  if (missing.length > 0 && !src.allowInit) {
    throw new Error(`source model: ${missing.length} tensor(s) of the network are not in the checkpoint, e.g. '${missing.slice(0, 3).join("', '")}'`);
  }
  return { g, model };
}
