/**
 * MOCM / ClassMix mixing as an ONNX program, so that the mask and the mixing can run on the
 * execution provider (GPU training) instead of in TypeScript (mixing.ts mixBatch). The class
 * CHOICE stays on the host (mocm.ts chooseClasses: a few random draws from per-class mean
 * reliabilities); the graph gets it as a multi-hot S.
 *
 * Inputs (N images of H×W, C classes; ŷ uses 255 for "no pseudo-label"):
 *   'labels'       ŷ  [N,H,W]    uint8 or int64 (opts.labels), values in [0, 255]
 *   'classes'      S  [N,C]      float32 or bool (opts.classes); S_a,c ≠ 0 ⇔ class c chosen for image a
 *   'image'        x  [N,K,H,W]  float32 (K = opts.channels, default 3; the normalised network input)
 *   'confidence'   q  [N,H,W]    float32
 *   'reliability'  r  [N,H,W]    float32                 (opts.reliability)
 *   'probs'        p  [N,C,H,W]  float32                 (opts.probs)
 * Equations, for image a and its partner b(a) = (a+1) mod N (as mixBatch pairs them):
 *   T_a,k  = 1[S_a,k ≠ 0] for k < C,  0 for C ≤ k < 256         (the lookup table, [N,256])
 *   M_a,i  = T_a,ŷ_a,i = 1[ŷ_a,i ∈ chosen_a]                       (GatherElements; 255 → 0)
 *   x̃_a   = M_a ? x_a : x_b(a)       (M broadcast over the channels; likewise p̃)
 *   ỹ_a   = M_a ? ŷ_a : ŷ_b(a),   q̃_a = M_a ? q_a : q_b(a),   r̃_a = M_a ? r_a : r_b(a)
 *   mixed_fraction = (Σ_a,i M_a,i) / (N·H·W)                     (float32 scalar)
 * The partner tensor x_b(·) is Gather(x, [1, 2, …, N−1, 0], axis 0) — a roll by one along N
 * (N = 1: the image is its own partner, the outputs equal the inputs). The selection "M ? a : b"
 * is a copy, never arithmetic (M⊙a + (1−M)⊙b would turn NaN/Inf into NaN and −0 into +0):
 *   select 'gather' (default): GatherElements([x_a; x_b(a)] as [2,…], 1 − M expanded, axis 0);
 *   select 'where':            Where(M, x_a, x_b(a)).
 * GatherElements is a pure copy. onnxruntime's CPU Where is not a plain select for floats: a −0
 * taken from x_a comes out +0 (observed and pinned in the test; it behaves like merging
 * Where(M, x_a, 0) and Where(¬M, x_b, 0) by "non-zero wins"; NaN and ±Inf do pass through);
 * CUDA's Where was not checked here. Hence the default 'gather', bitwise exact on the CPU for
 * NaN, ±Inf and −0 alike.
 * 'where' costs no int64 index tensor (N·K·H·W for the image) and is exact whenever the
 * values hold no −0 (normalised images, softmax confidence/probs never do).
 * Outputs: 'mask' M [N,H,W] uint8 ∈ {0,1}; 'image_mixed' [N,K,H,W]; 'labels_mixed' [N,H,W] (the
 * dtype of 'labels'); 'confidence_mixed'; 'reliability_mixed' / 'probs_mixed' when those inputs
 * are on; 'mixed_fraction' [] float32.
 * Ops: Cast, Concat, Reshape, GatherElements (mask lookup), Gather (roll), GatherElements + Not +
 * Expand (select 'gather') or Where (select 'where'), ReduceSum and Div (fraction). Every mixed
 * output is bitwise equal to mixWithMask's choice, and the fraction equals mixBatch's
 * mixedFraction rounded to float32 as long as N·H·W < 2^24 (a float32 sum of 0/1, then one
 * correctly rounded division).
 *
 * Augmentation order. mixBatch mixes the uint8 HWC images and algorithm.ts then applies the
 * strong photometric augmentation to each MIXED uint8 image (one draw rng.fork('aug', i) per
 * output image, so the pasted region of A and the background of B get the same jitter;
 * contrast uses the mixed image's mean luma; blur crosses the seam) and normalises last. This
 * program mixes NORMALISED float images. Mixing alone commutes with the per-pixel normalisation
 * (each output pixel is one input pixel, bitwise: normalise(mix(u8)) = mix(normalise(u8))), so
 * without strong augmentation the two paths agree exactly. With strong augmentation, moving the
 * mixing onto the device means either (a) photometric jitter must ALSO run on the device after
 * this program, on the normalised floats (a float re-implementation: de-normalise, jitter with
 * the rounding/clamping to [0,255] of photometric.ts, re-normalise — or accept float jitter without
 * the uint8 rounding), or (b) the host jitters each source image before upload and the graph mixes
 * jittered images — which is a different augmentation: x̃_a's pasted part carries a's jitter draw
 * and its background b's, contrast means are per source image, blur does not cross the seam.
 * Today's loop (algorithm.ts: mixBatch, then photometric, then writeCHW) is unchanged; this
 * program is not wired into it yet.
 */
import { compileEval, type CompiledGraph } from '../../engine/compile/index.js';
import { GraphBuilder } from '../../engine/ir/builder.js';
import { tensor } from '../../engine/ir/tensor.js';

const FLOAT = 1;
const UINT8 = 2;
const INT64 = 7;
const BOOL = 9;
/** Size of the mask lookup table: every uint8 label value (255 included) indexes it. */
const TABLE = 256;

export interface MixProgramOptions {
  /** dtype of 'labels' (and 'labels_mixed'). Default 'uint8' (the teacher's output). */
  readonly labels?: 'uint8' | 'int64';
  /** dtype of the multi-hot 'classes'. Default 'float32'. */
  readonly classes?: 'float32' | 'bool';
  /** Image channels K. Default 3. */
  readonly channels?: number;
  /** Mix a 'reliability' map too. Default false. */
  readonly reliability?: boolean;
  /** Mix the softmax 'probs' [N,C,H,W] too. Default false. */
  readonly probs?: boolean;
  /** How the selection is written (see the file comment). Default 'gather'. */
  readonly select?: MixSelect;
}

/**
 * 'gather': GatherElements on [x_a; x_b] by 1 − M — a pure copy, bitwise exact.
 * 'where':  Where(M, x_a, x_b) — onnxruntime's CPU Where turns a −0 taken from x_a into +0.
 */
export type MixSelect = 'gather' | 'where';

/** Value names of the mixing's inputs inside a graph (for fusing the mixing into another program). */
export interface MixInputs {
  readonly labels: string;
  readonly classes: string;
  readonly image: string;
  readonly confidence: string;
  readonly reliability?: string;
  readonly probs?: string;
}

export interface MixOutputs {
  readonly mask: string;
  readonly image: string;
  readonly labels: string;
  readonly confidence: string;
  readonly reliability?: string;
  readonly probs?: string;
  readonly mixedFraction: string;
}

/**
 * Adds the mask and the mixing (see the file comment) to `g`. `names` gives the output names
 * (default: fresh names).
 */
export function buildMix(g: GraphBuilder, v: MixInputs, names: Partial<Record<keyof MixOutputs, string>> = {}, select: MixSelect = 'gather'): MixOutputs {
  const ys = g.shape(v.labels);
  if (ys.length !== 3) throw new Error(`buildMix: labels must be [N,H,W], got [${ys.join(',')}]`);
  const [n, h, w] = ys as [number, number, number];
  const cs = g.shape(v.classes);
  if (cs.length !== 2 || cs[0] !== n) throw new Error(`buildMix: classes must be [${n},C], got [${cs.join(',')}]`);
  const c = cs[1]!;
  if (c < 1 || c > 255) throw new Error(`buildMix: ${c} classes (1…255 supported: 255 marks "no pseudo-label")`);
  const ldt = g.dtype(v.labels);
  if (ldt !== 'uint8' && ldt !== 'int64') throw new Error(`buildMix: labels must be uint8 or int64, got ${ldt}`);
  const same = (name: string, what: string, shape: number[]) => {
    const s = g.shape(name);
    if (g.dtype(name) !== 'float32' || s.length !== shape.length || s.some((d, i) => d !== shape[i])) {
      throw new Error(`buildMix: ${what} must be float32 [${shape.join(',')}], got ${g.dtype(name)} [${s.join(',')}]`);
    }
  };
  const xs = g.shape(v.image);
  if (xs.length !== 4) throw new Error(`buildMix: image must be [N,K,H,W], got [${xs.join(',')}]`);
  same(v.image, 'image', [n, xs[1]!, h, w]);
  same(v.confidence, 'confidence', [n, h, w]);
  if (v.reliability !== undefined) same(v.reliability, 'reliability', [n, h, w]);
  if (v.probs !== undefined) same(v.probs, 'probs', [n, c, h, w]);
  const out = (k: keyof MixOutputs) => (names[k] !== undefined ? { outputName: names[k] } : {});

  // T [N,256] float32: 1[S ≠ 0] for the C classes, 0 above (255 and any label ≥ C never mixed)
  const sBool = g.dtype(v.classes) === 'bool' ? v.classes : g.op1('Cast', [v.classes], { to: BOOL });
  const sF = g.op1('Cast', [sBool], { to: FLOAT });
  const table = c < TABLE ? g.op1('Concat', [sF, g.constant(tensor('float32', [n, TABLE - c], new Float32Array(n * (TABLE - c))), 'mix_pad')], { axis: 1 }) : sF;
  // M [N,H·W] = T[a, ŷ_a,i]
  const idx = g.op1('Reshape', [ldt === 'int64' ? v.labels : g.op1('Cast', [v.labels], { to: INT64 }), g.constI64([n, h * w])]);
  const mF = g.op1('GatherElements', [table, idx], { axis: 1 });
  const mBool = g.op1('Cast', [mF], { to: BOOL });
  const m3 = g.op1('Reshape', [mBool, g.constI64([n, h, w])]);
  const m4 = select === 'where' ? g.op1('Reshape', [mBool, g.constI64([n, 1, h, w])]) : '';
  const mask = g.op1('Cast', [m3], { to: UINT8 }, out('mask'));
  const fraction = g.op1('Div', [g.op1('ReduceSum', [mF, g.constI64([0, 1])], { keepdims: 0 }), g.constF32(n * h * w)], {}, out('mixedFraction'));

  // partner b(a) = (a+1) mod N: a roll by one along N
  const roll = g.constI64(Array.from({ length: n }, (_, a) => (a + 1) % n));
  const partner = (x: string) => g.op1('Gather', [x, roll], { axis: 0 });
  // 'gather': j = 1 − M (int64) expanded to the tensor's shape, out = GatherElements([x; x_b], j, axis 0)
  const index = new Map<number, string>();
  let notM: string | undefined;
  const indexFor = (channels: number | undefined) => {
    const key = channels ?? 0;
    let j = index.get(key);
    if (j === undefined) {
      notM ??= g.op1('Cast', [g.op1('Not', [m3])], { to: INT64 }); // [N,H,W]
      j = channels === undefined
        ? g.op1('Reshape', [notM, g.constI64([1, n, h, w])])
        : g.op1('Expand', [g.op1('Reshape', [notM, g.constI64([1, n, 1, h, w])]), g.constI64([1, n, channels, h, w])]);
      index.set(key, j);
    }
    return j;
  };
  const mix = (x: string, k: keyof MixOutputs) => {
    const s = g.shape(x);
    const channels = s.length === 4 ? s[1]! : undefined;
    if (select === 'where') return g.op1('Where', [channels === undefined ? m3 : m4, x, partner(x)], {}, out(k));
    const one = [1, ...s];
    const stacked = g.op1('Concat', [g.op1('Reshape', [x, g.constI64(one)]), g.op1('Reshape', [partner(x), g.constI64(one)])], { axis: 0 });
    return g.op1('Reshape', [g.op1('GatherElements', [stacked, indexFor(channels)], { axis: 0 }), g.constI64(s)], {}, out(k));
  };
  return {
    mask,
    image: mix(v.image, 'image'),
    labels: mix(v.labels, 'labels'),
    confidence: mix(v.confidence, 'confidence'),
    ...(v.reliability !== undefined ? { reliability: mix(v.reliability, 'reliability') } : {}),
    ...(v.probs !== undefined ? { probs: mix(v.probs, 'probs') } : {}),
    mixedFraction: fraction,
  };
}

/** The mixing program for N images of H×W and C classes (see the file comment); no state. */
export function mixProgram(n: number, h: number, w: number, numClasses: number, opts: MixProgramOptions = {}): CompiledGraph {
  const g = new GraphBuilder('mix');
  const k = opts.channels ?? 3;
  const inputs: MixInputs = {
    labels: g.input('labels', opts.labels ?? 'uint8', [n, h, w]),
    classes: g.input('classes', opts.classes ?? 'float32', [n, numClasses]),
    image: g.input('image', 'float32', [n, k, h, w]),
    confidence: g.input('confidence', 'float32', [n, h, w]),
    ...(opts.reliability ? { reliability: g.input('reliability', 'float32', [n, h, w]) } : {}),
    ...(opts.probs ? { probs: g.input('probs', 'float32', [n, numClasses, h, w]) } : {}),
  };
  const o = buildMix(g, inputs, {
    mask: 'mask', image: 'image_mixed', labels: 'labels_mixed', confidence: 'confidence_mixed',
    reliability: 'reliability_mixed', probs: 'probs_mixed', mixedFraction: 'mixed_fraction',
  }, opts.select ?? 'gather');
  const outputs = [o.mask, o.image, o.labels, o.confidence, ...(o.reliability ? [o.reliability] : []), ...(o.probs ? [o.probs] : []), o.mixedFraction];
  return compileEval(g, { params: [], outputs, name: 'mix' });
}
