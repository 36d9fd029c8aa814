/**
 * The adaptation-benchmark config (configs/bench/adapt-<P>.json), validated at load time with
 * errors naming the file and field:
 *
 *   { "protocol": "P0", "description": "...",
 *     "source": "<source model file>", "oracle": "<oracle model file>" | "",
 *     "oracleCommand": "<how the oracle model was made>",
 *     "seeds": [0, 1, 2], "runs": "runs/bench/P0",
 *     "base": { <an adaptation run config, lib/method/self-training-config.ts> },
 *     "rows": [ { "id", "method", "kind": "source"|"oracle"|"adabn"|"tent"|"adapt",
 *                 "overlay": {…}   (kind adapt: deep-merged into base),
 *                 "tent": {"lr", "optimizer", "momentum"}, "adabn": {"batch", "count"},
 *                 "init": "source" | "adabn"  (kind adapt: start from the source model, default,
 *                          or from the AdaBN-adapted source model of the 'adabn' row) } ] }
 *
 * Every adapt row's merged config is validated with validateAdaptConfig (unknown fields,
 * ranges, and consistency, e.g. reliability weights without the metric network).
 */
import { adabnSettings, tentSettings } from '../lib/train/baseline-run.js';
import fs from 'node:fs';
import { validate, ConfigError } from '../lib/config/schema.js';
import { validateAdaptConfig, type AdaptConfig } from '../lib/train/adapt-config.js';
import '../lib/method/weighting/index.js';

export type RowKind = 'source' | 'oracle' | 'adabn' | 'tent' | 'adapt';

export interface BenchRow {
  readonly id: string;
  readonly method: string;
  readonly kind: RowKind;
  /** kind 'adapt': the merged adaptation config of seed 0 (seed set per run). */
  readonly overlay: Record<string, unknown>;
  readonly tent: { lr: number; optimizer: 'adam' | 'sgd'; momentum: number };
  readonly adabn: { batch: number; count: number };
  /** kind adapt: the network the run starts from (the source model, or the AdaBN row's model). */
  readonly init: 'source' | 'adabn';
  /** Whether the row's result depends on the seed (source/oracle/AdaBN do not). */
  readonly seeded: boolean;
}

export interface BenchConfig {
  readonly file: string;
  readonly protocol: string;
  readonly description: string;
  readonly source: string;
  readonly oracle: string;
  readonly oracleCommand: string;
  readonly seeds: readonly number[];
  readonly runs: string;
  readonly base: Record<string, unknown>;
  readonly rows: readonly BenchRow[];
  /** The validated base config (seed 0). */
  readonly resolvedBase: AdaptConfig;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep merge of plain objects (b wins; arrays and scalars replace). */
export function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isObj(v) && isObj(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  return out;
}

/**
 * The adaptation config of an adapt row for one seed. A row with init 'adabn' starts from the
 * AdaBN model by stvm.bn.mode 'adabn' ('adabn-train' when the row trains BN) with the adabn
 * row's pass (its count and batch): the run computes the same model as that row
 * (lib/train/bn-start.ts and the adabn row both call baseline-run.ts adabnAdapted).
 */
export function rowAdaptConfig(cfg: BenchConfig, row: BenchRow, seed: number): Record<string, unknown> {
  const merged = deepMerge(deepMerge(cfg.base, row.overlay), { seed, name: row.id, source: cfg.source });
  const ab = cfg.rows.find((r) => r.kind === 'adabn');
  if (row.init !== 'adabn' || !ab) return merged;
  const stvm = isObj(merged['stvm']) ? merged['stvm'] : {};
  const bn = isObj(stvm['bn']) ? stvm['bn'] : {};
  const trains = bn['mode'] === 'train' || bn['mode'] === 'adabn-train';
  return deepMerge(merged, { stvm: { bn: { mode: trains ? 'adabn-train' : 'adabn', adabnImages: ab.adabn.count, adabnBatch: ab.adabn.batch } } });
}

export function loadBenchConfig(file: string): BenchConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read bench config ${file}: ${(e as Error).message}`);
  }
  const fail = (field: string, msg: string): never => {
    throw new ConfigError(field, `${msg} (in ${file})`);
  };
  if (!isObj(raw)) return fail('(root)', 'expected an object');
  const known = ['protocol', 'description', 'source', 'oracle', 'oracleCommand', 'seeds', 'runs', 'base', 'rows'];
  for (const k of Object.keys(raw)) if (!known.includes(k)) fail(k, `unknown field (known fields: ${known.join(', ')})`);
  const str = (k: string, def?: string): string => {
    const v = raw[k] ?? def;
    if (typeof v !== 'string') return fail(k, `expected a string, got ${JSON.stringify(v)}`);
    return v;
  };
  const seeds = raw['seeds'] ?? [0, 1, 2];
  if (!Array.isArray(seeds) || seeds.length === 0 || !seeds.every((s) => Number.isInteger(s))) fail('seeds', `expected a non-empty array of integers, got ${JSON.stringify(seeds)}`);
  const base = raw['base'];
  if (!isObj(base)) return fail('base', 'expected an adaptation config object');
  let resolvedBase: AdaptConfig;
  try {
    resolvedBase = validateAdaptConfig({ ...base, source: str('source') }, `${file} base`);
  } catch (e) {
    return fail('base', (e as Error).message);
  }
  const rowsRaw = raw['rows'];
  if (!Array.isArray(rowsRaw) || rowsRaw.length === 0) return fail('rows', 'expected a non-empty array of rows');
  const ids = new Set<string>();
  const rows = rowsRaw.map((r, i): BenchRow => {
    const f = `rows[${i}]`;
    if (!isObj(r)) return fail(f, 'expected an object');
    for (const k of Object.keys(r)) if (!['id', 'method', 'kind', 'overlay', 'tent', 'adabn', 'init'].includes(k)) fail(`${f}.${k}`, 'unknown field (known: id, method, kind, overlay, tent, adabn, init)');
    const init = r['init'] ?? 'source';
    if (init !== 'source' && init !== 'adabn') fail(`${f}.init`, `expected 'source' or 'adabn', got ${JSON.stringify(init)}`);
    if (init === 'adabn' && !rowsRaw.some((q) => isObj(q) && q['kind'] === 'adabn')) fail(`${f}.init`, "'adabn' needs a row of kind 'adabn' (its model is the starting point)");
    const id = r['id'];
    if (typeof id !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(id)) fail(`${f}.id`, `expected a lower-case identifier like 'stvm', got ${JSON.stringify(id)}`);
    if (ids.has(id as string)) fail(`${f}.id`, `duplicate row id '${id}'`);
    ids.add(id as string);
    const kind = r['kind'];
    if (!['source', 'oracle', 'adabn', 'tent', 'adapt'].includes(kind as string)) fail(`${f}.kind`, `expected source | oracle | adabn | tent | adapt, got ${JSON.stringify(kind)}`);
    const overlay = r['overlay'] ?? {};
    if (!isObj(overlay)) return fail(`${f}.overlay`, 'expected an object');
    if (kind === 'adapt') {
      try {
        validateAdaptConfig(deepMerge(deepMerge(base, overlay), { source: str('source') }), `${file} ${f}`);
      } catch (e) {
        fail(`${f}.overlay`, (e as Error).message);
      }
    }
    let tent: BenchRow['tent'], adabn: BenchRow['adabn'];
    try {
      tent = tentSettings(r['tent'], `${f}.tent`);
      adabn = adabnSettings(r['adabn'], `${f}.adabn`);
    } catch (e) {
      return fail(f, (e as Error).message);
    }
    return { id: id as string, method: typeof r['method'] === 'string' ? r['method'] : (id as string), kind: kind as RowKind, overlay, tent, adabn, init: init as 'source' | 'adabn', seeded: kind === 'tent' || kind === 'adapt' };
  });
  return {
    file, protocol: str('protocol'), description: str('description', ''), source: str('source'), oracle: str('oracle', ''), oracleCommand: str('oracleCommand', ''),
    seeds: seeds as number[], runs: str('runs', `runs/bench/${str('protocol')}`), base, rows, resolvedBase,
  };
}
