/**
 * The segmentation network of a self-training run: a DeepLab (lib/engine/models) built at one
 * input shape with the source model's weights put into its initializers.
 *
 * Adaptation always builds the network with frozen BatchNorm (the DeepLab-v2 SFDA convention,
 * stvm-method.md row 1): the running statistics and affine parameters of the source model
 * become constants of every program, and the trainable parameters (what the student trains
 * and the teacher averages) are the convolution weights and biases.
 */
import { createDeepLab, validateDeepLabSpec, type DeepLabSpec, type SegModel } from '../../engine/models/index.js';
import type { GraphBuilder } from '../../engine/ir/builder.js';
import { sameShape, shapeStr, type TensorData } from '../../engine/ir/tensor.js';
import { buildImportedNet, type ImportedNetMeta } from '../../model/imported-net.js';
import type { AnyModelFile } from '../../model/model-file.js';

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
}

/** The adaptation form of a spec: frozen BN, upsampled logits. */
export function adaptSpec(spec: DeepLabSpec): DeepLabSpec {
  return validateDeepLabSpec({ ...spec, bn: 'frozen', upsampleLogits: true });
}

/** Builds the network on input 'image' [n, C, h, w] with the source weights. */
export function buildNet(src: NetSource, n: number, h: number, w: number, name: string): { g: GraphBuilder; model: SegModel } {
  const { g, model } = 'imported' in src
    ? buildImportedNet(src.imported.onnx, src.imported.info, n, h, w, name)
    : createDeepLab(adaptSpec(src.spec), n, h, w, name);
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
