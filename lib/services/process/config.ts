/**
 * The settings every service process shares, and how a process gets them: a JSON file
 * (`--config FILE`), then environment variables, then flags — later sources win. Each field
 * has an environment variable `SFDA_<SECTION>_<FIELD>` in upper snake case (e.g.
 * `SFDA_GRPC_PORT`, `SFDA_NATS_SERVERS`, `SFDA_AUTH_TOKEN`) and a flag `--section.field`
 * (e.g. `--grpc.port 50051`). Everything is validated by lib/config/schema.ts: an unknown or
 * ill-typed field is an error naming it and its source.
 */
import fs from 'node:fs';
import { ConfigError, validate, type FieldSpec, type Resolved, type Schema } from '../../config/schema.js';

export const COMMON_SCHEMA = {
  grpc: {
    type: 'object', doc: 'the gRPC server', fields: {
      host: { type: 'string', default: '127.0.0.1', doc: 'listen address (0.0.0.0 in containers)' },
      port: { type: 'int', default: 0, min: 0, max: 65535, doc: 'listen port (0: any free port, printed at start)' },
      maxMessageBytes: { type: 'int', default: 64 * 1024 * 1024, min: 1024, doc: 'largest message received or sent (bytes); bigger ones are RESOURCE_EXHAUSTED' },
      shutdownDeadlineMs: { type: 'int', default: 10000, min: 0, doc: 'on SIGTERM: how long in-flight work may take before the server is forced down' },
    },
  },
  tls: {
    type: 'object', doc: 'TLS on gRPC (off when cert is empty)', fields: {
      cert: { type: 'string', default: '', doc: 'PEM certificate chain of this server (and of its client side)' },
      key: { type: 'string', default: '', doc: 'PEM private key' },
      ca: { type: 'string', default: '', doc: 'PEM CA bundle that signs the peers' },
      mutual: { type: 'bool', default: false, doc: 'require and verify client certificates (mTLS)' },
    },
  },
  auth: {
    type: 'object', doc: 'bearer token on control calls', fields: {
      token: { type: 'string', default: '', doc: "required 'authorization: Bearer <token>' on control calls (empty: off)" },
    },
  },
  nats: {
    type: 'object', doc: 'NATS (JetStream) for the weight snapshots', fields: {
      servers: { type: 'string', default: 'nats://127.0.0.1:4222', doc: 'comma-separated NATS URLs' },
      user: { type: 'string', default: '', doc: 'NATS user (with pass)' },
      pass: { type: 'string', default: '', doc: 'NATS password' },
      token: { type: 'string', default: '', doc: 'NATS token' },
      creds: { type: 'string', default: '', doc: 'NATS credentials file (JWT + nkey)' },
    },
  },
  metrics: {
    type: 'object', doc: 'Prometheus exposition', fields: {
      host: { type: 'string', default: '127.0.0.1', doc: 'listen address of /metrics' },
      port: { type: 'int', default: 0, min: 0, max: 65535, doc: 'listen port of /metrics (0: any free port)' },
      enabled: { type: 'bool', default: true, doc: 'serve /metrics' },
    },
  },
  log: {
    type: 'object', doc: 'logging', fields: {
      level: { type: 'enum', values: ['debug', 'info', 'warn', 'error'], default: 'info', doc: 'least level written (JSON lines on stderr)' },
      file: { type: 'string', default: '', doc: 'also append JSON lines to this file' },
    },
  },
} as const satisfies Schema;

export type CommonConfig = Resolved<typeof COMMON_SCHEMA>;

const envName = (path: string[]) => `SFDA_${path.map((p) => p.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()).join('_')}`;

function coerce(spec: FieldSpec, raw: string, where: string): unknown {
  switch (spec.type) {
    case 'int': case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new ConfigError(where, `expected a number, got '${raw}'`);
      return n;
    }
    case 'bool':
      if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
      if (['0', 'false', 'no', 'off', ''].includes(raw.toLowerCase())) return false;
      throw new ConfigError(where, `expected true or false, got '${raw}'`);
    default: return raw;
  }
}

function setPath(o: Record<string, unknown>, path: string[], v: unknown): void {
  let cur = o;
  for (const p of path.slice(0, -1)) {
    if (typeof cur[p] !== 'object' || cur[p] === null) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[path[path.length - 1]!] = v;
}

function leaves(schema: Schema, prefix: string[] = []): [string[], FieldSpec][] {
  const out: [string[], FieldSpec][] = [];
  for (const [k, f] of Object.entries(schema)) {
    if (f.type === 'object') out.push(...leaves(f.fields, [...prefix, k]));
    else out.push([[...prefix, k], f]);
  }
  return out;
}

/** The environment variable and flag of every field, for --help. */
export function settingsHelp(schema: Schema): string[] {
  return leaves(schema).map(([p, f]) => `  --${p.join('.')}  (${envName(p)}, default ${JSON.stringify((f as { default?: unknown }).default)})  ${f.doc}`);
}

/**
 * Loads a process config: `file` (JSON), then `env`, then `flags` (['--grpc.port', '1', …]).
 * Returns the validated config; errors name the field and where it came from.
 */
export function loadProcessConfig<S extends Schema>(schema: S, sources: { file?: string; env?: NodeJS.ProcessEnv; flags?: readonly string[] }): Resolved<S> {
  let raw: Record<string, unknown> = {};
  if (sources.file) {
    let text: string;
    try {
      text = fs.readFileSync(sources.file, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read config file ${sources.file}: ${(e as Error).message}`);
    }
    try {
      raw = JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      throw new ConfigError(`config file ${sources.file} is not JSON: ${(e as Error).message}`);
    }
  }
  const fields = leaves(schema);
  for (const [p, f] of fields) {
    const v = sources.env?.[envName(p)];
    if (v !== undefined) setPath(raw, p, coerce(f, v, `${p.join('.')} (from ${envName(p)})`));
  }
  const flags = sources.flags ?? [];
  for (let i = 0; i < flags.length; i++) {
    const a = flags[i]!;
    if (!a.startsWith('--')) throw new ConfigError(`unexpected argument '${a}' (settings are --section.field VALUE)`);
    const [name, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
    const hit = fields.find(([p]) => p.join('.') === name);
    if (!hit) throw new ConfigError(name, `unknown setting (see --help)`);
    let value = inline;
    if (value === undefined) {
      if (hit[1].type === 'bool' && (i + 1 >= flags.length || flags[i + 1]!.startsWith('--'))) value = 'true';
      else value = flags[++i];
    }
    if (value === undefined) throw new ConfigError(name, 'a value is missing');
    setPath(raw, hit[0], coerce(hit[1], value, `${name} (from --${name})`));
  }
  return validate(schema, raw);
}
