/**
 * Worker-thread entry of TrainStepRunner: holds a StepExecutor (sessions + state store) and
 * answers the runner's requests one at a time, so onnxruntime's blocking runs never stall the
 * main thread's event loop. Outputs are transferred back, not copied.
 */
import { parentPort } from 'node:worker_threads';
import type { TensorData } from '../ir/tensor.js';
import { ProviderUnavailableError } from './errors.js';
import { StepExecutor } from './executor.js';
import { ownedCopy, transferList } from './transfer.js';
import type { FromWorker, ToWorker } from './worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('step-worker.js must run in a worker thread (it is started by TrainStepRunner)');

const exec = new StepExecutor();
const send = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

async function handle(req: ToWorker): Promise<{ result: unknown; transfer: ArrayBuffer[] }> {
  switch (req.type) {
    case 'init':
      return { result: await exec.init(req.options, (message) => send({ kind: 'log', message })), transfer: [] };
    case 'addProgram':
      await exec.addProgram(req.program);
      return { result: null, transfer: [] };
    case 'setState':
      exec.setState(req.tensors);
      return { result: null, transfer: [] };
    case 'getState': {
      // copies: the store keeps its own arrays
      const entries = [...exec.getState(req.names)].map(([k, v]): [string, TensorData] => [k, ownedCopy(v)]);
      return { result: entries, transfer: transferList(entries.map(([, v]) => v)) };
    }
    case 'stateInfo':
      return { result: exec.stateInfo(), transfer: [] };
    case 'run': {
      const r = await exec.run(req.key, req.feeds, req.lr);
      // fetched outputs are fresh arrays the store does not keep: move them
      return { result: r, transfer: transferList(Object.values(r.outputs)) };
    }
    case 'close':
      await exec.close();
      return { result: null, transfer: [] };
  }
}

let queue: Promise<void> = Promise.resolve();
port.on('message', (req: ToWorker) => {
  queue = queue.then(async () => {
    try {
      const { result, transfer } = await handle(req);
      send({ kind: 'reply', id: req.id, ok: true, result }, transfer);
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      const extra = err instanceof ProviderUnavailableError ? { provider: err.provider, reason: err.reason } : {};
      send({ kind: 'reply', id: req.id, ok: false, error: { name: err.name, message: err.message, ...(err.stack ? { stack: err.stack } : {}), ...extra } });
    }
  });
});
