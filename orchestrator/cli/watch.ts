/**
 * `sfda watch RUN`: the run's progress on stderr until it ends, then its final state on stdout.
 *
 * - A terminal gets one line redrawn in place (a bar), anything else a line every --interval
 *   seconds and on every change of phase, mIoU or message.
 * - The line: step/iterations, loss, mean reliability, teacher version and staleness (student
 *   step − teacher version, or the orchestrator's `staleness` metric), mIoU once evaluated, ETA
 *   (from the step rate seen while watching, or the run's wall time), the phase.
 * - The orchestrator going away (a restart of the local stack's supervisor, a shutdown that ends
 *   the stream) is not the end: the watch re-checks the run with GetRun and re-opens the stream
 *   with backoff for up to --reconnect seconds before giving up (exit 5).
 * - Exit: 0 when the run FINISHED, 1 when it FAILED or was STOPPED, 130 on Ctrl-C (the run goes on).
 */
import type { Connection } from './connection.js';
import type { Io } from './context.js';
import { CliError, EXIT, isServiceError, status } from './errors.js';
import { duration, isTerminal, progressLine, progressView, runLine, type Progress, type RunInfo } from './render.js';

export interface WatchOptions {
  /** Final state as one JSON object (the RunInfo) on stdout. */
  json: boolean;
  /** No progress lines on stderr. */
  quiet: boolean;
  /** Non-terminal stderr: a progress line at most this often (besides changes). */
  intervalMs: number;
  /** How long the orchestrator may be lost before the watch gives up. */
  reconnectMs: number;
}

const TRANSIENT = new Set<number>([status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.CANCELLED, status.INTERNAL, status.UNKNOWN]);

/** Draws the progress line on stderr. */
export class ProgressRenderer {
  private first?: { step: number; t: number };
  private lastDraw = 0;
  private lastLine = '';
  private lastKey = '';
  private drawn = false;
  private pending?: string;
  private timer?: NodeJS.Timeout;

  constructor(private readonly io: Io, private readonly o: { intervalMs: number; quiet: boolean }) {}

  private eta(p: Progress): number | undefined {
    const now = Date.now() / 1000;
    if (!this.first || p.step < this.first.step) this.first = { step: p.step, t: now };
    const left = p.iterations - p.step;
    if (p.iterations <= 0 || left < 0) return undefined;
    const dt = now - this.first.t, ds = p.step - this.first.step;
    if (dt >= 2 && ds > 0) return left / (ds / dt);
    if (p.wall_s > 0 && p.step > 0) return left * (p.wall_s / p.step);
    return undefined;
  }

  update(p: Progress): void {
    if (this.o.quiet) return;
    const v = progressView(p, this.eta(p));
    const now = Date.now();
    if (this.io.errIsTTY) {
      const cols = Number(process.stderr.columns) || 120;
      const line = progressLine(v, 24);
      this.pending = line.length > cols - 1 ? `${line.slice(0, cols - 2)}…` : line;
      if (now - this.lastDraw >= 100) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), 100);
      return;
    }
    const key = `${v.phase}|${v.miou ?? ''}|${v.message ?? ''}`;
    if (key !== this.lastKey || now - this.lastDraw >= this.o.intervalMs) {
      this.lastKey = key;
      this.lastDraw = now;
      this.lastLine = progressLine(v, 0);
      this.io.err(`${this.lastLine}\n`);
    }
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending === undefined) return;
    this.io.err(`\r\x1b[2K${this.pending}`);
    this.lastLine = this.pending;
    this.pending = undefined;
    this.drawn = true;
    this.lastDraw = Date.now();
  }

  /** A message on its own line (the bar is redrawn below it). */
  note(text: string): void {
    if (this.io.errIsTTY && this.drawn) {
      this.io.err(`\r\x1b[2K${text}\n${this.lastLine}`);
    } else this.io.err(`${text}\n`);
  }

  /** Ends the bar (the final line stays). */
  done(last?: Progress): void {
    if (this.o.quiet) return;
    if (last) {
      const v = progressView(last);
      if (this.io.errIsTTY) this.pending = progressLine(v, 24);
      else if (progressLine(v, 0) !== this.lastLine) this.io.err(`${progressLine(v, 0)}\n`);
    }
    if (this.io.errIsTTY) {
      this.flush();
      if (this.drawn) this.io.err('\n');
    }
  }
}

const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  const t = setTimeout(done, ms);
  function done() {
    clearTimeout(t);
    signal.removeEventListener('abort', done);
    resolve();
  }
  signal.addEventListener('abort', done, { once: true });
});

/** A RunInfo as the Progress the renderer draws. */
function asProgress(r: RunInfo): Progress {
  return { run_id: r.run_id, step: r.step, iterations: r.iterations, metrics: {}, teacher_version: r.teacher_version, phase: r.phase, miou: r.miou, message: r.error, wall_s: 0 };
}

/** Reads one stream until it ends; resolves with the terminal event (if one came) and the error (if any). */
function readStream(conn: Connection, runId: string, signal: AbortSignal, onEvent: (p: Progress) => void): Promise<{ terminal?: Progress; error?: unknown; events: number }> {
  return new Promise((resolve) => {
    const stream = conn.watch(runId);
    let events = 0;
    let settled = false;
    const settle = (r: { terminal?: Progress; error?: unknown }) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      resolve({ ...r, events });
    };
    const onAbort = () => stream.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    stream.on('data', (p: Progress) => {
      events++;
      onEvent(p);
      if (isTerminal(p.phase)) {
        settle({ terminal: p });
        stream.cancel();
      }
    });
    stream.on('error', (e: unknown) => settle({ error: e }));
    stream.on('end', () => settle({}));
  });
}

/** Watches a run until it ends; returns the exit code (see the module comment). */
export async function watchRun(conn: Connection, runId: string, io: Io, o: WatchOptions): Promise<number> {
  const r = new ProgressRenderer(io, o);
  let info = await conn.call('GetRun', { run_id: runId });
  let last: Progress | undefined;
  let lostSince: number | undefined;
  let backoff = 250;
  let noted = false;
  if (!isTerminal(info.phase)) r.update(asProgress(info));
  while (!isTerminal(info.phase)) {
    const res = await readStream(conn, runId, io.signal, (p) => {
      r.update(p);
      last = p;
      lostSince = undefined;
      backoff = 250;
      if (noted) {
        noted = false;
        r.note('reconnected');
      }
    });
    if (io.signal.aborted) {
      r.done();
      io.err(`stopped watching run ${runId}; it goes on (sfda stop ${runId} stops it)\n`);
      return EXIT.INTERRUPTED;
    }
    if (res.error !== undefined && !(isServiceError(res.error) && TRANSIENT.has(res.error.code))) throw conn.error(res.error);
    // The stream ended: with the run's last event, or the orchestrator went away (shutdown, restart).
    try {
      info = await conn.call('GetRun', { run_id: runId }, { deadlineMs: 5000 });
      if (res.terminal && !isTerminal(info.phase)) info = { ...info, phase: res.terminal.phase };
      lostSince = undefined;
      if (isTerminal(info.phase)) break;
      if (res.error === undefined && res.events > 0) continue;
    } catch (e) {
      if (!(e instanceof CliError) || e.exitCode !== EXIT.UNREACHABLE) throw e;
      lostSince ??= Date.now();
      if (Date.now() - lostSince > o.reconnectMs) {
        r.done();
        throw new CliError(EXIT.UNREACHABLE, `lost the orchestrator at ${conn.target.address} for ${duration((Date.now() - lostSince) / 1000)} while watching run ${runId}; the run may go on (sfda status ${runId})`);
      }
      if (!noted && !o.quiet) {
        noted = true;
        r.note(`the orchestrator at ${conn.target.address} went away; reconnecting for up to ${duration(o.reconnectMs / 1000)}…`);
      }
    }
    await sleep(backoff, io.signal);
    backoff = Math.min(backoff * 2, 2000);
    if (io.signal.aborted) {
      r.done();
      io.err(`stopped watching run ${runId}; it goes on (sfda stop ${runId} stops it)\n`);
      return EXIT.INTERRUPTED;
    }
  }
  const final = last && isTerminal(last.phase) ? last : asProgress(info);
  r.done({ ...final, phase: info.phase });
  if (o.json) io.out(`${JSON.stringify(info, null, 2)}\n`);
  else io.out(`${runLine(info)}\n`);
  return info.phase.toUpperCase() === 'FINISHED' ? EXIT.OK : EXIT.FAILURE;
}
