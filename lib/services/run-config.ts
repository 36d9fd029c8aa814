/**
 * The adaptation config of a StartRun request: config_json parsed, the `overrides` applied
 * (dotted field → string value, coerced to the field's type in ADAPT_SCHEMA), the source model
 * set from source_model, and the result validated by validateAdaptConfig. Every failure is
 * INVALID_ARGUMENT whose message names the field (config_json, overrides.<field>, or the
 * config field that validation rejected).
 *
 * The resolved config (every default filled in, weighting.params kept) is what the student
 * gets and what run.config.json keeps for a resume: the same text validates to the same config.
 */
import { adaptConfigJson } from '../train/adapt-run.js';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, type FieldSpec, type Schema } from '../config/schema.js';
import { ADAPT_SCHEMA, validateAdaptConfig, type AdaptConfig } from '../train/adapt-config.js';
import { InvalidArgument } from './grpc/index.js';

export interface RunConfigRequest {
  readonly config_json: string;
  readonly overrides?: Readonly<Record<string, string>>;
  /** Replaces the config's `source` when not empty. */
  readonly source_model?: string;
}

export interface RunConfig {
  readonly cfg: AdaptConfig;
  /** The resolved config as JSON text (what the student receives). */
  readonly json: string;
  /** The source model file, absolute. */
  readonly sourceModel: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string override as the value of a field of type `spec`; throws naming overrides.<key>. */
export function coerceOverride(spec: FieldSpec, raw: string, key: string): unknown {
  const field = `overrides.${key}`;
  switch (spec.type) {
    case 'int': case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new InvalidArgument(`${field}: expected a number, got '${raw}'`, field);
      if (spec.type === 'int' && !Number.isInteger(n)) throw new InvalidArgument(`${field}: expected an integer, got '${raw}'`, field);
      return n;
    }
    case 'bool': {
      const v = raw.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(v)) return true;
      if (['false', '0', 'no', 'off'].includes(v)) return false;
      throw new InvalidArgument(`${field}: expected true or false, got '${raw}'`, field);
    }
    case 'object':
      throw new InvalidArgument(`${field}: is a section, not a field (override its fields, e.g. '${key}.${Object.keys(spec.fields)[0] ?? 'x'}')`, field);
    default:
      return raw;
  }
}

/**
 * Applies overrides to a parsed config (a copy is returned). Fields are looked up in
 * ADAPT_SCHEMA; `weighting.params.<name>` is free-form (JSON when the value parses as JSON,
 * else the string), since a registered weighting validates its own parameters.
 */
export function applyConfigOverrides(raw: Record<string, unknown>, overrides: Readonly<Record<string, string>>, schema: Schema = ADAPT_SCHEMA): Record<string, unknown> {
  const root = structuredClone(raw);
  for (const key of Object.keys(overrides).sort()) {
    const value = overrides[key]!;
    const parts = key.split('.');
    if (parts.some((p) => p === '')) throw new InvalidArgument(`overrides.${key}: not a dotted field name`, `overrides.${key}`);
    let coerced: unknown;
    if (parts[0] === 'weighting' && parts[1] === 'params' && parts.length > 2) {
      try {
        coerced = JSON.parse(value);
      } catch {
        coerced = value;
      }
    } else {
      let s: Schema = schema;
      let spec: FieldSpec | undefined;
      for (let i = 0; i < parts.length; i++) {
        spec = Object.hasOwn(s, parts[i]!) ? s[parts[i]!] : undefined;
        if (!spec) throw new InvalidArgument(`overrides.${key}: unknown config field '${parts.slice(0, i + 1).join('.')}' (known here: ${Object.keys(s).join(', ')})`, `overrides.${key}`);
        if (i < parts.length - 1) {
          if (spec.type !== 'object') throw new InvalidArgument(`overrides.${key}: '${parts.slice(0, i + 1).join('.')}' is a field, not a section`, `overrides.${key}`);
          s = spec.fields;
        }
      }
      coerced = coerceOverride(spec!, value, key);
    }
    let o = root;
    for (const p of parts.slice(0, -1)) {
      if (o[p] === undefined) o[p] = {};
      if (!isObject(o[p])) throw new InvalidArgument(`overrides.${key}: '${p}' is not an object in config_json`, `overrides.${key}`);
      o = o[p] as Record<string, unknown>;
    }
    o[parts[parts.length - 1]!] = coerced;
  }
  return root;
}


/** Parses, overrides, validates; every failure is InvalidArgument naming the field. */
export function resolveRunConfig(req: RunConfigRequest, opts: { checkSourceExists?: boolean } = {}): RunConfig {
  if (!req.config_json || req.config_json.trim() === '') throw new InvalidArgument('config_json: required (empty)', 'config_json');
  let raw: unknown;
  try {
    raw = JSON.parse(req.config_json);
  } catch (e) {
    throw new InvalidArgument(`config_json: not valid JSON (${(e as Error).message})`, 'config_json');
  }
  if (!isObject(raw)) throw new InvalidArgument(`config_json: expected a JSON object, got ${Array.isArray(raw) ? 'an array' : JSON.stringify(raw)}`, 'config_json');
  let input = applyConfigOverrides(raw, req.overrides ?? {});
  if (req.source_model) input = { ...input, source: req.source_model };
  let cfg: AdaptConfig;
  try {
    cfg = validateAdaptConfig(input, 'config_json');
  } catch (e) {
    if (e instanceof ConfigError) throw new InvalidArgument(e.message, e.field || 'config_json');
    throw e;
  }
  if (!cfg.source) throw new InvalidArgument('source_model: required (neither source_model nor the config\'s source is set)', 'source_model');
  const sourceModel = path.resolve(cfg.source);
  if ((opts.checkSourceExists ?? true) && !fs.existsSync(sourceModel)) {
    throw new InvalidArgument(`source_model: ${sourceModel} does not exist (the orchestrator and the services must see the same storage)`, 'source_model');
  }
  cfg = { ...cfg, source: sourceModel };
  return { cfg, json: adaptConfigJson(cfg), sourceModel };
}

/** Re-reads a resolved config text (run.config.json) for a resume. */
export function parseResolvedConfig(json: string, where: string): AdaptConfig {
  return validateAdaptConfig(JSON.parse(json), where);
}
