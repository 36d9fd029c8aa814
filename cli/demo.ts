/**
 * The main job on the embedded default, through the services: train (or reuse) a SynthStreet
 * source model; start nats-server and the teacher, student and orchestrator services on this
 * machine (`sfda up --detach`); adapt the model to a SynthStreet target style with STvM as a
 * run of the orchestrator (`sfda start … --watch`); stop the stack (`sfda down`); evaluate the
 * source-only, AdaBN, TENT (cli/baseline.ts) and STvM models on that style's labelled validation frames (diagnostic only —
 * the adapted model is the last checkpoint, never selected with these labels); print the
 * comparison and write colour overlays.
 *
 * Each stage is one of the project's own commands, run as a child process, so the demo is
 * exactly what a user would type. Finished stages are reused on a second run (each writes its
 * outputs atomically); an interrupted adaptation is resumed from its checkpoint.
 * `--single-process` adapts with `node dist/cli/adapt.js` instead of the services.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFlags, runMain, UsageError, type CommandSpec } from '../lib/cli/args.js';

const SPEC: CommandSpec = {
  name: 'demo',
  summary: 'SynthStreet source → target style with STvM: train/reuse the source model, adapt (STvM, and AdaBN/TENT for comparison), compare, draw overlays',
  flags: {
    out: { type: 'string', help: 'output folder (reused: finished stages are skipped)', default: 'runs/demo' },
    style: { type: 'string', help: 'SynthStreet target style (overcast-photo | dusk | foggy-lowres | sunny-photo)', default: 'overcast-photo' },
    'source-config': { type: 'string', help: 'source training config', default: 'configs/source/synthstreet.json' },
    'source-model': { type: 'string', help: 'use this source model (*.model.ckpt) instead of training one' },
    'adapt-config': { type: 'string', help: 'adaptation config', default: 'configs/adapt/p0-stvm.json' },
    'source-iterations': { type: 'number', help: 'source training iterations (config default when omitted)' },
    'adapt-iterations': { type: 'number', help: 'adaptation iterations (config default when omitted)' },
    'eval-count': { type: 'number', help: 'labelled target frames to evaluate on', default: 100 },
    fresh: { type: 'boolean', help: 'delete --out first and redo every stage' },
    'single-process': { type: 'boolean', help: 'adapt in this process tree (node dist/cli/adapt.js) instead of through the services' },
  },
  examples: ['npm run demo', 'node dist/cli/demo.js --style dusk --out runs/demo-dusk'],
};

const DIST = path.dirname(fileURLToPath(import.meta.url));

/** Runs one of the project's commands (a path under dist/) as a child process, printing it first. */
function runCli(script: string, args: string[], label: string): Promise<void> {
  process.stderr.write(`\n== ${label}\n$ node dist/${script} ${args.map((a) => (/[\s;'"]/.test(a) ? `'${a}'` : a)).join(' ')}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(DIST, '..', script), ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${label} failed (exit code ${code}); its output is above`))));
  });
}

const SFDA = 'orchestrator/cli/sfda.js';

interface EvalJson { mIoU: number | null; iou: Record<string, number | null> }

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '  n/a' : (100 * v).toFixed(1).padStart(5));

async function main(): Promise<void> {
  const f = parseFlags(SPEC);
  if (!f) return;
  const out = f.out as string;
  const style = f.style as string;
  if (f.fresh) fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const t0 = performance.now();

  // 1. source model
  let source = f['source-model'] as string | undefined;
  if (source !== undefined) {
    if (!fs.existsSync(source)) throw new UsageError(`--source-model: no file ${source}`);
  } else {
    const dir = path.join(out, 'source');
    source = path.join(dir, 'model.ckpt');
    if (fs.existsSync(source)) process.stderr.write(`== source model: reusing ${source}\n`);
    else {
      const args = ['--config', f['source-config'] as string, '--out', dir];
      if (fs.existsSync(path.join(dir, 'checkpoints', 'latest.json'))) args.push('--resume');
      if (typeof f['source-iterations'] === 'number') args.push('--set', `iterations=${f['source-iterations']}`);
      await runCli('cli/train-source.js', args, 'train the source model on SynthStreet source style');
    }
  }

  // 2. STvM adaptation
  const adaptDir = path.join(out, `adapt-${style}`);
  const adapted = path.join(adaptDir, 'teacher.model.ckpt');
  // the adaptation config with the chosen style (STvM and the baselines read the same file)
  const cfgFile = path.join(out, `adapt-${style}.config.json`);
  const cfg = JSON.parse(fs.readFileSync(f['adapt-config'] as string, 'utf8')) as { target?: Record<string, unknown>; eval?: Record<string, unknown> };
  cfg.target = { ...cfg.target, style };
  if (cfg.eval) cfg.eval = { ...cfg.eval, style, every: 0 };
  fs.writeFileSync(cfgFile, `${JSON.stringify(cfg, null, 2)}\n`);
  if (fs.existsSync(adapted)) process.stderr.write(`== adapted model: reusing ${adapted}\n`);
  else {
    if (f['single-process']) {
      const args = ['--config', cfgFile, '--source', source, '--out', adaptDir, '--progress'];
      if (fs.existsSync(path.join(adaptDir, 'checkpoints', 'latest.json'))) args.push('--resume');
      if (typeof f['adapt-iterations'] === 'number') args.push('--iterations', String(f['adapt-iterations']));
      await runCli('cli/adapt.js', args, `adapt to '${style}' with STvM in one process (no target labels)`);
    } else {
      // the run directory is <runs root>/<run id> = adaptDir
      const state = ['--state', path.join(out, 'stack')];
      await runCli(SFDA, ['up', '--detach', ...state, '--orchestrator-arg', `--orchestrator.runsRoot ${out}`], 'start nats-server and the teacher, student and orchestrator services');
      try {
        const runId = path.basename(adaptDir);
        if (fs.existsSync(path.join(adaptDir, 'run.json'))) {
          await runCli(SFDA, ['resume', runId, '--watch', ...state], `resume the adaptation run '${runId}' from its checkpoint`);
        } else {
          const args = ['start', '--config', cfgFile, '--source', source, '--run-id', runId, '--watch', ...state];
          if (typeof f['adapt-iterations'] === 'number') args.push('--set', `iterations=${f['adapt-iterations']}`);
          await runCli(SFDA, args, `adapt to '${style}' with STvM through the services (no target labels)`);
        }
      } finally {
        await runCli(SFDA, ['down', ...state], 'stop the services');
      }
    }
  }

  // 3. the baselines STvM is compared with, on the same target images and config
  const baselines: [string, string, string][] = [];
  for (const [method, label] of [['adabn', 'AdaBN'], ['tent', 'TENT']] as const) {
    const dir = path.join(out, `${method}-${style}`);
    const model = path.join(dir, 'model.ckpt');
    if (fs.existsSync(model)) process.stderr.write(`== ${label} model: reusing ${model}\n`);
    else {
      const args = ['--method', method, '--config', cfgFile, '--source', source, '--out', dir, '--quiet', '--set', 'eval.enabled=false'];
      if (fs.existsSync(path.join(dir, 'checkpoints', 'latest.json'))) args.push('--resume');
      if (typeof f['adapt-iterations'] === 'number') args.push('--iterations', String(f['adapt-iterations']));
      await runCli('cli/baseline.js', args, `adapt to '${style}' with ${label} (baseline; no target labels)`);
    }
    baselines.push([label, model, method]);
  }

  // 4. evaluation on the target style's labelled validation frames (diagnostic)
  const results: { name: string; model: string; json: EvalJson }[] = [];
  const models: [string, string, string][] = [['source-only', source, 'source-only'], ...baselines, ['STvM (teacher)', adapted, 'stvm']];
  for (const [name, model, tag] of models) {
    const json = path.join(out, `eval-${style}-${tag}.json`);
    await runCli('cli/evaluate.js', [
      '--model', model, '--synth-style', style, '--synth-count', String(f['eval-count']),
      '--json', json, '--export', path.join(out, `pred-${style}-${tag}`), '--overlays', '4',
    ], `evaluate ${name} on '${style}' validation frames`);
    results.push({ name, model, json: JSON.parse(fs.readFileSync(json, 'utf8')) as EvalJson });
  }

  const classes = Object.keys(results[0]!.json.iou);
  const head = `| model | ${classes.join(' | ')} | mIoU |`;
  const rows = results.map((r) => `| ${r.name} | ${classes.map((c) => pct(r.json.iou[c]).trim()).join(' | ')} | **${pct(r.json.mIoU).trim()}** |`);
  const table = [head, `|---|${classes.map(() => '---:').join('|')}|---:|`, ...rows].join('\n');
  const summary = `# Demo: SynthStreet source → '${style}' with STvM\n\nIoU (%) on ${f['eval-count']} labelled '${style}' frames (labels used for this evaluation only).\n\n${table}\n\nOverlays: ${path.join(out, `pred-${style}-stvm`)}, ${path.join(out, `pred-${style}-source-only`)}\n`;
  fs.writeFileSync(path.join(out, 'summary.md'), summary);
  process.stdout.write(`\n${summary}\nwall time ${((performance.now() - t0) / 1000).toFixed(0)} s; summary in ${path.join(out, 'summary.md')}\n`);
}

runMain(main);
