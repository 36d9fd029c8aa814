#!/usr/bin/env node
/**
 * supported-ops: the ops an imported ONNX model may contain, as a Markdown table generated from
 * the gradient-rule and shape-inference registries (lib/engine/autodiff/supported-ops.ts).
 *
 *   node dist/cli/supported-ops.js                                            # print the table
 *   node dist/cli/supported-ops.js --write docs/bring-your-own-model.md       # rewrite the doc's section
 *   node dist/cli/supported-ops.js --check docs/bring-your-own-model.md       # exit 1 when it is stale
 */
import fs from 'node:fs';
import { parseFlags, runMain, UsageError, type CommandSpec } from '../lib/cli/args.js';
import {
  extractOpsSection, OPS_BEGIN, OPS_END, OPS_WRITE_COMMAND, replaceOpsSection, supportedOps, supportedOpsMarkdown,
} from '../lib/engine/autodiff/supported-ops.js';

const COMMAND: CommandSpec = {
  name: 'node dist/cli/supported-ops.js',
  summary: 'print the ONNX ops an imported model may contain (generated from the gradient-rule and shape-inference registries) as Markdown',
  flags: {
    write: { type: 'string', help: `rewrite the section between ${OPS_BEGIN} and ${OPS_END} of this Markdown file` },
    check: { type: 'string', help: 'exit 1 when the section of this Markdown file differs from the registries' },
    json: { type: 'boolean', help: 'print [{op, gradient, shape}] as JSON instead' },
  },
  examples: [OPS_WRITE_COMMAND],
};

function readDoc(file: string): string {
  if (!fs.existsSync(file)) throw new UsageError(`${file}: no such file`);
  return fs.readFileSync(file, 'utf8');
}

async function main(): Promise<void> {
  const f = parseFlags(COMMAND);
  if (f === undefined) return;
  const md = supportedOpsMarkdown();
  try {
    if (typeof f['write'] === 'string') {
      const file = f['write'];
      const doc = readDoc(file);
      const next = replaceOpsSection(doc, md);
      if (next !== doc) fs.writeFileSync(file, next);
      process.stdout.write(`${next === doc ? 'unchanged' : 'rewrote'} the ops section of ${file}\n`);
      return;
    }
    if (typeof f['check'] === 'string') {
      const file = f['check'];
      if (extractOpsSection(readDoc(file)) !== md.trim()) {
        process.stderr.write(`${file}: the ops section differs from the registries; run ${OPS_WRITE_COMMAND.replace('docs/bring-your-own-model.md', file)}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`${file}: the ops section is up to date\n`);
      return;
    }
  } catch (e) {
    if ((e as Error).name === 'Error') throw new UsageError((e as Error).message);
    throw e;
  }
  process.stdout.write(f['json'] === true ? `${JSON.stringify(supportedOps(), null, 2)}\n` : `${md}\n`);
}

runMain(main);
