/**
 * A small typed-config validator: every field declares its type, range and documentation
 * (the paper symbol it sets, and whether the value is reconstructed). Unknown fields and
 * ill-typed values are errors that name the field's full path.
 */
import { ConfigError } from '../util/config-error.js';

export { ConfigError };

export type FieldSpec =
  | { type: 'number'; default: number; min?: number; max?: number; doc: string; symbol?: string; reconstructed?: boolean }
  | { type: 'int'; default: number; min?: number; max?: number; doc: string; symbol?: string; reconstructed?: boolean }
  | { type: 'bool'; default: boolean; doc: string; symbol?: string; reconstructed?: boolean }
  | { type: 'string'; default: string; doc: string; symbol?: string; reconstructed?: boolean }
  | { type: 'enum'; values: readonly string[]; default: string; doc: string; symbol?: string; reconstructed?: boolean }
  | { type: 'object'; fields: Schema; doc: string };

export type Schema = Readonly<Record<string, FieldSpec>>;

/** The TypeScript type a schema validates to. */
export type Resolved<S extends Schema> = {
  -readonly [K in keyof S]: S[K] extends { type: 'object'; fields: infer F extends Schema }
    ? Resolved<F>
    : S[K] extends { type: 'enum'; values: readonly (infer V)[] }
      ? V
      : S[K] extends { type: 'bool' }
        ? boolean
        : S[K] extends { type: 'string' }
          ? string
          : number;
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates `input` against `schema`, filling defaults; throws ConfigError naming the field. */
export function validate<S extends Schema>(schema: S, input: unknown, path = ''): Resolved<S> {
  const where = path || '(root)';
  if (input === undefined) input = {};
  if (!isPlainObject(input)) throw new ConfigError(where, `expected an object, got ${JSON.stringify(input)}`);
  for (const k of Object.keys(input)) {
    if (!(k in schema)) {
      const known = Object.keys(schema).join(', ');
      throw new ConfigError(path ? `${path}.${k}` : k, `unknown field (known fields: ${known})`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, spec] of Object.entries(schema)) {
    const p = path ? `${path}.${k}` : k;
    const v = input[k];
    if (spec.type === 'object') {
      out[k] = validate(spec.fields, v, p);
      continue;
    }
    if (v === undefined) {
      out[k] = spec.default;
      continue;
    }
    switch (spec.type) {
      case 'number':
      case 'int': {
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConfigError(p, `expected a finite number, got ${JSON.stringify(v)}`);
        if (spec.type === 'int' && !Number.isInteger(v)) throw new ConfigError(p, `expected an integer, got ${v}`);
        if (spec.min !== undefined && v < spec.min) throw new ConfigError(p, `${v} is below the minimum ${spec.min}`);
        if (spec.max !== undefined && v > spec.max) throw new ConfigError(p, `${v} is above the maximum ${spec.max}`);
        break;
      }
      case 'bool':
        if (typeof v !== 'boolean') throw new ConfigError(p, `expected true or false, got ${JSON.stringify(v)}`);
        break;
      case 'string':
        if (typeof v !== 'string') throw new ConfigError(p, `expected a string, got ${JSON.stringify(v)}`);
        break;
      case 'enum':
        if (typeof v !== 'string' || !spec.values.includes(v)) throw new ConfigError(p, `expected one of ${spec.values.join(' | ')}, got ${JSON.stringify(v)}`);
        break;
    }
    out[k] = v;
  }
  return out as Resolved<S>;
}

/** Markdown documentation of a schema: field, default, paper symbol, reconstructed tag, doc. */
export function describe(schema: Schema, path = ''): string[] {
  const rows: string[] = [];
  for (const [k, spec] of Object.entries(schema)) {
    const p = path ? `${path}.${k}` : k;
    if (spec.type === 'object') rows.push(...describe(spec.fields, p));
    else rows.push(`| \`${p}\` | ${JSON.stringify(spec.default)} | ${spec.symbol ?? ''} | ${spec.reconstructed ? 'reconstructed' : ''} | ${spec.doc} |`);
  }
  return rows;
}
