/**
 * A stand-in for a service process in the local-stack tests: `node local-fake-service.js
 * <component> [--section.field value ...]`. It binds --grpc.port and --metrics.port (plain TCP
 * servers on 127.0.0.1; 0 = any), prints the ready line every service prints
 * ({"event":"listening","component","grpc","metrics","pid"}), and exits 0 on SIGTERM.
 *
 * With FAKE_RECORD_DIR set it writes <dir>/<component>-<pid>.json (its argv and whether it got
 * SFDA_AUTH_TOKEN) and, when <dir>/crash-<component> exists, exits with code 3 shortly after
 * it is ready (a crashing service, for the restart budget).
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const [component = 'fake', ...args] = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.lastIndexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};

function listen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer((sock) => sock.end());
    srv.on('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}

const grpc = await listen(Number(flag('grpc.port') ?? 0));
const metrics = await listen(Number(flag('metrics.port') ?? 0));
const port = (s: net.Server) => (s.address() as net.AddressInfo).port;
const dir = process.env['FAKE_RECORD_DIR'];
if (dir) {
  fs.writeFileSync(path.join(dir, `${component}-${process.pid}.json`), JSON.stringify({ argv: args, token: process.env['SFDA_AUTH_TOKEN'] ?? null }));
}
process.stderr.write(`${JSON.stringify({ level: 'info', msg: 'fake service up', component })}\n`);
process.stdout.write('not the ready line\n');
process.stdout.write(`${JSON.stringify({ event: 'listening', component, grpc: `127.0.0.1:${port(grpc)}`, metrics: `127.0.0.1:${port(metrics)}`, pid: process.pid })}\n`);
if (dir && fs.existsSync(path.join(dir, `crash-${component}`))) setTimeout(() => process.exit(3), 100);
const bye = () => {
  grpc.close();
  metrics.close();
  process.exit(0);
};
process.on('SIGTERM', bye);
process.on('SIGINT', bye);
