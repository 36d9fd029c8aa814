/**
 * `sfda` as a child process: help (the tool's and every command's: summary, usage, flags,
 * global flags, examples, exit codes) and usage errors (exit 2, one line naming the flag or
 * argument, a pointer to --help, no stack trace, not the whole usage text).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { COMMANDS } from '../../orchestrator/cli/commands.js';
import { sfdaProcess, type CliResult } from './cli-fixture.js';

describe('sfda: help and usage errors (child process)', function () {
  this.timeout(60_000);
  let cwd: string;
  before(() => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sfda-help-'));
    fs.writeFileSync(path.join(cwd, 'cfg.json'), '{"name":"p0"}');
  });
  after(() => fs.rmSync(cwd, { recursive: true, force: true }));

  const run = (args: string[]) => sfdaProcess(args, { cwd });

  it('sfda --help: every command, the global flags, the exit codes, examples', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`^  ${c.name} +\\S`, 'm'), `lists ${c.name}`);
    for (const f of ['--orchestrator', '--state', '--token', '--tls-ca', '--tls-cert', '--tls-key', '--json']) assert.ok(r.stdout.includes(f), f);
    assert.match(r.stdout, /Exit codes:\n {2}0 +ok[^]*\n {2}2 +usage error[^]*\n {2}3 +not found[^]*\n {2}4 +not authenticated[^]*\n {2}5 +orchestrator unreachable/);
    assert.match(r.stdout, /SFDA_ORCHESTRATOR/);
    assert.match(r.stdout, /Examples:\n {2}sfda /);
    const viaHelp = await run(['help']);
    assert.equal(viaHelp.stdout, r.stdout);
  });

  it('every command has --help: summary, usage, its flags, global flags, examples', async () => {
    const results = await Promise.all(COMMANDS.map((c) => run([c.name, '--help'])));
    COMMANDS.forEach((c, i) => {
      const r = results[i]!;
      assert.equal(r.code, 0, `${c.name}: ${r.stderr}`);
      assert.ok(r.stdout.startsWith(`sfda ${c.name} — ${c.summary}\n\nUsage: sfda ${c.name}`), `${c.name} help starts with summary and usage:\n${r.stdout.slice(0, 200)}`);
      for (const f of Object.keys(c.flags)) assert.ok(r.stdout.includes(`--${f}`), `${c.name} --help shows --${f}`);
      assert.match(r.stdout, /\nGlobal flags:\n {2}--orchestrator/);
      assert.match(r.stdout, /\nExamples:\n {2}sfda /);
      assert.match(r.stdout, /Exit codes:/);
      if (c.args.length) assert.match(r.stdout, /Arguments:\n {2}RUN /);
    });
    // -h and `sfda help CMD` say the same
    const [h, helpCmd] = await Promise.all([run(['watch', '-h']), run(['help', 'watch'])]);
    assert.equal(h.stdout, results[COMMANDS.findIndex((c) => c.name === 'watch')]!.stdout);
    assert.equal(helpCmd.stdout, h.stdout);
    assert.match(h.stdout, /FINISHED/);
  });

  /** exit 2, the error names `what`, one error line and a pointer to help, no stack trace. */
  function usageError(r: CliResult, what: RegExp, args: string): void {
    assert.equal(r.code, 2, `sfda ${args}: exit ${r.code}\n${r.stderr}`);
    assert.equal(r.stdout, '', `sfda ${args}: nothing on stdout`);
    const lines = r.stderr.trimEnd().split('\n');
    assert.match(lines[0]!, /^error: /, `sfda ${args}: ${r.stderr}`);
    assert.match(lines[0]!, what, `sfda ${args}: ${r.stderr}`);
    assert.ok(lines.length <= 2, `sfda ${args}: one error line (and a hint), got:\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }

  it('usage errors exit 2 and name the flag or argument', async () => {
    const cases: [string[], RegExp][] = [
      [['list', '--bogus'], /--bogus/],
      [['--bogus', 'list'], /--bogus/],
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['help', 'frobnicate'], /unknown command 'frobnicate'/],
      [['start'], /--config is required/],
      [['start', '--config', 'missing.json'], /--config: cannot read missing\.json/],
      [['start', '--config', 'cfg.json', '--mode', 'fast'], /--mode: expected sync or pipelined, got 'fast'/],
      [['start', '--config', 'cfg.json', '--max-staleness', '-1'], /--max-staleness: expected an integer ≥ 0, got '-1'/],
      [['start', '--config', 'cfg.json', '--source', '--watch'], /--source/],
      [['start', '--config', 'cfg.json', '--max-staleness', '1.5'], /--max-staleness: expected an integer/],
      [['start', '--config', 'cfg.json', '--set', 'iterations'], /--set: expected field=value, got 'iterations'/],
      [['status'], /RUN is missing/],
      [['status', 'a', 'b'], /unexpected argument 'b'/],
      [['evaluate', 'r1', '--limit', 'many'], /--limit: expected a number, got 'many'/],
      [['export', 'r1'], /--out is required/],
      [['logs', 'r1', '--level', 'loud'], /--level: expected debug, info, warn or error/],
      [['list', '--orchestrator', 'no-port'], /--orchestrator: expected HOST:PORT, got 'no-port'/],
      [['list', '--tls-cert', 'nope.pem'], /--tls-cert: file nope\.pem does not exist/],
      [['list', '--timeout', '0'], /--timeout/],
      [['watch', 'r1', '--interval', 'x'], /--interval/],
    ];
    const results = await Promise.all(cases.map(([a]) => run(a)));
    cases.forEach(([a, re], i) => usageError(results[i]!, re, a.join(' ')));
    assert.match(results[0]!.stderr, /\(see 'sfda list --help'\)/);
  });

  it('no command: exit 2 with the short usage on stderr', async () => {
    const r = await run([]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /a command is missing/);
    assert.match(r.stderr, /Usage: sfda <command>/);
  });

  it('--version', async () => {
    const r = await run(['--version']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^sfda \d+\.\d+\.\d+/);
  });
});
