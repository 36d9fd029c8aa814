/**
 * The adaptation-benchmark configs (bench/adapt-config.ts): the committed protocol configs load,
 * and bad input is an error naming the file and the field.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deepMerge, loadBenchConfig, rowAdaptConfig } from '../../bench/adapt-config.js';

const tmp = (obj: unknown): string => {
  const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cfg-')), 'c.json');
  fs.writeFileSync(f, JSON.stringify(obj));
  return f;
};

describe('bench: adaptation benchmark configs', () => {
  for (const p of ['P0', 'P0-foggy', 'P1', 'P2', 'P0-mnv2', 'P1-mnv2', 'P2-mnv2']) {
    it(`configs/bench/adapt-${p}.json loads; the rows of the issue-13 comparison are there`, () => {
      const c = loadBenchConfig(`configs/bench/adapt-${p}.json`);
      const kinds = new Set(c.rows.map((r) => r.kind));
      for (const k of ['source', 'adabn', 'tent', 'adapt']) assert.ok(kinds.has(k as never), k);
      for (const id of ['source-only', 'adabn', 'tent', 'stvm']) assert.ok(c.rows.some((r) => r.id === id), id);
      // 'stvm' is the default STvM config: no overlay
      assert.deepEqual(c.rows.find((r) => r.id === 'stvm')!.overlay, {});
      assert.ok(c.seeds.length >= 3);
    });
  }
  it('P0 carries the paper form and the weighting ablations', () => {
    const c = loadBenchConfig('configs/bench/adapt-P0.json');
    for (const id of ['stvm-paper', 'stvm-uniform', 'stvm-mean-reliability']) assert.ok(c.rows.some((r) => r.id === id), id);
    const paper = rowAdaptConfig(c, c.rows.find((r) => r.id === 'stvm-paper')!, 0) as { stvm: { bn: { mode: string } } };
    assert.equal(paper.stvm.bn.mode, 'frozen-source');
  });
  it('deep-merges a row overlay into the base and sets seed, name, source', () => {
    const c = loadBenchConfig('configs/bench/adapt-P0.json');
    const row = { ...c.rows.find((r) => r.id === 'stvm')!, id: 'stvm-classmix', overlay: { stvm: { mocm: { selection: 'random' } } } };
    const m = rowAdaptConfig(c, row, 2) as { seed: number; name: string; stvm: { mocm: { selection: string }; metric: { hidden: number } } };
    assert.equal(m.seed, 2);
    assert.equal(m.name, 'stvm-classmix');
    assert.equal(m.stvm.mocm.selection, 'random');
    assert.equal(m.stvm.metric.hidden, 128);
    assert.deepEqual(deepMerge({ a: { b: 1, c: 2 } }, { a: { c: 3 } }), { a: { b: 1, c: 3 } });
  });
  it("an init 'adabn' row starts from the AdaBN model by stvm.bn.mode with the adabn row's pass", () => {
    const c = loadBenchConfig('configs/bench/adapt-P0.json');
    const ab = c.rows.find((r) => r.kind === 'adabn')!;
    const row = { ...c.rows.find((r) => r.id === 'stvm')!, id: 'stvm-adabn', init: 'adabn' as const };
    const m = rowAdaptConfig(c, row, 0) as { source: string; stvm: { bn: Record<string, unknown> } };
    assert.deepEqual(m.stvm.bn, { mode: 'adabn', adabnImages: ab.adabn.count, adabnBatch: ab.adabn.batch });
    assert.equal(m.source, c.source, 'from the source model file');
    const trains = rowAdaptConfig(c, { ...row, overlay: { stvm: { bn: { mode: 'train' } } } }, 0) as { stvm: { bn: { mode: string } } };
    assert.equal(trains.stvm.bn.mode, 'adabn-train');
    assert.equal((rowAdaptConfig(c, c.rows.find((r) => r.id === 'stvm')!, 0) as { stvm: { bn?: unknown } }).stvm.bn, undefined);
  });
  it('names the file and field of bad input', () => {
    const base = JSON.parse(fs.readFileSync('configs/bench/adapt-P0.json', 'utf8')) as Record<string, unknown>;
    const f1 = tmp({ ...base, colour: 1 });
    assert.throws(() => loadBenchConfig(f1), (e: unknown) => /'colour'/.test((e as Error).message) && (e as Error).message.includes(f1));
    const f2 = tmp({ ...base, rows: [{ id: 'x', kind: 'adapt', overlay: { stvm: { metric: { enabled: false } } } }] });
    assert.throws(() => loadBenchConfig(f2), (e: unknown) => /rows\[0\]\.overlay/.test((e as Error).message) && /metric/.test((e as Error).message));
    const f3 = tmp({ ...base, rows: [{ id: 'Bad Id', kind: 'adapt' }] });
    assert.throws(() => loadBenchConfig(f3), /rows\[0\]\.id/);
    const f4 = tmp({ ...base, rows: [{ id: 'tent', kind: 'tent', tent: { optimizer: 'lbfgs' } }] });
    assert.throws(() => loadBenchConfig(f4), /tent\.optimizer/);
  });
});
