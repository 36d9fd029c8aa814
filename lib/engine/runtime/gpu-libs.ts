/**
 * The host's CUDA libraries that onnxruntime's CUDA execution provider needs (CUDA 13 build,
 * shared/design/gpu.md), and where to look for them: LD_LIBRARY_PATH, `ldconfig -p`, the
 * standard CUDA and driver folders, and python3's site-packages/nvidia/<pkg>/lib (the nvidia-*
 * wheels). Each library found is reported with its path, each missing one with its fix.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

export interface RequiredLibrary {
  readonly name: string;
  /** what it is, in words */
  readonly what: string;
  /** loaded when the provider starts, or only when an op first needs it */
  readonly when: 'start' | 'first use';
  /** Debian/Ubuntu package (NVIDIA's CUDA repository) */
  readonly apt: string;
  /** PyPI package (CUDA 13 wheels) */
  readonly pip?: string;
}

export const REQUIRED_LIBRARIES: readonly RequiredLibrary[] = [
  { name: 'libcuda.so.1', what: 'NVIDIA driver (>= 580)', when: 'start', apt: 'nvidia-driver-580 (or libnvidia-compute-580); in containers: the NVIDIA container toolkit' },
  { name: 'libcudart.so.13', what: 'CUDA 13 runtime', when: 'start', apt: 'cuda-cudart-13-0', pip: 'nvidia-cuda-runtime' },
  { name: 'libcublas.so.13', what: 'cuBLAS 13', when: 'start', apt: 'libcublas-13-0', pip: 'nvidia-cublas' },
  { name: 'libcublasLt.so.13', what: 'cuBLASLt 13', when: 'start', apt: 'libcublas-13-0', pip: 'nvidia-cublas' },
  { name: 'libcurand.so.10', what: 'cuRAND (CUDA 13)', when: 'start', apt: 'libcurand-13-0', pip: 'nvidia-curand' },
  { name: 'libcudnn.so.9', what: 'cuDNN 9 for CUDA 13 (Conv)', when: 'first use', apt: 'libcudnn9-cuda-13', pip: 'nvidia-cudnn-cu13' },
  { name: 'libcufft.so.12', what: 'cuFFT (CUDA 13)', when: 'first use', apt: 'libcufft-13-0', pip: 'nvidia-cufft' },
  { name: 'libnvrtc.so.13', what: 'NVRTC 13', when: 'first use', apt: 'cuda-nvrtc-13-0', pip: 'nvidia-cuda-nvrtc' },
];

/** Where to look, in order of precedence. */
export interface LibrarySearchPath {
  /** LD_LIBRARY_PATH's folders */
  readonly ldLibraryPath: readonly string[];
  /** `ldconfig -p`: library name → path */
  readonly ldconfig: ReadonlyMap<string, string>;
  /** the standard driver and CUDA folders that exist */
  readonly standardDirs: readonly string[];
  /** python3's site-packages/nvidia/<pkg>/lib folders */
  readonly pythonDirs: readonly string[];
}

export type LibrarySource = 'LD_LIBRARY_PATH' | 'ldconfig' | 'standard' | 'python';

export interface LibraryHit {
  readonly library: RequiredLibrary;
  /** the file, or undefined when missing */
  readonly path?: string;
  readonly source?: LibrarySource;
  /** found where the dynamic loader looks (LD_LIBRARY_PATH, ldconfig's cache, the default
   * folders); a library found only in a CUDA or python folder needs that folder on LD_LIBRARY_PATH */
  readonly loadable: boolean;
  /** for a missing or unloadable library: how to get it or make it loadable */
  readonly fix?: string;
}

/** Parses `ldconfig -p` output ("\tlibfoo.so.1 (libc6,x86-64) => /usr/lib/.../libfoo.so.1"). */
export function parseLdconfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*(\S+)\s+\(([^)]*)\)\s+=>\s+(\S+)\s*$/.exec(line);
    if (m === null || out.has(m[1]!)) continue;
    if (process.arch === 'x64' && !/x86-64/.test(m[2]!)) continue;
    out.set(m[1]!, m[3]!);
  }
  return out;
}

function isDir(d: string): boolean {
  try {
    return fs.statSync(d).isDirectory();
  } catch {
    return false;
  }
}

/** The standard folders under `root` (default '/') that exist: driver folders, /usr/local/cuda*\/{lib64,lib,targets/x86_64-linux/lib}. */
export function standardDirs(root = '/'): string[] {
  const dirs = [
    'usr/local/nvidia/lib64', 'usr/local/nvidia/lib', 'usr/lib/x86_64-linux-gnu', 'usr/lib64', 'usr/lib/wsl/lib',
    'usr/local/cuda/lib64', 'usr/local/cuda/lib', 'usr/local/cuda/targets/x86_64-linux/lib',
  ].map((d) => path.join(root, d));
  let local: string[] = [];
  try {
    local = fs.readdirSync(path.join(root, 'usr/local')).filter((n) => /^cuda-\d/.test(n)).sort().reverse();
  } catch { /* no /usr/local */ }
  for (const c of local) for (const sub of ['lib64', 'lib', 'targets/x86_64-linux/lib']) dirs.push(path.join(root, 'usr/local', c, sub));
  return dirs.filter(isDir);
}

/** The lib folders of the nvidia-* wheels under a site-packages folder (site/nvidia/<pkg>/lib). */
export function nvidiaWheelDirs(sitePackages: string): string[] {
  const base = path.join(sitePackages, 'nvidia');
  let subs: string[] = [];
  try {
    subs = fs.readdirSync(base).sort();
  } catch {
    return [];
  }
  return subs.map((s) => path.join(base, s, 'lib')).filter(isDir);
}

function run(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 20000 });
  } catch {
    return undefined;
  }
}

/** python3's site-packages folders (empty when there is no python3). */
export function pythonSitePackages(python = 'python3'): string[] {
  const out = run(python, ['-c', 'import site,sys; print("\\n".join(site.getsitepackages()+[site.getusersitepackages()]))']);
  return out === undefined ? [] : out.split('\n').map((s) => s.trim()).filter((s) => s.length > 0 && isDir(s));
}

/** This host's search path. */
export function hostSearchPath(env: NodeJS.ProcessEnv = process.env): LibrarySearchPath {
  const ldconfigText = run('ldconfig', ['-p']) ?? run('/sbin/ldconfig', ['-p']) ?? '';
  return {
    ldLibraryPath: (env['LD_LIBRARY_PATH'] ?? '').split(':').filter((d) => d.length > 0),
    ldconfig: parseLdconfig(ldconfigText),
    standardDirs: standardDirs(),
    pythonDirs: [...new Set(pythonSitePackages().flatMap(nvidiaWheelDirs))],
  };
}

/** The fix for a missing library. */
export function fixFor(lib: RequiredLibrary): string {
  const parts = [`apt: ${lib.apt}`];
  if (lib.pip !== undefined) parts.push(`pip: ${lib.pip} (then its site-packages/nvidia/*/lib on LD_LIBRARY_PATH)`);
  parts.push('elsewhere: add its folder to LD_LIBRARY_PATH');
  return parts.join(' | ');
}

/** Folders the loader searches without being told (glibc's trusted folders). */
const DEFAULT_LOADER_DIRS = ['/lib', '/usr/lib', '/lib64', '/usr/lib64', '/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu'];

function findIn(dirs: readonly string[], name: string): string | undefined {
  for (const d of dirs) {
    const p = path.join(d, name);
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

/** Looks each required library up: LD_LIBRARY_PATH, ldconfig, standard folders, python wheels. */
export function findLibraries(search: LibrarySearchPath, libs: readonly RequiredLibrary[] = REQUIRED_LIBRARIES): LibraryHit[] {
  return libs.map((library): LibraryHit => {
    const order: [LibrarySource, () => string | undefined][] = [
      ['LD_LIBRARY_PATH', () => findIn(search.ldLibraryPath, library.name)],
      ['ldconfig', () => search.ldconfig.get(library.name)],
      ['standard', () => findIn(search.standardDirs, library.name)],
      ['python', () => findIn(search.pythonDirs, library.name)],
    ];
    for (const [source, look] of order) {
      const p = look();
      if (p === undefined) continue;
      const loadable = source === 'LD_LIBRARY_PATH' || source === 'ldconfig' || DEFAULT_LOADER_DIRS.includes(path.dirname(p));
      return loadable
        ? { library, path: p, source, loadable }
        : { library, path: p, source, loadable, fix: `export LD_LIBRARY_PATH=${path.dirname(p)}\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}` };
    }
    return { library, loadable: false, fix: fixFor(library) };
  });
}
