/**
 * Where onnxruntime-node's native core lives and which version it is. The core
 * (libonnxruntime.so.1) loads the CUDA execution provider from its own folder:
 * libonnxruntime_providers_shared.so, then libonnxruntime_providers_cuda.so
 * (shared/design/gpu.md). Those two files come from PyPI onnxruntime-gpu at the same version.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

/** The two provider libraries the core loads from its folder, in load order. */
export const PROVIDER_LIBRARIES = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'] as const;
export type ProviderLibrary = (typeof PROVIDER_LIBRARIES)[number];

export interface BindingInfo {
  /** onnxruntime-node's package folder */
  readonly packageDir: string;
  /** its version (package.json) */
  readonly version: string;
  /** bin/napi-v6/<platform>/<arch>: the folder of libonnxruntime.so.1 */
  readonly dir: string;
  /** whether libonnxruntime.so.1 is there */
  readonly coreFound: boolean;
}

/** Finds onnxruntime-node as this project resolves it. */
export function findBinding(): BindingInfo {
  const require = createRequire(import.meta.url);
  const pkgJson = require.resolve('onnxruntime-node/package.json');
  const packageDir = path.dirname(pkgJson);
  const version = String((JSON.parse(fs.readFileSync(pkgJson, 'utf8')) as { version?: unknown }).version ?? '');
  if (!/^\d+\.\d+\.\d+/.test(version)) throw new Error(`${pkgJson}: no usable version ('${version}')`);
  return bindingAt(path.join(packageDir, 'bin', 'napi-v6', process.platform, process.arch), version, packageDir);
}

/** A binding folder given explicitly (tests, or a relocated copy). */
export function bindingAt(dir: string, version: string, packageDir = dir): BindingInfo {
  return { packageDir, version, dir, coreFound: fs.existsSync(path.join(dir, 'libonnxruntime.so.1')) };
}
