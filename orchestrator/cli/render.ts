/** Human output of `sfda`: runs, tables, progress lines, durations, log records. */
import type { RunInfo__Output } from '../../proto/gen/sfda/v1/RunInfo.js';
import type { Progress__Output } from '../../proto/gen/sfda/v1/Progress.js';
import type { EvaluateReply__Output } from '../../proto/gen/sfda/v1/EvaluateReply.js';

export type RunInfo = RunInfo__Output;
export type Progress = Progress__Output;
export type EvaluateReply = EvaluateReply__Output;

/** Phases after which a run changes only through ResumeRun (WatchRun ends there). */
export const TERMINAL_PHASES: readonly string[] = ['FINISHED', 'FAILED', 'STOPPED'];
export const isTerminal = (phase: string): boolean => TERMINAL_PHASES.includes(phase.toUpperCase());

/** An mIoU (0–1) as a percentage, or undefined when there is none (NaN, absent, 0 = proto default). */
export function pct(x: number | undefined, digits = 1): string | undefined {
  if (x === undefined || !Number.isFinite(x) || x <= 0) return undefined;
  return `${(x * 100).toFixed(digits)}%`;
}

/** 3725 → '1h02m', 75 → '1m15s', 9 → '9s'. */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** A number for a status line: 4 significant digits. */
export function num(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x !== 0 && (Math.abs(x) >= 1e5 || Math.abs(x) < 1e-3)) return x.toExponential(2);
  return String(+x.toPrecision(4));
}

/** Columns padded to their widest cell (the last column is not padded). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return `${all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n')}\n`;
}

/** 'step/iterations (p%)'. */
export function stepOf(step: number, iterations: number): string {
  return iterations > 0 ? `${step}/${iterations} (${((100 * step) / iterations).toFixed(1)}%)` : String(step);
}

/** Staleness of the teacher: the student's step minus the teacher's version (never negative). */
export function staleness(step: number, teacherVersion: number): number {
  return Math.max(0, step - teacherVersion);
}

export function runsTable(runs: readonly RunInfo[]): string {
  if (runs.length === 0) return 'no runs\n';
  return table(
    ['RUN', 'PHASE', 'STEP', 'MODE', 'TEACHER', 'mIoU', 'UPDATED', 'PAIR'],
    runs.map((r) => [r.run_id, r.phase, r.iterations > 0 ? `${r.step}/${r.iterations}` : String(r.step), r.mode || '-', `v${r.teacher_version}`, pct(r.miou) ?? '-', r.updated || '-', pairOf(r)]),
  );
}

/** 'student=teacher' of a run ('-' while it has none: QUEUED). */
export function pairOf(r: RunInfo): string {
  return r.student ? `${r.student}=${r.teacher || '?'}` : '-';
}

export function runDetails(r: RunInfo): string {
  const rows: [string, string | undefined][] = [
    ['run', r.run_id],
    ['phase', r.phase],
    ['step', stepOf(r.step, r.iterations)],
    ['teacher', `v${r.teacher_version} (staleness ${staleness(r.step, r.teacher_version)})`],
    ['pair', r.student ? `student ${r.student}, teacher ${r.teacher || '?'}` : r.phase === 'QUEUED' ? 'none yet (queued)' : undefined],
    ['mode', r.mode || undefined],
    ['method', r.method || undefined],
    ['mIoU', pct(r.miou, 2)],
    ['run dir', r.run_dir || undefined],
    ['checkpoint', r.last_checkpoint || undefined],
    ['created', r.created || undefined],
    ['updated', r.updated || undefined],
    ['error', r.error || undefined],
  ];
  return rows.filter(([, v]) => v !== undefined).map(([k, v]) => `${k.padEnd(11)}${v}`).join('\n') + '\n';
}

/** One line about a run: 'run r1 RUNNING at step 12/2000 (0.6%), teacher v12'. */
export function runLine(r: RunInfo): string {
  const miou = pct(r.miou);
  return `run ${r.run_id} ${r.phase} at step ${stepOf(r.step, r.iterations)}, teacher v${r.teacher_version}${miou ? `, mIoU ${miou}` : ''}${r.error ? ` — ${r.error}` : ''}`;
}

export function evaluation(e: EvaluateReply, outDir?: string): string {
  const w = e.weights;
  const head = `run ${e.run_id}: mIoU ${pct(e.miou, 2) ?? (Number.isFinite(e.miou) ? '0.00%' : 'n/a')}, pixel accuracy ${pct(e.pixel_accuracy, 2) ?? 'n/a'}`
    + `${e.split ? ` on ${e.split}` : ''}${e.images ? ` (${e.images} images)` : ''}${w ? `, teacher v${w.version}${w.digest ? ` (sha256 ${w.digest.slice(0, 12)})` : ''}` : ''}\n`;
  const classes = Object.entries(e.class_iou ?? {});
  const body = classes.length ? `\n${table(['CLASS', 'IoU'], classes.map(([c, v]) => [c, Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : 'n/a']))}` : '';
  return `${head}${body}${outDir ? `\nlabel PNGs and overlays: ${outDir}\n` : ''}`;
}

// ---- progress ----

/** What the progress line shows, from a Progress event. */
export interface ProgressView {
  run: string;
  phase: string;
  step: number;
  iterations: number;
  loss?: number;
  reliability?: number;
  teacherVersion: number;
  staleness: number;
  miou?: string;
  etaS?: number;
  message?: string;
}

export function progressView(p: Progress, etaS?: number): ProgressView {
  const m = p.metrics ?? {};
  const loss = m['loss'] ?? m['student_loss'];
  const rel = m['mean_reliability'];
  const miou = pct(p.miou);
  return {
    run: p.run_id,
    phase: p.phase || 'RUNNING',
    step: p.step,
    iterations: p.iterations,
    ...(loss !== undefined && Number.isFinite(loss) ? { loss } : {}),
    ...(rel !== undefined && Number.isFinite(rel) ? { reliability: rel } : {}),
    teacherVersion: p.teacher_version,
    staleness: typeof m['staleness'] === 'number' ? m['staleness'] : staleness(p.step, p.teacher_version),
    ...(miou ? { miou } : {}),
    ...(etaS !== undefined ? { etaS } : {}),
    ...(p.message ? { message: p.message } : {}),
  };
}

/** The progress line; `barWidth` > 0 draws a bar (terminals), otherwise a percentage. */
export function progressLine(v: ProgressView, barWidth: number): string {
  const frac = v.iterations > 0 ? Math.min(1, v.step / v.iterations) : 0;
  const bar = barWidth > 0 ? `[${'#'.repeat(Math.round(frac * barWidth)).padEnd(barWidth, '-')}] ` : '';
  const parts = [
    `${bar}${v.step}/${v.iterations || '?'} it${barWidth > 0 ? '' : ` (${(frac * 100).toFixed(1)}%)`}`,
    ...(v.loss !== undefined ? [`loss ${num(v.loss)}`] : []),
    ...(v.reliability !== undefined ? [`rel ${v.reliability.toFixed(3)}`] : []),
    `teacher v${v.teacherVersion} (stale ${v.staleness})`,
    ...(v.miou ? [`mIoU ${v.miou}`] : []),
    ...(v.etaS !== undefined && !isTerminal(v.phase) ? [`ETA ${duration(v.etaS)}`] : []),
    v.phase,
  ];
  return `${v.run} ${parts.join(' | ')}${v.message ? ` — ${v.message}` : ''}`;
}

// ---- log records ----

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LEVELS)[number];
export const isLogLevel = (s: string): s is LogLevel => (LEVELS as readonly string[]).includes(s);

/** True when a record's level is at least `min` (records without a level pass). */
export function levelAtLeast(rec: Record<string, unknown>, min: LogLevel): boolean {
  const l = typeof rec['level'] === 'string' ? LEVELS.indexOf(rec['level'] as LogLevel) : -1;
  return l < 0 || l >= LEVELS.indexOf(min);
}

function fieldValue(v: unknown): string {
  if (typeof v === 'number') return num(v);
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v);
}

/** One log.jsonl record as a line: '2024-05-01 12:00:01.123 INFO  [student] msg key=value …'. */
export function logLine(rec: Record<string, unknown>): string {
  const { t, level, msg, component, ...rest } = rec;
  const time = typeof t === 'string' ? t.replace('T', ' ').replace(/Z$/, '') : '';
  const lvl = typeof level === 'string' ? level.toUpperCase().padEnd(5) : '     ';
  const comp = typeof component === 'string' ? `[${component}] ` : '';
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${fieldValue(v)}`).join(' ');
  if (!time && typeof level !== 'string') return `${comp}${typeof msg === 'string' ? msg : ''}${fields ? ` ${fields}` : ''}`;
  return `${time ? `${time} ` : ''}${lvl} ${comp}${typeof msg === 'string' ? msg : ''}${fields ? ` ${fields}` : ''}`;
}
