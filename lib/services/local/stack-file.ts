/**
 * `<stateDir>/stack.json`: where a running local stack is — written atomically (temporary file
 * + rename, mode 0600 since it may hold the token) by the supervisor when the stack is ready and
 * after every restart, removed when the stack stops. The control CLI reads it to find the
 * orchestrator (`sfda status …` without --orchestrator) and to stop a detached stack (`sfda down`).
 */
import fs from 'node:fs';
import path from 'node:path';

export const STACK_FILE = 'stack.json';

/** The three service processes of a stack, in start order (stop order is the reverse). */
export const STACK_SERVICES = ['teacher', 'student', 'orchestrator'] as const;
export type StackService = (typeof STACK_SERVICES)[number];
/** Every supervised process of a stack. */
/** Students beyond the first (`sfda up --students N`): student2 … studentN. */
export type ExtraStudent = `student${number}`;
/** The members every stack has (a key each in stack.json). */
export type BaseStackMember = 'nats' | StackService;
export type StackMember = BaseStackMember | ExtraStudent;
export const STACK_MEMBERS: readonly BaseStackMember[] = ['nats', ...STACK_SERVICES];

export interface ProcessEntry {
  pid: number;
  /** Times the supervisor restarted it. */
  restarts: number;
  /** Its stderr (and stdout after the ready line). */
  log: string;
  /** argv[0..1] it was started with (to recognise the process by /proc/<pid>/cmdline). */
  cmd: string[];
}
export interface NatsEntry extends ProcessEntry {
  /** nats://host:port */
  url: string;
  /** The JetStream store directory (-sd). */
  storeDir: string;
}
export interface ServiceEntry extends ProcessEntry {
  /** host:port of its gRPC server. */
  grpc: string;
  /** host:port of its /metrics, when it serves one. */
  metrics?: string;
}

export interface StackInfo {
  version: 1;
  /** The process that started and supervises the stack (`sfda up`, a test, the demo). */
  supervisor: { pid: number };
  started: string;
  updated: string;
  stateDir: string;
  logDir: string;
  nats: NatsEntry;
  teacher: ServiceEntry;
  /** The first student (the only one unless --students N). */
  student: ServiceEntry;
  /** Every student, the first one first (`student` is students[0]); the orchestrator has them all as pairs with the teacher. */
  students?: ServiceEntry[];
  orchestrator: ServiceEntry;
  /** The bearer token every service requires (absent: none). */
  token?: string;
}

export function stackFile(stateDir: string): string {
  return path.join(stateDir, STACK_FILE);
}

/** Writes `file` atomically: a temporary file beside it, then rename. */
export function writeFileAtomic(file: string, text: string, mode = 0o600): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    fs.writeFileSync(tmp, text, { mode });
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

export function writeStack(stateDir: string, info: StackInfo): void {
  writeFileAtomic(stackFile(stateDir), `${JSON.stringify(info, null, 2)}\n`);
}

/** Thrown when stack.json exists but cannot be used. */
export class StackFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StackFileError';
  }
}

/** The stack.json of stateDir, or undefined when there is none. A malformed file throws StackFileError. */
export function readStack(stateDir: string): StackInfo | undefined {
  const file = stackFile(stateDir);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StackFileError(`cannot read ${file}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new StackFileError(`${file} is not JSON: ${(e as Error).message}`);
  }
  const o = raw as Partial<StackInfo> | null;
  if (o === null || typeof o !== 'object' || typeof o.supervisor?.pid !== 'number' || typeof o.nats?.url !== 'string'
    || STACK_SERVICES.some((s) => typeof o[s]?.grpc !== 'string' || typeof o[s]?.pid !== 'number')) {
    throw new StackFileError(`${file} is not a stack file (expected supervisor, nats, teacher, student and orchestrator entries)`);
  }
  return o as StackInfo;
}

export function removeStack(stateDir: string): void {
  fs.rmSync(stackFile(stateDir), { force: true });
}

/**
 * True while a process with this pid exists (signal 0; EPERM counts as alive). A zombie (exited,
 * not yet reaped — e.g. reparented to a PID 1 that does not reap) counts as gone where /proc tells.
 */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) STATE ...: comm may hold spaces and parentheses, the state follows the last ')'.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    // No /proc (not Linux): signal 0 said alive. With /proc: the process just went away.
    return !fs.existsSync('/proc/self/stat');
  }
}

/**
 * True when pid is alive and, where /proc can tell (Linux), its command line still contains
 * `cmd` (so a recycled pid is not taken for a stack process).
 */
export function pidMatches(pid: number, cmd: readonly string[]): boolean {
  if (!pidAlive(pid)) return false;
  let line: string;
  try {
    line = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return true;
  }
  const argv = line.split('\0');
  return cmd.every((c) => argv.some((a) => a === c || path.basename(a) === path.basename(c)));
}

/** Resolves true once pid is gone, false after timeoutMs. */
export async function waitPidGone(pid: number, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (pidAlive(pid)) {
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
