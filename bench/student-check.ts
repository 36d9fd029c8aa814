/**
 * Diagnostic (never used for a reported number or a choice of hyper-parameters): can the STvM
 * student step learn at the P0 scale when its labels are RIGHT? The student program of
 * lib/method/stvm (frozen BN, SGD with the config's lr / head multiplier / momentum / poly,
 * weighted CE with all weights 1) is trained on the ground-truth labels of target frames,
 * with the adaptation's crop, batch and iteration count, and evaluated on the target
 * validation frames. If this "student oracle" does not beat the starting model, the trainer
 * or its settings, not the pseudo-labels, are at fault; if it does, self-training loses
 * because of its pseudo-labels.
 *
 *   node dist/bench/student-check.js --config configs/bench/adapt-P0.json --source runs/gates/source/model.ckpt
 */
import { parseFlags, runMain, UsageError, type CommandSpec } from '../lib/cli/args.js';
import fs from 'node:fs';
import { validateAdaptConfig } from '../lib/train/adapt-config.js';
import { StudentSide } from '../lib/method/stvm/student-side.js';
import { polyLr } from '../lib/engine/optim/schedules.js';
import { TrainBatches } from '../lib/train/batches.js';
import { evaluatePredictor } from '../lib/train/evaluate.js';
import { loadSegModel } from '../lib/model/model-file.js';
import { SYNTH_SEEDS, synthStreetDataset } from '../lib/train/synth-dataset.js';

const SPEC: CommandSpec = {
  name: 'bench/student-check',
  summary: 'diagnostic: train the STvM student program on ground-truth target labels (plumbing / settings check)',
  flags: {
    config: { type: 'string', help: 'an adapt config or a bench config with a "base" adapt config', default: 'configs/bench/adapt-P0.json' },
    source: { type: 'string', help: 'starting model (.ckpt)', default: 'runs/gates/source/model.ckpt' },
    style: { type: 'string', help: 'target style (default: the config\'s)' },
    iterations: { type: 'number', help: 'iterations (default: the config\'s)' },
    lr: { type: 'number', help: 'student lr (default: the config\'s)' },
    'val-count': { type: 'number', help: 'validation frames', default: 100 },
    seed: { type: 'number', help: 'batch seed', default: 0 },
  },
  examples: ['node dist/bench/student-check.js --config configs/bench/adapt-P0.json --source runs/gates/source/model.ckpt'],
};

async function main(): Promise<void> {
  const f = parseFlags(SPEC);
  if (!f) return;
  const raw = JSON.parse(fs.readFileSync(f.config as string, 'utf8')) as Record<string, unknown>;
  const cfg = validateAdaptConfig(raw['base'] ?? raw, f.config as string);
  if (cfg.target.source !== 'synthstreet') throw new UsageError('student-check supports SynthStreet targets only');
  const style = (f.style as string | undefined) ?? cfg.target.style;
  const T = (f.iterations as number | undefined) ?? cfg.iterations;
  const student = { ...cfg.stvm.student, ...(f.lr !== undefined ? { lr: f.lr as number } : {}) };
  const model = await loadSegModel(f.source as string);
  const meta = model.meta;
  const [cw, ch] = [cfg.augment.cropWidth, cfg.augment.cropHeight];
  const side = await StudentSide.start({
    net: { spec: meta.spec, weights: model.tensors }, batch: cfg.batch, crop: [ch, cw], cfg: student,
    loss: { normaliser: student.lossNorm, groups: 1 }, runner: { threads: cfg.runtime.threads },
  });
  const val = synthStreetDataset({ seed: SYNTH_SEEDS.val, count: f['val-count'] as number, style });
  const evalOpts = { normalize: meta.normalize, numClasses: meta.spec.numClasses, batch: 4 };
  const evalNow = async () => (await evaluatePredictor((x) => side.predict(x), val, evalOpts)).result;
  try {
    const before = await evalNow();
    console.log(`start: ${(100 * before.mIoU).toFixed(1)} % mIoU on ${style} val`);
    const batches = await TrainBatches.open({
      source: { kind: 'synthstreet', seed: cfg.target.synthSeed, count: cfg.target.count, style },
      augment: { crop: [cw, ch], ...(cfg.augment.flip > 0 ? { flip: cfg.augment.flip } : {}), normalize: meta.normalize },
      batchSize: cfg.batch, seed: f.seed as number,
    });
    const t0 = Date.now();
    try {
      const lrAt = polyLr({ base: student.lr, maxSteps: T, power: student.polyPower });
      let lossSum = 0;
      for (let t = 0; t < T; t++) {
        const b = await batches.at(t);
        if (b.labels === null) throw new Error('student-check: the target batches carry no labels');
        const w = new Float32Array(b.labels.length).fill(1);
        const r = await side.step({ dtype: 'float32', shape: [...b.shape], data: b.images }, b.labels, w, lrAt(t), t);
        lossSum += r.loss;
        if ((t + 1) % 25 === 0) { console.log(`  it ${t + 1}: mean loss ${(lossSum / 25).toFixed(3)}`); lossSum = 0; }
      }
    } finally {
      await batches.loader.close();
    }
    const after = await evalNow();
    console.log(`after ${T} student steps on ground-truth labels (lr ${student.lr}, head ×${student.headLrMult}): ${(100 * after.mIoU).toFixed(1)} % mIoU (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    console.log(JSON.stringify({ style, iterations: T, lr: student.lr, start_miou: before.mIoU, after_miou: after.mIoU, per_class_start: before.iou, per_class_after: after.iou }));
  } finally {
    await side.close();
  }
}

runMain(main);
