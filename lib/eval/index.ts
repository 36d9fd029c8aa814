/** Segmentation evaluation: confusion matrix, IoU/mIoU/accuracy, exports and reports. */
export { createConfusion, updateConfusion, mergeConfusion, confusionAt } from './confusion.js';
export type { ConfusionMatrix } from './confusion.js';
export { iouPerClass, meanIoU, nanMean, pixelAccuracy, classAccuracy, classPixels } from './metrics.js';
export { summarize, resultToJson, resultToMarkdown, comparisonMarkdown } from './results.js';
export type { EvaluationResult } from './results.js';
export { trainIdToLabelIdLut, toCityscapesLabelIds, writeCityscapesPrediction } from './cityscapes-export.js';
export { colorizeLabel, overlayLabel, writeColorPng, writeOverlayPng } from './colorize.js';
export type { Palette } from './colorize.js';
export { evaluateDataset, predictionFolder } from './evaluate.js';
export type { Predictor, Evaluation, PredictionFormat } from './evaluate.js';
