/** serveMetrics: /metrics in the Prometheus text format, /healthz, 404/405, port 0, close(). */
import assert from 'node:assert/strict';
import { createServiceMetrics, serveMetrics, type MetricsServer } from '../../lib/services/metrics/index.js';
import { TEST_BUILD } from './metrics-exercise.js';

describe('services/metrics HTTP endpoint', () => {
  let srv: MetricsServer | undefined;
  after(async () => srv?.close());

  it('serves /metrics and /healthz on a free port, and stops on close()', async () => {
    const m = createServiceMetrics('student', { build: TEST_BUILD });
    m.student.recordStep({ seconds: 0.5, images: 4, loss: 1.5 });
    srv = await serveMetrics(m, { host: '127.0.0.1', port: 0 });
    assert.ok(srv.port > 0);
    const base = `http://127.0.0.1:${srv.port}`;
    let res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const body = await res.text();
    assert.match(body, /^sfda_student_images_total\{component="student"\} 4$/m);
    assert.match(body, /^process_resident_memory_bytes\{component="student"\} \d+$/m);
    res = await fetch(`${base}/healthz`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ok\n');
    res = await fetch(`${base}/nope`);
    assert.equal(res.status, 404);
    await res.arrayBuffer();
    res = await fetch(`${base}/metrics`, { method: 'POST', body: 'x' });
    assert.equal(res.status, 405);
    await res.arrayBuffer();
    res = await fetch(`${base}/metrics`, { method: 'HEAD' });
    assert.equal(res.status, 200);
    await srv.close();
    await assert.rejects(fetch(`${base}/healthz`));
    srv = undefined;
  });
});
