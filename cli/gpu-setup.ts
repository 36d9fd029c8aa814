#!/usr/bin/env node
/**
 * gpu-setup: gets onnxruntime-node's CUDA execution provider ready on an NVIDIA host.
 *
 *   node dist/cli/gpu-setup.js [--check] [--json]   # what is there, what is missing and its fix (exit 0 only when all is)
 *   node dist/cli/gpu-setup.js --install [--wheel F] # onnxruntime-gpu wheel → the two provider libraries beside the core, then --check
 *   node dist/cli/gpu-setup.js --verify              # a one-op session with executionProviders ['cuda'], no fallback
 *
 * Exit status: 0 ready / verified; 1 an error (bad flags, a refused or broken wheel);
 * 2 the check found something missing, or the CUDA provider did not start.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseFlags, runMain, UsageError, type CommandSpec } from '../lib/cli/args.js';
import { bindingAt, findBinding, type BindingInfo } from '../lib/engine/runtime/gpu-binding.js';
import { checkGpu, formatCheck, hostDriver, INSTALL_COMMAND } from '../lib/engine/runtime/gpu-check.js';
import { fixFor, hostSearchPath, REQUIRED_LIBRARIES } from '../lib/engine/runtime/gpu-libs.js';
import { downloadWheel, installFromWheel, WheelError } from '../lib/engine/runtime/gpu-wheel.js';
import { verifyCuda } from '../lib/engine/runtime/gpu-verify.js';

const COMMAND: CommandSpec = {
  name: 'node dist/cli/gpu-setup.js',
  summary: "check, install and verify onnxruntime's CUDA execution provider (runtime.provider 'cuda')",
  details: [
    'onnxruntime-node ships only the CPU core; its core loads libonnxruntime_providers_shared.so and',
    'libonnxruntime_providers_cuda.so from its own folder. --install takes them from PyPI onnxruntime-gpu at',
    "the binding's version (CUDA 13 build). The host needs the NVIDIA driver >= 580 and the CUDA 13 libraries",
    '(cudart, cuBLAS, cuRAND, cuDNN 9, cuFFT, NVRTC): --check names each missing one with its apt and pip package.',
    'Exit status: 0 ready; 1 error; 2 something missing, or the provider did not start.',
  ].join('\n'),
  flags: {
    check: { type: 'boolean', help: 'report the provider libraries, the CUDA libraries and the driver (the default)' },
    install: { type: 'boolean', help: 'place the provider libraries from the onnxruntime-gpu wheel (pip download, or --wheel), then check' },
    wheel: { type: 'string', help: 'with --install: use this onnxruntime-gpu .whl instead of downloading it (offline hosts)' },
    'no-check': { type: 'boolean', help: 'with --install: only place the files (image builds without a GPU)' },
    'binding-dir': { type: 'string', help: "the folder of libonnxruntime.so.1 (default: this project's onnxruntime-node)" },
    verify: { type: 'boolean', help: "create a one-op session with executionProviders ['cuda'] (no fallback) and report the result" },
    device: { type: 'number', help: 'with --verify: CUDA device id', default: 0 },
    json: { type: 'boolean', help: 'print the result as JSON' },
  },
  examples: [
    'node dist/cli/gpu-setup.js',
    'node dist/cli/gpu-setup.js --install && node dist/cli/gpu-setup.js --verify',
    'node dist/cli/gpu-setup.js --install --wheel onnxruntime_gpu-1.30.0-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl',
  ],
};

function binding(dir: string | undefined): BindingInfo {
  const b = findBinding();
  return dir === undefined ? b : bindingAt(path.resolve(dir), b.version, b.packageDir);
}

function check(b: BindingInfo, json: boolean, extra: Record<string, unknown> = {}): void {
  const r = checkGpu(b, hostSearchPath(), hostDriver());
  process.stdout.write(json ? `${JSON.stringify({ ...extra, check: r }, null, 2)}\n` : formatCheck(r));
  if (!r.ok) process.exitCode = 2;
}

async function main(): Promise<void> {
  const f = parseFlags(COMMAND);
  if (f === undefined) return;
  const modes = (['check', 'install', 'verify'] as const).filter((m) => f[m] === true);
  if (modes.length > 1) throw new UsageError(`give one of --check, --install, --verify (got ${modes.map((m) => `--${m}`).join(', ')})`);
  const mode = modes[0] ?? 'check';
  if (mode !== 'install' && (f['wheel'] !== undefined || f['no-check'] === true)) throw new UsageError('--wheel and --no-check go with --install');
  const json = f['json'] === true;
  const b = binding(f['binding-dir'] as string | undefined);

  if (mode === 'check') return check(b, json);

  if (mode === 'verify') {
    if (f['binding-dir'] !== undefined) throw new UsageError("--verify uses this project's onnxruntime-node; --binding-dir does not apply");
    const device = f['device'] as number;
    const r = verifyCuda(device);
    if (json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    else if (r.ok) process.stdout.write(`verify: ok — the CUDA execution provider ran a one-op session on device ${device}\n`);
    else {
      const lines = [`verify: FAILED — the CUDA execution provider could not ${r.stage === 'run' ? 'run' : 'start'} (executionProviders ['cuda'], no fallback)`];
      if (r.missing) {
        lines.push(`  cannot load ${r.missing.library}: ${r.missing.reason}`);
        if (r.missing.library.startsWith('libonnxruntime_providers_')) lines.push(`  fix: ${INSTALL_COMMAND}`);
        else {
          const lib = REQUIRED_LIBRARIES.find((l) => l.name === r.missing!.library);
          lines.push(`  fix: ${lib ? `${fixFor(lib)}; ` : ''}node dist/cli/gpu-setup.js --check lists every missing library`);
        }
      }
      lines.push(`  onnxruntime: ${r.error!.split('\n').join('\n    ')}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    if (!r.ok) process.exitCode = 2;
    return;
  }

  // install
  const log = (m: string) => process.stderr.write(`gpu-setup: ${m}\n`);
  let tmp: string | undefined;
  try {
    let wheel = f['wheel'] as string | undefined;
    if (wheel === undefined) {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ort-gpu-'));
      wheel = downloadWheel(b.version, tmp, log);
    }
    log(`extracting the CUDA provider from ${wheel} into ${b.dir}`);
    const r = await installFromWheel(wheel, b.dir, b.version);
    for (const p of r.placed) log(`placed ${p.path} (${p.bytes} bytes)`);
    if (f['no-check'] === true) {
      if (json) process.stdout.write(`${JSON.stringify({ install: r }, null, 2)}\n`);
      return;
    }
    check(b, json, { install: r });
  } catch (e) {
    if (e instanceof WheelError) throw new UsageError(e.message);
    throw e;
  } finally {
    if (tmp !== undefined) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

runMain(main);
