/**
 * `sfda logs RUN`: the run's log.jsonl (in the run directory GetRun names), one formatted line
 * per record; `--follow` keeps reading what is appended until the run ends (or Ctrl-C). The
 * run directory must be readable from here (a local stack, or shared storage).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Connection } from './connection.js';
import type { Io } from './context.js';
import { CliError, EXIT } from './errors.js';
import { isTerminal, levelAtLeast, logLine, type LogLevel } from './render.js';

export interface LogsOptions {
  follow: boolean;
  json: boolean;
  /** Only the last N records of what is there now (undefined: all). */
  tail?: number;
  level: LogLevel;
  /** --follow: how often the file is read and the run's phase polled. */
  pollMs: number;
}

/** Reads the complete lines appended to a file since `offset` (a partial last line waits). */
class LineReader {
  private offset = 0;
  private rest = '';
  constructor(readonly file: string) {}

  read(): string[] {
    let fd: number;
    try {
      fd = fs.openSync(this.file, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size < this.offset) {
        // truncated or replaced: start over
        this.offset = 0;
        this.rest = '';
      }
      const chunks: Buffer[] = [];
      while (this.offset < size) {
        const buf = Buffer.alloc(Math.min(1 << 20, size - this.offset));
        const n = fs.readSync(fd, buf, 0, buf.length, this.offset);
        if (n <= 0) break;
        chunks.push(buf.subarray(0, n));
        this.offset += n;
      }
      const text = this.rest + Buffer.concat(chunks).toString('utf8');
      const lines = text.split('\n');
      this.rest = lines.pop() ?? '';
      return lines.filter((l) => l.trim() !== '');
    } finally {
      fs.closeSync(fd);
    }
  }

  /** The partial last line, once the writer is done. */
  drain(): string[] {
    const r = this.rest.trim() === '' ? [] : [this.rest];
    this.rest = '';
    return r;
  }
}

function parse(line: string): Record<string, unknown> {
  try {
    const o = JSON.parse(line) as unknown;
    if (o !== null && typeof o === 'object' && !Array.isArray(o)) return o as Record<string, unknown>;
  } catch { /* not JSON */ }
  return { msg: line };
}

export async function showLogs(conn: Connection, runId: string, io: Io, o: LogsOptions): Promise<number> {
  let info = await conn.call('GetRun', { run_id: runId });
  if (!info.run_dir) throw new CliError(EXIT.FAILURE, `the orchestrator names no run directory for run ${runId}`);
  const file = path.join(info.run_dir, 'log.jsonl');
  if (!fs.existsSync(info.run_dir)) {
    throw new CliError(EXIT.FAILURE, `run directory ${info.run_dir} is not readable from here (is the orchestrator on another machine? logs needs the run directory on shared storage)`);
  }
  const reader = new LineReader(file);
  const emit = (lines: string[], stream: boolean) => {
    const recs = lines.map(parse).filter((r) => levelAtLeast(r, o.level));
    if (o.json && !stream) return recs;
    for (const r of recs) io.out(o.json ? `${JSON.stringify(r)}\n` : `${logLine(r)}\n`);
    return recs;
  };
  let first = reader.read();
  if (o.tail !== undefined) first = first.slice(Math.max(0, first.length - o.tail));
  if (!o.follow) {
    const recs = emit([...first, ...reader.drain()], false);
    if (o.json) io.out(`${JSON.stringify(recs, null, 2)}\n`);
    else if (recs.length === 0) io.err(fs.existsSync(file) ? `no log records${o.level !== 'debug' ? ` at level ${o.level} or above` : ''} in ${file}\n` : `no log yet: ${file} does not exist\n`);
    return EXIT.OK;
  }
  emit(first, true);
  let lastPoll = Date.now();
  for (;;) {
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, o.pollMs);
      function done() {
        clearTimeout(t);
        io.signal.removeEventListener('abort', done);
        resolve();
      }
      io.signal.addEventListener('abort', done, { once: true });
    });
    emit(reader.read(), true);
    if (io.signal.aborted) return EXIT.INTERRUPTED;
    if (Date.now() - lastPoll >= Math.max(o.pollMs, 2000) || o.pollMs < 100) {
      lastPoll = Date.now();
      info = await conn.call('GetRun', { run_id: runId });
      if (isTerminal(info.phase)) {
        emit([...reader.read(), ...reader.drain()], true);
        io.err(`run ${runId} ${info.phase}\n`);
        return EXIT.OK;
      }
    }
  }
}
