/**
 * A service process for integration tests and benches: `node dist/<name>/main.js ARGS`, started for real,
 * its "listening" line read for the bound addresses; kill() (SIGKILL, a crash), stop()
 * (SIGTERM, graceful) and restart() on the same gRPC port. Every process is killed when the
 * test process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { repoRoot } from '../../run/code-version.js';

export interface ServiceProcess {
  readonly name: string;
  address: string;
  metrics: string;
  proc: ChildProcess;
  /** stderr so far. */
  log(): string;
  /** SIGKILL; resolves when it is gone. */
  kill(): Promise<void>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Starts it again with the same arguments on the same gRPC port. */
  restart(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) try { p.kill('SIGKILL'); } catch { /* gone */ }
});

function launch(name: string, args: readonly string[], env: NodeJS.ProcessEnv, logs: string[]): Promise<{ proc: ChildProcess; grpc: string; metrics: string }> {
  const proc = spawn(process.execPath, [path.join(repoRoot(), 'dist', name, 'main.js'), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);
  proc.on('exit', () => live.delete(proc));
  proc.stderr!.on('data', (d: Buffer) => logs.push(d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 60 s:\n${logs.join('').slice(-3000)}`)), 60_000);
    const rl = readline.createInterface({ input: proc.stdout! });
    rl.on('line', (line) => {
      try {
        const ev = JSON.parse(line) as { event?: string; grpc?: string; metrics?: string };
        if (ev.event === 'listening') {
          clearTimeout(timer);
          resolve({ proc, grpc: ev.grpc!, metrics: ev.metrics ?? '' });
        }
      } catch { /* not JSON */ }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before listening:\n${logs.join('').slice(-3000)}`));
    });
  });
}

export async function startServiceProcess(name: 'teacher-service' | 'student-service' | 'orchestrator', args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<ServiceProcess> {
  const logs: string[] = [];
  const first = await launch(name, ['--grpc.port', '0', ...args], env, logs);
  const port = first.grpc.split(':').pop()!;
  const exited = (p: ChildProcess) => new Promise<number | null>((res) => (p.exitCode !== null || p.signalCode !== null ? res(p.exitCode) : p.once('exit', (c) => res(c))));
  const sp: ServiceProcess = {
    name, address: first.grpc, metrics: first.metrics, proc: first.proc,
    log: () => logs.join(''),
    kill: async () => {
      sp.proc.kill('SIGKILL');
      await exited(sp.proc);
    },
    stop: async () => {
      sp.proc.kill('SIGTERM');
      return exited(sp.proc);
    },
    restart: async () => {
      if (sp.proc.exitCode === null && sp.proc.signalCode === null) await sp.kill();
      const again = await launch(name, ['--grpc.port', port, ...args], env, logs);
      sp.proc = again.proc;
      sp.address = again.grpc;
      sp.metrics = again.metrics;
    },
  };
  return sp;
}
