/**
 * A benchmark side as a child process driven line by line: it prints one JSON line when ready,
 * then answers each 'step' line with {"ms": t} and the final 'done' line with its summary.
 * bench/engine.ts drives the engine side (engine.js --worker serve) and the PyTorch side
 * (tools/pytorch/bench_step.py --serve) with it, interleaving their steps.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import readline from 'node:readline';

export class StepServer {
  private readonly lines: AsyncIterator<string>;
  private readonly proc: ChildProcessWithoutNullStreams;
  private stderr = '';

  constructor(readonly label: string, cmd: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv) {
    this.proc = spawn(cmd, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'], ...(env ? { env } : {}) });
    this.proc.stderr.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-20000); });
    this.lines = readline.createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
  }

  /** The next JSON line (non-JSON lines are skipped). */
  async read<T>(): Promise<T> {
    for (;;) {
      const r = await this.lines.next();
      if (r.done) {
        const err = this.stderr.split('\n').filter((l) => l.trim() && !l.includes('CleanUnusedInitializers')).slice(-25).join('\n');
        throw new Error(`${this.label} exited early:\n${err}`);
      }
      const t = r.value.trim();
      if (t.startsWith('{')) return JSON.parse(t) as T;
    }
  }

  async step(): Promise<number> {
    this.proc.stdin.write('step\n');
    return (await this.read<{ ms: number }>()).ms;
  }

  async done<T>(): Promise<T> {
    this.proc.stdin.write('done\n');
    const r = await this.read<T>();
    this.proc.stdin.end();
    await new Promise((res) => { if (this.proc.exitCode !== null) res(null); else this.proc.on('exit', res); });
    return r;
  }

  /** The child's pid and the end of its stderr (for logs). */
  get pid(): number | undefined {
    return this.proc.pid;
  }

  get stderrTail(): string {
    return this.stderr;
  }

    kill(): void {
    if (this.proc.exitCode === null) this.proc.kill();
  }
}

/** Serves a step function over stdin/stdout (the child side; used by engine.js --worker serve). */
export async function serveSteps(ready: object, step: () => Promise<void>, done: () => Promise<object>): Promise<void> {
  process.stdout.write(JSON.stringify({ ready: true, ...ready }) + '\n');
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    const cmd = line.trim();
    if (cmd === 'step') {
      const t = performance.now();
      await step();
      process.stdout.write(JSON.stringify({ ms: performance.now() - t }) + '\n');
    } else if (cmd === 'done') {
      process.stdout.write(JSON.stringify(await done()) + '\n');
      rl.close();
      return;
    }
  }
}
