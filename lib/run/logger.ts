/**
 * Structured logging: one JSON object per line to a file (and optionally a short human line to
 * stderr). Levels: debug < info < warn < error.
 */
import fs from 'node:fs';

export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface Logger {
  log(level: Level, msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
}

export interface LoggerOptions {
  /** JSON-lines file to append to. */
  file?: string;
  /** Minimum level echoed to stderr (default 'info'; 'none' to stay silent). */
  console?: Level | 'none';
  /** Fields added to every record (e.g. component name). */
  base?: Record<string, unknown>;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const fd = opts.file ? fs.openSync(opts.file, 'a') : undefined;
  const min = opts.console ?? (process.env.STVM_LOG as Level | undefined) ?? 'info';
  const log = (level: Level, msg: string, fields: Record<string, unknown> = {}) => {
    const rec = { t: new Date().toISOString(), level, msg, ...opts.base, ...fields };
    if (fd !== undefined) fs.writeSync(fd, `${JSON.stringify(rec)}\n`);
    if (min !== 'none' && ORDER[level] >= ORDER[min as Level]) {
      const extra = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'number' ? +v.toPrecision(5) : JSON.stringify(v)}`).join(' ');
      process.stderr.write(`[${level}] ${msg}${extra ? ` ${extra}` : ''}\n`);
    }
  };
  return {
    log,
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    debug: (m, f) => log('debug', m, f),
  };
}
