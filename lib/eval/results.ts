/**
 * Evaluation results: a summary of a confusion matrix, as JSON (NaN written as null) and as a
 * Markdown table (IoU in percent).
 */
import type { ConfusionMatrix } from './confusion.js';
import { classAccuracy, classPixels, iouPerClass, nanMean, pixelAccuracy } from './metrics.js';

export interface EvaluationResult {
  /** Protocol id, e.g. 'camvid11'. */
  readonly protocol: string;
  readonly classes: readonly string[];
  /** IoU per class in [0, 1]; NaN for classes absent from both ground truth and prediction. */
  readonly iou: readonly number[];
  /** Mean over the non-NaN IoUs (cityscapesScripts convention). */
  readonly mIoU: number;
  readonly pixelAccuracy: number;
  readonly meanClassAccuracy: number;
  /** Ground-truth pixels per class. */
  readonly classPixels: readonly number[];
  /** Valid (non-ignored) ground-truth pixels. */
  readonly validPixels: number;
  /** Valid pixels whose prediction was outside [0, C). */
  readonly invalidPredictionPixels: number;
  readonly unknownLabelPixels: number;
  readonly images: number;
}

export function summarize(cm: ConfusionMatrix, protocol: string, classes: readonly string[], images: number): EvaluationResult {
  if (classes.length !== cm.numClasses) throw new Error(`summarize: ${classes.length} class names for ${cm.numClasses} classes`);
  const iou = Array.from(iouPerClass(cm));
  const pix = Array.from(classPixels(cm));
  const C = cm.numClasses;
  let invalid = 0;
  for (let g = 0; g < C; g++) invalid += cm.counts[g * (C + 1) + C]!;
  return {
    protocol,
    classes: [...classes],
    iou,
    mIoU: nanMean(iou),
    pixelAccuracy: pixelAccuracy(cm),
    meanClassAccuracy: nanMean(classAccuracy(cm)),
    classPixels: pix,
    validPixels: pix.reduce((a, b) => a + b, 0),
    invalidPredictionPixels: invalid,
    unknownLabelPixels: cm.unknownLabelPixels,
    images,
  };
}

const num = (v: number): number | null => (Number.isNaN(v) ? null : v);

/** JSON-ready object: per-class IoU keyed by class name, NaN → null. */
export function resultToJson(r: EvaluationResult): Record<string, unknown> {
  return {
    protocol: r.protocol,
    mIoU: num(r.mIoU),
    pixelAccuracy: num(r.pixelAccuracy),
    meanClassAccuracy: num(r.meanClassAccuracy),
    iou: Object.fromEntries(r.classes.map((c, i) => [c, num(r.iou[i]!)])),
    classPixels: Object.fromEntries(r.classes.map((c, i) => [c, r.classPixels[i]])),
    validPixels: r.validPixels,
    invalidPredictionPixels: r.invalidPredictionPixels,
    unknownLabelPixels: r.unknownLabelPixels,
    images: r.images,
    absentClassConvention: 'classes absent from both ground truth and prediction have IoU null and are excluded from mIoU (cityscapesScripts)',
  };
}

const pct = (v: number, digits: number): string => (Number.isNaN(v) ? 'n/a' : (100 * v).toFixed(digits));

/** A two-column Markdown table: class | IoU (%), then mIoU and pixel accuracy. */
export function resultToMarkdown(r: EvaluationResult, opts: { title?: string; digits?: number } = {}): string {
  const d = opts.digits ?? 1;
  const lines: string[] = [];
  if (opts.title) lines.push(`### ${opts.title}`, '');
  lines.push('| class | IoU (%) |', '|---|---:|');
  r.classes.forEach((c, i) => lines.push(`| ${c} | ${pct(r.iou[i]!, d)} |`));
  lines.push(`| **mIoU** | **${pct(r.mIoU, d)}** |`);
  lines.push(`| pixel accuracy | ${pct(r.pixelAccuracy, d)} |`);
  lines.push('', `${r.protocol}, ${r.images} images, ${r.validPixels} evaluated pixels; n/a = class absent from ground truth and prediction (excluded from mIoU).`);
  return lines.join('\n');
}

/** Paper-style table: one row per method, one column per class, then mIoU. */
export function comparisonMarkdown(rows: readonly { name: string; result: EvaluationResult }[], digits = 1): string {
  if (rows.length === 0) return '';
  const classes = rows[0]!.result.classes;
  for (const r of rows) {
    if (r.result.classes.join('|') !== classes.join('|')) throw new Error(`comparisonMarkdown: '${r.name}' uses other classes`);
  }
  const head = `| method | ${classes.join(' | ')} | mIoU |`;
  const sep = `|---|${classes.map(() => '---:').join('|')}|---:|`;
  const body = rows.map((r) => `| ${r.name} | ${r.result.iou.map((v) => pct(v, digits)).join(' | ')} | ${pct(r.result.mIoU, digits)} |`);
  return [head, sep, ...body].join('\n');
}
