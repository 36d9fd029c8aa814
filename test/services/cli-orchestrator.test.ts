/**
 * `sfda` against a fake Orchestrator (cli-fixture.ts: a real gRPC server on loopback with
 * canned answers): list/status/start/stop/resume/evaluate/export/logs output (human and
 * --json), watch (renders the events; exit 0 on FINISHED, 1 on FAILED; reconnects after a
 * stream that ends early), the orchestrator found through stack.json, and the exit codes of
 * NOT_FOUND (3), UNAUTHENTICATED (4), INVALID_ARGUMENT (2) and an unreachable orchestrator
 * (5) — in-process, and for the exit codes also as a child process; the TLS flags against a
 * server that requires client certificates (openssl-made, skipped without openssl).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, writeStack, type StackInfo } from '../../lib/services/local/index.js';
import { sfda, sfdaProcess, startFakeOrchestrator, TOKEN, writeRunLog, type FakeOrchestrator } from './cli-fixture.js';

describe('sfda against a fake orchestrator', function () {
  this.timeout(60_000);
  let orch: FakeOrchestrator;
  let cwd: string;
  let runDir: string;
  let base: string[];

  beforeEach(async () => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sfda-cli-'));
    runDir = path.join(cwd, 'runs', 'r');
    writeRunLog(runDir);
    fs.writeFileSync(path.join(cwd, 'p0.json'), JSON.stringify({ name: 'p0', iterations: 4 }));
    orch = await startFakeOrchestrator(runDir);
    base = ['--orchestrator', orch.address, '--token', TOKEN];
  });
  afterEach(async () => {
    await orch.close();
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  const run = (args: string[], env?: NodeJS.ProcessEnv) => sfda([...base, ...args], { cwd, ...(env ? { env } : {}) });

  it('list --json: one array of run objects with the RunInfo fields', async () => {
    const r = await run(['list', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const runs = JSON.parse(r.stdout) as Record<string, unknown>[];
    assert.ok(Array.isArray(runs));
    assert.deepEqual(runs.map((x) => x['run_id']).sort(), ['r-done', 'r-fail', 'r-flaky', 'r-run', 'r-slow']);
    const done = runs.find((x) => x['run_id'] === 'r-done')!;
    assert.deepEqual(Object.keys(done).sort(), ['created', 'error', 'iterations', 'last_checkpoint', 'method', 'miou', 'mode', 'phase', 'run_dir', 'run_id', 'step', 'student', 'teacher', 'teacher_version', 'updated']);
    assert.equal(done['phase'], 'FINISHED');
    assert.equal(done['step'], 4);
    assert.equal(done['miou'], 0.4123);
    assert.equal(runs.find((x) => x['run_id'] === 'r-run')!['miou'], null, 'NaN (no evaluation yet) is null');
    assert.equal(r.stderr, '');
  });

  it('list: a table', async () => {
    const r = await run(['list']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^RUN +PHASE +STEP +MODE +TEACHER +mIoU +UPDATED +PAIR$/);
    assert.match(r.stdout, /\nr-done +FINISHED +4\/4 +sync +v4 +41\.2% /);
    assert.equal(lines.length, 6);
  });

  it('status: details; --json: the run object', async () => {
    const r = await run(['status', 'r-done']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^run {8}r-done\nphase {6}FINISHED\nstep {7}4\/4 \(100\.0%\)\nteacher {4}v4 \(staleness 0\)\n/);
    assert.match(r.stdout, /mIoU {7}41\.23%/);
    assert.match(r.stdout, new RegExp(`run dir {4}${runDir.replace(/[/.]/g, '\\$&')}`));
    const j = await run(['status', 'r-done', '--json']);
    assert.equal((JSON.parse(j.stdout) as { phase: string }).phase, 'FINISHED');
    // global flags after the command work as well as before it
    const after = await sfda(['status', 'r-done', '--json', '--orchestrator', orch.address, '--token', TOKEN], { cwd });
    assert.equal(after.code, 0, after.stderr);
  });

  it('start: sends the config text, source, mode, staleness and overrides; prints the run', async () => {
    const src = path.join(cwd, 'source.onnx');
    fs.writeFileSync(src, 'x');
    const r = await run(['start', '--config', 'p0.json', '--source', 'source.onnx', '--mode', 'pipelined', '--max-staleness', '2', '--set', 'iterations=20', '--set', 'seed=7', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const req = orch.starts[0]!;
    assert.equal(req.config_json, fs.readFileSync(path.join(cwd, 'p0.json'), 'utf8'));
    assert.equal(req.source_model, src, 'a local source path is made absolute');
    assert.equal(req.mode, 'pipelined');
    assert.equal(req.max_staleness, 2);
    assert.deepEqual(req.overrides, { iterations: '20', seed: '7' });
    const info = JSON.parse(r.stdout) as { run_id: string; iterations: number; phase: string };
    assert.deepEqual([info.run_id, info.iterations, info.phase], ['p0-1', 20, 'STARTING']);
    const human = await run(['start', '--config', 'p0.json', '--run-id', 'mine']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^started run mine STARTING at step 0\/4/);
    assert.match(human.stdout, /sfda watch mine/);
  });

  it('start: the orchestrator rejecting a config field is a usage error (exit 2) with its message', async () => {
    const r = await run(['start', '--config', 'p0.json', '--set', 'bogus=1']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, "error: invalid request: config field 'bogus': unknown field\n");
  });

  it('stop and resume print the run', async () => {
    const s = await run(['stop', 'r-run']);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /^stopping run r-run STOPPING at step 1\/4/);
    const r = await run(['resume', 'r-run', '--json']);
    assert.equal((JSON.parse(r.stdout) as { phase: string }).phase, 'RUNNING');
  });

  it('watch: renders progress on stderr, the final state on stdout, exit 0 when FINISHED', async () => {
    const r = await run(['watch', 'r-run', '--interval', '0']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'run r-run FINISHED at step 4/4 (100.0%), teacher v3, mIoU 41.2%\n');
    const lines = r.stderr.trimEnd().split('\n');
    assert.ok(lines.length >= 4, r.stderr);
    assert.match(r.stderr, /r-run 2\/4 it \(50\.0%\) \| loss 0\.3333 \| rel 0\.700 \| teacher v1 \(stale 1\) \| .*RUNNING/);
    assert.match(r.stderr, /mIoU 35\.0%/, 'the mIoU once evaluated');
    assert.match(r.stderr, /ETA \d/);
    assert.match(lines[lines.length - 1]!, /4\/4 it \(100\.0%\).*mIoU 41\.2% \| FINISHED$/);
  });

  it('watch: a terminal draws a bar redrawn in place', async () => {
    const r = await sfda([...base, 'watch', 'r-run'], { cwd, tty: true });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /\r\x1b\[2Kr-run \[#+-*\] \d\/4 it/);
    assert.ok(r.stderr.endsWith('\n'));
  });

  it('watch: exit 1 when the run FAILED, with its error', async () => {
    const r = await run(['watch', 'r-fail', '--json', '--quiet']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, '', '--quiet: no progress');
    const info = JSON.parse(r.stdout) as { phase: string; error: string };
    assert.equal(info.phase, 'FAILED');
    assert.match(info.error, /out of memory/);
    const human = await run(['watch', 'r-fail']);
    assert.equal(human.code, 1);
    assert.match(human.stdout, /^run r-fail FAILED at step 3\/4 .* — student at 127\.0\.0\.1:1 failed: out of memory\n$/);
  });

  it('watch: a run already ended answers at once', async () => {
    const r = await run(['watch', 'r-done', '--quiet']);
    assert.equal(r.code, 0);
    assert.equal(orch.watches.get('r-done'), undefined, 'no stream opened');
  });

  it('watch: a stream that ends without a terminal phase is re-opened', async () => {
    const r = await run(['watch', 'r-flaky', '--interval', '0']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(orch.watches.get('r-flaky'), 2);
    assert.match(r.stdout, /FINISHED/);
  });

  it('watch: Ctrl-C stops watching (exit 130), not the run', async () => {
    const ac = new AbortController();
    const p = sfda([...base, 'watch', 'r-slow', '--interval', '0'], { cwd, signal: ac.signal });
    await new Promise((r) => setTimeout(r, 300));
    ac.abort();
    const r = await p;
    assert.equal(r.code, 130);
    assert.match(r.stderr, /r-slow \d+\/1000 it/);
    assert.match(r.stderr, /stopped watching run r-slow; it goes on \(sfda stop r-slow stops it\)\n$/);
    assert.equal(r.stdout, '');
    assert.equal(orch.runs.get('r-slow')!.phase, 'RUNNING');
  });

  it('watch: follows the orchestrator through a restart on the same port', async () => {
    const p = sfda([...base, 'watch', 'r-slow', '--interval', '0', '--reconnect', '20'], { cwd });
    await new Promise((r) => setTimeout(r, 300));
    const runs = orch.runs;
    const port = orch.port;
    await orch.close(); // ends the stream (shutdown trailer); GetRun fails while it is down
    await new Promise((r) => setTimeout(r, 700));
    runs.get('r-slow')!.phase = 'FINISHED';
    orch = await startFakeOrchestrator(runDir, { port, runs });
    const r = await p;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /the orchestrator at 127\.0\.0\.1:\d+ went away; reconnecting for up to 20s…/);
    assert.match(r.stdout, /^run r-slow FINISHED/);
  });

  it('watch: the orchestrator gone for longer than --reconnect → exit 5', async () => {
    const p = sfda([...base, 'watch', 'r-slow', '--interval', '0', '--reconnect', '1'], { cwd });
    await new Promise((r) => setTimeout(r, 300));
    await orch.close();
    const r = await p;
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /error: lost the orchestrator at 127\.0\.0\.1:\d+ for \ds while watching run r-slow; the run may go on \(sfda status r-slow\)\n$/);
  });

  it('start --watch follows the new run', async () => {
    orch.runs.set('r-run', { ...orch.runs.get('r-run')! });
    const r = await run(['start', '--config', 'p0.json', '--run-id', 'r-run', '--watch', '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /run r-run FINISHED/);
  });

  it('evaluate and export: absolute paths to the orchestrator; results printed', async () => {
    const e = await run(['evaluate', 'r-done', '--limit', '5', '--out', 'eval']);
    assert.equal(e.code, 0, e.stderr);
    assert.match(e.stdout, /^run r-done: mIoU 41\.23%, pixel accuracy 87\.50% on val \(5 images\), teacher v4 \(sha256 abababababab\)\n/);
    assert.match(e.stdout, /\nCLASS +IoU\nroad +90\.0%\ncar +50\.0%\nsky +n\/a\n/);
    assert.match(e.stdout, new RegExp(`label PNGs and overlays: ${path.join(cwd, 'eval').replace(/[/.]/g, '\\$&')}`));
    const ej = await run(['evaluate', 'r-done', '--json']);
    const ev = JSON.parse(ej.stdout) as { miou: number; class_iou: Record<string, number | null> };
    assert.equal(ev.miou, 0.4123);
    assert.equal(ev.class_iou['sky'], null);
    const x = await run(['export', 'r-done', '--out', 'models/r.onnx', '--json']);
    assert.equal(x.code, 0, x.stderr);
    assert.equal((JSON.parse(x.stdout) as { path: string }).path, path.join(cwd, 'models', 'r.onnx'));
  });

  it('logs: the run\'s log.jsonl formatted; --level; --tail; --json', async () => {
    const r = await run(['logs', 'r-done']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, [
      '2024-05-01 12:00:00.000 INFO  [student] run started iterations=4',
      '2024-05-01 12:00:01.000 DEBUG batch step=1',
      '2024-05-01 12:00:02.000 WARN  teacher slow wait_ms=1235 peer="teacher at 127.0.0.1:1"',
      'not json',
      '',
    ].join('\n'));
    const warn = await run(['logs', 'r-done', '--level', 'warn']);
    assert.equal(warn.stdout.split('\n').filter((l) => l).length, 2, 'warn and the non-JSON line');
    const tail = await run(['logs', 'r-done', '--tail', '1', '--json']);
    assert.deepEqual(JSON.parse(tail.stdout), [{ msg: 'not json' }]);
  });

  it('logs --follow prints appended records until the run ends', async () => {
    const ac = new AbortController();
    const p = sfda([...base, 'logs', 'r-run', '--follow', '--tail', '0'], { cwd, signal: ac.signal });
    await new Promise((r) => setTimeout(r, 300));
    fs.appendFileSync(path.join(runDir, 'log.jsonl'), `${JSON.stringify({ t: '2024-05-01T12:00:03.000Z', level: 'info', msg: 'step', step: 2 })}\n`);
    await new Promise((r) => setTimeout(r, 800));
    orch.runs.get('r-run')!.phase = 'FINISHED';
    const r = await p;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '2024-05-01 12:00:03.000 INFO  step step=2\n');
    assert.match(r.stderr, /run r-run FINISHED/);
  });

  it('the orchestrator and the token from the local stack\'s stack.json', async () => {
    const state = path.join(cwd, '.sfda');
    const entry = (grpc: string) => ({ grpc, pid: process.pid, restarts: 0, log: '', cmd: [] });
    const info: StackInfo = {
      version: 1, supervisor: { pid: process.pid }, started: '', updated: '', stateDir: state, logDir: state,
      nats: { url: 'nats://127.0.0.1:1', storeDir: state, pid: process.pid, restarts: 0, log: '', cmd: [] },
      teacher: entry('127.0.0.1:1'), student: entry('127.0.0.1:1'), orchestrator: entry(orch.address), token: TOKEN,
    };
    writeStack(state, info);
    const r = await sfda(['list', '--json'], { cwd });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as unknown[]).length, 5);
    // SFDA_ORCHESTRATOR wins over stack.json (and then the stack's token is not used)
    const env = await sfda(['list'], { cwd, env: { SFDA_ORCHESTRATOR: orch.address } });
    assert.equal(env.code, 4);
    const envTok = await sfda(['list'], { cwd, env: { SFDA_ORCHESTRATOR: orch.address, SFDA_TOKEN: TOKEN } });
    assert.equal(envTok.code, 0, envTok.stderr);
    // a stack whose supervisor is gone: unreachable, says so
    writeStack(state, { ...info, supervisor: { pid: 2 ** 22 + 12345 } });
    const stale = await sfda(['list'], { cwd });
    assert.equal(stale.code, 5);
    assert.match(stale.stderr, /^error: the local stack in .* is not running .*sfda up/);
    fs.rmSync(state, { recursive: true });
    const none = await sfda(['list'], { cwd });
    assert.equal(none.code, 5);
    assert.match(none.stderr, /no orchestrator address: pass --orchestrator/);
  });

  describe('exit codes', () => {
    it('NOT_FOUND → 3 with the server\'s message', async () => {
      const r = await run(['status', 'nope']);
      assert.equal(r.code, 3);
      assert.equal(r.stderr, "error: run 'nope' not found\n");
      assert.equal((await run(['watch', 'nope'])).code, 3);
      assert.equal((await run(['logs', 'nope'])).code, 3);
    });

    it('UNAUTHENTICATED → 4: no token, a wrong token', async () => {
      const none = await sfda(['--orchestrator', orch.address, 'list'], { cwd });
      assert.equal(none.code, 4);
      assert.match(none.stderr, /^error: not authenticated: missing authorization metadata .*--token/);
      const wrong = await sfda(['--orchestrator', orch.address, '--token', 'nope', 'list'], { cwd });
      assert.equal(wrong.code, 4);
      assert.match(wrong.stderr, /invalid bearer token/);
    });

    it('unreachable → 5', async () => {
      const port = await freePort();
      const r = await sfda(['--orchestrator', `127.0.0.1:${port}`, 'list'], { cwd });
      assert.equal(r.code, 5);
      assert.match(r.stderr, new RegExp(`^error: orchestrator at 127\\.0\\.0\\.1:${port} unreachable \\(UNAVAILABLE: .*\\)\\n$`));
    });

    it('the real process exits with the same codes, one line on stderr, no stack trace', async () => {
      const port = await freePort();
      const p = (args: string[]) => sfdaProcess(args, { cwd });
      const [found, missing, unauth, unreachable, finished, failed] = await Promise.all([
        p([...base, 'status', 'r-done', '--json']),
        p([...base, 'status', 'nope']),
        p(['--orchestrator', orch.address, '--token', 'wrong', 'list']),
        p(['--orchestrator', `127.0.0.1:${port}`, 'list']),
        p([...base, 'watch', 'r-run', '--quiet']),
        p([...base, 'watch', 'r-fail', '--quiet']),
      ]);
      assert.equal(found.code, 0, found.stderr);
      assert.equal((JSON.parse(found.stdout) as { run_id: string }).run_id, 'r-done');
      for (const [r, code] of [[missing, 3], [unauth, 4], [unreachable, 5], [failed, 1]] as const) {
        assert.equal(r.code, code, r.stderr);
        if (code !== 1) {
          assert.equal(r.stderr.split('\n').filter((l) => l).length, 1, r.stderr);
          assert.match(r.stderr, /^error: /);
        }
        assert.doesNotMatch(r.stderr, /\n\s+at /);
      }
      assert.equal(finished.code, 0, finished.stderr);
      assert.match(finished.stdout, /FINISHED/);
      assert.match(failed.stdout, /FAILED/);
    });
  });
});

describe('sfda over (mutual) TLS', function () {
  this.timeout(60_000);
  let dir: string;
  let orch: FakeOrchestrator;
  const f = (name: string) => path.join(dir, name);

  before(async function () {
    try {
      execFileSync('openssl', ['version'], { stdio: 'ignore' });
    } catch {
      this.skip(); // openssl is not installed: the TLS flags are not exercised here
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sfda-tls-'));
    const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    ossl('req', '-x509', ...key, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=sfda-test-ca',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    const leaf = (name: string, ext: string) => {
      fs.writeFileSync(f(`${name}.ext`), ext);
      ossl('req', ...key, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
      ossl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
    };
    leaf('server', 'subjectAltName=DNS:orchestrator.test,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    leaf('client', 'extendedKeyUsage=clientAuth\n');
    orch = await startFakeOrchestrator(dir, { tls: { cert: f('server.crt'), key: f('server.key'), clientCa: f('ca.crt'), requireClientCert: true } });
  });
  after(async () => {
    await orch?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('--tls-ca, --tls-cert, --tls-key (and --tls-server-name) reach the orchestrator; without a client certificate it refuses', async () => {
    const tls = ['--tls-ca', f('ca.crt'), '--tls-cert', f('client.crt'), '--tls-key', f('client.key')];
    const ok = await sfda(['--orchestrator', orch.address, '--token', TOKEN, ...tls, 'status', 'r-done', '--json'], { cwd: dir });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((JSON.parse(ok.stdout) as { phase: string }).phase, 'FINISHED');
    const named = await sfda(['--orchestrator', orch.address, '--token', TOKEN, ...tls, '--tls-server-name', 'orchestrator.test', 'list'], { cwd: dir });
    assert.equal(named.code, 0, named.stderr);
    const noCert = await sfda(['--orchestrator', orch.address, '--token', TOKEN, '--tls-ca', f('ca.crt'), 'list'], { cwd: dir });
    assert.equal(noCert.code, 5, noCert.stderr);
    assert.match(noCert.stderr, /^error: orchestrator at 127\.0\.0\.1:\d+ unreachable \(UNAVAILABLE: /);
    const half = await sfda(['--orchestrator', orch.address, '--tls-cert', f('client.crt'), 'list'], { cwd: dir });
    assert.equal(half.code, 2);
    assert.match(half.stderr, /--tls-key is missing/);
  });
});
