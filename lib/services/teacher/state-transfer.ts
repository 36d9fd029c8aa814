/**
 * A state map (checkpoint tensors) as a stream of StateChunk messages and back: the payload is
 * the weight-snapshot format (lib/services/sync/snapshot.ts: header, aligned tensor bytes, the
 * SHA-256 of the tensors), cut into chunks of at most `chunkBytes`. The first chunk carries
 * header_json {run, version, bytes}; the last carries the SHA-256 (hex) of the whole payload.
 * Receiving checks the size, the payload hash and the snapshot's own digest: any damage is an
 * InvalidArgument naming what is wrong, and nothing partial is returned.
 */
import { createHash } from 'node:crypto';
import type { TensorData } from '../../engine/ir/tensor.js';
import type { StateChunk } from '../../../proto/gen/sfda/v1/StateChunk.js';
import { InvalidArgument } from '../grpc/errors.js';
import { decodeSnapshot, encodeSnapshot } from '../sync/snapshot.js';

export const STATE_CHUNK_BYTES = 1 << 20;

interface StateHeader { run: string; version: number; bytes: number }

/** The chunks of a state map. */
export function* stateChunks(run: string, version: number, tensors: ReadonlyMap<string, TensorData>, chunkBytes = STATE_CHUNK_BYTES): Generator<StateChunk> {
  const { payload } = encodeSnapshot(run, version, tensors);
  const sha = createHash('sha256').update(payload).digest('hex');
  const header: StateHeader = { run, version, bytes: payload.length };
  const n = Math.max(1, Math.ceil(payload.length / chunkBytes));
  for (let i = 0; i < n; i++) {
    yield {
      ...(i === 0 ? { header_json: JSON.stringify(header) } : {}),
      data: Buffer.from(payload.buffer, payload.byteOffset + i * chunkBytes, Math.min(chunkBytes, payload.length - i * chunkBytes)),
      ...(i === n - 1 ? { sha256: sha } : {}),
    };
  }
}

/** Reassembles and verifies a state stream. */
export async function receiveState(chunks: AsyncIterable<{ header_json?: string; data?: Uint8Array | string; sha256?: string }>): Promise<{ run: string; version: number; tensors: Map<string, TensorData> }> {
  let header: StateHeader | undefined;
  let sha = '';
  const parts: Uint8Array[] = [];
  let got = 0;
  for await (const c of chunks) {
    if (header === undefined) {
      if (!c.header_json) throw new InvalidArgument('state stream: the first chunk has no header_json');
      try {
        header = JSON.parse(c.header_json) as StateHeader;
      } catch {
        throw new InvalidArgument('state stream: header_json is not JSON');
      }
      if (typeof header.run !== 'string' || !Number.isSafeInteger(header.version) || !Number.isSafeInteger(header.bytes) || header.bytes < 0) {
        throw new InvalidArgument('state stream: header_json needs run (string), version and bytes (integers)');
      }
    }
    const data = typeof c.data === 'string' ? Buffer.from(c.data, 'base64') : c.data ?? new Uint8Array(0);
    got += data.length;
    if (got > header.bytes) throw new InvalidArgument(`state stream: more than the ${header.bytes} bytes its header announced`);
    parts.push(Uint8Array.from(data));
    if (c.sha256) sha = c.sha256;
  }
  if (header === undefined) throw new InvalidArgument('state stream: no chunks');
  if (got !== header.bytes) throw new InvalidArgument(`state stream: ${got} bytes received, the header announced ${header.bytes}`);
  const payload = Buffer.concat(parts);
  const actual = createHash('sha256').update(payload).digest('hex');
  if (sha !== actual) throw new InvalidArgument(`state stream: SHA-256 ${actual} does not match the sender's ${sha || '(none)'}`);
  let decoded;
  try {
    decoded = decodeSnapshot(payload, { run: header.run, version: header.version });
  } catch (e) {
    throw new InvalidArgument(`state stream: ${(e as Error).message}`);
  }
  return { run: header.run, version: header.version, tensors: decoded.tensors };
}
