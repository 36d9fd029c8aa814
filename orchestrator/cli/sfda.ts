#!/usr/bin/env node
/**
 * sfda — the control CLI of the STvM services: a local stack (up, down) and runs (start,
 * watch, status, list, stop, resume, evaluate, export, logs) on an orchestrator.
 *
 *   node dist/orchestrator/cli/sfda.js --help      (or `npm run sfda -- --help`, or `sfda` once linked)
 *
 * The first Ctrl-C (or SIGTERM, SIGHUP) asks the running command to finish (up: stop the stack in
 * order; watch/logs --follow: stop following); a second one exits at once (130).
 */
import { runSfda } from './app.js';

const ac = new AbortController();
let signals = 0;
const onSignal = (sig: NodeJS.Signals) => {
  if (++signals > 1) process.exit(130);
  ac.abort(new Error(sig));
};
// SIGHUP too: a foreground `sfda up` whose terminal closes stops its stack instead of dying
// and leaving the services (in their own process groups) behind.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => onSignal(sig));

const code = await runSfda(process.argv.slice(2), {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  errIsTTY: process.stderr.isTTY === true,
  env: process.env,
  cwd: process.cwd(),
  signal: ac.signal,
});
process.exitCode = code;
// Nothing should keep the process alive after the command; the signal handlers must not.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(sig);
