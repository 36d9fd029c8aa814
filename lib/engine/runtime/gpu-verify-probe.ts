/**
 * The child process of `gpu-setup --verify` (gpu-verify.ts): creates an InferenceSession for a
 * one-op model (Relu) with executionProviders [{name: 'cuda', deviceId}] only — no CPU
 * fallback — runs it once, and prints {"ok":true} or {"ok":false,"error":"..."} as its last
 * line. A separate process, so a native crash while loading the provider is reported, not fatal.
 *   node dist/lib/engine/runtime/gpu-verify-probe.js [deviceId]
 */
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../ir/builder.js';
import { encodeModel } from '../onnx/encode.js';

async function probe(deviceId: number): Promise<void> {
  const g = new GraphBuilder('gpu_verify');
  const x = g.input('x', 'float32', [4]);
  g.output(g.op1('Relu', [x]));
  const model = encodeModel(g.graph);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(model, { executionProviders: [{ name: 'cuda', deviceId }] });
  } catch (e) {
    process.stdout.write(`${JSON.stringify({ ok: false, stage: 'session', error: (e as Error).message ?? String(e) })}\n`);
    return;
  }
  try {
    const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', Float32Array.from([-1, 0, 2, -3]), [4]) };
    const out = await session.run(feeds);
    const y = Array.from(out[session.outputNames[0]!]!.data as Float32Array);
    const ok = y.join(',') === '0,0,2,0';
    process.stdout.write(`${JSON.stringify(ok ? { ok } : { ok, stage: 'run', error: `Relu([-1,0,2,-3]) gave [${y.join(',')}], expected [0,0,2,0]` })}\n`);
  } catch (e) {
    process.stdout.write(`${JSON.stringify({ ok: false, stage: 'run', error: (e as Error).message ?? String(e) })}\n`);
  } finally {
    await session.release();
  }
}

void probe(Number(process.argv[2] ?? 0));
