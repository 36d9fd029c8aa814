/**
 * The monitoring files of the deployment (deploy/prometheus, deploy/grafana) checked against
 * Prometheus's own tools and against the services' real metrics:
 *
 * - `promtool check config` on prometheus.yml, `promtool check rules` on alerts.yml and
 *   `promtool test rules` on alerts.test.yml (the alerts' unit tests);
 * - every query of the Grafana dashboard is valid PromQL: each `expr` (Grafana variables
 *   replaced by fixed values) becomes a recording rule of a temporary rules file that
 *   `promtool check rules` must accept;
 * - every metric name the alerts and the dashboard use is exported by the services, from a
 *   real scrape: nats-server and the teacher, student and orchestrator processes are started,
 *   a tiny run goes through the orchestrator, and each /metrics endpoint is fetched. A name
 *   used with a component="…" matcher must be exported by that component;
 * - a real Prometheus with the shipped prometheus.yml + alerts.yml (targets and intervals
 *   substituted) scrapes those services: every rule evaluates healthily, none fires after a
 *   healthy run, every dashboard query runs without error, and killing the teacher makes
 *   SfdaServiceDown go pending for job sfda-teacher (the alert matches the config's job names).
 *
 * Names not checked against the scrape, on purpose: `up` (written by Prometheus for each
 * target, never exported by a service), DCGM_* (NVIDIA DCGM exporter, the dashboard's optional
 * GPU row: the only foreign metrics allowed) and recording rules (name:with:colons), which
 * must instead be defined in alerts.yml.
 *
 * promtool and prometheus must be installed; when one is missing the tests fail with an install hint
 * (requireBinary), they never skip.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { bearerMetadata } from '../../lib/services/grpc/auth.js';
import { makeClient, unary } from '../../lib/services/grpc/client.js';
import { startNatsServer, type NatsServerHandle } from '../../lib/services/local/nats-server.js';
import { startServiceProcess, type ServiceProcess } from '../../lib/services/local/service-process.js';
import { repoRoot } from '../../lib/run/code-version.js';
import { requireBinary } from '../helpers/prometheus.js';
import { writeTinySourceModel } from '../helpers/tiny-model.js';

const ROOT = repoRoot();
const PROM_DIR = path.join(ROOT, 'deploy', 'prometheus');
const DASHBOARD = path.join(ROOT, 'deploy', 'grafana', 'dashboards', 'sfda.json');

// ------------------------------------------------------------------------------------ promtool

function promtool(args: readonly string[], cwd = ROOT): { status: number | null; output: string } {
  const bin = requireBinary('promtool', 'PROMTOOL_BIN');
  const r = spawnSync(bin, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

function assertPromtoolOk(args: readonly string[]): string {
  const r = promtool(args);
  assert.equal(r.status, 0, `promtool ${args.join(' ')} failed (exit ${r.status}):\n${r.output}`);
  return r.output;
}

// ------------------------------------------------------------------------------------ the files

/** One PromQL expression and where it comes from. */
interface Query {
  where: string;
  expr: string;
}

/**
 * The `expr` of every rule of a rules file, with the rule's name. A line reader, not a YAML
 * parser: alerts.yml keeps every expr a block scalar (`expr: |`, said in its header); a plain
 * one-line `expr: …` is read as well. The count is cross-checked against the rules.
 */
function ruleQueries(file: string): { alerts: string[]; records: string[]; queries: Query[] } {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const alerts: string[] = [];
  const records: string[] = [];
  const queries: Query[] = [];
  let current = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    let m: RegExpExecArray | null;
    if ((m = /^\s*-\s+(alert|record):\s*(\S+)\s*$/.exec(line))) {
      current = m[2]!;
      (m[1] === 'alert' ? alerts : records).push(current);
    } else if ((m = /^(\s*)expr:\s*(.*)$/.exec(line))) {
      const indent = m[1]!.length;
      const rest = m[2]!.trim();
      if (/^[|>][-+]?$/.test(rest)) {
        const body: string[] = [];
        for (; i + 1 < lines.length; i++) {
          const next = lines[i + 1]!;
          if (next.trim() !== '' && next.length - next.trimStart().length <= indent) break;
          body.push(next);
        }
        queries.push({ where: `${path.basename(file)}: ${current}`, expr: body.join('\n').trim() });
      } else {
        queries.push({ where: `${path.basename(file)}: ${current}`, expr: rest.replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1') });
      }
    }
  }
  return { alerts, records, queries };
}

interface Panel {
  title?: string;
  type?: string;
  targets?: { expr?: string; refId?: string }[];
  panels?: Panel[];
}

/** Every target `expr` of the dashboard, rows' nested (collapsed) panels included. */
function dashboardQueries(): Query[] {
  const dash = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
  const out: Query[] = [];
  const walk = (ps: Panel[]) => {
    for (const p of ps) {
      for (const t of p.targets ?? []) if (t.expr) out.push({ where: `sfda.json: ${p.title} (${t.refId})`, expr: t.expr });
      walk(p.panels ?? []);
    }
  };
  walk(dash.panels);
  return out;
}

/** Grafana's variables, replaced by fixed values (promtool knows nothing of them). */
const GRAFANA_VARIABLES: Record<string, string> = {
  __rate_interval: '5m',
  __interval: '1m',
  __range: '1h',
  iterations: '10000', // the dashboard's textbox variable (ETA)
};

function expandGrafanaVariables(expr: string): string {
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (all, a: string | undefined, b: string | undefined) => {
    const v = GRAFANA_VARIABLES[(a ?? b)!];
    if (v === undefined) throw new Error(`unknown Grafana variable ${all} in: ${expr}`);
    return v;
  });
}

/** A rules file (JSON is YAML) with each query as a recording rule; promtool check rules on it. */
function checkQueriesWithPromtool(queries: readonly Query[]): { status: number | null; output: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sfda-dash-rules-'));
  try {
    const rules = queries.map((q, i) => ({ record: `dashboard:query_${i}`, expr: q.expr }));
    const file = path.join(dir, 'dashboard.rules.yml');
    fs.writeFileSync(file, `${JSON.stringify({ groups: [{ name: 'dashboard', rules }] }, null, 2)}\n`);
    return promtool(['check', 'rules', file]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------------ PromQL names

const KEYWORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'atan2', 'inf', 'nan', 'start', 'end']);

/** A metric name as used in one query, and the component its selector asks for (if any). */
interface NameUse {
  name: string;
  component?: string;
}

/**
 * The metric names a PromQL expression selects. Strings, label matchers ({…}), ranges and
 * subqueries ([…]), offsets, numbers, the label lists of by/without/on/ignoring/group_*,
 * keywords and function/aggregation calls (an identifier followed by "(") are taken out; what
 * is left are metric names. A `component="x"` matcher is remembered with its name.
 */
export function metricNames(expr: string): NameUse[] {
  const uses: NameUse[] = [];
  // selectors with matchers, read before the strings go: name{…component="x"…}
  const withMatchers = new Map<number, string | undefined>();
  const selRe = /([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{((?:[^}"]|"(?:[^"\\]|\\.)*")*)\}/g;
  for (let m; (m = selRe.exec(expr)); ) {
    const comp = /(?:^|[,\s{])component\s*=\s*"([^"]*)"/.exec(m[2]!);
    withMatchers.set(m.index, comp?.[1]);
  }
  // the same text with strings, matchers, ranges and grouping lists blanked (positions kept)
  const blank = (s: string) => s.replace(/[^\n]/g, ' ');
  let e = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, blank)
    .replace(/#[^\n]*/g, blank)
    .replace(/\{[^}]*\}/g, blank)
    .replace(/\[[^\]]*\]/g, blank)
    .replace(/\boffset\s+-?[0-9a-z.]+/gi, blank)
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, blank);
  // numbers (1e30, 0x1f, 0.01, .5) before identifiers, so that "e30" is not one
  e = e.replace(/(?<![a-zA-Z0-9_:])(?:0x[0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/g, blank);
  const idRe = /[a-zA-Z_:][a-zA-Z0-9_:]*/g;
  for (let m; (m = idRe.exec(e)); ) {
    const id = m[0];
    if (KEYWORDS.has(id.toLowerCase())) continue;
    if (/^\s*\(/.test(e.slice(m.index + id.length))) continue; // a function or an aggregation
    const use: NameUse = { name: id };
    const comp = withMatchers.get(m.index);
    if (comp !== undefined) use.component = comp;
    uses.push(use);
  }
  return uses;
}

/** Recording rules have a colon; DCGM_* are the optional GPU exporter's; `up` is Prometheus's. */
const NAME_KINDS: [RegExp, string][] = [
  [/^(sfda|process|nodejs)_[a-zA-Z0-9_]+$/, 'service'],
  [/^up$/, 'prometheus'],
  [/^DCGM_[A-Z0-9_]+$/, 'dcgm'],
  [/^[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_:]+$/, 'recording'],
];

function nameKind(name: string): string | undefined {
  return NAME_KINDS.find(([re]) => re.test(name))?.[1];
}

// ------------------------------------------------------------------------------------ scrapes

/** What one /metrics answer declares: families by TYPE, and the names that have samples. */
interface Exposition {
  families: Map<string, string>;
  sampled: Set<string>;
  text: string;
}

function parseExposition(text: string): Exposition {
  const families = new Map<string, string>();
  const sampled = new Set<string>();
  for (const line of text.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = /^# TYPE (\S+) (\S+)$/.exec(line))) families.set(m[1]!, m[2]!);
    else if ((m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line))) sampled.add(m[1]!);
  }
  return { families, sampled, text };
}

/**
 * Whether `name` (as PromQL selects it) is a series of the exposition: a sample name it has,
 * with histogram suffixes resolved: x_bucket / x_sum / x_count only for a histogram (or, but
 * _bucket, summary) family x, and the bare family name of a histogram is not a series.
 * 'sampled' = it had samples after the tiny run; 'declared' = only HELP/TYPE (labelled, never
 * observed); undefined = not exported.
 */
function lookup(expo: Exposition, name: string): 'sampled' | 'declared' | undefined {
  if (expo.sampled.has(name)) return 'sampled';
  const t = expo.families.get(name);
  if (t === 'counter' || t === 'gauge' || t === 'untyped') return 'declared';
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (m) {
    const ft = expo.families.get(m[1]!);
    if (ft === 'histogram' || (ft === 'summary' && m[2] !== 'bucket')) return 'declared';
  }
  return undefined;
}

// ------------------------------------------------------------------------------------ a real Prometheus

/**
 * prometheus with deploy/prometheus/prometheus.yml and alerts.yml as shipped, but for the
 * targets (the compose host names replaced by the test's addresses) and the intervals (1 s).
 * test/helpers/prometheus.ts's startPrometheus writes its own config and loads no rules, hence
 * this one.
 */
interface DeployedPrometheus {
  url: string;
  get(pathAndQuery: string): Promise<unknown>;
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  stop(): Promise<void>;
  log(): string;
}

const livePrometheus = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of livePrometheus) try { c.kill('SIGKILL'); } catch { /* gone */ }
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function startDeployedPrometheus(dir: string, targets: Record<'teacher' | 'student' | 'orchestrator', string>): Promise<DeployedPrometheus> {
  const bin = requireBinary('prometheus', 'PROMETHEUS_BIN');
  const port = await freePort();
  let config = fs.readFileSync(path.join(PROM_DIR, 'prometheus.yml'), 'utf8');
  const subst: [string, string][] = [
    ["'teacher:9464'", `'${targets.teacher}'`],
    ["'student:9464'", `'${targets.student}'`],
    ["'orchestrator:9464'", `'${targets.orchestrator}'`],
    ["'localhost:9090'", `'127.0.0.1:${port}'`],
    ['scrape_interval: 15s', 'scrape_interval: 1s'],
    ['scrape_timeout: 10s', 'scrape_timeout: 1s'],
    ['evaluation_interval: 15s', 'evaluation_interval: 1s'],
  ];
  for (const [from, to] of subst) {
    assert.ok(config.includes(from), `prometheus.yml no longer contains ${from}: update this test`);
    config = config.replace(from, to);
  }
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), config);
  fs.copyFileSync(path.join(PROM_DIR, 'alerts.yml'), path.join(dir, 'alerts.yml'));
  const args = [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`];
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  livePrometheus.add(child);
  let stderr = '';
  let exited = '';
  child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString('utf8')).slice(-50_000); });
  child.on('exit', (code, sig) => { exited = `exited (code ${code}, signal ${sig})`; livePrometheus.delete(child); });
  const url = `http://127.0.0.1:${port}`;
  const get = async (pq: string): Promise<unknown> => {
    const res = await fetch(`${url}${pq}`, { signal: AbortSignal.timeout(5000) });
    const body = await res.text();
    if (!res.ok) throw new Error(`GET ${pq}: HTTP ${res.status}: ${body.slice(0, 500)}`);
    return JSON.parse(body) as unknown;
  };
  const t0 = Date.now();
  for (;;) {
    if (exited) throw new Error(`prometheus ${exited}:\n${stderr.slice(-3000)}`);
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.ok) break;
    } catch { /* not yet */ }
    if (Date.now() - t0 > 30_000) {
      child.kill('SIGKILL');
      throw new Error(`prometheus not ready within 30 s:\n${stderr.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    get,
    async query(expr) {
      const j = (await get(`/api/v1/query?query=${encodeURIComponent(expr)}`)) as { status: string; error?: string; data: { resultType: string; result: unknown } };
      if (j.status !== 'success') throw new Error(`query failed: ${j.error ?? j.status}`);
      if (j.data.resultType === 'scalar') return [{ metric: {}, value: j.data.result as [number, string] }];
      return j.data.result as { metric: Record<string, string>; value: [number, string] }[];
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await gone;
        clearTimeout(t);
      }
    },
    log: () => stderr,
  };
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const t0 = Date.now();
  let last: unknown;
  while (Date.now() - t0 < timeoutMs) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) { last = e; }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (${(last as Error).message})` : ''}`);
}

// ------------------------------------------------------------------------------------ tests

describe('deploy/prometheus and deploy/grafana', function () {
  this.timeout(240_000);

  describe('promtool', () => {
    it('promtool check config deploy/prometheus/prometheus.yml', () => {
      const out = assertPromtoolOk(['check', 'config', 'deploy/prometheus/prometheus.yml']);
      assert.match(out, /SUCCESS: 1 rule files found/);
    });

    it('promtool check rules deploy/prometheus/alerts.yml (and every alert has a severity and annotations)', () => {
      assertPromtoolOk(['check', 'rules', 'deploy/prometheus/alerts.yml']);
      const text = fs.readFileSync(path.join(PROM_DIR, 'alerts.yml'), 'utf8');
      const { alerts } = ruleQueries(path.join(PROM_DIR, 'alerts.yml'));
      assert.deepEqual(alerts.sort(), ['SfdaEvalMiouBelowRunStart', 'SfdaRunStalled', 'SfdaServiceDown', 'SfdaStudentLossNotFinite', 'SfdaWeightsStalenessHigh', 'SfdaWeightsSyncFailures']);
      // each alert block: a severity label of critical|warning, a summary and a description
      const blocks = text.split(/\n\s*-\s+(?=alert:|record:)/).filter((b) => b.startsWith('alert:'));
      assert.equal(blocks.length, alerts.length);
      for (const b of blocks) {
        const name = /^alert:\s*(\S+)/.exec(b)![1];
        assert.match(b, /\n\s+severity:\s*(critical|warning)\s*\n/, `${name}: severity`);
        assert.match(b, /\n\s+summary:/, `${name}: summary annotation`);
        assert.match(b, /\n\s+description:/, `${name}: description annotation`);
      }
    });

    it('promtool test rules deploy/prometheus/alerts.test.yml (a firing and a silent case per alert)', () => {
      assertPromtoolOk(['test', 'rules', 'deploy/prometheus/alerts.test.yml']);
      // every alert appears in the tests, with an empty and a non-empty expectation
      const tests = fs.readFileSync(path.join(PROM_DIR, 'alerts.test.yml'), 'utf8');
      const { alerts } = ruleQueries(path.join(PROM_DIR, 'alerts.yml'));
      for (const a of alerts) {
        const cases = [...tests.matchAll(new RegExp(`alertname:\\s*${a}\\s*\\n\\s*exp_alerts:(.*)`, 'g'))].map((m) => m[1]!.trim());
        assert.ok(cases.some((c) => c === '[]'), `${a}: no not-firing case in alerts.test.yml`);
        assert.ok(cases.some((c) => c === ''), `${a}: no firing case in alerts.test.yml`);
      }
    });

    it('the rules reader sees every rule of alerts.yml', () => {
      const { alerts, records, queries } = ruleQueries(path.join(PROM_DIR, 'alerts.yml'));
      assert.equal(queries.length, alerts.length + records.length);
      assert.ok(queries.every((q) => q.expr.length > 0 && !/^\s*(for|labels|annotations):/m.test(q.expr)), JSON.stringify(queries, null, 2));
    });
  });

  describe('the Grafana dashboard', () => {
    it('every panel query is valid PromQL (promtool check rules on them as recording rules)', () => {
      const qs = dashboardQueries();
      assert.ok(qs.length >= 30, `only ${qs.length} queries found`);
      const expanded = qs.map((q) => ({ where: q.where, expr: expandGrafanaVariables(q.expr) }));
      for (const q of expanded) assert.doesNotMatch(q.expr, /\$/, `${q.where}: a Grafana variable left`);
      const r = checkQueriesWithPromtool(expanded);
      assert.equal(r.status, 0, `promtool check rules on the dashboard's queries:\n${r.output}\n${expanded.map((q, i) => `dashboard:query_${i} = ${q.where}`).join('\n')}`);
      assert.match(r.output, new RegExp(`SUCCESS: ${expanded.length} rules found`));
    });

    it('the check does catch invalid PromQL (control)', () => {
      const r = checkQueriesWithPromtool([{ where: 'control', expr: 'sum by (le (rate(sfda_student_steps_total[5m]))' }]);
      assert.notEqual(r.status, 0, r.output);
    });

    it('rows: run overview, quality, weight sync, gRPC, process, GPU; datasource through a variable', () => {
      const dash = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as { uid: string; panels: (Panel & { datasource?: { uid?: string } })[]; templating: { list: { name: string; type: string }[] } };
      const rows = dash.panels.filter((p) => p.type === 'row').map((p) => p.title);
      assert.deepEqual(rows, ['Run overview', 'Quality', 'Weight sync', 'gRPC', 'Process', 'GPU (optional: DCGM exporter)']);
      assert.ok(dash.templating.list.some((v) => v.name === 'datasource' && v.type === 'datasource'));
      const walk = (ps: (Panel & { datasource?: { uid?: string } })[]): (Panel & { datasource?: { uid?: string } })[] => ps.flatMap((p) => [p, ...walk(p.panels ?? [])]);
      for (const p of walk(dash.panels)) if (p.type !== 'row') assert.equal(p.datasource?.uid, '${datasource}', `${p.title}: datasource`);
      const ids = walk(dash.panels).map((p) => (p as { id?: number }).id);
      assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
    });
  });

  describe('metric-name extraction from PromQL', () => {
    it('finds metric names, not functions, labels, keywords, numbers or durations', () => {
      const names = (e: string) => metricNames(e).map((u) => u.name);
      assert.deepEqual(names('histogram_quantile(0.95, sum by (component, le) (rate(sfda_grpc_server_handling_seconds_bucket{method!="Label"}[5m])))'), ['sfda_grpc_server_handling_seconds_bucket']);
      assert.deepEqual(names('(sfda_student_loss != sfda_student_loss) or (abs(sfda_student_loss) > 1e30)'), ['sfda_student_loss', 'sfda_student_loss', 'sfda_student_loss']);
      assert.deepEqual(names('sum(x{phase=~"RUNNING|on(y)"}) > 0 unless on () (sum(increase(up[10m] offset 1h)) > 0)'), ['x', 'up']);
      assert.deepEqual(names('a / ignoring (class) group_left () sum(b) and on(le) c:rec:sum - 0.01 < bool Inf'), ['a', 'b', 'c:rec:sum']);
      assert.deepEqual(names('time() - (sfda_checkpoint_last_success_timestamp_seconds > 0) + changes(process_start_time_seconds[1h:1m])'), ['sfda_checkpoint_last_success_timestamp_seconds', 'process_start_time_seconds']);
      assert.deepEqual(metricNames('sfda_student_loss{component="student", job="x"} + nodejs_heap_size_used_bytes'), [{ name: 'sfda_student_loss', component: 'student' }, { name: 'nodejs_heap_size_used_bytes' }]);
    });
  });

  describe('against the real services (a tiny run, their scrapes, a real Prometheus with the shipped config)', () => {
    const TOKEN = 'deploy-rules-token';
    let dir = '';
    let nats: NatsServerHandle | undefined;
    const procs: ServiceProcess[] = [];
    const scrapes = new Map<string, Exposition>(); // component → its /metrics
    let prom: DeployedPrometheus | undefined;

    before(async () => {
      requireBinary('promtool', 'PROMTOOL_BIN');
      requireBinary('prometheus', 'PROMETHEUS_BIN');
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sfda-deploy-rules-'));
      await writeTinySourceModel(path.join(dir, 'source.model.ckpt'));
      nats = await startNatsServer();
      const common = ['--nats.servers', nats.url, '--auth.token', TOKEN, '--log.level', 'warn', '--metrics.port', '0'];
      const teacher = await startServiceProcess('teacher-service', common);
      procs.push(teacher);
      const student = await startServiceProcess('student-service', [...common, '--student.teacher', teacher.address]);
      procs.push(student);
      const orch = await startServiceProcess('orchestrator', [...common, '--orchestrator.student', student.address, '--orchestrator.teacher', teacher.address, '--orchestrator.runsRoot', path.join(dir, 'runs')]);
      procs.push(orch);

      // a tiny run, so that the labelled metrics (gRPC methods and codes, pseudo-label classes,
      // step histograms) have samples
      const client = makeClient('Orchestrator', orch.address);
      const md = bearerMetadata(TOKEN);
      try {
        const config = {
          iterations: 5, batch: 2, seed: 3,
          target: { source: 'synthstreet', style: 'dusk', count: 4, width: 64, height: 48 },
          augment: { cropWidth: 48, cropHeight: 40 },
          eval: { source: 'synthstreet', style: 'dusk', count: 2, width: 64, height: 48 },
          stvm: { metric: { hidden: 16, dim: 8, warmupIters: 1 } },
          runtime: { threads: 1 },
        };
        await unary(client, 'StartRun', { run_id: 'rules', config_json: JSON.stringify(config), source_model: path.join(dir, 'source.model.ckpt'), mode: 'sync', max_staleness: 0, overrides: {} }, { metadata: md });
        let phase = '';
        for (let i = 0; i < 1200 && !['FINISHED', 'FAILED'].includes(phase); i++) {
          phase = (await unary(client, 'GetRun', { run_id: 'rules' }, { metadata: md })).phase;
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(phase, 'FINISHED', `the tiny run did not finish:\n${student.log().slice(-2000)}\n${orch.log().slice(-2000)}`);
        // an evaluation, so that sfda_eval_miou_ratio holds a real value
        await unary(client, 'Evaluate', { run_id: 'rules', limit: 2, out_dir: '' }, { metadata: md });
      } finally {
        client.close();
      }
      for (const [p, component] of [[teacher, 'teacher'], [student, 'student'], [orch, 'orchestrator']] as const) {
        assert.ok(p.metrics, `${p.name} reported no metrics address`);
        const res = await fetch(`http://${p.metrics}/metrics`, { signal: AbortSignal.timeout(10_000) });
        assert.equal(res.status, 200);
        const text = await res.text();
        assert.match(text, new RegExp(`component="${component}"`));
        scrapes.set(component, parseExposition(text));
      }
      fs.mkdirSync(path.join(dir, 'prometheus'));
      prom = await startDeployedPrometheus(path.join(dir, 'prometheus'), { teacher: teacher.metrics, student: student.metrics, orchestrator: orch.metrics });
      await waitFor('the three sfda targets scraped and up', async () => {
        const up = await prom!.query('up{job=~"sfda-.*"}');
        return up.length === 3 && up.every((s) => s.value[1] === '1') ? true : undefined;
      });
      // two scrapes of each, so that rate() has something to say
      await waitFor('two scrapes of every target', async () => ((await prom!.query('rate(process_cpu_seconds_total{job=~"sfda-.*"}[1m])')).length === 3 ? true : undefined));
    });

    after(async () => {
      await prom?.stop();
      await Promise.allSettled(procs.map((p) => p.kill()));
      await nats?.cleanup();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    const sources = (): { where: string; uses: NameUse[] }[] => [
      ...ruleQueries(path.join(PROM_DIR, 'alerts.yml')).queries,
      ...dashboardQueries().map((q) => ({ where: q.where, expr: expandGrafanaVariables(q.expr) })),
    ].map((q) => ({ where: q.where, uses: metricNames(q.expr) }));

    it('the scrapes hold the tiny run (student steps, teacher labels, an evaluation)', () => {
      const value = (component: string, re: RegExp) => Number(re.exec(scrapes.get(component)!.text)?.[1]);
      // 5 iterations, 1 of them metric warm-up: 4 student steps
      assert.equal(value('student', /^sfda_student_steps_total\{component="student"\} (\S+)$/m), 4);
      assert.ok(value('teacher', /^sfda_teacher_label_requests_total\{component="teacher"\} (\S+)$/m) >= 5);
      const miou = value('orchestrator', /^sfda_eval_miou_ratio\{component="orchestrator"\} (\S+)$/m);
      assert.ok(miou > 0 && miou <= 1, `sfda_eval_miou_ratio ${miou}`);
      assert.match(scrapes.get('teacher')!.text, /^sfda_pseudo_label_pixels_total\{class="[^"]+",component="teacher"\} \d+/m);
    });

    it('each name is a service metric, up, a recording rule of alerts.yml or DCGM_* (nothing else)', () => {
      const { records } = ruleQueries(path.join(PROM_DIR, 'alerts.yml'));
      const bad: string[] = [];
      for (const s of sources()) {
        for (const u of s.uses) {
          const kind = nameKind(u.name);
          if (!kind) bad.push(`${s.where}: '${u.name}' is not a metric of the services (sfda_*, process_*, nodejs_*), up, DCGM_* or a recording rule`);
          else if (kind === 'recording' && !records.includes(u.name)) bad.push(`${s.where}: recording rule '${u.name}' is not defined in alerts.yml`);
        }
      }
      assert.deepEqual(bad, []);
    });

    it('every sfda_* / process_* / nodejs_* name is in a real scrape, from the component its selector names, with samples', () => {
      const problems: string[] = [];
      const checked = new Set<string>();
      for (const s of sources()) {
        for (const u of s.uses) {
          if (nameKind(u.name) !== 'service') continue;
          checked.add(u.name);
          if (u.component !== undefined) {
            const expo = scrapes.get(u.component);
            if (!expo) problems.push(`${s.where}: component="${u.component}" is not one of ${[...scrapes.keys()].join(', ')}`);
            else {
              const found = lookup(expo, u.name);
              if (!found) problems.push(`${s.where}: ${u.name} is not exported by the ${u.component}`);
              else if (found === 'declared') problems.push(`${s.where}: ${u.name} is declared by the ${u.component} but had no sample after a run`);
            }
          } else {
            const found = [...scrapes.values()].map((e) => lookup(e, u.name));
            if (!found.some(Boolean)) problems.push(`${s.where}: ${u.name} is exported by no service`);
            else if (!found.includes('sampled')) problems.push(`${s.where}: ${u.name} is declared but had no sample after a run`);
          }
        }
      }
      assert.deepEqual(problems, []);
      // the alerts' core metrics are among those checked
      for (const n of ['sfda_student_steps_total', 'sfda_orchestrator_runs', 'sfda_student_loss', 'sfda_weights_staleness_steps', 'sfda_weights_sync_failures_total', 'sfda_eval_miou_ratio', 'sfda_student_step_seconds_bucket', 'sfda_grpc_server_handled_total', 'nodejs_eventloop_lag_p99_seconds', 'process_resident_memory_bytes']) {
        assert.ok(checked.has(n), `${n} is not used by the alerts or the dashboard`);
      }
    });

    it('a real Prometheus with prometheus.yml + alerts.yml: targets up, every rule healthy, no alert on a healthy finished run', async () => {
      const rules = await waitFor('every rule evaluated without error', async () => {
        const j = (await prom!.get('/api/v1/rules')) as { data: { groups: { name: string; rules: { name: string; type: string; health: string; lastError?: string; state?: string; lastEvaluation: string }[] }[] } };
        const rs = j.data.groups.flatMap((g) => g.rules);
        const bad = rs.filter((r) => r.health !== 'ok');
        if (bad.length > 0) throw new Error(bad.map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`).join('; '));
        return rs.length === 7 ? rs : undefined;
      });
      const firing = rules.filter((r) => r.type === 'alerting' && r.state !== 'inactive');
      assert.deepEqual(firing.map((r) => `${r.name}: ${r.state}`), []);
      const up = await prom!.query('up{job=~"sfda-.*"}');
      assert.deepEqual(up.map((s) => `${s.metric['job']}=${s.value[1]}`).sort(), ['sfda-orchestrator=1', 'sfda-student=1', 'sfda-teacher=1']);
    });

    it('every dashboard query runs on the live data without error (DCGM and the run-start latch may be empty)', async () => {
      const empty: string[] = [];
      for (const q of dashboardQueries()) {
        const r = await prom!.query(expandGrafanaVariables(q.expr)).catch((e: Error) => { throw new Error(`${q.where}: ${e.message}\n${q.expr}`); });
        if (r.length === 0) empty.push(q.where);
      }
      // empty legitimately: no GPU exporter here; no run active (the latch); no non-OK gRPC
      // status; a component that never wrote a checkpoint; the ETA needs the steps' rate
      const mayBeEmpty = /GPU|mIoU|errors per second|checkpoint age|ETA/;
      assert.deepEqual(empty.filter((w) => !mayBeEmpty.test(w)), []);
    });

    it('SfdaServiceDown matches the jobs of prometheus.yml: the teacher killed, the alert goes pending for it', async () => {
      await procs[0]!.kill();
      const pending = await waitFor('SfdaServiceDown pending for sfda-teacher', async () => {
        const r = await prom!.query('ALERTS{alertname="SfdaServiceDown"}');
        return r.find((s) => s.metric['alertstate'] === 'pending');
      });
      assert.equal(pending.metric['job'], 'sfda-teacher');
      assert.equal(pending.metric['severity'], 'critical');
    });

    it('the lookup resolves histogram suffixes only on histogram families (control)', () => {
      const student = scrapes.get('student')!;
      assert.equal(lookup(student, 'sfda_student_step_seconds_bucket'), 'sampled');
      assert.equal(lookup(student, 'sfda_student_step_seconds_count'), 'sampled');
      assert.equal(lookup(student, 'sfda_student_step_seconds'), undefined, 'the bare name of a histogram is no series');
      assert.equal(lookup(student, 'sfda_student_steps_total_bucket'), undefined);
      assert.equal(lookup(student, 'sfda_no_such_metric'), undefined);
    });
  });
});
