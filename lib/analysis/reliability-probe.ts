/**
 * "Does reliability work?" — a diagnostic probe of an STvM run on a LABELLED evaluation split
 * (never used for training or selection; it does not change any state of the run).
 *
 * For probe tiles x (crops of the crop size cut from the labelled frames, B per batch, the
 * teacher program's shape) it runs, with the run's current weights:
 *   teacher forward            ŷ, q = max softmax at the crop, ŷ_feat, features f   (eval program)
 *   metric head, forward only  S = cos(normalize(m(f)), p_c)  [M, C]               (own eval program
 *                              reading the run's m and proxies; BN of m on batch statistics,
 *                              as in the metric step)
 *   reliability                r = reliabilityMap(S, ŷ_feat, ŷ; variant, β, resolution) — the run's own
 * and compares ŷ with the ground truth y of the tile: correct_i = 1[ŷ_i = y_i] over y_i ≠ void.
 * Reported: AUROC of r and of q for separating correct from wrong pseudo-labels (lib/analysis
 * auroc.ts), histograms of r and q for correct vs wrong pixels, pseudo-label accuracy, the
 * mean r on correct and on wrong pixels. Two controls:
 *   q at r's resolution   q_coarse = bilinear↑(area↓(q) to the feature grid): what q would
 *                         score if, like r, it were one value per stride cell — separates "the
 *                         metric space is less informative" from "r is coarser than q";
 *   product               r·q (both signals together).
 */
import type { LabelledDataset } from '../data/datasets/types.js';
import { writeCHW, type NormalizeOptions } from '../data/transforms/normalize.js';
import { compileEval, type CompiledGraph } from '../engine/compile/index.js';
import { GraphBuilder } from '../engine/ir/builder.js';
import { buildMetricHead, metricHeadSpec } from '../engine/models/index.js';
import { posteriorBeta, reliabilityMap } from '../method/stvm/reliability.js';
import type { StvmConfig } from '../method/stvm/config.js';
import type { StvmAlgorithm } from '../method/stvm/algorithm.js';
import { downsampleArea, upsampleBilinear } from '../method/stvm/maps.js';
import { initProxies, PROXIES } from '../method/stvm/programs.js';
import { auroc, pseudoLabelCorrectness } from './auroc.js';
import { addHistograms, splitHistogram, type SplitHistogram } from './histogram.js';

/** Forward-only similarities S [M,C] of the metric head (names as in the metric step). */
export function metricSimProgram(n: number, featureChannels: number, featureSize: readonly [number, number], numClasses: number, cfg: StvmConfig['metric'], seed: number): CompiledGraph {
  const [h, w] = featureSize;
  const m = n * h * w;
  const g = new GraphBuilder('metric_probe');
  const feats = g.input('features', 'float32', [n, featureChannels, h, w]);
  const head = buildMetricHead(g, feats, metricHeadSpec({ inChannels: featureChannels, hidden: cfg.hidden, embedDim: cfg.dim, seed }));
  const emb = g.op1('Reshape', [g.op1('Transpose', [head.embedding], { perm: [0, 2, 3, 1] }), g.constI64([m, cfg.dim])]);
  const proxies = g.initializer(PROXIES, initProxies(numClasses, cfg.dim, seed));
  const pNorm = g.op1('Sqrt', [g.op1('Add', [g.op1('ReduceSumSquare', [proxies], { axes: [1], keepdims: 1 }), g.constF32(1e-12)])]);
  const pHat = g.op1('Div', [proxies, pNorm]);
  g.op1('MatMul', [emb, g.op1('Transpose', [pHat], { perm: [1, 0] })], {}, { outputName: 'sim' });
  return compileEval(g, { outputs: ['sim'], params: [...head.params.trainable, proxies], name: 'metric_probe' });
}

export interface ProbeTile { image: Float32Array; label: Uint8Array }

/** Cuts every frame into non-overlapping crops of [cw, ch] (remainders dropped), normalised CHW. */
export async function probeTiles(ds: LabelledDataset, count: number, crop: readonly [number, number], norm: NormalizeOptions): Promise<ProbeTile[]> {
  const [cw, ch] = crop;
  const tiles: ProbeTile[] = [];
  for (let i = 0; i < Math.min(count, ds.size); i++) {
    const s = await ds.readSample(i);
    const { width: W, height: H } = s.image;
    for (let y0 = 0; y0 + ch <= H; y0 += ch) for (let x0 = 0; x0 + cw <= W; x0 += cw) {
      const img = { width: cw, height: ch, channels: 3 as const, data: new Uint8Array(cw * ch * 3) };
      const label = new Uint8Array(cw * ch);
      for (let y = 0; y < ch; y++) {
        img.data.set(s.image.data.subarray(((y0 + y) * W + x0) * 3, ((y0 + y) * W + x0 + cw) * 3), y * cw * 3);
        label.set(s.label.data.subarray((y0 + y) * W + x0, (y0 + y) * W + x0 + cw), y * cw);
      }
      const image = new Float32Array(3 * cw * ch);
      writeCHW(img, image, 0, norm);
      tiles.push({ image, label });
    }
  }
  return tiles;
}

export interface ProbeResult {
  readonly pixels: number;
  readonly pseudo_label_accuracy: number;
  readonly auroc_reliability: number;
  readonly auroc_confidence: number;
  /** AUROC of q averaged over each feature cell and upsampled like r (the resolution control). */
  readonly auroc_confidence_coarse: number;
  /** AUROC of r·q. */
  readonly auroc_product: number;
  readonly mean_reliability_correct: number;
  readonly mean_reliability_wrong: number;
  readonly mean_confidence_correct: number;
  readonly mean_confidence_wrong: number;
  readonly hist_reliability: SplitHistogram;
  readonly hist_confidence: SplitHistogram;
}

export class ReliabilityProbe {
  private added = false;

  constructor(private readonly alg: StvmAlgorithm, private readonly cfg: StvmConfig, private readonly seed: number, private readonly batch: number, private readonly crop: readonly [number, number], private readonly numClasses: number, private readonly bins = 20) {}

  async run(tiles: readonly ProbeTile[]): Promise<ProbeResult> {
    const teacher = this.alg.teacherSide;
    const [cw, ch] = this.crop;
    const B = this.batch, plane = cw * ch, C = this.numClasses;
    if (!this.added) {
      await teacher.runner.addProgram('metric_probe', metricSimProgram(B, teacher.params.featureChannels, teacher.featureSize, C, this.cfg.metric, this.seed));
      this.added = true;
    }
    const [h, w] = teacher.featureSize;
    const rel: number[] = [], conf: number[] = [], confCoarse: number[] = [], prod: number[] = [];
    const pos: number[] = [];
    let hr: SplitHistogram | undefined, hq: SplitHistogram | undefined;
    const sums = { rc: 0, rw: 0, qc: 0, qw: 0, nc: 0, nw: 0 };
    for (let s = 0; s + B <= tiles.length; s += B) {
      const x = new Float32Array(B * 3 * plane);
      const gt = new Uint8Array(B * plane);
      for (let k = 0; k < B; k++) {
        x.set(tiles[s + k]!.image, k * 3 * plane);
        gt.set(tiles[s + k]!.label, k * plane);
      }
      const out = await teacher.forward({ dtype: 'float32', shape: [B, 3, ch, cw], data: x });
      const simOut = await teacher.runner.run('metric_probe', { features: out.features }, { transfer: false });
      const r = reliabilityMap({ sim: simOut['sim']!.data as Float32Array, labelsFeat: out.labelsFeat, labels: out.labels, n: B, numClasses: C, featureSize: [h, w], crop: [ch, cw] },
        this.cfg.reliability.variant, posteriorBeta(this.cfg), this.cfg.reliability.resolution).rel;
      const qc = upsampleBilinear(downsampleArea(out.confidence, B, ch, cw, h, w), B, h, w, ch, cw);
      const { positive, include } = pseudoLabelCorrectness(out.labels, gt);
      const h1 = splitHistogram(r, positive, include, this.bins);
      const h2 = splitHistogram(out.confidence, positive, include, this.bins);
      hr = hr ? addHistograms(hr, h1) : h1;
      hq = hq ? addHistograms(hq, h2) : h2;
      for (let i = 0; i < r.length; i++) {
        if (!include[i]) continue;
        rel.push(r[i]!);
        conf.push(out.confidence[i]!);
        confCoarse.push(qc[i]!);
        prod.push(r[i]! * out.confidence[i]!);
        pos.push(positive[i]!);
        if (positive[i]) { sums.rc += r[i]!; sums.qc += out.confidence[i]!; sums.nc++; } else { sums.rw += r[i]!; sums.qw += out.confidence[i]!; sums.nw++; }
      }
    }
    const p = Uint8Array.from(pos);
    return {
      pixels: pos.length,
      pseudo_label_accuracy: sums.nc / Math.max(1, sums.nc + sums.nw),
      auroc_reliability: auroc(Float64Array.from(rel), p).auroc,
      auroc_confidence: auroc(Float64Array.from(conf), p).auroc,
      auroc_confidence_coarse: auroc(Float64Array.from(confCoarse), p).auroc,
      auroc_product: auroc(Float64Array.from(prod), p).auroc,
      mean_reliability_correct: sums.rc / Math.max(1, sums.nc),
      mean_reliability_wrong: sums.rw / Math.max(1, sums.nw),
      mean_confidence_correct: sums.qc / Math.max(1, sums.nc),
      mean_confidence_wrong: sums.qw / Math.max(1, sums.nw),
      hist_reliability: hr!,
      hist_confidence: hq!,
    };
  }
}
