/**
 * `sfda up` and `sfda down`: the local stack (lib/services/local) from the command line.
 *
 * up (foreground) starts nats-server, teacher, student and orchestrator, prints their
 * addresses, then a line per supervisor event (unexpected exit, restart, restart failure,
 * giving up) until Ctrl-C or SIGTERM, which stop everything in order (exit 0); a member that
 * spends its restart budget stops the stack (exit 1).
 * up --detach runs the same foreground `up` as a background process (its own session; output
 * in <logDir>/up.log) and returns once stack.json shows it ready.
 * down sends SIGTERM to the stack's supervisor (stack.json), waits, then SIGKILL; processes
 * of the stack still alive after that (a supervisor killed hard) are ended too.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  describeEvent, pidAlive, pidMatches, readStack, removeStack, STACK_MEMBERS, startLocalStack, waitPidGone,
  type StackEvent, type StackInfo, type StackService,
} from '../../lib/services/local/index.js';
import type { Io } from './context.js';
import { CliError, EXIT } from './errors.js';
import { table } from './render.js';

/** Everything `up` needs, as JSON-able data (the detached child gets it through the environment). */
export interface UpSpec {
  stateDir: string;
  logDir: string;
  token?: string;
  natsPort?: number;
  maxRestarts: number;
  readyTimeoutMs: number;
  /** Student processes (--students; default 1). */
  students?: number;
  commands: Partial<Record<StackService, string[]>>;
  args: Record<StackService, string[]>;
}

/** Internal: how `up --detach` hands its spec to the background `up` (keeps the token off argv). */
export const UP_SPEC_ENV = 'SFDA_INTERNAL_UP_SPEC';

function stamp(): string {
  return new Date().toTimeString().slice(0, 8);
}

export function stackSummary(s: StackInfo): string {
  const rows = [
    ['nats', s.nats.url, '', String(s.nats.pid)],
    ['teacher', s.teacher.grpc, s.teacher.metrics ?? '-', String(s.teacher.pid)],
    ...(s.students ?? [s.student]).map((e, i) => [i === 0 ? 'student' : `student${i + 1}`, e.grpc, e.metrics ?? '-', String(e.pid)]),
    ['orchestrator', s.orchestrator.grpc, s.orchestrator.metrics ?? '-', String(s.orchestrator.pid)],
  ];
  return `local stack in ${s.stateDir} (logs: ${s.logDir}${s.token ? '; token required' : ''})\n${table(['MEMBER', 'ADDRESS', 'METRICS', 'PID'], rows)}`;
}

function checkNotRunning(stateDir: string, io: Io): void {
  let prev: StackInfo | undefined;
  try {
    prev = readStack(stateDir);
  } catch {
    removeStack(stateDir);
    return;
  }
  if (!prev) return;
  if (pidAlive(prev.supervisor.pid)) {
    throw new CliError(EXIT.FAILURE, `a local stack is already running in ${stateDir} (supervisor pid ${prev.supervisor.pid}, orchestrator ${prev.orchestrator.grpc}); 'sfda down' stops it`);
  }
  io.err(`note: removing the stale stack.json of a stack that is gone (supervisor pid ${prev.supervisor.pid})\n`);
  removeStack(stateDir);
}

/** Foreground `up`: runs until Ctrl-C / SIGTERM (0) or a member gives up (1). */
export async function upForeground(spec: UpSpec, io: Io, json: boolean): Promise<number> {
  checkNotRunning(spec.stateDir, io);
  let gaveUp: string | undefined;
  let wake: () => void = () => {};
  const onEvent = (e: StackEvent) => {
    const show = (e.type === 'exited' && !e.expected) || e.type === 'restarting' || e.type === 'restarted' || e.type === 'restart-failed' || e.type === 'gave-up';
    if (show) io.out(json ? `${JSON.stringify(e)}\n` : `${stamp()} ${describeEvent(e)}\n`);
    if (e.type === 'gave-up') {
      gaveUp = `${e.member} gave up after ${e.failures} failures (log: ${e.log})`;
      wake();
    }
  };
  if (!json) io.out(`starting the local stack in ${spec.stateDir}…\n`);
  const stack = await startLocalStack({
    stateDir: spec.stateDir,
    logDir: spec.logDir,
    ...(spec.token ? { token: spec.token } : {}),
    ...(spec.natsPort !== undefined ? { natsPort: spec.natsPort } : {}),
    ...(spec.students !== undefined ? { students: spec.students } : {}),
    teacherArgs: spec.args.teacher,
    studentArgs: spec.args.student,
    orchestratorArgs: spec.args.orchestrator,
    commands: spec.commands,
    restart: { maxRestarts: spec.maxRestarts },
    readyTimeoutMs: spec.readyTimeoutMs,
    onEvent,
  });
  const info = stack.info();
  if (json) io.out(`${JSON.stringify(info)}\n`);
  else {
    io.out(stackSummary(info));
    io.out(`ready — Ctrl-C stops everything. Elsewhere: sfda list, sfda start --config FILE --watch${spec.stateDir !== path.resolve(io.cwd, '.sfda') ? ` --state ${spec.stateDir}` : ''}\n`);
  }
  if (!io.signal.aborted && gaveUp === undefined) {
    await new Promise<void>((resolve) => {
      wake = resolve;
      io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }
  if (!json) io.out(`${stamp()} ${gaveUp ? `${gaveUp}; ` : ''}stopping: orchestrator, student, teacher, nats-server…\n`);
  await stack.stop();
  if (!json) io.out(`${stamp()} stopped\n`);
  if (gaveUp) {
    io.err(`error: ${gaveUp}\n`);
    return EXIT.FAILURE;
  }
  return EXIT.OK;
}

function tail(file: string, n = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').slice(-n).join('\n');
  } catch {
    return '';
  }
}

/** `up --detach`: starts the foreground `up` in the background; returns once it is ready. */
export async function upDetached(spec: UpSpec, io: Io, json: boolean): Promise<number> {
  checkNotRunning(spec.stateDir, io);
  fs.mkdirSync(spec.logDir, { recursive: true });
  const logFile = path.join(spec.logDir, 'up.log');
  const fd = fs.openSync(logFile, 'a');
  const script = fileURLToPath(new URL('./sfda.js', import.meta.url));
  let child;
  try {
    child = spawn(process.execPath, [script, 'up', '--state', spec.stateDir], {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...io.env, [UP_SPEC_ENV]: JSON.stringify(spec) },
      cwd: io.cwd,
    });
  } finally {
    fs.closeSync(fd);
  }
  let exited: string | undefined;
  child.on('exit', (code, signal) => { exited = signal ? `signal ${signal}` : `exit code ${code}`; });
  child.on('error', (e) => { exited = e.message; });
  const deadline = Date.now() + spec.readyTimeoutMs * 4 + 30_000;
  try {
    for (;;) {
      let s: StackInfo | undefined;
      try {
        s = readStack(spec.stateDir);
      } catch { /* being written */ }
      if (s && s.supervisor.pid === child.pid) {
        if (json) io.out(`${JSON.stringify(s, null, 2)}\n`);
        else io.out(`${stackSummary(s)}running in the background (pid ${child.pid}; output in ${logFile}); 'sfda down${spec.stateDir !== path.resolve(io.cwd, '.sfda') ? ` --state ${spec.stateDir}` : ''}' stops it\n`);
        return EXIT.OK;
      }
      if (exited) throw new CliError(EXIT.FAILURE, `the local stack did not start (${exited}); ${logFile}:\n${tail(logFile)}`);
      if (io.signal.aborted) {
        try { process.kill(child.pid!, 'SIGTERM'); } catch { /* gone */ }
        throw new CliError(EXIT.INTERRUPTED, 'interrupted; the background stack is being stopped');
      }
      if (Date.now() > deadline) {
        try { process.kill(child.pid!, 'SIGTERM'); } catch { /* gone */ }
        throw new CliError(EXIT.FAILURE, `the local stack was not ready in time; ${logFile}:\n${tail(logFile)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    child.unref();
  }
}

/** `down`: stops the stack of stateDir. */
export async function down(stateDir: string, timeoutMs: number, io: Io, json: boolean): Promise<number> {
  const s = readStack(stateDir);
  if (!s) throw new CliError(EXIT.NOT_FOUND, `no local stack in ${stateDir} (no stack.json)`);
  const pid = s.supervisor.pid;
  let forced = false;
  const wasRunning = pidAlive(pid);
  if (wasRunning) {
    if (!json) io.err(`stopping the local stack in ${stateDir} (supervisor pid ${pid})…\n`);
    try { process.kill(pid, 'SIGTERM'); } catch { /* gone meanwhile */ }
    if (!(await waitPidGone(pid, timeoutMs))) {
      forced = true;
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      await waitPidGone(pid, 5000);
    }
  }
  // What is left of a supervisor that died hard (or was killed just now).
  const leftovers: number[] = [];
  const entries = [...STACK_MEMBERS].reverse().flatMap((m) => (m === 'student' ? [...(s.students ?? [s.student])].reverse() : [s[m]]));
  for (const e of entries) {
    if (!pidMatches(e.pid, e.cmd)) continue;
    leftovers.push(e.pid);
    try { process.kill(-e.pid, 'SIGTERM'); } catch { try { process.kill(e.pid, 'SIGTERM'); } catch { /* gone */ } }
    if (!(await waitPidGone(e.pid, 10_000))) {
      try { process.kill(-e.pid, 'SIGKILL'); } catch { try { process.kill(e.pid, 'SIGKILL'); } catch { /* gone */ } }
      await waitPidGone(e.pid, 5000);
    }
  }
  removeStack(stateDir);
  if (json) io.out(`${JSON.stringify({ stopped: true, stateDir, supervisor: pid, wasRunning, forced, leftovers }, null, 2)}\n`);
  else {
    const how = !wasRunning ? ' (its supervisor was already gone; stale stack.json removed)' : forced ? ` (forced with SIGKILL after ${Math.round(timeoutMs / 1000)} s)` : '';
    io.out(`stopped the local stack in ${stateDir}${how}${leftovers.length ? `; ended leftover processes ${leftovers.join(', ')}` : ''}\n`);
  }
  return EXIT.OK;
}
