/**
 * The GPU readiness check behind `gpu-setup --check`: the two provider libraries beside
 * onnxruntime-node's core, the host's CUDA 13 libraries (gpu-libs.ts), and the NVIDIA driver's
 * version (`nvidia-smi`, >= 580 for CUDA 13). `ok` only when everything needed is present.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { PROVIDER_LIBRARIES, type BindingInfo } from './gpu-binding.js';
import { findLibraries, type LibraryHit, type LibrarySearchPath } from './gpu-libs.js';

export const MIN_DRIVER_MAJOR = 580;

export interface DriverStatus {
  readonly found: boolean;
  /** e.g. "580.65.06" (the first GPU's) */
  readonly version?: string;
  readonly ok: boolean;
  readonly message: string;
}

export interface ProviderFileStatus {
  readonly name: string;
  readonly path: string;
  readonly found: boolean;
}

export interface GpuCheckReport {
  readonly ok: boolean;
  readonly binding: { readonly dir: string; readonly version: string; readonly coreFound: boolean; readonly providers: readonly ProviderFileStatus[] };
  readonly libraries: readonly LibraryHit[];
  readonly driver: DriverStatus;
  /** one line per problem, each with its fix */
  readonly problems: readonly string[];
}

/** Judges `nvidia-smi --query-gpu=driver_version --format=csv,noheader` output (undefined: no nvidia-smi). */
export function driverStatus(smiOutput: string | undefined, smiError?: string): DriverStatus {
  if (smiOutput === undefined) {
    return { found: false, ok: false, message: `no NVIDIA driver: nvidia-smi ${smiError ?? 'not found'} (install the NVIDIA driver >= ${MIN_DRIVER_MAJOR}; in a container, run it with --gpus all and the NVIDIA container toolkit)` };
  }
  const version = smiOutput.split('\n').map((l) => l.trim()).find((l) => l.length > 0);
  const major = version === undefined ? NaN : Number(version.split('.')[0]);
  if (version === undefined || !Number.isFinite(major)) return { found: true, ok: false, message: `nvidia-smi printed no driver version ('${smiOutput.trim()}')` };
  if (major < MIN_DRIVER_MAJOR) return { found: true, version, ok: false, message: `NVIDIA driver ${version} is older than ${MIN_DRIVER_MAJOR} (CUDA 13 needs >= ${MIN_DRIVER_MAJOR}): upgrade the driver` };
  return { found: true, version, ok: true, message: `NVIDIA driver ${version}` };
}

/** Runs nvidia-smi on this host. */
export function hostDriver(): DriverStatus {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=driver_version', '--format=csv,noheader'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30000 });
    return driverStatus(out);
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') return driverStatus(undefined);
    const why = (err.stderr ?? err.message).replace(/\s+/g, ' ').trim().slice(0, 300);
    return driverStatus(undefined, `failed: ${why}`);
  }
}

export const INSTALL_COMMAND = 'node dist/cli/gpu-setup.js --install';

/** The whole check. */
export function checkGpu(binding: BindingInfo, search: LibrarySearchPath, driver: DriverStatus): GpuCheckReport {
  const problems: string[] = [];
  if (!binding.coreFound) problems.push(`libonnxruntime.so.1 not in ${binding.dir}: reinstall onnxruntime-node (npm ci)`);
  const providers = PROVIDER_LIBRARIES.map((name) => {
    const p = path.join(binding.dir, name);
    const found = fs.existsSync(p);
    if (!found) problems.push(`${name} MISSING in ${binding.dir}: run ${INSTALL_COMMAND} (PyPI onnxruntime-gpu==${binding.version})`);
    return { name, path: p, found };
  });
  const libraries = findLibraries(search);
  for (const h of libraries) {
    if (h.path === undefined) problems.push(`${h.library.name} MISSING (${h.library.what}): ${h.fix}`);
    else if (!h.loadable) problems.push(`${h.library.name} found at ${h.path} but not on the loader's path: ${h.fix}`);
  }
  if (!driver.ok) problems.push(driver.message);
  return { ok: problems.length === 0, binding: { dir: binding.dir, version: binding.version, coreFound: binding.coreFound, providers }, libraries, driver, problems };
}

/** The report as text. */
export function formatCheck(r: GpuCheckReport): string {
  const lines: string[] = [];
  lines.push(`onnxruntime-node ${r.binding.version}: ${r.binding.dir}`);
  lines.push(`  ${r.binding.coreFound ? 'ok     ' : 'MISSING'} libonnxruntime.so.1`);
  for (const p of r.binding.providers) lines.push(`  ${p.found ? 'ok     ' : 'MISSING'} ${p.name}${p.found ? '' : `  -> ${INSTALL_COMMAND}`}`);
  lines.push('CUDA libraries (CUDA 13 build of the provider):');
  for (const h of r.libraries) {
    const tag = h.path === undefined ? 'MISSING' : h.loadable ? 'ok     ' : 'UNLOADABLE';
    const where = h.path === undefined ? `${h.library.what}, needed at ${h.library.when}  -> ${h.fix}` : `${h.path} (${h.source})${h.loadable ? '' : `  -> ${h.fix}`}`;
    lines.push(`  ${tag} ${h.library.name.padEnd(18)} ${where}`);
  }
  lines.push(`driver: ${r.driver.ok ? 'ok' : 'PROBLEM'} — ${r.driver.message}`);
  const dirs = [...new Set(r.libraries.filter((h) => h.path !== undefined && !h.loadable).map((h) => path.dirname(h.path!)))];
  if (dirs.length > 0) lines.push(`to make the found libraries loadable: export LD_LIBRARY_PATH=${dirs.join(':')}\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}`);
  lines.push(r.ok ? 'GPU check: ok (next: node dist/cli/gpu-setup.js --verify)' : `GPU check: ${r.problems.length} problem(s)`);
  return `${lines.join('\n')}\n`;
}
