/**
 * TLS and mutual TLS with certificates made by openssl in a temporary directory: a CA, a server
 * certificate for localhost / 127.0.0.1, a client certificate, and a client certificate from
 * another CA. Skipped (with a message) when openssl is not installed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { tensor } from '../../lib/engine/ir/tensor.js';
import { createServer, encodeTensor, healthCheck, makeClient, SERVICES, unary, waitForServing } from '../../lib/services/grpc/index.js';
import type { ClientConfig, GrpcServer } from '../../lib/services/grpc/index.js';
import { rejectsWith, teacherImpl } from './grpc-fixture.js';
import { hasOpenssl, makeCerts, type Certs } from '../helpers/certs.js';

async function predictOk(address: string, cfg: ClientConfig): Promise<void> {
  const c = makeClient('Teacher', address, { deadlineMs: 5000, ...cfg });
  try {
    const reply = await unary(c, 'Predict', { run_id: 'r', images: encodeTensor(tensor('uint8', [3], [1, 2, 3]), 'images') });
    assert.deepEqual([...(reply.labels?.data ?? [])], [1, 2, 3]);
  } finally {
    c.close();
  }
}

async function refused(address: string, cfg: ClientConfig): Promise<void> {
  const c = makeClient('Teacher', address, { deadlineMs: 5000, ...cfg });
  try {
    await rejectsWith(unary(c, 'Predict', { run_id: 'r' }), status.UNAVAILABLE);
  } finally {
    c.close();
  }
}

describe('gRPC TLS and mutual TLS', function () {
  let certs: Certs | undefined;
  const servers: GrpcServer[] = [];

  before(function () {
    if (!hasOpenssl()) {
      console.log('      openssl not found on PATH: TLS / mTLS tests skipped');
      this.skip();
    }
    this.timeout(30_000);
    certs = makeCerts();
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.shutdown(500)));
    if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
  });

  async function start(mutual: boolean): Promise<string> {
    const c = certs!;
    const server = createServer();
    servers.push(server);
    server.add('Teacher', teacherImpl());
    server.setServing(true);
    const port = await server.bind('127.0.0.1:0', { cert: c.serverCert, key: c.serverKey, ...(mutual ? { clientCa: c.ca, requireClientCert: true } : {}) });
    return `127.0.0.1:${port}`;
  }

  it('TLS: a client trusting the CA gets answers; plaintext and untrusting clients are refused', async () => {
    const c = certs!;
    const address = await start(false);
    await predictOk(address, { tls: { ca: c.ca } });
    await predictOk(address, { tls: { ca: c.ca, serverName: 'localhost' } });
    await waitForServing(address, SERVICES.Teacher, 3000, { tls: { ca: c.ca } });
    await refused(address, {});
    await refused(address, { tls: {} });
  });

  it('mutual TLS: a client certificate from the CA is accepted; none, or one from another CA, is refused', async () => {
    const c = certs!;
    const address = await start(true);
    await predictOk(address, { tls: { ca: c.ca, cert: c.clientCert, key: c.clientKey } });
    assert.equal(await healthCheck(address, '', { tls: { ca: c.ca, cert: c.clientCert, key: c.clientKey } }), 'SERVING');
    await refused(address, { tls: { ca: c.ca } });
    await refused(address, { tls: { ca: c.ca, cert: c.rogueCert, key: c.rogueKey } });
  });

  it('rejects incomplete TLS configurations', () => {
    const c = certs!;
    assert.throws(() => makeClient('Teacher', '127.0.0.1:1', { tls: { ca: c.ca, cert: c.clientCert } }), /needs both cert and key/);
    const server = createServer();
    servers.push(server);
    return assert.rejects(server.bind('127.0.0.1:0', { cert: c.serverCert, key: c.serverKey, requireClientCert: true }), /mutual TLS needs clientCa/);
  });
});
