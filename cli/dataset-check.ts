#!/usr/bin/env node
/**
 * dataset-check: scan a dataset split and report every problem at once, plus the class pixel
 * histogram. Exit status 0 = no problem, 1 = problems found, 2 = bad command line.
 *
 *   node dist/cli/dataset-check.js --kind camvid --root ../shared/data/camvid --split train
 */
import { writeFile } from 'node:fs/promises';
import { datasetSpecFromFlags, strFlag } from '../lib/cli/dataset-flags.js';
import { parseFlags, runMain, UsageError, type CommandSpec } from '../lib/cli/args.js';
import { checkDataset, checkReportToJson, formatCheckReport } from '../lib/data/check/index.js';
import { datasetKinds, getLayout } from '../lib/data/datasets/spec.js';

const layouts = datasetKinds()
  .map((k) => {
    const l = getLayout(k);
    return `  ${k.padEnd(11)} ${l.description}\n  ${''.padEnd(11)} splits: ${l.splits.join(', ')} (labelled: ${l.labelledSplits.join(', ')}); protocols: ${l.protocols.join(', ')}`;
  })
  .join('\n');

const SPEC: CommandSpec = {
  name: 'dataset-check',
  summary: 'scan a dataset split on disk and report every problem at once, plus the class pixel histogram',
  synopsis: 'node dist/cli/dataset-check.js --kind KIND --root DIR --split SPLIT [options]',
  details: `Scans a dataset split on disk and reports EVERY problem at once: missing folders,
image/label count mismatch, images without labels and labels without images,
unreadable (corrupt or truncated) PNG/JPEG files, label values outside the class
table (counted per value), image/label size mismatch. Prints the class pixel
histogram of the labels. Exit status: 0 no problem, 1 problems found, 2 usage error.

Layouts:
${layouts}`,
  flags: {
    kind: { type: 'string', help: `(required) dataset kind: ${datasetKinds().join(', ')}` },
    root: { type: 'string', help: "(required) the dataset's root folder" },
    split: { type: 'string', help: "(required) split name; several joined by '+' (e.g. train+val)" },
    protocol: { type: 'string', help: "class protocol of the labels (default: the dataset's own; cityscapes19, cityscapes16, cityscapes13, camvid11)" },
    city: { type: 'string', help: 'NTHU cross-city only: Rome, Rio, Tokyo or Taipei' },
    prefix: { type: 'string', multiple: true, help: 'keep only samples whose name starts with this prefix (e.g. a CamVid sequence: --prefix 0001TP)' },
    images: { type: 'string', default: 'full', help: 'full (decode every image: finds truncated files) or header (sizes only: fast)' },
    concurrency: { type: 'number', default: 4, help: 'files decoded at once' },
    json: { type: 'string', help: 'also write the full report as JSON to this file' },
  },
  examples: ['node dist/cli/dataset-check.js --kind camvid --root ../shared/data/camvid --split train'],
};

async function main(): Promise<void> {
  const f = parseFlags(SPEC);
  if (!f) return;
  const spec = datasetSpecFromFlags(f);
  const images = f.images;
  if (images !== 'full' && images !== 'header') throw new UsageError(`--images must be full or header, not '${String(images)}'`);
  const concurrency = f.concurrency as number;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`--concurrency must be a positive integer, not '${concurrency}'`);

  const tty = process.stderr.isTTY;
  let report;
  try {
    report = await checkDataset(spec, {
      images,
      concurrency,
      onProgress: tty ? (d, t) => (d % 25 === 0 || d === t) && process.stderr.write(`\rchecked ${d}/${t} files`) : undefined,
    });
  } catch (err) {
    if (tty) process.stderr.write('\n');
    // a spec the dataset code rejects (unknown kind, split, protocol...) is a bad command line
    throw new UsageError((err as Error).message);
  }
  if (tty) process.stderr.write('\n');
  process.stdout.write(`${formatCheckReport(report)}\n`);
  const json = strFlag(f, 'json');
  if (json) await writeFile(json, `${JSON.stringify(checkReportToJson(report), null, 2)}\n`);
  process.exitCode = report.problems.length > 0 ? 1 : 0;
}

// 1 means "problems found", so a usage error and an unexpected failure both exit 2
runMain(main, { usageExitCode: 2, errorExitCode: 2 });
