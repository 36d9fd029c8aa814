/**
 * One onnxruntime InferenceSession per key (a compiled graph has static shapes, so a key names
 * one graph at one input shape), created lazily on first use and released on close.
 */
import * as ort from 'onnxruntime-node';

export class SessionCache {
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();

  constructor(private readonly options: ort.InferenceSession.SessionOptions) {}

  /** The session for `key`, created from `model()` the first time. */
  get(key: string, model: () => Uint8Array): Promise<ort.InferenceSession> {
    let s = this.sessions.get(key);
    if (s === undefined) {
      s = ort.InferenceSession.create(model(), this.options);
      this.sessions.set(key, s);
      s.catch(() => this.sessions.delete(key));
    }
    return s;
  }

  has(key: string): boolean {
    return this.sessions.has(key);
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Releases the session of one key (e.g. after its program was replaced). */
  async drop(key: string): Promise<void> {
    const s = this.sessions.get(key);
    this.sessions.delete(key);
    if (s) await (await s.catch(() => undefined))?.release();
  }

  /** Releases every session. */
  async close(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) await (await s.catch(() => undefined))?.release();
  }
}
