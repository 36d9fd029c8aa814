/**
 * A local stack: nats-server (JetStream) and the teacher, student and orchestrator service
 * processes on one machine, started and supervised by the calling process — `sfda up`, the
 * demo and the tests.
 *
 *   start     nats-server on a free port (it has no port 0) with its store in <stateDir>/nats,
 *             awaited until it answers a TCP client with INFO; then teacher, student(s) and
 *             orchestrator (`node dist/<svc>/main.js --grpc.port 0 --metrics.port 0
 *             --nats.servers URL …`), each awaited until it prints its ready line
 *             {"event":"listening","grpc":…,"metrics":…,"pid":…} on stdout; the student gets
 *             the teacher's address, the orchestrator the teacher's and the student's
 *             (DEFAULT_WIRING; with `students` N > 1, members student, student2 … studentN, all
 *             sharing the teacher, and the orchestrator gets them as orchestrator.students); per-service extra settings are appended (teacherArgs, …). The
 *             token, when given, reaches every service as SFDA_AUTH_TOKEN (not on the command
 *             line, where `ps` would show it). Each process's stderr (and stdout after the ready line) goes
 *             to <logDir>/<member>.log; supervisor events to <logDir>/supervisor.log.
 *   stack.json  <stateDir>/stack.json (stack-file.ts) once everything is ready and after every
 *             restart; removed by stop().
 *   supervise a process that exits unexpectedly is restarted on the ports it had (gRPC and
 *             metrics; nats-server on its port and store), so clients reconnect to the same
 *             address; with exponential backoff and a budget (default 5 restarts per 10 minutes,
 *             like torchrun's): past it the member is given up ('gave-up' event) and stays down.
 *   stop()    SIGTERM to orchestrator, then student, then teacher (each awaited up to
 *             stopTimeoutMs, then SIGKILL to its process group), then nats-server.
 *   faults    kill(member) (SIGKILL: an unexpected exit, restarted by the supervisor) and
 *             restart(member) (graceful: SIGTERM, wait, start again on the same ports).
 *
 * Children run in their own process groups (detached), so a Ctrl-C in the terminal reaches
 * only the supervisor, which then stops them in order. If the supervising Node process exits
 * without stop(), an 'exit' hook SIGKILLs what it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { repoRoot } from '../../run/code-version.js';
import { findNatsServer, freePort, natsArgs, natsServerMissing, probeNats } from './nats.js';
import {
  pidAlive, readStack, removeStack, STACK_MEMBERS, writeStack,
  type NatsEntry, type ServiceEntry, type StackInfo, type StackMember, type StackService,
} from './stack-file.js';

/** The addresses a service's wiring arguments are made from. */
export interface WiringAddresses {
  nats: string;
  teacher?: string;
  student?: string;
  /** Every student started so far (the first is `student`). */
  students?: string[];
}

/** Extra arguments of each service made from the addresses of the members started before it. */
export type Wiring = Record<StackService, (a: WiringAddresses) => string[]>;

/**
 * The services' setting names this relies on (checked against their main.ts / settings):
 * - student: `--student.teacher HOST:PORT` (student-service/main.ts: the teacher's address
 *   when a run names none; the orchestrator also hands it over per run);
 * - orchestrator: `--orchestrator.teacher HOST:PORT` and `--orchestrator.student HOST:PORT`
 *   (one student), or `--orchestrator.students H1:P1,H2:P2,…` (several students sharing the
 *   teacher: one pair each; lib/services/orchestrator/settings.ts);
 * - every service: `--grpc.port`, `--metrics.port`, `--nats.servers` and SFDA_AUTH_TOKEN
 *   (lib/services/process/config.ts COMMON_SCHEMA).
 * An unknown setting makes a service refuse to start (exit 2, named in its log), which the
 * stack reports with the log's last lines. Everything else (the orchestrator's runsRoot, the
 * teacher's threads, …) is the caller's, through teacherArgs / studentArgs / orchestratorArgs.
 */
export const DEFAULT_WIRING: Wiring = {
  teacher: () => [],
  student: (a) => ['--student.teacher', a.teacher!],
  orchestrator: (a) => (a.students && a.students.length > 1
    ? ['--orchestrator.teacher', a.teacher!, '--orchestrator.students', a.students.join(',')]
    : ['--orchestrator.teacher', a.teacher!, '--orchestrator.student', a.student!]),
};

/** The default command of a service: this Node running dist/<folder>/main.js. */
export function defaultServiceCommand(svc: StackService, root = repoRoot()): string[] {
  const folder = svc === 'orchestrator' ? 'orchestrator' : `${svc}-service`;
  return [process.execPath, path.join(root, 'dist', folder, 'main.js')];
}

export interface RestartPolicy {
  /** Unexpected exits (and failed restarts) allowed within windowMs before giving up (default 5). */
  maxRestarts?: number;
  /** The budget's sliding window (default 600 000 ms). */
  windowMs?: number;
  /** Delay before the first restart; doubles each further one in the window (default 250 ms). */
  backoffMs?: number;
  /** Cap of the delay (default 10 000 ms). */
  maxBackoffMs?: number;
}

export interface LocalStackOptions {
  /** Holds stack.json and nats/ (the JetStream store). Created. */
  stateDir: string;
  /** Where <member>.log and supervisor.log go (default <stateDir>/logs). Created. */
  logDir?: string;
  /** Listen host of nats-server (default 127.0.0.1). The services bind their own default host. */
  host?: string;
  /** nats-server port (default: a free port). */
  natsPort?: number;
  /** nats-server binary (default: findNatsServer()). */
  natsBin?: string;
  /** Bearer token required by every service (sent to them as SFDA_AUTH_TOKEN; kept in stack.json). */
  token?: string;
  /** Student processes (default 1): members student, student2 … studentN, one pair each with the teacher. */
  students?: number;
  /** Extra settings per service, appended last (later flags win), e.g. ['--config', 'teacher.json']. */
  teacherArgs?: readonly string[];
  studentArgs?: readonly string[];
  orchestratorArgs?: readonly string[];
  /** Replaces a service's command (default: defaultServiceCommand). The settings flags follow it. */
  commands?: Partial<Record<StackService, readonly string[]>>;
  /** Overrides DEFAULT_WIRING per service. */
  wiring?: Partial<Wiring>;
  /** Environment of the children, over process.env. */
  env?: NodeJS.ProcessEnv;
  restart?: RestartPolicy;
  /** How long a process may take to be ready (default 60 000 ms). */
  readyTimeoutMs?: number;
  /** How long each process may take to exit after SIGTERM before SIGKILL (default 20 000 ms). */
  stopTimeoutMs?: number;
  /** Every supervisor event (also appended to <logDir>/supervisor.log). */
  onEvent?: (e: StackEvent) => void;
}

export type StackEvent = { t: string } & (
  | { type: 'started'; member: StackMember; pid: number; address: string }
  | { type: 'exited'; member: StackMember; pid: number; code: number | null; signal: string | null; expected: boolean }
  | { type: 'restarting'; member: StackMember; attempt: number; budget: number; delayMs: number }
  | { type: 'restarted'; member: StackMember; pid: number; oldPid: number; address: string; restarts: number; requested: boolean }
  | { type: 'restart-failed'; member: StackMember; error: string }
  | { type: 'gave-up'; member: StackMember; failures: number; windowMs: number; log: string }
  | { type: 'ready'; stack: StackInfo }
  | { type: 'stopping' }
  | { type: 'stopped' }
);

type EventBody = StackEvent extends infer E ? E extends { t: string } ? Omit<E, 't'> : never : never;

/** One human line for an event (what `sfda up` prints). */
export function describeEvent(e: StackEvent): string {
  switch (e.type) {
    case 'started': return `${e.member} started: ${e.address} (pid ${e.pid})`;
    case 'exited': return `${e.member} (pid ${e.pid}) exited ${e.expected ? '' : 'unexpectedly '}(${e.signal ? `signal ${e.signal}` : `code ${e.code}`})`;
    case 'restarting': return `${e.member}: restart ${e.attempt}/${e.budget} in ${Math.round(e.delayMs)} ms`;
    case 'restarted': return `${e.member} restarted${e.requested ? ' (requested)' : ''}: ${e.address} (pid ${e.oldPid} → ${e.pid}, restarts ${e.restarts})`;
    case 'restart-failed': return `${e.member}: restart failed: ${e.error.split('\n')[0]}`;
    case 'gave-up': return `${e.member}: giving up after ${e.failures} failures within ${Math.round(e.windowMs / 1000)} s (log: ${e.log})`;
    case 'ready': return 'stack ready';
    case 'stopping': return 'stopping the stack';
    case 'stopped': return 'stack stopped';
  }
}

export type MemberState = 'starting' | 'up' | 'restarting' | 'failed' | 'stopped';

interface Member {
  readonly name: StackMember;
  readonly log: string;
  child?: ChildProcess;
  state: MemberState;
  /** The entry of the running (or last running) process. */
  entry?: NatsEntry | ServiceEntry;
  /** gRPC (services) or client (nats) port to keep over restarts. */
  port?: number;
  metricsPort?: number;
  restarts: number;
  /** Times of unexpected exits / failed restarts (the budget's window). */
  failures: number[];
  /** Exit of the current child is expected (restart(), stop()). */
  expectExit: boolean;
  timer?: NodeJS.Timeout;
  waiters: { resolve: (e: NatsEntry | ServiceEntry) => void; reject: (err: Error) => void }[];
}

/** A started local stack (see the module comment). */
export interface LocalStack {
  readonly stateDir: string;
  readonly logDir: string;
  /** The current stack.json content. */
  info(): StackInfo;
  /** The state of a member: starting, up, restarting, failed (budget spent), stopped. */
  state(member: StackMember): MemberState;
  /** SIGKILL (or `signal`) to a member; resolves with its pid once it exited. The supervisor restarts it. */
  kill(member: StackMember, signal?: NodeJS.Signals): Promise<number>;
  /** Graceful restart on the same ports (outside the restart budget); resolves with the new entry. */
  restart(member: StackMember): Promise<NatsEntry | ServiceEntry>;
  /** Resolves once the member is up (at once when it is); rejects when it failed or the stack stopped. */
  waitReady(member: StackMember, timeoutMs?: number): Promise<NatsEntry | ServiceEntry>;
  /** Stops everything (idempotent). */
  stop(): Promise<void>;
  /** Resolves when stop() has finished. */
  readonly stopped: Promise<void>;
}

const live = new Set<{ members: Map<StackMember, Member>; stateDir: string }>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try { child.kill(signal); } catch { /* gone */ }
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const s of live) {
      for (const m of s.members.values()) if (m.child) killGroup(m.child, 'SIGKILL');
      try {
        if (readStack(s.stateDir)?.supervisor.pid === process.pid) removeStack(s.stateDir);
      } catch { /* best effort */ }
    }
  });
}

function lastLines(file: string, n = 15): string {
  try {
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
    return lines.slice(-n).join('\n');
  } catch {
    return '';
  }
}

function portOf(address: string): number {
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  if (!Number.isInteger(port) || port <= 0) throw new Error(`no port in address '${address}'`);
  return port;
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The ready line of a service process. */
interface Listening {
  grpc: string;
  metrics?: string;
  pid: number;
}

class Stack implements LocalStack {
  readonly stateDir: string;
  readonly logDir: string;
  readonly stopped: Promise<void>;
  private resolveStopped!: () => void;
  private readonly members = new Map<StackMember, Member>();
  private readonly host: string;
  private readonly natsBin: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly wiring: Wiring;
  private readonly readyTimeoutMs: number;
  private readonly stopTimeoutMs: number;
  private readonly policy: Required<RestartPolicy>;
  private readonly started = new Date().toISOString();
  private stopping: Promise<void> | undefined;
  private ready = false;
  private readonly liveEntry: { members: Map<StackMember, Member>; stateDir: string };
  private readonly supervisorLog: string;
  /** student, student2 … studentN. */
  private readonly studentNames: readonly StackMember[];

  constructor(private readonly o: LocalStackOptions, natsBin: string) {
    this.stateDir = path.resolve(o.stateDir);
    this.logDir = path.resolve(o.logDir ?? path.join(this.stateDir, 'logs'));
    this.host = o.host ?? '127.0.0.1';
    this.natsBin = natsBin;
    this.env = { ...process.env, ...o.env, ...(o.token ? { SFDA_AUTH_TOKEN: o.token } : {}) };
    this.wiring = { ...DEFAULT_WIRING, ...o.wiring };
    this.readyTimeoutMs = o.readyTimeoutMs ?? 60_000;
    this.stopTimeoutMs = o.stopTimeoutMs ?? 20_000;
    this.policy = { maxRestarts: 5, windowMs: 600_000, backoffMs: 250, maxBackoffMs: 10_000, ...o.restart };
    this.supervisorLog = path.join(this.logDir, 'supervisor.log');
    this.stopped = new Promise((r) => { this.resolveStopped = r; });
    const n = o.students ?? 1;
    if (!Number.isInteger(n) || n < 1) throw new Error(`students: expected an integer ≥ 1, got ${n}`);
    this.studentNames = ['student', ...Array.from({ length: n - 1 }, (_, i) => `student${i + 2}` as const)];
    for (const name of [...STACK_MEMBERS, ...this.studentNames.slice(1)]) {
      this.members.set(name, { name, log: path.join(this.logDir, `${name}.log`), state: 'stopped', restarts: 0, failures: [], expectExit: false, waiters: [] });
    }
    this.liveEntry = { members: this.members, stateDir: this.stateDir };
  }

  private m(name: StackMember): Member {
    const m = this.members.get(name);
    if (!m) throw new Error(`unknown stack member '${name}' (one of ${[...this.members.keys()].join(', ')})`);
    return m;
  }

  private emit(body: EventBody): void {
    const e = { t: new Date().toISOString(), ...body } as StackEvent;
    try {
      fs.appendFileSync(this.supervisorLog, `${JSON.stringify(e.type === 'ready' ? { t: e.t, type: e.type } : e)}\n`);
    } catch { /* the log is best effort */ }
    try {
      this.o.onEvent?.(e);
    } catch { /* a listener's error must not break supervision */ }
  }

  // ---- starting ----

  async start(): Promise<void> {
    fs.mkdirSync(this.stateDir, { recursive: true });
    fs.mkdirSync(this.logDir, { recursive: true });
    fs.mkdirSync(path.join(this.stateDir, 'nats'), { recursive: true });
    const prev = readStack(this.stateDir);
    if (prev && prev.supervisor.pid !== process.pid && pidAlive(prev.supervisor.pid)) {
      throw new Error(`a local stack is already running in ${this.stateDir} (supervisor pid ${prev.supervisor.pid}); stop it first (sfda down)`);
    }
    installExitHook();
    live.add(this.liveEntry);
    try {
      await this.startNats(true);
      for (const name of ['teacher', ...this.studentNames, 'orchestrator'] as StackMember[]) await this.startService(name, false);
    } catch (e) {
      await this.stop();
      throw e;
    }
    this.ready = true;
    this.writeStackFile();
    this.emit({ type: 'ready', stack: this.info() });
  }

  private natsUrl(): string {
    return `nats://${this.host}:${this.m('nats').port}`;
  }

  private async startNats(initial: boolean): Promise<void> {
    const m = this.m('nats');
    const fixed = this.o.natsPort !== undefined || !initial;
    for (let attempt = 0; ; attempt++) {
      m.port ??= this.o.natsPort ?? await freePort(this.host);
      try {
        await this.launchNats(m);
        return;
      } catch (e) {
        // A free port can be taken between the probe and nats-server's bind: try another one.
        if (fixed || attempt >= 2 || !/exited/.test((e as Error).message)) throw e;
        m.port = undefined;
      }
    }
  }

  private openLog(m: Member, argv: readonly string[]): number {
    const fd = fs.openSync(m.log, 'a');
    fs.writeSync(fd, `${JSON.stringify({ t: new Date().toISOString(), level: 'info', msg: 'supervisor: starting', component: 'supervisor', member: m.name, argv })}\n`);
    return fd;
  }

  private async launchNats(m: Member): Promise<void> {
    const storeDir = path.join(this.stateDir, 'nats');
    const args = natsArgs(this.host, m.port!, storeDir);
    const fd = this.openLog(m, [this.natsBin, ...args]);
    let child: ChildProcess;
    try {
      child = spawn(this.natsBin, args, { stdio: ['ignore', fd, fd], detached: true, env: this.env });
    } finally {
      fs.closeSync(fd);
    }
    m.child = child;
    m.state = 'starting';
    let exited: string | undefined;
    let ready = false;
    child.on('error', (e) => { exited ??= `failed to start: ${e.message}`; });
    child.on('exit', (code, signal) => {
      exited ??= `exited (code ${code}, signal ${signal})`;
      if (ready) this.onExit(m, child, code, signal);
    });
    const t0 = Date.now();
    for (;;) {
      if (exited) throw new Error(`nats-server ${exited} before it was ready: ${this.natsBin} ${args.join(' ')}\n${lastLines(m.log)}`);
      if (await probeNats(this.host, m.port!)) break;
      if (Date.now() - t0 > this.readyTimeoutMs) {
        killGroup(child, 'SIGKILL');
        throw new Error(`nats-server did not accept connections on ${this.host}:${m.port} within ${this.readyTimeoutMs} ms (log: ${m.log})\n${lastLines(m.log)}`);
      }
      await delay(50);
    }
    if (exited) throw new Error(`nats-server ${exited} (log: ${m.log})\n${lastLines(m.log)}`);
    ready = true;
    m.entry = { url: this.natsUrl(), storeDir, pid: child.pid!, restarts: m.restarts, log: m.log, cmd: [this.natsBin] };
    this.markUp(m);
  }

  private serviceArgs(svc: StackService, m: Member): string[] {
    const addr = (s: StackMember) => (this.m(s).entry as ServiceEntry | undefined)?.grpc;
    const students = this.studentNames.map(addr).filter((x): x is string => x !== undefined);
    const a: WiringAddresses = {
      nats: this.natsUrl(), ...(addr('teacher') ? { teacher: addr('teacher')! } : {}), ...(addr('student') ? { student: addr('student')! } : {}),
      ...(students.length > 0 ? { students } : {}),
    };
    const extra = svc === 'teacher' ? this.o.teacherArgs : svc === 'student' ? this.o.studentArgs : this.o.orchestratorArgs;
    return [
      '--grpc.port', String(m.port ?? 0),
      '--metrics.port', String(m.metricsPort ?? 0),
      '--nats.servers', a.nats,
      ...this.wiring[svc](a),
      ...(extra ?? []),
    ];
  }

  private async startService(name: StackMember, isRestart: boolean): Promise<void> {
    const m = this.m(name);
    const svc: StackService = name.startsWith('student') ? 'student' : name as StackService;
    const cmd = [...(this.o.commands?.[svc] ?? defaultServiceCommand(svc))];
    if (cmd.length === 0) throw new Error(`${svc}: empty command`);
    if (!isRestart && cmd[1] && cmd[0] === process.execPath && cmd[1].endsWith('.js') && !fs.existsSync(cmd[1])) {
      throw new Error(`${svc}: ${cmd[1]} does not exist (build first: npx tsc -p tsconfig.json)`);
    }
    const args = [...cmd.slice(1), ...this.serviceArgs(svc, m)];
    const fd = this.openLog(m, [cmd[0]!, ...args]);
    let child: ChildProcess;
    try {
      child = spawn(cmd[0]!, args, { stdio: ['ignore', 'pipe', fd], detached: true, env: this.env });
    } finally {
      fs.closeSync(fd);
    }
    m.child = child;
    m.state = 'starting';
    const out = fs.createWriteStream(m.log, { flags: 'a' });
    const listening = await new Promise<Listening>((resolve, reject) => {
      let ready = false;
      const fail = (why: string) => {
        if (ready) return;
        ready = true; // settle once
        clearTimeout(timer);
        reject(new Error(`${name} ${why} (log: ${m.log})\n${lastLines(m.log)}`));
      };
      const timer = setTimeout(() => {
        fail(`printed no ready line within ${this.readyTimeoutMs} ms`);
        killGroup(child, 'SIGKILL');
      }, this.readyTimeoutMs);
      child.on('error', (e) => fail(`failed to start: ${e.message}`));
      child.on('exit', (code, signal) => {
        if (!ready) fail(`exited (${signal ? `signal ${signal}` : `code ${code}`}) before it was ready`);
        else this.onExit(m, child, code, signal);
      });
      const rl = readline.createInterface({ input: child.stdout! });
      rl.on('line', (line) => {
        if (!ready) {
          let o: Partial<Listening> & { event?: string } | undefined;
          try {
            o = JSON.parse(line) as typeof o;
          } catch { /* not the ready line */ }
          if (o?.event === 'listening' && typeof o.grpc === 'string') {
            ready = true;
            clearTimeout(timer);
            resolve({ grpc: o.grpc, ...(typeof o.metrics === 'string' ? { metrics: o.metrics } : {}), pid: typeof o.pid === 'number' ? o.pid : child.pid! });
            return;
          }
        }
        out.write(`${line}\n`);
      });
      rl.on('close', () => out.end());
    });
    m.port = portOf(listening.grpc);
    if (listening.metrics) m.metricsPort = portOf(listening.metrics);
    m.entry = { grpc: listening.grpc, ...(listening.metrics ? { metrics: listening.metrics } : {}), pid: child.pid!, restarts: m.restarts, log: m.log, cmd: cmd.slice(0, 2) };
    this.markUp(m);
    if (!isRestart) this.emit({ type: 'started', member: name, pid: child.pid!, address: listening.grpc });
  }

  private markUp(m: Member): void {
    m.state = 'up';
    if (m.name === 'nats' && !this.ready) this.emit({ type: 'started', member: 'nats', pid: m.entry!.pid, address: (m.entry as NatsEntry).url });
  }

  /** Hands the entry to waitReady() callers (after stack.json and the event, so they see both). */
  private resolveWaiters(m: Member): void {
    for (const w of m.waiters.splice(0)) w.resolve(m.entry!);
  }

  // ---- supervision ----

  private onExit(m: Member, child: ChildProcess, code: number | null, signal: string | null): void {
    if (m.child !== child) return;
    m.child = undefined;
    const expected = m.expectExit || this.stopping !== undefined;
    this.emit({ type: 'exited', member: m.name, pid: child.pid!, code, signal, expected });
    if (expected) return;
    this.scheduleRestart(m, child.pid!);
  }

  private scheduleRestart(m: Member, oldPid: number): void {
    if (this.stopping) return;
    const now = Date.now();
    m.failures = m.failures.filter((t) => now - t < this.policy.windowMs);
    if (m.failures.length >= this.policy.maxRestarts) {
      m.state = 'failed';
      this.emit({ type: 'gave-up', member: m.name, failures: m.failures.length + 1, windowMs: this.policy.windowMs, log: m.log });
      for (const w of m.waiters.splice(0)) w.reject(new Error(`${m.name} failed: restart budget spent (log: ${m.log})`));
      return;
    }
    m.failures.push(now);
    const attempt = m.failures.length;
    const delayMs = Math.min(this.policy.maxBackoffMs, this.policy.backoffMs * 2 ** (attempt - 1));
    m.state = 'restarting';
    this.emit({ type: 'restarting', member: m.name, attempt, budget: this.policy.maxRestarts, delayMs });
    m.timer = setTimeout(() => {
      m.timer = undefined;
      void this.relaunch(m, oldPid, false).catch((e: Error) => {
        if (this.stopping) return;
        this.emit({ type: 'restart-failed', member: m.name, error: e.message });
        this.scheduleRestart(m, oldPid);
      });
    }, delayMs);
  }

  /** Starts a member again on its ports; updates stack.json. */
  private async relaunch(m: Member, oldPid: number, requested: boolean): Promise<NatsEntry | ServiceEntry> {
    if (this.stopping) throw new Error('the stack is stopping');
    m.restarts++;
    // The child is spawned synchronously from here: a stop() that begins while it starts
    // terminates it in its turn (stop() goes through m.child).
    if (m.name === 'nats') await this.startNats(false);
    else await this.startService(m.name, true);
    const entry = m.entry!;
    this.writeStackFile();
    this.emit({ type: 'restarted', member: m.name, pid: entry.pid, oldPid, address: 'url' in entry ? entry.url : entry.grpc, restarts: m.restarts, requested });
    this.resolveWaiters(m);
    return entry;
  }

  private writeStackFile(): void {
    if (!this.ready || this.stopping) return;
    writeStack(this.stateDir, this.info());
  }

  info(): StackInfo {
    const e = <T>(name: StackMember) => {
      const m = this.m(name);
      if (!m.entry) throw new Error(`${name} has not started`);
      return { ...m.entry, restarts: m.restarts } as T;
    };
    return {
      version: 1,
      supervisor: { pid: process.pid },
      started: this.started,
      updated: new Date().toISOString(),
      stateDir: this.stateDir,
      logDir: this.logDir,
      nats: e<NatsEntry>('nats'),
      teacher: e<ServiceEntry>('teacher'),
      student: e<ServiceEntry>('student'),
      ...(this.studentNames.length > 1 ? { students: this.studentNames.map((n) => e<ServiceEntry>(n)) } : {}),
      orchestrator: e<ServiceEntry>('orchestrator'),
      ...(this.o.token ? { token: this.o.token } : {}),
    };
  }

  state(member: StackMember): MemberState {
    return this.m(member).state;
  }

  // ---- fault injection ----

  async kill(member: StackMember, signal: NodeJS.Signals = 'SIGKILL'): Promise<number> {
    const m = this.m(member);
    const child = m.child;
    if (!child || child.pid === undefined || m.state !== 'up') throw new Error(`${member} is not running (${m.state})`);
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    await gone;
    return child.pid;
  }

  async restart(member: StackMember): Promise<NatsEntry | ServiceEntry> {
    const m = this.m(member);
    if (this.stopping) throw new Error('the stack is stopping');
    if (m.state !== 'up' || !m.child) throw new Error(`${member} is not running (${m.state})`);
    const oldPid = m.child.pid!;
    m.expectExit = true;
    try {
      await this.terminate(m);
    } finally {
      m.expectExit = false;
    }
    return this.relaunch(m, oldPid, true);
  }

  waitReady(member: StackMember, timeoutMs = 60_000): Promise<NatsEntry | ServiceEntry> {
    const m = this.m(member);
    if (m.state === 'up' && m.entry) return Promise.resolve(m.entry);
    if (m.state === 'failed') return Promise.reject(new Error(`${member} failed: restart budget spent (log: ${m.log})`));
    if (this.stopping) return Promise.reject(new Error('the stack is stopping'));
    return new Promise((resolve, reject) => {
      const w = {
        resolve: (e: NatsEntry | ServiceEntry) => { clearTimeout(t); resolve(e); },
        reject: (err: Error) => { clearTimeout(t); reject(err); },
      };
      const t = setTimeout(() => {
        m.waiters.splice(m.waiters.indexOf(w), 1);
        reject(new Error(`${member} not ready within ${timeoutMs} ms (${m.state})`));
      }, timeoutMs);
      m.waiters.push(w);
    });
  }

  // ---- stopping ----

  /** SIGTERM, wait up to stopTimeoutMs, then SIGKILL to the process group; resolves when it exited. */
  private async terminate(m: Member): Promise<void> {
    const child = m.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const t = setTimeout(() => killGroup(child, 'SIGKILL'), this.stopTimeoutMs);
    await gone;
    clearTimeout(t);
    // Anything the process left in its group goes with it (ESRCH when nothing is left).
    try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* the group is empty */ }
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.emit({ type: 'stopping' });
      for (const m of this.members.values()) {
        if (m.timer) clearTimeout(m.timer);
        m.timer = undefined;
        for (const w of m.waiters.splice(0)) w.reject(new Error('the stack stopped'));
      }
      for (const name of ['orchestrator', ...[...this.studentNames].reverse(), 'teacher', 'nats'] as StackMember[]) {
        const m = this.m(name);
        try {
          await this.terminate(m);
        } catch { /* keep stopping the others */ }
        m.state = 'stopped';
      }
      try {
        if (readStack(this.stateDir)?.supervisor.pid === process.pid) removeStack(this.stateDir);
      } catch { /* a malformed file is not ours to judge */ }
      live.delete(this.liveEntry);
      this.emit({ type: 'stopped' });
      this.resolveStopped();
    })();
    return this.stopping;
  }
}

/** Starts nats-server and the three services; see the module comment. Rejects (with everything stopped) when one fails to start. */
export async function startLocalStack(o: LocalStackOptions): Promise<LocalStack> {
  const natsBin = o.natsBin ?? findNatsServer(o.env ? { ...process.env, ...o.env } : process.env);
  if (!natsBin) throw natsServerMissing();
  const stack = new Stack(o, natsBin);
  await stack.start();
  return stack;
}
