/**
 * The published side of weight sync, seen from the orchestrator: for every run it follows, the
 * latest weights version the student published to NATS (WeightStore.head(run), the KV head
 * pointer; no weights are downloaded). It is recorded in run.json (`published_version`) and
 * exported as sfda_weights_published_version, next to the teacher version and the staleness
 * the progress events give — a flat teacher version beside a rising published one is the
 * "new weights never arrive" failure.
 *
 * Optional (orchestrator.weightsHead): the store is opened lazily and re-opened on the next
 * poll after a failure, so a NATS outage costs log lines, never the orchestrator.
 */
import type { Logger } from '../../run/logger.js';
import type { RunState } from './run-state.js';

/** What the tracker needs of a WeightStore. */
export interface WeightsHeadSource {
  head(runId: string): Promise<{ version: number } | undefined>;
  close?(): Promise<void>;
}

export interface WeightsHeadOptions {
  /** Opens the source (called again after a failure). */
  readonly open: () => Promise<WeightsHeadSource>;
  /** Poll period (ms). */
  readonly pollMs: number;
  readonly logger: Logger;
  /** A run's published version rose. */
  readonly onVersion?: (run: RunState, version: number) => void;
}

export class WeightsHeadTracker {
  private source: WeightsHeadSource | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> = Promise.resolve();
  private lastError = '';
  private stopped = false;

  constructor(private readonly o: WeightsHeadOptions) {}

  /** Polls the runs `runs()` returns every pollMs until stop(). */
  start(runs: () => RunState[]): void {
    const tick = (): void => {
      this.polling = this.poll(runs()).finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.o.pollMs);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  /** One round over `runs` (exposed for tests). */
  async poll(runs: RunState[]): Promise<void> {
    if (runs.length === 0 || this.stopped) return;
    try {
      this.source ??= await this.o.open();
      for (const run of runs) {
        const head = await this.source.head(run.id);
        if (head && head.version > (run.record.published_version ?? 0)) {
          run.update({ published_version: head.version }, { emit: false });
          this.o.onVersion?.(run, head.version);
        }
      }
      if (this.lastError) this.o.logger.info('weights head readable again');
      this.lastError = '';
    } catch (e) {
      const msg = (e as Error).message;
      if (msg !== this.lastError) this.o.logger.warn('cannot read the published weights version (NATS)', { error: msg });
      this.lastError = msg;
      const s = this.source;
      this.source = undefined;
      await s?.close?.().catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.polling;
    await this.source?.close?.().catch(() => undefined);
    this.source = undefined;
  }
}
