/**
 * The run registry: every run the orchestrator knows, loaded from the run.json files under
 * runsRoot at start (so a restarted orchestrator knows every run), plus the runs it creates.
 * A run id names its directory <runsRoot>/<run_id>; creating one whose directory exists is
 * ALREADY_EXISTS (mkdir is the atomic reservation). The registry keeps the
 * runs-by-phase gauge in step with the phases.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../run/logger.js';
import { AlreadyExists, NotFound } from '../grpc/index.js';
import type { RunPhase } from './phases.js';
import { listRecords, type RunRecord } from './run-record.js';
import { RunState, type RunStateHooks } from './run-state.js';

export interface RegistryOptions {
  readonly runsRoot: string;
  readonly persistMs: number;
  readonly logger: Logger;
  readonly hooks?: RunStateHooks;
  /** Called with every run's phase whenever one changes (sfda_orchestrator_runs). */
  readonly onPhases?: (phases: RunPhase[]) => void;
}

export class RunRegistry {
  private readonly runs = new Map<string, RunState>();
  private loaded = false;

  constructor(private readonly o: RegistryOptions) {}

  get runsRoot(): string {
    return this.o.runsRoot;
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  /** The directory of a run id. */
  runDir(id: string): string {
    return path.join(this.o.runsRoot, id);
  }

  /** Reads every run.json under runsRoot (unreadable ones are logged and skipped). */
  load(): RunState[] {
    fs.mkdirSync(this.o.runsRoot, { recursive: true });
    const recs = listRecords(this.o.runsRoot, (file, err) => this.o.logger.error('unreadable run record (skipped)', { file, error: err.message }));
    for (const r of recs) if (!this.runs.has(r.run_id)) this.runs.set(r.run_id, this.make(r));
    this.loaded = true;
    this.phasesChanged();
    return [...this.runs.values()];
  }

  private make(r: RunRecord): RunState {
    const hooks: RunStateHooks = {
      ...this.o.hooks,
      onPhase: (run, from, to) => {
        this.o.hooks?.onPhase?.(run, from, to);
        this.phasesChanged();
      },
    };
    return new RunState(r, { persistMs: this.o.persistMs, hooks });
  }

  private phasesChanged(): void {
    this.o.onPhases?.([...this.runs.values()].map((r) => r.phase));
  }

  get(id: string): RunState | undefined {
    return this.runs.get(id);
  }

  /** The run, or NOT_FOUND naming the id. */
  require(id: string): RunState {
    const r = this.runs.get(id);
    if (!r) throw new NotFound(`run '${id}' not found (not under ${this.o.runsRoot})`);
    return r;
  }

  all(): RunState[] {
    return [...this.runs.values()];
  }

  /**
   * Reserves <runsRoot>/<run_id> (ALREADY_EXISTS when the run or its directory exists), lets
   * `prepare` write the run's other files, then writes run.json and registers the run (so a
   * run.json on disk always has its files beside it).
   */
  async create(record: RunRecord, prepare?: (runDir: string) => Promise<void>): Promise<RunState> {
    const id = record.run_id;
    if (this.runs.has(id)) throw new AlreadyExists(`run '${id}' already exists`);
    fs.mkdirSync(this.o.runsRoot, { recursive: true });
    try {
      fs.mkdirSync(record.run_dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new AlreadyExists(`run '${id}' already exists (${record.run_dir})`);
      throw e;
    }
    const run = this.make(record);
    this.runs.set(id, run);
    try {
      await prepare?.(record.run_dir);
    } catch (e) {
      this.runs.delete(id);
      fs.rmSync(record.run_dir, { recursive: true, force: true });
      throw e;
    }
    await run.persist();
    this.phasesChanged();
    return run;
  }

  /**
   * Every run on disk (run.json under runsRoot), with the in-memory state for the runs this
   * orchestrator holds (fresher than the throttled file), sorted by creation time.
   */
  list(): RunRecord[] {
    const byId = new Map<string, RunRecord>();
    for (const r of listRecords(this.o.runsRoot, (file, err) => this.o.logger.warn('unreadable run record', { file, error: err.message }))) byId.set(r.run_id, r);
    for (const run of this.runs.values()) byId.set(run.id, run.record);
    return [...byId.values()].sort((a, b) => a.created.localeCompare(b.created) || a.run_id.localeCompare(b.run_id));
  }

  /** Flushes every run.json and ends every subscriber. */
  async close(): Promise<void> {
    await Promise.all([...this.runs.values()].map((r) => r.close()));
  }
}
