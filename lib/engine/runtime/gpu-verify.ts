/**
 * `gpu-setup --verify`: does the CUDA execution provider really start? Runs gpu-verify-probe.js
 * in a child process (a one-op session with executionProviders ['cuda'], no fallback) and
 * reports success or onnxruntime's exact error, cleaned of colour codes, with the library it
 * could not load named when the error says so.
 */
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface VerifyResult {
  readonly ok: boolean;
  /** where it failed: creating the session, running it, or the probe process itself */
  readonly stage?: 'session' | 'run' | 'process';
  /** onnxruntime's message (one line per line of it, colour codes removed) */
  readonly error?: string;
  /** the library that could not be loaded, and why, when the error names one */
  readonly missing?: { readonly library: string; readonly reason: string };
  /** onnxruntime's own log lines on stderr (errors and warnings) */
  readonly log?: string;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

export function cleanOrtMessage(s: string): string {
  return s.replace(ANSI, '').split('\n').map((l) => l.trimEnd()).filter((l) => l.length > 0).join('\n');
}

/** Finds "Failed to load library X with error: Y" (or a dlopen "X: cannot open shared object file"). */
export function missingLibrary(msg: string): { library: string; reason: string } | undefined {
  const m = /Failed to load library (\S+) with error: (.+)/.exec(msg);
  if (m !== null) {
    const dep = /(lib[\w.+-]+\.so[\w.]*): cannot open shared object file/.exec(m[2]!);
    return { library: dep?.[1] ?? path.basename(m[1]!), reason: m[2]!.trim() };
  }
  const d = /(lib[\w.+-]+\.so[\w.]*): cannot open shared object file[^\n]*/.exec(msg);
  return d === null ? undefined : { library: d[1]!, reason: d[0] };
}

export function verifyCuda(deviceId = 0, timeoutMs = 120000): VerifyResult {
  const probe = path.join(path.dirname(fileURLToPath(import.meta.url)), 'gpu-verify-probe.js');
  const r = spawnSync(process.execPath, [probe, String(deviceId)], { encoding: 'utf8', timeout: timeoutMs });
  const log = cleanOrtMessage(r.stderr ?? '');
  const last = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  let parsed: { ok?: boolean; stage?: 'session' | 'run'; error?: string } | undefined;
  try {
    parsed = JSON.parse(last) as typeof parsed;
  } catch { /* no result line */ }
  if (parsed === undefined || typeof parsed.ok !== 'boolean') {
    const how = r.error !== undefined ? r.error.message : r.signal !== null ? `was killed by ${r.signal}` : `exited with status ${r.status} without a result`;
    const error = `the probe process ${how}${log ? `\n${log}` : ''}`;
    const missing = missingLibrary(error);
    return { ok: false, stage: 'process', error, ...(missing ? { missing } : {}) };
  }
  if (parsed.ok) return { ok: true, ...(log ? { log } : {}) };
  const error = cleanOrtMessage(parsed.error ?? 'unknown error');
  const missing = missingLibrary(`${error}\n${log}`);
  return { ok: false, stage: parsed.stage ?? 'session', error, ...(missing ? { missing } : {}), ...(log ? { log } : {}) };
}
