/**
 * Execution providers and the fallback policy. A requested provider is probed once (a tiny
 * session is created with it); when it cannot start, the policy decides: 'error' (default)
 * throws ProviderUnavailableError, 'cpu' falls back to the CPU provider and says so through
 * the log ("provider webgpu unavailable (reason); falling back to cpu"). Never silent. The
 * reason names what is missing when it can be found (provider-diagnosis.ts: for 'cuda' the
 * provider libraries, the CUDA libraries and the driver).
 */
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../ir/builder.js';
import { encodeModel } from '../onnx/encode.js';
import { ProviderUnavailableError } from './errors.js';
import { diagnoseProvider } from './provider-diagnosis.js';

export type ExecutionProvider = 'cpu' | 'webgpu' | 'cuda';
export const PROVIDERS: readonly ExecutionProvider[] = ['cpu', 'webgpu', 'cuda'];

export type ProviderFallback = 'error' | 'cpu';

export interface ProviderChoice {
  /** The provider actually used. */
  readonly provider: ExecutionProvider;
  /** Set when the requested provider could not start and the CPU is used instead. */
  readonly fallbackReason?: string;
}

/**
 * ORT session options for a provider (nodes the provider lacks run on the CPU provider).
 * The memory pattern and the CPU arena are off: for a training step (every activation kept for
 * the backward pass, then freed op by op) onnxruntime's pattern planner reserves one block far
 * larger than what is alive at any time, and its arena keeps freed blocks rounded up to powers
 * of two; without either, tensors come from the system allocator as in PyTorch. Peak RSS of one
 * DeepLab-v2 ResNet-101 step at 1×3×512×1024, each variant alone in its process
 * (`node dist/bench/engine-mem.js VARIANT 2 r101 1`): both on 10384 MB, pattern off 6203 MB,
 * both off 5322 MB (PyTorch: 6109 MB); the small DeepLab at 4×3×180×240: 995 → 692 → 707 MB.
 * Step time: arena off / on, paired in one process, 1.03 (small DeepLab, loaded machine); see
 * bench/results/engine-notes.md.
 */
export function sessionOptions(provider: ExecutionProvider, threads = 0): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: provider === 'cpu' ? ['cpu'] : [provider, 'cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    enableMemPattern: false,
    enableCpuMemArena: false,
  };
}

let probeModel: Uint8Array | undefined;
function tinyModel(): Uint8Array {
  if (probeModel === undefined) {
    const g = new GraphBuilder('provider_probe');
    const x = g.input('x', 'float32', [1]);
    g.output(g.op1('Relu', [x]));
    probeModel = encodeModel(g.graph);
  }
  return probeModel;
}

function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/\s+/g, ' ').trim().slice(0, 400);
}

/** Probes `requested` and applies the fallback policy. */
export async function chooseProvider(requested: ExecutionProvider, fallback: ProviderFallback, log: (msg: string) => void, threads = 0): Promise<ProviderChoice> {
  if (!PROVIDERS.includes(requested)) throw new Error(`unknown execution provider '${String(requested)}' (expected one of ${PROVIDERS.join(', ')})`);
  if (fallback !== 'error' && fallback !== 'cpu') throw new Error(`unknown provider fallback '${String(fallback)}' (expected 'error' or 'cpu')`);
  if (requested === 'cpu') return { provider: 'cpu' };
  try {
    const s = await ort.InferenceSession.create(tinyModel(), { ...sessionOptions(requested, threads), executionProviders: [requested] });
    await s.release();
    return { provider: requested };
  } catch (e) {
    // onnxruntime's in-process message rarely names the library it missed: add what is missing
    const diag = diagnoseProvider(requested);
    const reason = diag === undefined ? oneLine(e) : `${oneLine(e)} [${diag}]`;
    if (fallback === 'error') throw new ProviderUnavailableError(requested, reason);
    log(`provider ${requested} unavailable (${reason}); falling back to cpu`);
    return { provider: 'cpu', fallbackReason: reason };
  }
}
