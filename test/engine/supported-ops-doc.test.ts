/**
 * The supported-ops table of docs/bring-your-own-model.md is generated from the gradient-rule and
 * shape-inference registries (lib/engine/autodiff/supported-ops.ts); this test regenerates it and
 * fails when the doc's section differs, naming the command that rewrites it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { registeredGradOps } from '../../lib/engine/autodiff/registry.js';
import {
  extractOpsSection, OPS_BEGIN, OPS_END, OPS_WRITE_COMMAND, replaceOpsSection, supportedOps, supportedOpsMarkdown,
} from '../../lib/engine/autodiff/supported-ops.js';
import { registeredShapeOps } from '../../lib/engine/ir/shape-registry.js';

const DOC = 'docs/bring-your-own-model.md';
const run = promisify(execFile);

describe('supported ops: the doc table is generated from the registries', () => {
  it(`${DOC}'s ops section equals the generated table`, () => {
    const doc = fs.readFileSync(DOC, 'utf8');
    const have = extractOpsSection(doc);
    const want = supportedOpsMarkdown().trim();
    if (have !== want) {
      const a = have.split('\n');
      const b = want.split('\n');
      const i = b.findIndex((l, k) => a[k] !== l);
      const at = i < 0 ? a.length : i;
      assert.fail(`${DOC}: the supported-ops section between ${OPS_BEGIN} and ${OPS_END} is out of date `
        + `(first difference at line ${at + 1} of the section: doc '${a[at] ?? '(end)'}', generated '${b[at] ?? '(end)'}'); `
        + `rewrite it with: npx tsc -p tsconfig.json && ${OPS_WRITE_COMMAND}`);
    }
  });

  it('lists every registered gradient rule and shape function exactly once, with the right kind', () => {
    const ops = supportedOps();
    const names = ops.map((o) => o.op);
    assert.equal(new Set(names).size, names.length);
    assert.deepEqual(names, [...new Set([...registeredGradOps(), ...registeredShapeOps()])].sort());
    const kind = (op: string) => ops.find((o) => o.op === op);
    for (const op of ['Conv', 'BatchNormalization', 'HardSwish', 'HardSigmoid', 'Erf', 'LayerNormalization', 'Resize']) {
      assert.deepEqual(kind(op), { op, gradient: true, shape: true }, op);
    }
    assert.deepEqual(kind('Elu'), { op: 'Elu', gradient: false, shape: true }, 'Elu has no gradient rule (the doc says so)');
    assert.ok(ops.every((o) => o.shape), 'every op with a gradient rule also has shape inference');
    const md = supportedOpsMarkdown();
    assert.match(md, /^\| `Conv` \| yes \| yes \| differentiable \|$/m);
    assert.match(md, /^\| `Elu` \| — \| yes \| forward only \|$/m);
  });

  it('replaceOpsSection rewrites only the section; the CLI --check/--write round trip', async () => {
    const doc = `# t\n\nbefore\n\n${OPS_BEGIN}\nstale\n${OPS_END}\n\nafter\n`;
    const next = replaceOpsSection(doc, 'fresh');
    assert.equal(next, `# t\n\nbefore\n\n${OPS_BEGIN}\nfresh\n${OPS_END}\n\nafter\n`);
    assert.equal(replaceOpsSection(next, 'fresh'), next, 'idempotent');
    assert.throws(() => replaceOpsSection('# no markers\n', 'x'), /no <!-- ops:begin -->/);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stvm-ops-'));
    try {
      const f = path.join(dir, 'doc.md');
      fs.writeFileSync(f, doc);
      await assert.rejects(run('node', ['dist/cli/supported-ops.js', '--check', f]),
        (e: { code?: number; stderr?: string }) => e.code === 1 && /differs from the registries; run node dist\/cli\/supported-ops\.js --write/.test(e.stderr ?? ''));
      await run('node', ['dist/cli/supported-ops.js', '--write', f]);
      const written = fs.readFileSync(f, 'utf8');
      assert.equal(extractOpsSection(written), supportedOpsMarkdown().trim());
      assert.ok(written.startsWith('# t\n\nbefore\n\n') && written.endsWith(`${OPS_END}\n\nafter\n`));
      await run('node', ['dist/cli/supported-ops.js', '--check', f]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
