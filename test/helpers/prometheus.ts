/**
 * A real Prometheus server for integration tests: a child process scraping the given targets
 * (each a job name and a host:port serving /metrics), with its TSDB in a temporary directory
 * and its web API on a free port of 127.0.0.1.
 *
 *   const prom = await startPrometheus({ targets: [{ job: 'sfda-student', address: '127.0.0.1:9464' }] });
 *   await prom.waitForTargets();                       // every target scraped and up
 *   await prom.waitForValue('sfda_student_steps_total', (v) => v === 7);
 *   await prom.stop();                                 // in after()
 *
 * - Binaries are looked up on PATH (or taken from $PROMETHEUS_BIN / $PROMTOOL_BIN). When one is
 *   missing the helpers throw an error saying how to install it: tests fail loudly, never skip.
 * - The configuration is written as JSON (a subset of YAML), so no YAML library is needed.
 * - `stop()` ends the process (SIGTERM, then SIGKILL) and removes the directory. The child is
 *   unref'd, so a forgotten stop() cannot keep mocha alive; servers still running when the Node
 *   process exits are killed by a synchronous 'exit' handler.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface ScrapeTarget {
  /** Prometheus job name (becomes the `job` label) */
  job: string;
  /** host:port serving the metrics */
  address: string;
  /** default /metrics */
  metricsPath?: string;
}

export interface PrometheusOptions {
  targets: readonly ScrapeTarget[];
  /** scrape and evaluation interval in seconds (default 1) */
  scrapeIntervalS?: number;
  /** milliseconds to wait for /-/ready (default 20 000) */
  readyTimeoutMs?: number;
}

/** One series of an instant-query answer. */
export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

export interface PrometheusHandle {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** the temporary directory holding the config and the TSDB */
  readonly dir: string;
  /** Instant query through /api/v1/query (vector or scalar results). */
  query(expr: string): Promise<PromSample[]>;
  /** Resolves once every configured target has been scraped and is up; rejects after timeoutMs. */
  waitForTargets(timeoutMs?: number): Promise<void>;
  /** Polls `expr` until one series' value satisfies `pred`; returns it. */
  waitForValue(expr: string, pred: (v: number, s: PromSample) => boolean, timeoutMs?: number): Promise<PromSample>;
  stop(): Promise<void>;
  /** Prometheus's log so far (for error messages). */
  log(): string;
}

const INSTALL_HINT = 'install it with `apt-get install prometheus` (Debian; .ci/run does this) or from https://prometheus.io/download/';

/** Absolute path of `name` from $envVar or PATH; throws a clear error when it is missing. */
export function requireBinary(name: string, envVar: string): string {
  const env = process.env[envVar];
  if (env) {
    if (fs.existsSync(env)) return env;
    throw new Error(`$${envVar} is set to '${env}', which does not exist`);
  }
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch { /* next */ }
  }
  throw new Error(`${name} not found on PATH (nor $${envVar}): this test needs it — ${INSTALL_HINT}`);
}

/** `promtool check metrics` on an exposition text: its exit status and what it said. */
export function promtoolCheckMetrics(text: string): { status: number | null; output: string } {
  const bin = requireBinary('promtool', 'PROMTOOL_BIN');
  const r = spawnSync(bin, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

const live = new Set<{ child?: ChildProcess; dir: string }>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const s of live) {
      try { s.child?.kill('SIGKILL'); } catch { /* already gone */ }
      try { fs.rmSync(s.dir, { recursive: true, force: true }); } catch { /* best effort */ }
    }
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  const body = await res.text();
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}: ${body.slice(0, 500)}`);
  return JSON.parse(body) as unknown;
}

export async function startPrometheus(opts: PrometheusOptions): Promise<PrometheusHandle> {
  const bin = requireBinary('prometheus', 'PROMETHEUS_BIN');
  if (opts.targets.length === 0) throw new Error('startPrometheus: no targets');
  const jobs = new Set(opts.targets.map((t) => t.job));
  const interval = `${opts.scrapeIntervalS ?? 1}s`;
  installExitHook();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sfda-prom-'));
  const entry: { child?: ChildProcess; dir: string } = { dir };
  live.add(entry);
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
    scrape_configs: [...jobs].map((job) => {
      const ts = opts.targets.filter((t) => t.job === job);
      const metricsPath = ts[0]!.metricsPath ?? '/metrics';
      if (ts.some((t) => (t.metricsPath ?? '/metrics') !== metricsPath)) throw new Error(`job ${job}: targets with different metrics paths`);
      return { job_name: job, metrics_path: metricsPath, static_configs: [{ targets: ts.map((t) => t.address) }] };
    }),
  };
  const configFile = path.join(dir, 'prometheus.json.yml');
  fs.writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  const readyTimeout = opts.readyTimeoutMs ?? 20_000;
  let stderr = '';

  const launch = async (port: number): Promise<void> => {
    const args = [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=info',
    ];
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    entry.child = child;
    // a forgotten stop() must not keep the test process alive: the 'exit' handler kills it
    child.unref();
    (child.stderr as unknown as net.Socket).unref();
    let exited: string | undefined;
    child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString('utf8')).slice(-50_000); });
    child.on('exit', (code, sig) => { exited = `exited (code ${code}, signal ${sig})`; if (entry.child === child) entry.child = undefined; });
    child.on('error', (e) => { exited = `failed to start: ${e.message}`; });
    const t0 = Date.now();
    while (Date.now() - t0 < readyTimeout) {
      if (exited) throw new Error(`prometheus ${exited}: ${bin} ${args.join(' ')}\n${stderr.slice(-3000)}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/-/ready`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.ok) return;
      } catch { /* not listening yet */ }
      await delay(100);
    }
    child.kill('SIGKILL');
    throw new Error(`prometheus was not ready on port ${port} within ${readyTimeout} ms\n${stderr.slice(-3000)}`);
  };

  const stop = async (): Promise<void> => {
    const child = entry.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
    }
    entry.child = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
    live.delete(entry);
  };

  // a free port can be taken between probing and binding: retry on a fresh one
  let port = 0;
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await launch(port);
      break;
    } catch (e) {
      if (attempt >= 2 || !/address already in use/i.test((e as Error).message)) {
        await stop();
        throw e;
      }
      stderr = '';
    }
  }
  const url = `http://127.0.0.1:${port}`;

  const query = async (expr: string): Promise<PromSample[]> => {
    const j = (await getJson(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`)) as {
      status: string;
      error?: string;
      data: { resultType: string; result: unknown };
    };
    if (j.status !== 'success') throw new Error(`query '${expr}' failed: ${j.error ?? j.status}`);
    if (j.data.resultType === 'scalar') return [{ metric: {}, value: Number((j.data.result as [number, string])[1]) }];
    if (j.data.resultType !== 'vector') throw new Error(`query '${expr}': unexpected result type ${j.data.resultType}`);
    return (j.data.result as { metric: Record<string, string>; value: [number, string] }[]).map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  };

  return {
    url,
    port,
    dir,
    query,
    async waitForTargets(timeoutMs = 20_000) {
      const t0 = Date.now();
      let last = '';
      while (Date.now() - t0 < timeoutMs) {
        const j = (await getJson(`${url}/api/v1/targets?state=active`)) as {
          data: { activeTargets: { labels: Record<string, string>; health: string; lastError: string; scrapeUrl: string }[] };
        };
        const ts = j.data.activeTargets;
        const up = ts.filter((t) => t.health === 'up').length;
        if (ts.length === opts.targets.length && up === ts.length) return;
        last = ts.map((t) => `${t.scrapeUrl}: ${t.health}${t.lastError ? ` (${t.lastError})` : ''}`).join('; ');
        await delay(200);
      }
      throw new Error(`Prometheus targets not all up within ${timeoutMs} ms: ${last || 'no active targets'}`);
    },
    async waitForValue(expr, pred, timeoutMs = 20_000) {
      const t0 = Date.now();
      let last: PromSample[] = [];
      while (Date.now() - t0 < timeoutMs) {
        last = await query(expr);
        const hit = last.find((s) => pred(s.value, s));
        if (hit) return hit;
        await delay(200);
      }
      throw new Error(`'${expr}' did not reach the expected value within ${timeoutMs} ms; last answer: ${JSON.stringify(last)}`);
    },
    stop,
    log: () => stderr,
  };
}
