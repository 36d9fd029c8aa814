/**
 * Why an execution provider could not start, in one line that names what is missing. In-process,
 * onnxruntime only says "OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared
 * library" (the library it failed on goes to its own log on stderr), so for 'cuda' the readiness
 * check of `gpu-setup --check` (gpu-check.ts) is run and its missing pieces are named: the two
 * provider libraries beside onnxruntime-node's core, each CUDA 13 library, the NVIDIA driver.
 * For 'webgpu' the Vulkan loader is looked up (Dawn needs libvulkan.so.1 and a GPU's Vulkan driver).
 */
import { findBinding } from './gpu-binding.js';
import { checkGpu, hostDriver, INSTALL_COMMAND } from './gpu-check.js';
import { findLibraries, hostSearchPath, type RequiredLibrary } from './gpu-libs.js';

const VULKAN: RequiredLibrary = { name: 'libvulkan.so.1', what: 'Vulkan loader (WebGPU/Dawn)', when: 'start', apt: 'libvulkan1 (and the GPU driver\'s Vulkan ICD)' };

/** One line naming what is missing for `provider`, or undefined when nothing is found missing. */
export function diagnoseProvider(provider: string): string | undefined {
  try {
    if (provider === 'cuda') {
      const r = checkGpu(findBinding(), hostSearchPath(), hostDriver());
      if (r.ok) return undefined;
      const parts: string[] = [];
      const prov = r.binding.providers.filter((p) => !p.found).map((p) => p.name);
      if (prov.length > 0) parts.push(`${prov.join(' and ')} not beside onnxruntime-node's core in ${r.binding.dir} (fix: ${INSTALL_COMMAND})`);
      const libs = r.libraries.filter((h) => h.path === undefined).map((h) => h.library.name);
      if (libs.length > 0) parts.push(`CUDA libraries not found: ${libs.join(', ')}`);
      const unloadable = r.libraries.filter((h) => h.path !== undefined && !h.loadable).map((h) => h.library.name);
      if (unloadable.length > 0) parts.push(`found but not on LD_LIBRARY_PATH: ${unloadable.join(', ')}`);
      if (!r.driver.ok) parts.push(r.driver.found ? r.driver.message : 'no NVIDIA driver (nvidia-smi not found)');
      return `missing: ${parts.join('; ')} — details and fixes: node dist/cli/gpu-setup.js --check`;
    }
    if (provider === 'webgpu') {
      const [hit] = findLibraries(hostSearchPath(), [VULKAN]);
      if (hit !== undefined && hit.path === undefined) return `missing: ${VULKAN.name} (${VULKAN.what}; apt: ${VULKAN.apt})`;
      return undefined;
    }
  } catch (e) {
    return `(the readiness check itself failed: ${(e as Error).message})`;
  }
  return undefined;
}
