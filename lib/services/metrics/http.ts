/**
 * serveMetrics(metrics, {host, port}): the scrape endpoint of a service, on node:http.
 *   GET /metrics   the registry in the Prometheus text format (text/plain; version=0.0.4)
 *   GET /healthz   "ok" (liveness of the metrics server itself)
 * HEAD is answered like GET without a body; other methods get 405, other paths 404.
 * Port 0 picks a free port; the chosen one is returned.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface MetricsServerOptions {
  /** interface to listen on (default 127.0.0.1; 0.0.0.0 to be scraped from other hosts) */
  host?: string;
  /** port (0 = any free port) */
  port: number;
}

export interface MetricsServer {
  /** the port actually listened on */
  port: number;
  host: string;
  /** stops listening and drops open keep-alive connections */
  close(): Promise<void>;
}

export async function serveMetrics(metrics: { registry: Registry }, opts: MetricsServerOptions): Promise<MetricsServer> {
  const host = opts.host ?? '127.0.0.1';
  const { registry } = metrics;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const head = req.method === 'HEAD';
    if (path !== '/metrics' && path !== '/healthz') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(head ? undefined : 'not found: try /metrics or /healthz\n');
      return;
    }
    if (req.method !== 'GET' && !head) {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(head ? undefined : 'ok\n');
      return;
    }
    registry.metrics().then(
      (body) => {
        res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' }).end(head ? undefined : body);
      },
      (err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`collecting metrics failed: ${(err as Error).message}\n`);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    host,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
