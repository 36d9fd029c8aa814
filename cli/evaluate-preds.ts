#!/usr/bin/env node
/**
 * evaluate-preds: mIoU of prediction PNGs (one per image, `<name>.png`) against a labelled
 * dataset split. Prints a Markdown table; --json / --md write the results.
 * Exit status: 0 done, 1 failure, 2 bad command line (or a dataset that cannot be opened).
 *
 *   node dist/cli/evaluate-preds.js --kind camvid --root ../shared/data/camvid --split val --preds out/val
 */
import { writeFile } from 'node:fs/promises';
import { datasetSpecFromFlags, strFlag } from '../lib/cli/dataset-flags.js';
import { parseFlags, runMain, UsageError, type CommandSpec } from '../lib/cli/args.js';
import { openLabelledDataset } from '../lib/data/datasets/registry.js';
import { datasetKinds } from '../lib/data/datasets/spec.js';
import { evaluateDataset, predictionFolder, type PredictionFormat } from '../lib/eval/evaluate.js';
import { resultToJson, resultToMarkdown } from '../lib/eval/results.js';

const SPEC: CommandSpec = {
  name: 'evaluate-preds',
  summary: 'per-class IoU and mIoU of prediction PNGs against the labels of a dataset split',
  synopsis: 'node dist/cli/evaluate-preds.js --kind KIND --root DIR --split SPLIT --preds DIR [options]',
  details: `Evaluates prediction PNGs against the labels of a dataset split: per-class IoU, mIoU
(classes absent from both ground truth and prediction are excluded, as in
cityscapesScripts), pixel accuracy. Prediction files: <preds>/<name>.png, 8-bit, one per
image (name = the dataset's sample name, e.g. 0016E5_07959 or aachen_000000_000019).
Exit status: 0 done, 1 failure, 2 usage error.`,
  flags: {
    kind: { type: 'string', help: `(required) dataset kind: ${datasetKinds().join(', ')}` },
    root: { type: 'string', help: '(required) dataset root' },
    split: { type: 'string', help: "(required) a labelled split (several joined by '+')" },
    preds: { type: 'string', help: '(required) folder of prediction PNGs' },
    format: { type: 'string', default: 'trainid', help: 'trainid (values = train ids of the protocol) or cityscapes-labelid (values = Cityscapes labelIds, the official format)' },
    protocol: { type: 'string', help: "class protocol (default: the dataset's own)" },
    city: { type: 'string', help: 'NTHU cross-city city' },
    prefix: { type: 'string', multiple: true, help: 'keep only samples whose name starts with this prefix' },
    json: { type: 'string', help: 'write the results as JSON to this file' },
    md: { type: 'string', help: 'write the results as a Markdown table to this file' },
  },
  examples: ['node dist/cli/evaluate-preds.js --kind camvid --root ../shared/data/camvid --split val --preds out/val'],
};

async function main(): Promise<void> {
  const f = parseFlags(SPEC);
  if (!f) return;
  const spec = datasetSpecFromFlags(f);
  const preds = strFlag(f, 'preds');
  if (preds === undefined) throw new UsageError('--preds is required');
  if (f.format !== 'trainid' && f.format !== 'cityscapes-labelid') throw new UsageError('--format must be trainid or cityscapes-labelid');
  const format: PredictionFormat = f.format;
  let ds;
  try {
    ds = await openLabelledDataset(spec);
  } catch (err) {
    // a dataset that cannot be opened from these flags is a bad command line (exit 2)
    throw new UsageError((err as Error).message);
  }
  const { result } = await evaluateDataset(ds, predictionFolder(preds, ds, format));
  const md = resultToMarkdown(result, { title: `${ds.id}: ${preds}` });
  process.stdout.write(`${md}\n`);
  const json = strFlag(f, 'json');
  const mdFile = strFlag(f, 'md');
  if (json) await writeFile(json, `${JSON.stringify(resultToJson(result), null, 2)}\n`);
  if (mdFile) await writeFile(mdFile, `${md}\n`);
}

runMain(main, { usageExitCode: 2 });
