#!/usr/bin/env node
/**
 * evaluate-preds: mIoU of prediction PNGs (one per image, `<name>.png`) against a labelled
 * dataset split. Prints a Markdown table; --json / --md write the results.
 *
 *   node dist/cli/evaluate-preds.js --kind camvid --root ../shared/data/camvid --split val --preds out/val
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { openLabelledDataset } from '../lib/data/datasets/registry.js';
import { datasetKinds } from '../lib/data/datasets/spec.js';
import { evaluateDataset, predictionFolder, type PredictionFormat } from '../lib/eval/evaluate.js';
import { resultToJson, resultToMarkdown } from '../lib/eval/results.js';

const HELP = `Usage: node dist/cli/evaluate-preds.js --kind KIND --root DIR --split SPLIT --preds DIR [options]

Evaluates prediction PNGs against the labels of a dataset split: per-class IoU, mIoU
(classes absent from both ground truth and prediction are excluded, as in
cityscapesScripts), pixel accuracy. Prediction files: <preds>/<name>.png, 8-bit, one per
image (name = the dataset's sample name, e.g. 0016E5_07959 or aachen_000000_000019).

Required:
  --kind KIND       ${datasetKinds().join(', ')}
  --root DIR        dataset root
  --split SPLIT     a labelled split (several joined by '+')
  --preds DIR       folder of prediction PNGs

Options:
  --format F        trainid (values = train ids of the protocol, default) or
                    cityscapes-labelid (values = Cityscapes labelIds, the official format)
  --protocol ID     class protocol (default: the dataset's own)
  --city CITY       NTHU cross-city city
  --prefix P        keep only samples whose name starts with P (repeatable)
  --json FILE       write the results as JSON
  --md FILE         write the results as a Markdown table
  -h, --help        this help
`;

function usage(msg: string): never {
  process.stderr.write(`evaluate-preds: ${msg}\nRun with --help for usage.\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        kind: { type: 'string' },
        root: { type: 'string' },
        split: { type: 'string' },
        preds: { type: 'string' },
        format: { type: 'string', default: 'trainid' },
        protocol: { type: 'string' },
        city: { type: 'string' },
        prefix: { type: 'string', multiple: true },
        json: { type: 'string' },
        md: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    usage((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  for (const f of ['kind', 'root', 'split', 'preds'] as const) if (!values[f]) usage(`--${f} is required`);
  if (values.format !== 'trainid' && values.format !== 'cityscapes-labelid') usage(`--format must be trainid or cityscapes-labelid`);
  let ds;
  try {
    ds = await openLabelledDataset({
      kind: values.kind!,
      root: values.root!,
      split: values.split!,
      ...(values.protocol ? { protocol: values.protocol } : {}),
      ...(values.city ? { city: values.city } : {}),
      ...(values.prefix ? { namePrefixes: values.prefix } : {}),
    });
  } catch (err) {
    usage((err as Error).message);
  }
  const { result } = await evaluateDataset(ds, predictionFolder(values.preds!, ds, values.format as PredictionFormat));
  const md = resultToMarkdown(result, { title: `${ds.id}: ${values.preds}` });
  process.stdout.write(`${md}\n`);
  if (values.json) await writeFile(values.json, `${JSON.stringify(resultToJson(result), null, 2)}\n`);
  if (values.md) await writeFile(values.md, `${md}\n`);
}

main().catch((err) => {
  process.stderr.write(`evaluate-preds: ${(err as Error).message}\n`);
  process.exit(1);
});
