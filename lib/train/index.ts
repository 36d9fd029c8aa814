/**
 * Trainer infrastructure shared by source training and every adaptation method.
 *
 * ```ts
 * // an Algorithm (algorithm.ts) is driven by runLoop:
 * const run = openRunDir(outDir, resolvedConfig, { resume });
 * const res = await runLoop(alg, { iterations, run, checkpointEvery: 200, evalEvery: 0,
 *   evalSet: { name: 'camvid/val', dataset, options: { normalize: meta.normalize } },
 *   resume, configHash: configHash(resolvedConfig) });
 * await alg.exportModel(path.join(outDir, 'model.onnx'));
 *
 * // a source model (model-file.ts): spec + normalisation + classes + weights
 * const src = await loadSegModel('runs/source-synth/model.ckpt');
 * // networks (seg-net.ts): compileSupervisedStep / compilePredict / SegPredictor /
 * // exportSegOnnx, with `statePrefix` for several copies in one runner ('teacher/…')
 * // evaluation (evaluate.ts): evaluatePredictor(predict, labelledDataset, { normalize, batch, resize, numClasses })
 * // batches (batches.ts): (await TrainBatches.open(loaderOptions)).at(t), batchFeeds(batch)
 * // SynthStreet datasets (synth-dataset.ts): synthStreetDataset({seed, count, style}) / synthStreetImages(...)
 * // opening any model for inference (model-predictor.ts): openModel(file) → {predict, normalize, numClasses, …}
 * ```
 */
export * from '../method/algorithm.js';
export { runLoop, latestCheckpoint, type EvalSet, type LoopOptions, type LoopResult } from './loop.js';
export { evaluatePredictor, checkModelFits, ModelFitError, type EvaluateOptions, type Evaluation } from './evaluate.js';
export { toBatch } from '../model/to-batch.js';
export { TrainBatches, batchFeeds, type Batch } from './batches.js';
export * from '../model/model-file.js';
export { compileSupervisedStep, compilePredict, argmaxLabels, SegPredictor, exportSegOnnx, type SupervisedStepOptions } from '../model/seg-net.js';
export { withStatePrefix } from '../model/state-prefix.js';
export { openModel, openModelFile, type OpenedModel, type OpenModelOptions } from '../model/model-predictor.js';
export { synthStreetDataset, synthStreetImages, SYNTH_SEEDS, type SynthDatasetSpec } from './synth-dataset.js';
export { configHash } from './config-hash.js';
export { SupervisedAlgorithm } from './supervised.js';
export { SOURCE_SCHEMA, validateSourceConfig, modelSpecOf, type SourceConfig } from './source-config.js';
