/**
 * The environment part of bench/device-check.ts: what the machine is (nvidia-smi, driver, CUDA
 * libraries through lib/engine/runtime/gpu-check.ts, Node, onnxruntime-node and its backends,
 * python3's torch) and a GPU memory sampler (nvidia-smi polled while one benchmark side runs).
 * Every external command is time-boxed; a failing one is recorded, never fatal.
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import { findBinding } from '../lib/engine/runtime/gpu-binding.js';
import { checkGpu, formatCheck, hostDriver } from '../lib/engine/runtime/gpu-check.js';
import { hostSearchPath } from '../lib/engine/runtime/gpu-libs.js';

export interface CmdResult { ok: boolean; out: string; error?: string }

/** Runs a command with a time limit; never throws. */
export function cmd(file: string, args: string[], timeoutMs = 20000): CmdResult {
  try {
    return { ok: true, out: execFileSync(file, args, { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 << 20 }) };
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    return { ok: false, out: err.stdout ?? '', error: (err.code === 'ENOENT' ? `${file}: not found` : (err.stderr || err.message)).toString().trim().slice(0, 2000) };
  }
}

export interface GpuInfo { name: string; driver: string; memoryMb: number; computeCap?: string }

/** nvidia-smi's first GPU, or undefined. */
export function gpuInfo(): GpuInfo | undefined {
  const r = cmd('nvidia-smi', ['--query-gpu=name,driver_version,memory.total,compute_cap', '--format=csv,noheader,nounits']);
  if (!r.ok) return undefined;
  const line = r.out.split('\n').find((l) => l.trim().length > 0);
  if (line === undefined) return undefined;
  const [name, driver, mem, cap] = line.split(',').map((s) => s.trim());
  return { name: name ?? '?', driver: driver ?? '?', memoryMb: Number(mem), ...(cap ? { computeCap: cap } : {}) };
}

const TORCH_PY = [
  'import json, sys',
  'try:',
  '    import torch',
  "    d = {'torch': torch.__version__, 'cuda': torch.version.cuda, 'cuda_available': torch.cuda.is_available()}",
  '    if torch.cuda.is_available():',
  "        d.update({'gpu': torch.cuda.get_device_name(0), 'cudnn': torch.backends.cudnn.version(), 'capability': list(torch.cuda.get_device_capability(0))})",
  'except Exception as e:',
  "    d = {'error': repr(e)}",
  "d['python'] = sys.version.split()[0]",
  "d['executable'] = sys.executable",
  'print(json.dumps(d))',
].join('\n');

/** Everything the environment stage records (JSON-able). */
export function environment(provider: string): Record<string, unknown> {
  const req = createRequire(import.meta.url);
  const out: Record<string, unknown> = {
    provider, node: process.version, arch: process.arch, platform: process.platform, kernel: os.release(),
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}`, memory_gb: +(os.totalmem() / 2 ** 30).toFixed(1), load: os.loadavg(),
    env: Object.fromEntries(['LD_LIBRARY_PATH', 'GPU_RT', 'GPU_ENV_MISSING', 'NVIDIA_TF32_OVERRIDE', 'CUDA_VISIBLE_DEVICES', 'VK_DRIVER_FILES'].map((k) => [k, process.env[k] ?? null])),
  };
  try {
    const ort = req('onnxruntime-node') as { listSupportedBackends?: () => unknown };
    out['onnxruntime_node_backends'] = ort.listSupportedBackends?.() ?? null;
  } catch (e) {
    out['onnxruntime_node_backends'] = `error: ${(e as Error).message}`;
  }
  try {
    const b = findBinding();
    out['onnxruntime_node'] = { version: b.version, dir: b.dir, files: fs.readdirSync(b.dir).map((f) => `${f} ${fs.statSync(`${b.dir}/${f}`).size}`) };
    const check = checkGpu(b, hostSearchPath(), hostDriver());
    out['gpu_check'] = { ok: check.ok, problems: check.problems, text: formatCheck(check) };
  } catch (e) {
    out['gpu_check'] = `error: ${(e as Error).message}`;
  }
  out['gpu'] = gpuInfo() ?? null;
  const smi = cmd('nvidia-smi', []);
  out['nvidia_smi'] = smi.ok ? smi.out : `unavailable: ${smi.error}`;
  const py = cmd('python3', ['-c', TORCH_PY], 60000);
  try {
    out['python_torch'] = py.ok ? JSON.parse(py.out.trim().split('\n').pop() ?? '{}') : `error: ${py.error}`;
  } catch {
    out['python_torch'] = `unparsable: ${py.out.slice(0, 500)}`;
  }
  return out;
}

/** One line naming the device, for engine-gpu.json's "device". */
export function deviceLine(provider: string, env: Record<string, unknown>): string {
  const g = env['gpu'] as GpuInfo | null | undefined;
  const ortv = (env['onnxruntime_node'] as { version?: string } | undefined)?.version ?? '?';
  if (provider !== 'cpu' && g) return `${g.name} (${g.memoryMb} MiB, driver ${g.driver}${g.computeCap ? `, sm_${g.computeCap.replace('.', '')}` : ''}); onnxruntime-node ${ortv} provider ${provider}`;
  return `${provider === 'cpu' ? 'CPU' : `${provider} (no nvidia-smi)`}: ${env['cpus'] as string}; onnxruntime-node ${ortv} provider ${provider}`;
}

export interface MemPeak {
  /** max over samples of (device memory used − used before the side started), MiB */
  device_delta_mb?: number;
  /** max over samples of the summed used memory of nvidia-smi's compute processes, MiB */
  compute_apps_mb?: number;
  samples: number;
}

/** Polls nvidia-smi (device memory used, and compute processes) while a benchmark side runs. */
export class GpuMemSampler {
  private timer: NodeJS.Timeout | undefined;
  private base: number | undefined;
  private peakDev = 0;
  private peakApps = 0;
  private n = 0;
  private busy = false;
  private result: MemPeak | undefined;

  static available(): boolean {
    return cmd('nvidia-smi', ['--query-gpu=memory.used', '--format=csv,noheader,nounits'], 10000).ok;
  }

  private q(args: string[]): Promise<string | undefined> {
    return new Promise((res) => execFile('nvidia-smi', args, { timeout: 5000 }, (err, stdout) => res(err ? undefined : stdout)));
  }

  private async used(): Promise<number | undefined> {
    const o = await this.q(['--query-gpu=memory.used', '--format=csv,noheader,nounits']);
    const v = o === undefined ? NaN : Number(o.split('\n')[0]);
    return Number.isFinite(v) ? v : undefined;
  }

  private inflight: Promise<void> | undefined;

  private tick(): Promise<void> {
    if (this.busy) return this.inflight ?? Promise.resolve();
    this.busy = true;
    this.inflight = this.sample();
    return this.inflight;
  }

  private async sample(): Promise<void> {
    try {
      const u = await this.used();
      if (u !== undefined && this.base !== undefined) this.peakDev = Math.max(this.peakDev, u - this.base);
      const apps = await this.q(['--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits']);
      if (apps !== undefined) {
        let sum = 0;
        for (const l of apps.split('\n')) {
          const v = Number(l.split(',')[1]);
          if (Number.isFinite(v)) sum += v;
        }
        this.peakApps = Math.max(this.peakApps, sum);
      }
      this.n++;
    } finally {
      this.busy = false;
    }
  }

  async start(periodMs = 200): Promise<void> {
    this.base = await this.used();
    this.timer = setInterval(() => void this.tick(), periodMs);
  }

  /** Stops sampling (idempotent: later calls return the first result). */
  async stop(): Promise<MemPeak> {
    if (this.result) return this.result;
    if (this.timer) clearInterval(this.timer);
    await this.inflight;
    await this.tick();
    this.result = { ...(this.base !== undefined ? { device_delta_mb: this.peakDev } : {}), ...(this.peakApps > 0 ? { compute_apps_mb: this.peakApps } : {}), samples: this.n };
    return this.result;
  }
}
