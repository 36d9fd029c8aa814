/**
 * Which NATS client carries the weight snapshots: `nats` 2.29 or nats.js v3 (`@nats-io/obj`)?
 * Measured, not guessed. Starts a real nats-server with JetStream (file storage, temp dir),
 * then with each client puts and gets one object (50 MiB by default) in a JetStream object
 * store bucket and prints MiB/s. nats.js v3 is measured with its SHA-256 on node:crypto
 * (`setSha256Backend('native')`) and with its default pure-JS SHA-256; `nats` 2.29 has only
 * the pure-JS one. Each get is checked byte for byte against what was put.
 *
 * Writes bench/results/nats-client.json:
 *   { "<client>": { put_mib_s, get_mib_s, put_runs, get_runs }, ..., loadavg: [1, 5, 15 min],
 *     mib, reps, chunk_bytes, server_version, node }
 *
 * Usage: node dist/bench/nats-objstore.js [--mib 50] [--reps 2] [--chunk 524288] [--out path]
 * (512 KiB chunks by default, as the WeightStore uses; the 128 KiB library default is slower).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect as connectV2, StorageType as StorageTypeV2 } from 'nats';
import { connect as connectV3 } from '@nats-io/transport-node';
import { Objm, setSha256Backend, StorageType } from '@nats-io/obj';
import { startNatsServer } from '../lib/services/local/nats-server.js';

interface BlobStore {
  putBlob(meta: { name: string; options?: { max_chunk_size?: number } }, data: Uint8Array): Promise<unknown>;
  getBlob(name: string): Promise<Uint8Array | null>;
}

export interface ClientResult { put_mib_s: number; get_mib_s: number; put_runs: number[]; get_runs: number[] }

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}

function payload(bytes: number): Uint8Array {
  const b = new Uint8Array(bytes);
  let x = 0x12345678;
  for (let i = 0; i < bytes; i += 4) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; b[i] = x & 255; b[i + 1] = (x >>> 8) & 255; b[i + 2] = (x >>> 16) & 255; b[i + 3] = x >>> 24; }
  return b;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

async function measure(store: BlobStore, data: Uint8Array, reps: number, chunk: number): Promise<ClientResult> {
  const mib = data.length / (1 << 20);
  const put: number[] = [];
  const get: number[] = [];
  for (let r = 0; r < reps; r++) {
    const name = `bench/obj-${r}`;
    let t = performance.now();
    await store.putBlob({ name, options: { max_chunk_size: chunk } }, data);
    put.push(mib / ((performance.now() - t) / 1000));
    t = performance.now();
    const back = await store.getBlob(name);
    get.push(mib / ((performance.now() - t) / 1000));
    if (!back || !equal(back, data)) throw new Error(`${name}: the object read back differs from what was put`);
  }
  const r2 = (v: number) => Math.round(v * 10) / 10;
  return { put_mib_s: r2(Math.max(...put)), get_mib_s: r2(Math.max(...get)), put_runs: put.map(r2), get_runs: get.map(r2) };
}

export async function benchClients(mibs: number, reps: number, chunk: number): Promise<Record<string, unknown>> {
  const server = await startNatsServer();
  const data = payload(Math.round(mibs * (1 << 20)));
  const out: Record<string, unknown> = {};
  try {
    const loadBefore = os.loadavg();
    {
      const nc = await connectV2({ servers: server.url });
      const osv = await nc.jetstream().views.os('bench-v2', { storage: StorageTypeV2.File });
      out['nats@2.29'] = await measure(osv as unknown as BlobStore, data, reps, chunk);
      out['server_version'] = nc.info?.version;
      await osv.destroy();
      await nc.close();
    }
    for (const backend of ['native', 'js'] as const) {
      setSha256Backend(backend);
      const nc = await connectV3({ servers: server.url });
      const obj = await new Objm(nc).create(`bench-v3-${backend}`, { storage: StorageType.File });
      out[`@nats-io/obj@3.4 sha256=${backend}`] = await measure(obj, data, reps, chunk);
      await obj.destroy();
      await nc.close();
    }
    // Fast-ingest batched publishes: an undocumented opt-in of @nats-io/obj 3.4 (needs a server
    // with api_lvl ≥ 4); measured for information only, the WeightStore does not rely on it.
    try {
      setSha256Backend('native');
      const nc = await connectV3({ servers: server.url });
      const objm = new Objm(nc);
      const obj = await objm.create('bench-v3-batched', { storage: StorageType.File, allowBatched: true } as Parameters<Objm['create']>[1]);
      out['@nats-io/obj@3.4 sha256=native allowBatched (undocumented)'] = await measure(obj, data, reps, chunk);
      await obj.destroy();
      await nc.close();
    } catch (e) {
      out['@nats-io/obj@3.4 sha256=native allowBatched (undocumented)'] = { error: (e as Error).message };
    }
    setSha256Backend('native');
    out['loadavg_before'] = loadBefore.map((v) => Math.round(v * 100) / 100);
    out['loadavg'] = os.loadavg().map((v) => Math.round(v * 100) / 100);
    out['mib'] = mibs;
    out['reps'] = reps;
    out['chunk_bytes'] = chunk;
    out['node'] = process.version;
    out['cpus'] = os.cpus().length;
  } finally {
    await server.cleanup();
  }
  return out;
}

async function main(): Promise<void> {
  const mibs = Number(arg('mib', '50'));
  const reps = Number(arg('reps', '2'));
  const chunk = Number(arg('chunk', String(512 * 1024)));
  const here = path.dirname(fileURLToPath(import.meta.url));
  const outPath = arg('out', path.resolve(here, '../../bench/results/nats-client.json'));
  const res = await benchClients(mibs, reps, chunk);
  console.log(JSON.stringify(res, null, 2));
  fs.mkdirSync(path.dirname(outPath), { recursive: true });
  fs.writeFileSync(outPath, JSON.stringify(res, null, 2) + '\n');
  console.error(`wrote ${outPath}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => { console.error(e); process.exit(1); });
}
