#!/usr/bin/env node
/**
 * dataset-check: scan a dataset split and report every problem at once, plus the class pixel
 * histogram. Exit status 0 = no problem, 1 = problems found, 2 = bad command line.
 *
 *   node dist/cli/dataset-check.js --kind camvid --root ../shared/data/camvid --split train
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { checkDataset, checkReportToJson, formatCheckReport } from '../lib/data/check/index.js';
import { datasetKinds, getLayout } from '../lib/data/datasets/spec.js';

const HELP = `Usage: node dist/cli/dataset-check.js --kind KIND --root DIR --split SPLIT [options]

Scans a dataset split on disk and reports EVERY problem at once: missing folders,
image/label count mismatch, images without labels and labels without images,
unreadable (corrupt or truncated) PNG/JPEG files, label values outside the class
table (counted per value), image/label size mismatch. Prints the class pixel
histogram of the labels. Exit status: 0 no problem, 1 problems found, 2 usage error.

Required:
  --kind KIND         dataset kind: ${datasetKinds().join(', ')}
  --root DIR          the dataset's root folder
  --split SPLIT       split name; several joined by '+' (e.g. train+val)

Options:
  --protocol ID       class protocol of the labels (default: the dataset's own;
                      cityscapes19, cityscapes16, cityscapes13, camvid11)
  --city CITY         NTHU cross-city only: Rome, Rio, Tokyo or Taipei
  --prefix P          keep only samples whose name starts with P (repeatable;
                      e.g. a CamVid sequence: --prefix 0001TP)
  --images MODE       full (decode every image: finds truncated files, default)
                      or header (sizes only: fast)
  --concurrency N     files decoded at once (default 4)
  --json FILE         also write the full report as JSON
  -h, --help          this help

Layouts:
${datasetKinds()
  .map((k) => {
    const l = getLayout(k);
    return `  ${k.padEnd(11)} ${l.description}\n  ${''.padEnd(11)} splits: ${l.splits.join(', ')} (labelled: ${l.labelledSplits.join(', ')}); protocols: ${l.protocols.join(', ')}`;
  })
  .join('\n')}

Example:
  node dist/cli/dataset-check.js --kind camvid --root ../shared/data/camvid --split train
`;

function usage(msg: string): never {
  process.stderr.write(`dataset-check: ${msg}\nRun with --help for usage.\n`);
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
        protocol: { type: 'string' },
        city: { type: 'string' },
        prefix: { type: 'string', multiple: true },
        images: { type: 'string', default: 'full' },
        concurrency: { type: 'string', default: '4' },
        json: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
    }));
  } catch (err) {
    usage((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  for (const f of ['kind', 'root', 'split'] as const) if (!values[f]) usage(`--${f} is required`);
  if (values.images !== 'full' && values.images !== 'header') usage(`--images must be full or header, not '${values.images}'`);
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) usage(`--concurrency must be a positive integer, not '${values.concurrency}'`);

  const spec = {
    kind: values.kind!,
    root: values.root!,
    split: values.split!,
    ...(values.protocol ? { protocol: values.protocol } : {}),
    ...(values.city ? { city: values.city } : {}),
    ...(values.prefix ? { namePrefixes: values.prefix } : {}),
  };
  const tty = process.stderr.isTTY;
  let report;
  try {
    report = await checkDataset(spec, {
      images: values.images,
      concurrency,
      onProgress: tty ? (d, t) => (d % 25 === 0 || d === t) && process.stderr.write(`\rchecked ${d}/${t} files`) : undefined,
    });
  } catch (err) {
    if (tty) process.stderr.write('\n');
    usage((err as Error).message);
  }
  if (tty) process.stderr.write('\n');
  process.stdout.write(`${formatCheckReport(report)}\n`);
  if (values.json) await writeFile(values.json, `${JSON.stringify(checkReportToJson(report), null, 2)}\n`);
  process.exitCode = report.problems.length > 0 ? 1 : 0;
}

main().catch((err) => {
  process.stderr.write(`dataset-check: ${(err as Error).stack ?? err}\n`);
  process.exit(2);
});
