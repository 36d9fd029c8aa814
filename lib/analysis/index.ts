/**
 * Analysis of adaptation runs (diagnostics on labelled evaluation splits only; never used to
 * train or select): AUROC of reliability scores for correct vs wrong pseudo-labels, split
 * histograms, and the reliability probe of an STvM run (reliability-probe.ts).
 */
export { auroc, pseudoLabelCorrectness, type AurocResult } from './auroc.js';
export { splitHistogram, addHistograms, binIndex, type SplitHistogram } from './histogram.js';
export { meanStd, gapClosed, meanPerClass } from './aggregate.js';
