/**
 * A self-describing run directory:
 *   config.json        the resolved config (every default filled in)
 *   version.json       code version (git commit, dirty flag, package, node)
 *   metrics.jsonl      one JSON record per logged step / evaluation
 *   log.jsonl          structured log
 *   checkpoints/       step-NNNNNNN.ckpt written atomically, latest.json pointing at the newest
 */
import fs from 'node:fs';
import path from 'node:path';
import { codeVersion } from './code-version.js';
import { createLogger, type Logger, type Level } from './logger.js';

export interface RunDir {
  readonly root: string;
  readonly checkpoints: string;
  readonly logger: Logger;
  /** Appends one record to metrics.jsonl. */
  metric(record: Record<string, unknown>): void;
  /** Reads every metrics record written so far (used on resume). */
  readMetrics(): Record<string, unknown>[];
}

export function openRunDir(root: string, config: unknown, opts: { console?: Level | 'none'; resume?: boolean } = {}): RunDir {
  fs.mkdirSync(path.join(root, 'checkpoints'), { recursive: true });
  const cfgPath = path.join(root, 'config.json');
  const cfgText = `${JSON.stringify(config, null, 2)}\n`;
  if (opts.resume && fs.existsSync(cfgPath)) {
    const prev = fs.readFileSync(cfgPath, 'utf8');
    if (prev !== cfgText) throw new Error(`cannot resume ${root}: its config.json differs from the config given now (start a new run directory, or pass the same config)`);
  } else fs.writeFileSync(cfgPath, cfgText);
  fs.writeFileSync(path.join(root, 'version.json'), `${JSON.stringify(codeVersion(), null, 2)}\n`);
  const metricsPath = path.join(root, 'metrics.jsonl');
  const logger = createLogger({ file: path.join(root, 'log.jsonl'), console: opts.console ?? 'info' });
  return {
    root,
    checkpoints: path.join(root, 'checkpoints'),
    logger,
    metric(record) {
      fs.appendFileSync(metricsPath, `${JSON.stringify(record)}\n`);
    },
    readMetrics() {
      if (!fs.existsSync(metricsPath)) return [];
      return fs.readFileSync(metricsPath, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    },
  };
}

/** On resume: drop metric records logged after the checkpoint's step (they will be redone). */
export function truncateMetrics(run: RunDir, step: number): void {
  const keep = run.readMetrics().filter((r) => typeof r.step !== 'number' || (r.step as number) <= step);
  fs.writeFileSync(path.join(run.root, 'metrics.jsonl'), keep.map((r) => `${JSON.stringify(r)}\n`).join(''));
}
