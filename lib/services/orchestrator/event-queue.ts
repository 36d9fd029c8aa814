/**
 * A bounded async queue: the fan-out of progress events to one WatchRun subscriber. The
 * follower pushes without waiting; the subscriber's stream pulls at its own pace. When a slow
 * subscriber lets `max` events pile up, the oldest droppable event goes (an intermediate
 * step), never a `keep` one (a phase change), so a slow client still sees every phase.
 */
export class EventQueue<T> {
  private readonly items: T[] = [];
  private waiter: (() => void) | undefined;
  private closed = false;
  /** Events dropped because the subscriber was slow. */
  dropped = 0;

  constructor(private readonly max = 1024, private readonly keep: (item: T) => boolean = () => false) {}

  get size(): number {
    return this.items.length;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  push(item: T): void {
    if (this.closed) return;
    if (this.items.length >= this.max) {
      const i = this.items.findIndex((x) => !this.keep(x));
      if (i >= 0) {
        this.items.splice(i, 1);
        this.dropped++;
      }
    }
    this.items.push(item);
    this.wake();
  }

  /** No more items; the iterator ends once the queued ones are taken. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Items until close() (after the queued ones) or until `signal` aborts (at once). */
  async *iterate(signal?: AbortSignal): AsyncGenerator<T> {
    const onAbort = (): void => this.wake();
    signal?.addEventListener('abort', onAbort);
    try {
      for (;;) {
        if (signal?.aborted) return;
        const item = this.items.shift();
        if (item !== undefined) {
          yield item;
          continue;
        }
        if (this.closed) return;
        await new Promise<void>((resolve) => { this.waiter = resolve; });
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }
}
