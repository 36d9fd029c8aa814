/**
 * The subcommands of `sfda`: their help (summary, usage, details, flags, examples) and what
 * they do. Every command also takes the global flags (context.ts GLOBAL_FLAGS).
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError, type FlagSpec, type ParsedFlags } from '../../lib/cli/args.js';
import type { StackService } from '../../lib/services/local/index.js';
import type { Connection } from './connection.js';
import type { Globals, Io } from './context.js';
import { EXIT } from './errors.js';
import { showLogs } from './logs.js';
import { evaluation, isLogLevel, runDetails, runLine, runsTable } from './render.js';
import { down, UP_SPEC_ENV, upDetached, upForeground, type UpSpec } from './up.js';
import { watchRun } from './watch.js';

export interface RunContext {
  readonly io: Io;
  readonly flags: ParsedFlags;
  readonly globals: Globals;
  /** The positional arguments, checked against the command's `args`. */
  readonly args: readonly string[];
  /** The orchestrator connection (made on first use; closed after the command). */
  connect(defaultDeadlineMs?: number): Promise<Connection>;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Usage after 'sfda ' (e.g. 'status RUN [flags]'). */
  readonly synopsis: string;
  readonly details?: string;
  /** Positional arguments: name and whether it is required. */
  readonly args: readonly { name: string; help: string; optional?: boolean }[];
  readonly flags: Record<string, FlagSpec>;
  readonly examples: readonly string[];
  run(ctx: RunContext): Promise<number>;
}

const RUN_ARG = { name: 'RUN', help: 'the run id (see sfda list)' };
const DEFAULT_DEADLINE_MS = 30_000;

function str(f: ParsedFlags, k: string): string | undefined {
  return typeof f[k] === 'string' ? f[k] as string : undefined;
}

/** A non-negative integer flag (undefined when absent). */
function count(f: ParsedFlags, k: string, min = 0): number | undefined {
  const v = f[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new UsageError(`--${k}: expected an integer ≥ ${min}, got '${String(v)}'`);
  return v;
}

function out(ctx: RunContext, value: unknown, human: string): void {
  ctx.io.out(ctx.globals.json ? `${JSON.stringify(value, null, 2)}\n` : human);
}

const watchFlags: Record<string, FlagSpec> = {
  interval: { type: 'number', default: 10, help: 'when stderr is not a terminal: a progress line at most every N seconds (and on every phase or mIoU change)' },
  reconnect: { type: 'number', default: 60, help: 'keep trying for N seconds when the orchestrator goes away (e.g. restarted by `sfda up`)' },
  quiet: { type: 'boolean', default: false, help: 'no progress on stderr, only the final state' },
};

function watchOptions(ctx: RunContext) {
  const interval = ctx.flags['interval'] as number;
  const reconnect = ctx.flags['reconnect'] as number;
  if (!(interval >= 0)) throw new UsageError(`--interval: expected seconds ≥ 0, got '${interval}'`);
  if (!(reconnect >= 0)) throw new UsageError(`--reconnect: expected seconds ≥ 0, got '${reconnect}'`);
  return { json: ctx.globals.json, quiet: ctx.flags['quiet'] === true, intervalMs: interval * 1000, reconnectMs: reconnect * 1000 };
}

// ---- up / down ----

const SERVICES: readonly StackService[] = ['teacher', 'student', 'orchestrator'];
const ARG_EXAMPLE: Record<StackService, string> = { teacher: '--teacher.threads 4', student: '--student.quantizeBits 8', orchestrator: '--log.level debug' };

function splitWords(s: string): string[] {
  return s.split(/\s+/).filter((w) => w !== '');
}

function upSpec(ctx: RunContext): UpSpec {
  const f = ctx.flags;
  const stateDir = ctx.globals.state;
  const logDir = path.resolve(ctx.io.cwd, str(f, 'log-dir') ?? path.join(stateDir, 'logs'));
  const natsPort = count(f, 'nats-port', 1);
  const readyTimeout = f['ready-timeout'] as number;
  if (!(readyTimeout > 0)) throw new UsageError(`--ready-timeout: expected seconds > 0, got '${readyTimeout}'`);
  const token = ctx.globals.token ?? (ctx.io.env['SFDA_TOKEN'] || undefined);
  const commands: Partial<Record<StackService, string[]>> = {};
  const args = { teacher: [], student: [], orchestrator: [] } as Record<StackService, string[]>;
  for (const svc of SERVICES) {
    const cmd = str(f, `${svc}-command`);
    if (cmd !== undefined) {
      const words = splitWords(cmd);
      if (words.length === 0) throw new UsageError(`--${svc}-command: empty command`);
      commands[svc] = words;
    }
    const cfg = str(f, `${svc}-config`);
    if (cfg !== undefined) {
      const p = path.resolve(ctx.io.cwd, cfg);
      if (!fs.existsSync(p)) throw new UsageError(`--${svc}-config: file ${cfg} does not exist`);
      args[svc].push('--config', p);
    }
    for (const a of (f[`${svc}-arg`] as string[] | undefined) ?? []) args[svc].push(...splitWords(a));
  }
  return {
    stateDir, logDir, ...(token ? { token } : {}), ...(natsPort !== undefined ? { natsPort } : {}),
    maxRestarts: count(f, 'restarts') ?? 5, readyTimeoutMs: readyTimeout * 1000, students: count(f, 'students', 1) ?? 1, commands, args,
  };
}

const up: Command = {
  name: 'up',
  summary: 'start nats-server, the teacher, student and orchestrator services on this machine',
  synopsis: 'up [--detach] [flags]',
  details: `Starts a local stack: nats-server with JetStream (store in <state>/nats; found in
$NATS_SERVER_BIN, <repo>/.tools/ or PATH), then the teacher, student and orchestrator services
(node dist/<service>/main.js — build first with npx tsc -p tsconfig.json), each on a free gRPC
and metrics port, and writes <state>/stack.json with their addresses, which the other commands
read. Every process's stderr goes to <log-dir>/<member>.log.

--students N starts N student processes sharing the teacher (members student, student2 …;
stack.json lists them under "students"): the orchestrator runs up to N runs at once, one per
student, and QUEUES further runs until a student is free.

The stack is supervised: a process that exits unexpectedly is restarted on the same ports
(a line per restart), at most --restarts times in 10 minutes; past that the stack stops (exit 1).
In the foreground Ctrl-C stops everything (orchestrator, student, teacher, then nats-server);
with --detach it runs in the background until 'sfda down'.

The token (--token, or $SFDA_TOKEN which keeps it off the command line) is then required
from every client of every service; it is kept in stack.json (mode 0600) so that the other
commands use it, and reaches the services as SFDA_AUTH_TOKEN.

Settings for a service: --<service>-config FILE (a JSON settings file) and --<service>-arg
'--section.field value' (repeatable; split at spaces), e.g.
  --teacher-arg '--teacher.threads 4' --student-arg='--student.quantizeBits 8'
Run 'node dist/<service>/main.js --help' for each service's settings.`,
  args: [],
  flags: {
    detach: { type: 'boolean', default: false, help: 'start in the background and return once ready (output in <log-dir>/up.log)' },
    'log-dir': { type: 'string', help: 'where the processes\' logs go (default <state>/logs)' },
    'nats-port': { type: 'number', help: 'nats-server client port (default: a free port)' },
    restarts: { type: 'number', default: 5, help: 'restart budget per process within 10 minutes' },
    students: { type: 'number', default: 1, help: 'student processes, sharing the teacher: the orchestrator runs up to this many runs at once and queues the rest' },
    'ready-timeout': { type: 'number', default: 60, help: 'seconds each process may take to be ready' },
    ...Object.fromEntries(SERVICES.flatMap((svc) => [
      [`${svc}-config`, { type: 'string', help: `JSON settings file of the ${svc} service (its --config)` }],
      [`${svc}-arg`, { type: 'string', multiple: true, help: `settings for the ${svc}, e.g. '${ARG_EXAMPLE[svc]}'` }],
      [`${svc}-command`, { type: 'string', help: `command that runs the ${svc} (default: node dist/${svc === 'orchestrator' ? 'orchestrator' : `${svc}-service`}/main.js)` }],
    ])) as Record<string, FlagSpec>,
  },
  examples: [
    'sfda up',
    'sfda up --detach --token "$(openssl rand -hex 16)"',
    'sfda up --detach --state /tmp/sfda --teacher-arg "--teacher.threads 2"',
    'sfda up --students 2    # two runs at once (one teacher, two students); further runs are QUEUED',
    'sfda up --json    # the stack as one JSON line, then one JSON line per supervisor event',
  ],
  async run(ctx) {
    let spec = upSpec(ctx);
    const internal = ctx.io.env[UP_SPEC_ENV];
    if (internal) {
      spec = JSON.parse(internal) as UpSpec;
      delete process.env[UP_SPEC_ENV];
    }
    if (ctx.flags['detach'] === true) return upDetached(spec, ctx.io, ctx.globals.json);
    return upForeground(spec, ctx.io, ctx.globals.json);
  },
};

const downCmd: Command = {
  name: 'down',
  summary: 'stop the local stack of the state directory (started with sfda up --detach)',
  synopsis: 'down [flags]',
  details: `Sends SIGTERM to the stack's supervisor (from <state>/stack.json), which stops the
orchestrator, the student, the teacher and nats-server in that order; after --wait seconds
it is killed, and so are any of the stack's processes still alive. Exit 3 when there is no
stack.json in the state directory.`,
  args: [],
  flags: {
    wait: { type: 'number', default: 60, help: 'seconds to wait for a graceful stop before SIGKILL' },
  },
  examples: ['sfda down', 'sfda down --state /tmp/sfda'],
  run(ctx) {
    const t = ctx.flags['wait'];
    if (typeof t !== 'number' || !(t > 0)) throw new UsageError(`--wait: expected seconds > 0, got '${String(t)}'`);
    return down(ctx.globals.state, t * 1000, ctx.io, ctx.globals.json);
  },
};

// ---- runs ----

const start: Command = {
  name: 'start',
  summary: 'start an adaptation run from a config',
  synopsis: 'start --config FILE [--source MODEL] [--mode sync|pipelined] [--max-staleness N] [--set field=value ...] [--watch] [flags]',
  details: `Sends the config (a JSON adaptation config, e.g. configs/adapt/*.json) to the
orchestrator, which validates it (a bad field is an error naming it, exit 2), creates the run
directory and starts the run on the student and teacher. Prints the run id; --watch then
follows it like 'sfda watch' (and exits like it).

Paths (--source) are made absolute against the working directory when the file exists here:
the orchestrator reads them from its own file system.`,
  args: [],
  flags: {
    config: { type: 'string', help: 'adaptation config (JSON); required' },
    source: { type: 'string', help: 'source model (overrides the config\'s "source")' },
    mode: { type: 'string', help: 'sync: the teacher is synced every step (reproduces the single-process run); pipelined: the student runs ahead of the teacher' },
    'max-staleness': { type: 'number', help: 'pipelined: how many steps the teacher may lag the student' },
    set: { type: 'string', multiple: true, help: 'override a config field, e.g. --set iterations=20' },
    'run-id': { type: 'string', help: 'the run id (default: made by the orchestrator from the config name and time)' },
    watch: { type: 'boolean', default: false, help: 'follow the run until it ends (see sfda watch --help)' },
    ...watchFlags,
  },
  examples: [
    'sfda start --config configs/adapt/p0-stvm.json',
    'sfda start --config configs/adapt/p0-stvm.json --source runs/source-synth/model.ckpt --mode pipelined --max-staleness 2 --watch',
    'sfda start --config configs/adapt/p0-stvm.json --set iterations=2 --set seed=1 --json',
  ],
  async run(ctx) {
    const f = ctx.flags;
    const config = str(f, 'config');
    if (config === undefined) throw new UsageError('--config is required: the adaptation config file (JSON)');
    const file = path.resolve(ctx.io.cwd, config);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`--config: cannot read ${config}: ${(e as Error).message}`);
    }
    try {
      JSON.parse(text);
    } catch (e) {
      throw new UsageError(`--config: ${config} is not JSON: ${(e as Error).message}`);
    }
    const mode = str(f, 'mode');
    if (mode !== undefined && mode !== 'sync' && mode !== 'pipelined') throw new UsageError(`--mode: expected sync or pipelined, got '${mode}'`);
    const maxStaleness = count(f, 'max-staleness');
    const overrides: Record<string, string> = {};
    for (const s of (f['set'] as string[] | undefined) ?? []) {
      const i = s.indexOf('=');
      if (i <= 0) throw new UsageError(`--set: expected field=value, got '${s}'`);
      overrides[s.slice(0, i).trim()] = s.slice(i + 1);
    }
    let source = str(f, 'source');
    if (source !== undefined && fs.existsSync(path.resolve(ctx.io.cwd, source))) source = path.resolve(ctx.io.cwd, source);
    const watching = f['watch'] === true;
    const wopts = watching ? watchOptions(ctx) : undefined;
    const conn = await ctx.connect();
    const info = await conn.call('StartRun', {
      run_id: str(f, 'run-id') ?? '',
      config_json: text,
      source_model: source ?? '',
      mode: mode ?? '',
      max_staleness: maxStaleness ?? 0,
      overrides,
    });
    if (!watching) {
      out(ctx, info, `started ${runLine(info)}\n${info.run_dir ? `run dir: ${info.run_dir}\n` : ''}follow it: sfda watch ${info.run_id}\n`);
      return EXIT.OK;
    }
    if (!ctx.globals.json) ctx.io.err(`started run ${info.run_id}${info.run_dir ? ` in ${info.run_dir}` : ''}\n`);
    return watchRun(conn, info.run_id, ctx.io, wopts!);
  },
};

const watch: Command = {
  name: 'watch',
  summary: 'follow a run\'s progress until it ends',
  synopsis: 'watch RUN [flags]',
  details: `Shows the run's progress on stderr — step/iterations, loss, mean reliability, teacher
version and staleness, mIoU once evaluated, ETA, phase — as a bar redrawn in place on a
terminal, otherwise as a line every --interval seconds. When the run ends, prints its final
state on stdout (--json: the run as one JSON object).

Exit 0 when the run FINISHED, 1 when it FAILED or was STOPPED, 130 on Ctrl-C (the run goes
on: watching does not own it). If the orchestrator goes away (a restart), the watch
reconnects for up to --reconnect seconds, then exits 5.`,
  args: [RUN_ARG],
  flags: watchFlags,
  examples: ['sfda watch p0-stvm-20240501-120000', 'sfda watch r1 --quiet --json | jq .miou', 'sfda watch r1 --interval 60 2> progress.log'],
  async run(ctx) {
    const o = watchOptions(ctx);
    return watchRun(await ctx.connect(), ctx.args[0]!, ctx.io, o);
  },
};

const statusCmd: Command = {
  name: 'status',
  summary: 'one run\'s state',
  synopsis: 'status RUN [flags]',
  details: 'Phase, step, teacher version and staleness, mode, mIoU, run directory, last checkpoint, times, error.',
  args: [RUN_ARG],
  flags: {},
  examples: ['sfda status r1', 'sfda status r1 --json | jq -r .phase'],
  async run(ctx) {
    const info = await (await ctx.connect()).call('GetRun', { run_id: ctx.args[0]! });
    out(ctx, info, runDetails(info));
    return EXIT.OK;
  },
};

const list: Command = {
  name: 'list',
  summary: 'all runs the orchestrator knows',
  synopsis: 'list [flags]',
  details: 'A table of the runs (--json: an array of run objects, the same fields as sfda status --json).',
  args: [],
  flags: {},
  examples: ['sfda list', 'sfda list --json | jq -r \'.[] | select(.phase == "RUNNING") | .run_id\''],
  async run(ctx) {
    const reply = await (await ctx.connect()).call('ListRuns', {});
    out(ctx, reply.runs, runsTable(reply.runs));
    return EXIT.OK;
  },
};

const stop: Command = {
  name: 'stop',
  summary: 'stop a run after its current step, with a checkpoint',
  synopsis: 'stop RUN [flags]',
  details: 'The run goes to STOPPING, then STOPPED once the student has checkpointed; sfda resume continues it.',
  args: [RUN_ARG],
  flags: {},
  examples: ['sfda stop r1'],
  async run(ctx) {
    const info = await (await ctx.connect()).call('StopRun', { run_id: ctx.args[0]! });
    out(ctx, info, `${info.phase === 'STOPPED' ? 'stopped' : 'stopping'} ${runLine(info)}\n`);
    return EXIT.OK;
  },
};

const resume: Command = {
  name: 'resume',
  summary: 'continue a stopped or failed run from its latest checkpoint',
  synopsis: 'resume RUN [--watch] [flags]',
  args: [RUN_ARG],
  flags: { watch: { type: 'boolean', default: false, help: 'follow the run until it ends (see sfda watch --help)' }, ...watchFlags },
  examples: ['sfda resume r1', 'sfda resume r1 --watch'],
  async run(ctx) {
    const wopts = ctx.flags['watch'] === true ? watchOptions(ctx) : undefined;
    const conn = await ctx.connect();
    const info = await conn.call('ResumeRun', { run_id: ctx.args[0]! });
    if (!wopts) {
      out(ctx, info, `resumed ${runLine(info)}\n`);
      return EXIT.OK;
    }
    return watchRun(conn, info.run_id || ctx.args[0]!, ctx.io, wopts);
  },
};

const evaluate: Command = {
  name: 'evaluate',
  summary: 'mIoU of a run\'s teacher on its labelled evaluation split',
  synopsis: 'evaluate RUN [--limit N] [--out DIR] [flags]',
  details: `Asks the orchestrator to evaluate the run's current teacher (diagnostic only: never
used to pick a checkpoint). Prints mIoU, pixel accuracy and the IoU of every class. No call
deadline unless --timeout is given. --out is made absolute here; the orchestrator writes there.`,
  args: [RUN_ARG],
  flags: {
    limit: { type: 'number', help: 'evaluate the first N images only (default: all)' },
    out: { type: 'string', help: 'write label PNGs and colour overlays into this directory' },
  },
  examples: ['sfda evaluate r1', 'sfda evaluate r1 --limit 50 --out runs/r1/eval-preview', 'sfda evaluate r1 --json | jq .class_iou'],
  async run(ctx) {
    const limit = count(ctx.flags, 'limit', 1);
    const outDir = str(ctx.flags, 'out') !== undefined ? path.resolve(ctx.io.cwd, str(ctx.flags, 'out')!) : undefined;
    const reply = await (await ctx.connect(0)).call('Evaluate', { run_id: ctx.args[0]!, limit: limit ?? 0, out_dir: outDir ?? '' });
    out(ctx, reply, evaluation(reply, outDir));
    return EXIT.OK;
  },
};

const exportCmd: Command = {
  name: 'export',
  summary: 'write a run\'s teacher as a plain inference ONNX model',
  synopsis: 'export RUN --out FILE [flags]',
  details: `The orchestrator writes the teacher as an ordinary inference ONNX model (plus a JSON
sidecar) at FILE, which is made absolute here. No call deadline unless --timeout is given.`,
  args: [RUN_ARG],
  flags: { out: { type: 'string', help: 'the ONNX file to write; required' } },
  examples: ['sfda export r1 --out models/r1.onnx'],
  async run(ctx) {
    const o = str(ctx.flags, 'out');
    if (o === undefined) throw new UsageError('--out is required: the ONNX file to write');
    const file = path.resolve(ctx.io.cwd, o);
    const reply = await (await ctx.connect(0)).call('Export', { run_id: ctx.args[0]!, path: file });
    const w = reply.weights;
    out(ctx, reply, `exported run ${ctx.args[0]}${w ? ` (teacher v${w.version})` : ''} to ${reply.path || file}${reply.sha256 ? `\nsha256 ${reply.sha256}` : ''}\n`);
    return EXIT.OK;
  },
};

const logs: Command = {
  name: 'logs',
  summary: 'a run\'s log (log.jsonl in its run directory), formatted',
  synopsis: 'logs RUN [--follow] [--tail N] [--level L] [flags]',
  details: `One line per record: time, level, component, message, fields. The run directory comes
from the orchestrator and must be readable here (a local stack, or shared storage).
--follow keeps printing new records until the run ends (or Ctrl-C). --json: the records as
one JSON array (with --follow: one JSON object per line).`,
  args: [RUN_ARG],
  flags: {
    follow: { type: 'boolean', default: false, help: 'keep printing new records until the run ends' },
    tail: { type: 'number', help: 'start with the last N records only' },
    level: { type: 'string', default: 'debug', help: 'least level shown: debug, info, warn, error' },
  },
  examples: ['sfda logs r1', 'sfda logs r1 --follow --tail 20', 'sfda logs r1 --level warn --json'],
  async run(ctx) {
    const level = str(ctx.flags, 'level') ?? 'debug';
    if (!isLogLevel(level)) throw new UsageError(`--level: expected debug, info, warn or error, got '${level}'`);
    const tail = count(ctx.flags, 'tail');
    return showLogs(await ctx.connect(), ctx.args[0]!, ctx.io, { follow: ctx.flags['follow'] === true, json: ctx.globals.json, level, pollMs: 500, ...(tail !== undefined ? { tail } : {}) });
  },
};

export const COMMANDS: readonly Command[] = [up, downCmd, start, watch, statusCmd, list, stop, resume, evaluate, exportCmd, logs];

export { DEFAULT_DEADLINE_MS };
