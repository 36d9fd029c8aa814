/**
 * The import graph runs one way (README "Layout"): every relative import of every TypeScript
 * file of the repository is resolved and its folder's layer compared with the importer's.
 *
 *   lib/util  ←  lib/engine  ←  lib/config, lib/data  ←  lib/eval  ←  lib/model  ←  lib/method
 *   ←  lib/analysis, lib/run  ←  lib/train  ←  lib/cli  ←  lib/services
 *   ←  teacher-service, student-service, orchestrator, cli, bench  ←  test
 *
 * Inside the engine: ir ← autodiff, optim, losses ← compile, models ← onnx ← runtime.
 * The top-level programs (teacher-service, student-service, orchestrator, cli, bench) import
 * lib/ and never each other: what two of them share lives in lib/services.
 * A violation names the file, the import and both layers.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../lib/run/code-version.js';

const LAYERS: readonly (readonly string[])[] = [
  ['lib/util'],
  ['lib/engine'],
  ['lib/config', 'lib/data'],
  ['lib/eval'],
  ['lib/model'],
  ['lib/method'],
  ['lib/analysis', 'lib/run'],
  ['lib/train'],
  ['lib/cli'],
  ['lib/services'],
  ['teacher-service', 'student-service', 'orchestrator', 'cli', 'bench'],
  ['test'],
];
const ENGINE: readonly (readonly string[])[] = [['ir'], ['autodiff', 'optim', 'losses'], ['compile', 'models'], ['onnx'], ['runtime']];
const PROGRAMS = new Set(LAYERS[LAYERS.length - 2]);

function folderOf(rel: string): string | undefined {
  for (const group of LAYERS) for (const f of group) if (rel === f || rel.startsWith(`${f}/`)) return f;
  return undefined;
}
function layerOf(folder: string): number {
  return LAYERS.findIndex((g) => g.includes(folder));
}
function engineLayer(rel: string): number {
  const sub = rel.split('/')[2] ?? '';
  return ENGINE.findIndex((g) => g.includes(sub));
}

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'fixtures' || e.name === 'gen' || e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) tsFiles(p, out);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Every relative import of the repository as [importer, imported], paths relative to the root. */
export function importEdges(root: string): [string, string][] {
  const edges: [string, string][] = [];
  const re = /(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;
  for (const top of ['lib', 'cli', 'bench', 'test', 'teacher-service', 'student-service', 'orchestrator']) {
    const dir = path.join(root, top);
    if (!fs.existsSync(dir)) continue;
    for (const file of tsFiles(dir)) {
      const src = fs.readFileSync(file, 'utf8');
      for (const m of src.matchAll(re)) {
        const target = path.normalize(path.join(path.dirname(file), m[1]!.replace(/\.js$/, '.ts')));
        edges.push([path.relative(root, file), path.relative(root, target)]);
      }
    }
  }
  return edges;
}

/** The violations among the edges: an import into a higher layer, or between two programs. */
export function violations(edges: readonly [string, string][]): string[] {
  const out: string[] = [];
  for (const [from, to] of edges) {
    const a = folderOf(from), b = folderOf(to);
    if (a === undefined) { out.push(`${from}: not in any layer of the import rule`); continue; }
    if (b === undefined) { if (!to.startsWith('proto/')) out.push(`${from} imports ${to}, which is not in any layer`); continue; }
    if (a === b) {
      if (a === 'lib/engine') {
        const la = engineLayer(from), lb = engineLayer(to);
        if (la >= 0 && lb >= 0 && lb > la) out.push(`${from} imports ${to}: engine/${ENGINE[la]!.join('|')} may not import the higher engine/${ENGINE[lb]!.join('|')}`);
      }
      continue;
    }
    if (PROGRAMS.has(a) && PROGRAMS.has(b)) { out.push(`${from} imports ${to}: programs share code through lib/, not with each other`); continue; }
    if (layerOf(b) > layerOf(a)) out.push(`${from} imports ${to}: ${a} (layer ${layerOf(a)}) may not import ${b} (layer ${layerOf(b)})`);
  }
  return out;
}

describe('import direction', () => {
  it('no import runs against the stated direction', () => {
    const edges = importEdges(repoRoot());
    assert.ok(edges.length > 500, `expected the whole repository's imports, found ${edges.length}`);
    assert.deepEqual(violations(edges), []);
  });

  it('the check catches an upward import, an engine inversion and a program-to-program import', () => {
    assert.equal(violations([['lib/method/baselines/tent.ts', 'lib/train/algorithm.ts']]).length, 1);
    assert.equal(violations([['lib/engine/onnx/export.ts', 'lib/engine/runtime/atomic-write.ts']]).length, 1);
    assert.equal(violations([['lib/engine/optim/config.ts', 'lib/config/schema.ts']]).length, 1);
    assert.equal(violations([['orchestrator/main.ts', 'student-service/main.ts']]).length, 1);
    assert.deepEqual(violations([['lib/train/loop.ts', 'lib/method/algorithm.ts'], ['cli/adapt.ts', 'lib/train/loop.ts']]), []);
  });
});
