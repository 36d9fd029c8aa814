/**
 * The runtime: runs compiled graphs (lib/engine/compile) on onnxruntime-node.
 *
 * ```ts
 * const runner = await TrainStepRunner.start({ provider: 'cpu', threads: 2, nonFinite: 'stop' });
 * await runner.addProgram('train@2x3x512x512', step, { initState: true }); // one session per key
 * await runner.addProgram('eval@1x3x512x1024', evalGraph);                // shares the state store
 * const r = await runner.trainStep('train@2x3x512x512', { image, label }, { lr: schedule(t), step: t });
 * r.loss; r.finite; r.skipped; r.gradNorm; r.outputs['ce_loss'];
 * const { logits } = await runner.run('eval@1x3x512x1024', { image });
 * const state = await runner.getState();                                  // copies, by name
 * await saveCheckpoint(file, { step: t, tensors: state, metadata: { rng } });
 * const ck = await loadCheckpoint(file, { expect: await runner.stateInfo() });
 * await runner.setState(ck.tensors);
 * await runner.close();
 * ```
 * - The runner executes in a worker thread (`inThread: true` for the calling thread), so the
 *   event loop stays responsive; feeds are transferred (not copied) unless `transfer: false`.
 * - State (parameters, optimiser state '<prefix>/...', buffers) lives in the runner and is
 *   rotated by each finite step; only data, lr and the requested outputs cross threads.
 * - Providers 'cpu' | 'webgpu' | 'cuda': a provider that cannot start throws
 *   ProviderUnavailableError, or with `fallback: 'cpu'` logs "provider X unavailable (reason);
 *   falling back to cpu"; `runner.provider` reports the provider in use.
 * - Non-finite steps: 'stop' throws NonFiniteStepError naming the step; 'skip' counts them in
 *   `runner.skippedSteps`; either way the state stays unchanged.
 * - Host ⇄ runtime bytes: each StepResult carries `io` ({bytesIn, bytesOut}: the feeds and state
 *   handed to session.run, the outputs fetched), `runner.ioStats()` the totals — with a GPU
 *   provider the bytes copied host ⇄ device per step (io-bytes.ts; docs/gpu.md).
 * - Checkpoints (checkpoint.ts documents the format): atomic, checksummed, verified on load
 *   (the error names the first missing or mismatching tensor). `TensorStore` is a Map of named
 *   tensors with save/load. `writeFileAtomic` for any other file.
 */
export { TrainStepRunner, type NonFinitePolicy, type RunnerOptions, type StepOptions, type StepResult } from './train-step-runner.js';
export { StepExecutor, type ExecutorOptions, type RawRun } from './executor.js';
export { IoCounter, mapBytes, tensorBytes, type IoStats, type RunIoBytes } from './io-bytes.js';
export { SessionCache } from './session-cache.js';
export { toProgram, type Program } from './program.js';
export { chooseProvider, sessionOptions, PROVIDERS, type ExecutionProvider, type ProviderChoice, type ProviderFallback } from './providers.js';
export { CheckpointError, NonFiniteStepError, ProviderUnavailableError } from './errors.js';
export { loadCheckpoint, saveCheckpoint, verifyTensors, type CheckpointContent, type JsonValue, type LoadedCheckpoint } from './checkpoint.js';
export { TensorStore } from './tensor-store.js';
export { specsOf, type TensorSpec } from './tensor-spec.js';
export { writeFileAtomic, type AtomicContent } from '../../util/atomic-write.js';
export { runGraph } from './run-graph.js';
export { fromOrt, toOrt } from './ort-tensor.js';
