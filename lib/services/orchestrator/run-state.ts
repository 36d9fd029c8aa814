/**
 * One run in the orchestrator's memory: its record (run.json), persisted atomically and
 * throttled — at most once per `persistMs`, plus at once on every phase change — and its
 * progress events, fanned out to the WatchRun subscribers (one EventQueue each). Before each
 * write the record picks up what the student wrote meanwhile: the latest checkpoint
 * (checkpoints/latest.json) and the config hash (config.json).
 */
import type { Progress, Progress__Output } from '../../../proto/gen/sfda/v1/Progress.js';
import type { RunInfo } from '../../../proto/gen/sfda/v1/RunInfo.js';
import { EventQueue } from './event-queue.js';
import { isTerminal, mergeStudentPhase, type RunPhase } from './phases.js';
import { toRunInfo, writeRecord, type RunRecord } from './run-record.js';
import { configHashOf, latestCheckpointOf } from './run-files.js';

export interface RunStateHooks {
  /** The phase changed (metrics by phase). */
  onPhase?(run: RunState, from: RunPhase, to: RunPhase): void;
  /** A progress event was applied (staleness, mIoU metrics). */
  onProgress?(run: RunState): void;
  /** The student wrote a newer checkpoint (its pointer's mtime). */
  onCheckpoint?(run: RunState, mtimeMs: number): void;
  /** run.json could not be written (the next write tries again). */
  onWriteError?(run: RunState, err: Error): void;
}

export interface RunStateOptions {
  /** Least time between two writes of run.json without a phase change (ms). */
  readonly persistMs: number;
  readonly hooks?: RunStateHooks;
  /** Events a slow WatchRun subscriber may have queued before intermediate ones are dropped. */
  readonly maxQueued?: number;
}

export class RunState {
  private rec: RunRecord;
  private readonly subscribers = new Set<EventQueue<Progress>>();
  private lastWrite = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private message = '';
  private checkpointStep = -1;
  private closed = false;

  constructor(record: RunRecord, private readonly opts: RunStateOptions) {
    this.rec = { ...record };
  }

  get id(): string {
    return this.rec.run_id;
  }

  get phase(): RunPhase {
    return this.rec.phase;
  }

  /** A copy of the record. */
  get record(): RunRecord {
    return { ...this.rec, metrics: { ...this.rec.metrics } };
  }

  info(): RunInfo {
    return toRunInfo(this.rec);
  }

  /** The run's state as a progress event (what WatchRun sends first). */
  progress(): Progress {
    const r = this.rec;
    return {
      run_id: r.run_id, step: r.step, iterations: r.iterations, metrics: { ...r.metrics }, teacher_version: r.teacher_version,
      phase: r.phase, miou: r.miou ?? Number.NaN, message: this.message || r.error, wall_s: r.wall_s,
    };
  }

  /** Applies a progress event of the student (phase merged: see mergeStudentPhase). */
  applyProgress(p: Progress__Output): void {
    const patch: Partial<RunRecord> = {
      step: p.step, iterations: p.iterations || this.rec.iterations, teacher_version: p.teacher_version,
      phase: mergeStudentPhase(this.rec.phase, p.phase), wall_s: p.wall_s,
    };
    if (p.metrics && Object.keys(p.metrics).length > 0) patch.metrics = { ...p.metrics };
    if (Number.isFinite(p.miou)) patch.miou = p.miou;
    if (patch.phase === 'RUNNING' && this.rec.error) patch.error = '';
    if (patch.phase === 'FAILED' && p.message) patch.error = p.message;
    this.update(patch, { message: p.message });
    this.opts.hooks?.onProgress?.(this);
  }

  /**
   * Changes the record, emits an event to the subscribers (unless `emit` is false) and
   * persists: at once when the phase changed (or `force`), else throttled.
   */
  update(patch: Partial<RunRecord>, opts: { message?: string; emit?: boolean; force?: boolean } = {}): void {
    const from = this.rec.phase;
    this.rec = { ...this.rec, ...patch, run_id: this.rec.run_id, run_dir: this.rec.run_dir, updated: new Date().toISOString() };
    if (opts.message !== undefined) this.message = opts.message;
    const phaseChanged = this.rec.phase !== from;
    if (phaseChanged) this.opts.hooks?.onPhase?.(this, from, this.rec.phase);
    if (opts.emit ?? true) this.emit(phaseChanged);
    this.schedulePersist(phaseChanged || (opts.force ?? false));
  }

  private emit(phaseChanged: boolean): void {
    const ev = this.progress();
    for (const q of this.subscribers) q.push(ev);
    if (phaseChanged && isTerminal(this.rec.phase)) {
      for (const q of this.subscribers) q.close();
      this.subscribers.clear();
    }
  }

  /**
   * A subscriber's queue: the current state first, then every event until the run reaches a
   * terminal phase (the queue closes after that event) or `unsubscribe`.
   */
  subscribe(): EventQueue<Progress> {
    const q = new EventQueue<Progress>(this.opts.maxQueued ?? 1024, (p) => isTerminal(p.phase ?? ''));
    q.push(this.progress());
    if (isTerminal(this.rec.phase) || this.closed) q.close();
    else this.subscribers.add(q);
    return q;
  }

  unsubscribe(q: EventQueue<Progress>): void {
    this.subscribers.delete(q);
    q.close();
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  private schedulePersist(now: boolean): void {
    if (this.closed) return;
    const wait = now ? 0 : Math.max(0, this.lastWrite + this.opts.persistMs - Date.now());
    if (wait === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
      void this.persist();
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        void this.persist();
      }, wait);
    }
  }

  /** Writes run.json now (after any write in progress); never rejects. */
  persist(): Promise<void> {
    this.lastWrite = Date.now();
    this.writing = this.writing.then(async () => {
      this.refreshFromDisk();
      try {
        await writeRecord(this.rec);
      } catch (e) {
        this.opts.hooks?.onWriteError?.(this, e as Error);
      }
    });
    return this.writing;
  }

  /** Picks up the student's newer checkpoint (reported once per new step) and the config hash. */
  private refreshFromDisk(): void {
    const ck = latestCheckpointOf(this.rec.run_dir);
    if (ck && ck.step !== this.checkpointStep) {
      this.checkpointStep = ck.step;
      if (ck.path !== this.rec.last_checkpoint) {
        this.rec = { ...this.rec, last_checkpoint: ck.path };
        this.opts.hooks?.onCheckpoint?.(this, ck.mtimeMs);
      }
    }
    if (this.rec.config_hash === undefined) {
      const h = configHashOf(this.rec.run_dir);
      if (h !== undefined) this.rec = { ...this.rec, config_hash: h };
    }
  }

  /** Waits for pending writes (a throttled one is written now). */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      await this.persist();
    }
    await this.writing;
  }

  /** Flushes, ends every subscriber and stops persisting. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    for (const q of this.subscribers) q.close();
    this.subscribers.clear();
  }
}
