/**
 * The execution provider of a service process (lib/services/process/runtime.ts): the settings
 * runtime.provider / runtime.providerFallback from a file, SFDA_* or flags (bad value → error
 * naming the field), probed at start, logged and exported as sfda_execution_provider_info; on a
 * machine without CUDA, 'cuda' is an error naming the missing library, and with
 * providerFallback 'cpu' a logged fallback that runs on cpu — in-process and as real processes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../lib/config/schema.js';
import { chooseProvider } from '../../lib/engine/runtime/index.js';
import type { Level, Logger } from '../../lib/run/logger.js';
import { findNatsServer, startNatsServer } from '../../lib/services/local/nats-server.js';
import { startServiceProcess } from '../../lib/services/local/service-process.js';
import { createServiceMetrics } from '../../lib/services/metrics/index.js';
import { COMMON_SCHEMA, loadProcessConfig, settingsHelp } from '../../lib/services/process/config.js';
import { providerForRun, RUNTIME_SCHEMA, startProvider } from '../../lib/services/process/runtime.js';
import { repoRoot } from '../../lib/run/code-version.js';

const SCHEMA = { ...COMMON_SCHEMA, ...RUNTIME_SCHEMA } as const;

interface Rec { level: Level; msg: string; fields: Record<string, unknown> }
function memLogger(): Logger & { recs: Rec[] } {
  const recs: Rec[] = [];
  const log = (level: Level, msg: string, fields: Record<string, unknown> = {}) => { recs.push({ level, msg, fields }); };
  return { recs, log, info: (m, f) => log('info', m, f), warn: (m, f) => log('warn', m, f), error: (m, f) => log('error', m, f), debug: (m, f) => log('debug', m, f) };
}

const PROVIDER_LIB = path.join(repoRoot(), 'node_modules/onnxruntime-node/bin/napi-v6', process.platform, process.arch, 'libonnxruntime_providers_shared.so');

describe('service execution provider (runtime.provider)', function () {
  this.timeout(120000);
  let cudaWorks = false;

  before(async () => {
    cudaWorks = await chooseProvider('cuda', 'error', () => undefined).then(() => true, () => false);
  });

  it('settings: default run/error; file < SFDA_RUNTIME_PROVIDER[_FALLBACK] < flags; a bad value names the field', () => {
    const d = loadProcessConfig(SCHEMA, {});
    assert.deepEqual(d.runtime, { provider: 'run', providerFallback: 'error' });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sfda-rt-'));
    try {
      const file = path.join(dir, 'teacher.json');
      fs.writeFileSync(file, JSON.stringify({ runtime: { provider: 'webgpu' } }));
      assert.equal(loadProcessConfig(SCHEMA, { file }).runtime.provider, 'webgpu');
      const env = { SFDA_RUNTIME_PROVIDER: 'cuda', SFDA_RUNTIME_PROVIDER_FALLBACK: 'cpu' };
      assert.deepEqual(loadProcessConfig(SCHEMA, { file, env }).runtime, { provider: 'cuda', providerFallback: 'cpu' });
      assert.deepEqual(loadProcessConfig(SCHEMA, { file, env, flags: ['--runtime.provider', 'cpu', '--runtime.providerFallback=error'] }).runtime, { provider: 'cpu', providerFallback: 'error' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const bad = (f: () => unknown, field: string, re: RegExp) => assert.throws(f, (e: Error) => {
      assert.ok(e instanceof ConfigError, `${e.name}: ${e.message}`);
      assert.equal(e.field, field);
      assert.match(e.message, re);
      return true;
    });
    bad(() => loadProcessConfig(SCHEMA, { flags: ['--runtime.provider', 'tpu'] }), 'runtime.provider', /run \| cpu \| cuda \| webgpu, got "tpu"/);
    bad(() => loadProcessConfig(SCHEMA, { env: { SFDA_RUNTIME_PROVIDER: 'CUDA' } }), 'runtime.provider', /got "CUDA"/);
    bad(() => loadProcessConfig(SCHEMA, { flags: ['--runtime.providerFallback', 'gpu'] }), 'runtime.providerFallback', /error \| cpu, got "gpu"/);
    const help = settingsHelp(SCHEMA).join('\n');
    assert.match(help, /--runtime\.provider {2}\(SFDA_RUNTIME_PROVIDER, default "run"\)/);
    assert.match(help, /--runtime\.providerFallback {2}\(SFDA_RUNTIME_PROVIDER_FALLBACK, default "error"\)/);
  });

  it("'cpu': probed, logged at start and exported as sfda_execution_provider_info{provider=\"cpu\"} 1 (teacher and student)", async () => {
    for (const component of ['teacher', 'student'] as const) {
      const metrics = createServiceMetrics(component, { processMetrics: false, build: { version: '0', commit: 'test' } });
      const log = memLogger();
      const p = await startProvider({ provider: 'cpu', providerFallback: 'error' }, log, metrics.provider);
      assert.deepEqual(p, { requested: 'cpu', provider: 'cpu' });
      const start = log.recs.find((r) => r.msg === 'execution provider');
      assert.ok(start && start.fields['provider'] === 'cpu', JSON.stringify(log.recs));
      const text = await metrics.registry.metrics();
      assert.match(text, /^# TYPE sfda_execution_provider_info gauge$/m);
      assert.match(text, new RegExp(`^sfda_execution_provider_info\\{provider="cpu",component="${component}"\\} 1$`, 'm'), text);
    }
  });

  it("'run': no probe at start, each run config decides; a process provider overrides a run's request, logged", async () => {
    const metrics = createServiceMetrics('teacher', { processMetrics: false, build: { version: '0', commit: 'test' } });
    const log = memLogger();
    const p = await startProvider({ provider: 'run', providerFallback: 'error' }, log, metrics.provider);
    assert.deepEqual(p, { requested: 'run' });
    assert.doesNotMatch(await metrics.registry.metrics(), /^sfda_execution_provider_info\{/m, 'nothing in use yet');
    assert.equal(await providerForRun(p, { provider: 'cpu', fallback: 'error' }, log, 'r1'), 'cpu');
    const own = { requested: 'cpu' as const, provider: 'cpu' as const };
    const probed: string[] = [];
    const probe = (async (prov: string) => { probed.push(prov); return { provider: 'cpu' }; }) as unknown as typeof chooseProvider;
    assert.equal(await providerForRun(own, { provider: 'cuda', fallback: 'error' }, log, 'r2', probe), 'cpu');
    assert.deepEqual(probed, [], 'the process provider was probed at start: no probe per run');
    const over = log.recs.find((r) => r.msg === 'run config runtime.provider overridden by this process');
    assert.deepEqual(over?.fields, { run: 'r2', requested: 'cuda', provider: 'cpu', setting: 'runtime.provider' });
  });

  it("'cuda' on a machine without it: an error naming runtime.provider and the missing library; with providerFallback 'cpu' a logged fallback, cpu in use", async function () {
    if (cudaWorks) this.skip();
    const metrics = createServiceMetrics('student', { processMetrics: false, build: { version: '0', commit: 'test' } });
    const log = memLogger();
    await assert.rejects(startProvider({ provider: 'cuda', providerFallback: 'error' }, log, metrics.provider), (e: Error) => {
      assert.ok(e instanceof ConfigError, `${e.name}: ${e.message}`);
      assert.equal(e.field, 'runtime.provider');
      assert.match(e.message, /execution provider 'cuda' could not start/);
      if (!fs.existsSync(PROVIDER_LIB)) assert.match(e.message, /libonnxruntime_providers_shared\.so/);
      assert.match(e.message, /missing: /);
      assert.match(e.message, /runtime\.providerFallback 'cpu'/);
      return true;
    });
    assert.doesNotMatch(await metrics.registry.metrics(), /^sfda_execution_provider_info\{/m);

    const p = await startProvider({ provider: 'cuda', providerFallback: 'cpu' }, log, metrics.provider);
    assert.equal(p.provider, 'cpu');
    assert.equal(p.requested, 'cuda');
    assert.ok(p.fallbackReason && /missing: /.test(p.fallbackReason));
    const warn = log.recs.find((r) => r.level === 'warn');
    assert.match(warn?.msg ?? '', /^provider cuda unavailable \(.+\); falling back to cpu$/);
    const info = log.recs.find((r) => r.msg === 'execution provider');
    assert.equal(info?.fields['provider'], 'cpu');
    assert.equal(info?.fields['requested'], 'cuda');
    assert.match(await metrics.registry.metrics(), /^sfda_execution_provider_info\{provider="cpu",component="student"\} 1$/m);
  });

  it('processes: teacher with --runtime.provider cuda exits 2 naming the field and the library; tpu exits 2; fallback cpu serves and scrapes cpu', async function () {
    const main = path.join(repoRoot(), 'dist', 'teacher-service', 'main.js');
    const bad = spawnSync(process.execPath, [main, '--runtime.provider', 'tpu', '--metrics.enabled', 'false'], { encoding: 'utf8', timeout: 60000 });
    assert.equal(bad.status, 2, bad.stderr);
    assert.match(bad.stderr, /config field 'runtime\.provider': expected one of run \| cpu \| cuda \| webgpu, got "tpu"/);
    if (cudaWorks) this.skip();
    const r = spawnSync(process.execPath, [main, '--runtime.provider', 'cuda', '--metrics.enabled', 'false', '--nats.servers', 'nats://127.0.0.1:1'], { encoding: 'utf8', timeout: 60000, env: { ...process.env, SFDA_LOG_LEVEL: 'warn' } });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /teacher: config field 'runtime\.provider': execution provider 'cuda' could not start/);
    if (!fs.existsSync(PROVIDER_LIB)) assert.match(r.stderr, /libonnxruntime_providers_shared\.so/);
    if (!findNatsServer()) return;
    const nats = await startNatsServer();
    try {
      const t = await startServiceProcess('teacher-service', ['--nats.servers', nats.url, '--log.level', 'info'], { SFDA_RUNTIME_PROVIDER: 'cuda', SFDA_RUNTIME_PROVIDER_FALLBACK: 'cpu' });
      try {
        const text = await (await fetch(`http://${t.metrics}/metrics`)).text();
        assert.match(text, /^sfda_execution_provider_info\{provider="cpu",component="teacher"\} 1$/m, text);
        assert.match(t.log(), /provider cuda unavailable \(.+\); falling back to cpu/);
        assert.match(t.log(), /execution provider/);
      } finally {
        await t.kill();
      }
    } finally {
      await nats.cleanup();
    }
  });
});
