/**
 * Dry run of an adaptation config (`node dist/cli/adapt.js … --dry-run`): everything a run
 * needs, checked without training, and an estimate of its wall time.
 *
 * - the datasets: the target images (and the evaluation split, and optionally the source
 *   dataset a source model is trained on) are listed through the project's layouts and opened
 *   through its readers (every listing problem: missing folders, unpaired files, …), then a
 *   sample of `check` files is decoded as dataset-check does (unreadable files, label values
 *   outside the class table, image/label size mismatch); `check: 'all'` runs the full
 *   dataset checker (lib/data/check) instead;
 * - the source model: present, readable, every tensor of its spec (or of its imported ONNX
 *   graph, cli/import-model.ts; one without BatchNormalization gets a warning saying what that
 *   means), its protocol that of the config; without one, the file that would be needed is named;
 * - the programs: the student step, the teacher forward, the metric step, the EMA and the
 *   evaluation forward are compiled at the configured batch/crop (node count, parameter count,
 *   multiply-accumulates, an upper bound of the activation memory);
 * - the plan (iterations, warm-up, batch, crop, checkpoints, evaluations) and the wall-time
 *   ESTIMATE: warm-up × (teacher + metric) + (T − warm-up) × (student + teacher + metric) +
 *   evaluations, from a measured student step time (--step-ms, bench/results/engine.json, or
 *   one step measured here with --measure); the teacher, metric and evaluation programs are
 *   scaled from it by their multiply-accumulate counts.
 *
 * Problems (what is missing or wrong) make the dry run fail; warnings do not.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkDataset } from '../data/check/index.js';
import { runPool } from '../data/check/pool.js';
import { openLabelledDataset, openUnlabelledDataset } from '../data/datasets/registry.js';
import { applyIdMap, type OutOfTableCounts } from '../data/datasets/id-map.js';
import { describeProblem, type DatasetProblem } from '../data/datasets/problems.js';
import { getProtocol } from '../data/datasets/protocols.js';
import { scanImages, scanPairs } from '../data/datasets/scan.js';
import { resolveSpec, type DatasetSpec } from '../data/datasets/spec.js';
import { readImage } from '../data/io/image.js';
import { readLabel } from '../data/io/label.js';
import type { CompiledGraph } from '../engine/compile/index.js';
import type { Graph } from '../engine/ir/graph.js';
import { numel, tensor, type TensorData } from '../engine/ir/tensor.js';
import { deeplabV2Spec, type DeepLabSpec } from '../engine/models/spec.js';
import { TrainStepRunner } from '../engine/runtime/index.js';
import { emaProgram, metricStepProgram, predictProgram, studentStepProgram, teacherEvalProgram } from '../method/stvm/programs.js';
import { loopSettings } from '../method/stvm/loop-settings.js';
import { netSourceOf, type NetSource } from '../method/stvm/net.js';
import { adaptationNet, studentStepOptions } from '../method/stvm/bn-mode.js';
import { loadModelFile, numClassesOf, type AnyModelFile } from '../model/model-file.js';
import { hasBatchNorm, NO_BN_NOTE } from '../model/imported-net.js';
import { datasetSpecOf, type AdaptConfig, type AdaptDataConfig } from './adapt-config.js';

export const ENGINE_BENCH = fileURLToPath(new URL('../../../bench/results/engine.json', import.meta.url));

export interface DryRunOptions {
  readonly cfg: AdaptConfig;
  readonly configFile: string;
  /** The run directory the real command would write (not created). */
  readonly out?: string;
  /** Files decoded per dataset (0: list only), or 'all' (the full dataset checker). */
  readonly check: number | 'all';
  /** Measured student step (ms) at the configured batch and crop. */
  readonly stepMs?: number;
  /** Measure one student step here (CPU). */
  readonly measure?: boolean;
  readonly threads?: number;
  /** The source dataset (e.g. GTA5) a source model is trained on; checked like the others. */
  readonly sourceData?: { readonly kind: string; readonly root: string };
  /** bench/results/engine.json (default: the project's). */
  readonly engineBench?: string;
  /** Progress lines (stderr). */
  readonly log?: (msg: string) => void;
}

export interface DatasetCheck {
  readonly role: 'target' | 'eval' | 'source-data';
  readonly id: string;
  readonly root: string;
  readonly labelled: boolean;
  readonly images: number;
  readonly checked: number;
  readonly imageSizes: string[];
  readonly problems: string[];
}

export interface ProgramInfo {
  readonly name: string;
  readonly shape: string;
  readonly nodes: number;
  readonly buildMs: number;
  /** Multiply-accumulates of Conv/ConvTranspose/Gemm/MatMul nodes. */
  readonly macs: number;
  /** Upper bound: every intermediate value held at once (onnxruntime reuses buffers). */
  readonly activationBytes: number;
  /** Trainable parameters and state (optimiser, buffers) of the program. */
  readonly stateBytes: number;
}

export interface Estimate {
  readonly source: 'step-ms' | 'bench' | 'measured';
  readonly sourceText: string;
  readonly studentMs: number;
  readonly teacherMs: number;
  readonly metricMs: number;
  readonly evalForwardMs: number;
  readonly trainingH: number;
  readonly evaluationH: number;
  readonly totalH: number;
  readonly formula: string;
  readonly device: string;
  /** A measured memory figure that goes with the step time, when there is one. */
  readonly memoryNote?: string;
}

export interface DryRunReport {
  readonly ok: boolean;
  readonly config: string;
  readonly problems: string[];
  readonly warnings: string[];
  readonly datasets: DatasetCheck[];
  readonly sourceModel: { file: string; found: boolean; spec?: string; protocol?: string; numClasses?: number; parameters?: number; needed?: string };
  readonly programs: ProgramInfo[];
  readonly parameters: number;
  readonly plan: Record<string, string | number | boolean>;
  readonly estimate?: Estimate;
}

const bytesOf: Record<string, number> = { float32: 4, int64: 8, int32: 4, uint8: 1, bool: 1, float16: 2, float64: 8, int8: 1 };

/** Multiply-accumulates of the compute-heavy nodes of a graph (static shapes). */
export function graphMacs(g: Graph): number {
  let macs = 0;
  const shape = (v: string): readonly number[] => g.values.get(v)?.shape ?? [];
  for (const n of g.nodes) {
    if (n.op === 'Conv') {
      const w = shape(n.inputs[1]!);
      macs += numel(shape(n.outputs[0]!)) * numel(w.slice(1));
    } else if (n.op === 'ConvTranspose') {
      const w = shape(n.inputs[1]!);
      macs += numel(shape(n.inputs[0]!)) * numel(w.slice(1));
    } else if (n.op === 'Gemm') {
      const a = shape(n.inputs[0]!);
      const ta = n.attrs['transA']?.kind === 'int' && n.attrs['transA'].value === 1;
      macs += numel(shape(n.outputs[0]!)) * (ta ? a[0]! : a[1]!);
    } else if (n.op === 'MatMul') {
      const a = shape(n.inputs[0]!);
      macs += numel(shape(n.outputs[0]!)) * (a[a.length - 1] ?? 1);
    }
  }
  return macs;
}

function programInfo(name: string, shape: string, c: CompiledGraph, buildMs: number): ProgramInfo {
  const g = c.graph;
  const state = new Set(c.signature.state.map((s) => s.name));
  let act = 0;
  for (const v of g.values.values()) {
    if (g.initializers.has(v.name) || state.has(v.name)) continue;
    act += numel(v.shape) * (bytesOf[v.dtype] ?? 4);
  }
  let st = 0;
  for (const s of c.signature.state) st += numel(s.shape) * (bytesOf[s.dtype] ?? 4);
  return { name, shape, nodes: g.nodes.length, buildMs, macs: graphMacs(g), activationBytes: act, stateBytes: st };
}

const isResNet101 = (s: DeepLabSpec): boolean => s.encoder === undefined && s.block === 'bottleneck' && s.layers.join(',') === '3,4,23,3';
const specText = (s: DeepLabSpec): string =>
  `${s.encoder === 'mobilenetv2' ? `DeepLab-v3+ MobileNetV2-${s.mobilenetv2?.widthMult}` : isResNet101(s) ? 'DeepLab-v2 ResNet-101' : `DeepLab ${s.block} [${s.layers.join(',')}] widths [${s.widths.join(',')}]`}, OS${s.outputStride}, ${s.numClasses} classes`;

function sample<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  return Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)]!);
}

/** Lists a split (every listing problem), opens it through the reader, decodes a sample. */
async function checkSplit(role: DatasetCheck['role'], spec: DatasetSpec, labelled: boolean, check: number | 'all'): Promise<DatasetCheck> {
  const problems: string[] = [];
  let r;
  try {
    r = resolveSpec(spec, labelled);
  } catch (e) {
    return { role, id: `${spec.kind}/${spec.split}`, root: spec.root, labelled, images: 0, checked: 0, imageSizes: [], problems: [(e as Error).message] };
  }
  // (the full checker pairs labels wherever the layout has them; a target split is only sampled, labels never opened)
  if (check === 'all' && labelled) {
    const rep = await checkDataset(spec, { images: 'full' });
    return {
      role, id: rep.id, root: rep.root, labelled, images: rep.images, checked: rep.images + rep.labels,
      imageSizes: rep.imageSizes.map((s) => `${s.width}x${s.height} (${s.count})`), problems: rep.problems.map(describeProblem),
    };
  }
  const found: DatasetProblem[] = [];
  let images: { key: string; path: string }[];
  let pairs: { key: string; image: string; label: string }[] = [];
  if (labelled) {
    const s = await scanPairs(r);
    images = s.images;
    pairs = s.pairs;
    found.push(...s.problems);
  } else {
    const s = await scanImages(r);
    images = s.images;
    found.push(...s.problems);
  }
  let count = images.length;
  if (found.length === 0) {
    // the reader the run uses must open it (it rejects any listing problem)
    try {
      count = (labelled ? await openLabelledDataset(spec) : await openUnlabelledDataset(spec)).size;
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  const sizes = new Map<string, number>();
  const unreadable: DatasetProblem[] = [];
  const oot = new Map<number, { pixels: number; files: number; examples: string[] }>();
  // a sample of the images, each with its label when it has one (unpaired images are decoded too)
  const labelOf = new Map(pairs.map((p) => [p.image, p.label]));
  const items = sample(images, check === 'all' ? images.length : check).map((e) => ({ key: e.key, image: e.path, label: labelOf.get(e.path) ?? '' }));
  const map = r.layout.idMap(r.protocol.id);
  await runPool(items, 4, async (p) => {
    let isz: string | undefined;
    try {
      const im = await readImage(p.image);
      isz = `${im.width}x${im.height}`;
      sizes.set(isz, (sizes.get(isz) ?? 0) + 1);
    } catch (e) {
      unreadable.push({ kind: 'unreadable', role: 'image', path: p.image, reason: (e as Error).message });
    }
    if (!p.label) return;
    try {
      const raw = await readLabel(p.label, { channel: r.layout.labelChannel });
      const counts: OutOfTableCounts = new Map();
      applyIdMap(raw.data, map, new Uint8Array(raw.data.length), counts);
      for (const [v, n] of counts) {
        let o = oot.get(v);
        if (!o) oot.set(v, (o = { pixels: 0, files: 0, examples: [] }));
        o.pixels += n;
        o.files++;
        if (o.examples.length < 3) o.examples.push(p.label);
      }
      const lsz = `${raw.width}x${raw.height}`;
      if (isz !== undefined && isz !== lsz) {
        found.push({ kind: 'size-mismatch', name: p.key, image: p.image, label: p.label, imageSize: isz.split('x').map(Number) as [number, number], labelSize: [raw.width, raw.height] });
      }
    } catch (e) {
      unreadable.push({ kind: 'unreadable', role: 'label', path: p.label, reason: (e as Error).message });
    }
  });
  unreadable.sort((a, b) => ((a as { path: string }).path < (b as { path: string }).path ? -1 : 1));
  found.push(...unreadable);
  for (const [value, o] of [...oot].sort((x, y) => x[0] - y[0])) found.push({ kind: 'out-of-table', value, pixels: o.pixels, files: o.files, examples: o.examples.sort() });
  return {
    role, id: r.id, root: r.root, labelled, images: count, checked: items.length + items.filter((p) => p.label !== '').length,
    imageSizes: [...sizes].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} (${n})`), problems: [...found.map(describeProblem), ...problems],
  };
}

interface BenchCase {
  key: string;
  name: string;
  engine_ms: number;
  conv_gflop_per_step: number;
  host: string;
  machine?: string;
  engine_peak_rss_mb?: number;
  measured_at: string;
  threads: number;
}

/** Measures one student training step at the configured shape on this machine's CPU. */
async function measureStep(c: CompiledGraph, threads: number, log: (m: string) => void): Promise<{ stepMs: number; sessionMs: number }> {
  const runner = await TrainStepRunner.start({ provider: 'cpu', fallback: 'error', threads, nonFinite: 'skip' });
  try {
    let t = Date.now();
    await runner.addProgram('student', c, { initState: true });
    const feeds: Record<string, TensorData> = {};
    for (const d of c.signature.data) feeds[d.name] = tensor(d.dtype, d.shape);
    // (a first run creates the session; it is timed apart from the step)
    log('measure: creating the onnxruntime session and running one training step (CPU)…');
    await runner.trainStep('student', feeds, { lr: 0, step: 0, transfer: false });
    const sessionAndFirst = Date.now() - t;
    t = Date.now();
    await runner.trainStep('student', feeds, { lr: 0, step: 1, transfer: false });
    const stepMs = Date.now() - t;
    return { stepMs, sessionMs: sessionAndFirst - stepMs };
  } finally {
    await runner.close();
  }
}

const h = (ms: number): number => ms / 3.6e6;

export async function dryRun(o: DryRunOptions): Promise<DryRunReport> {
  const { cfg } = o;
  const log = o.log ?? (() => {});
  const problems: string[] = [];
  const warnings: string[] = [];
  const settings = loopSettings(cfg.stvm, { name: cfg.weighting.name, params: cfg.weightingParams });

  // -- the source model
  let model: AnyModelFile | undefined;
  const protocolOf = (d: AdaptDataConfig): string => d.protocol || model?.meta.protocol || '';
  const configProtocol = cfg.target.source === 'dataset' ? cfg.target.protocol : '';
  const needC = configProtocol ? getProtocol(configProtocol).numClasses : 19;
  const needed = `a segmentation model file (*.model.ckpt, format stvm-segmodel): DeepLab-v2 ResNet-101 trained on the source domain, protocol ${configProtocol || '(the target\'s)'} (${needC} classes)`;
  const sourceModel: DryRunReport['sourceModel'] = { file: cfg.source, found: false };
  if (cfg.source === '') {
    problems.push(`no source model: pass --source <model.ckpt> (or set "source" in the config); needed: ${needed}`);
    sourceModel.needed = needed;
  } else if (!fs.existsSync(cfg.source)) {
    problems.push(`source model ${cfg.source}: file not found; needed: ${needed}`);
    sourceModel.needed = needed;
  } else {
    log(`reading the source model ${cfg.source}…`);
    try {
      model = await loadModelFile(cfg.source);
      const m = model.meta;
      const C = numClassesOf(m);
      // an imported ONNX graph (cli/import-model.ts) has no DeepLab spec
      const text = m.spec ? specText(m.spec) : `imported ONNX graph (opset ${m.imported.opset}, input '${m.imported.input}', features '${m.imported.features}'), ${C} classes`;
      Object.assign(sourceModel, { found: true, spec: text, protocol: m.protocol, numClasses: C });
      for (const [section, d] of [['target', cfg.target], ['eval', cfg.eval]] as const) {
        if (d.source !== 'dataset' || (section === 'eval' && !cfg.eval.enabled)) continue;
        if (d.protocol && d.protocol !== m.protocol) problems.push(`source model ${cfg.source}: protocol '${m.protocol}' but the config's ${section}.protocol is '${d.protocol}'`);
        if (d.protocol && getProtocol(d.protocol).numClasses !== C) problems.push(`source model ${cfg.source}: ${C} classes but ${section}.protocol '${d.protocol}' has ${getProtocol(d.protocol).numClasses}`);
      }
      if (!m.spec || !isResNet101(m.spec)) warnings.push(`source model ${cfg.source} is ${text}, not the paper's DeepLab-v2 ResNet-101`);
      if (model.onnx !== undefined && !hasBatchNorm(model.onnx)) warnings.push(`source model ${cfg.source}: ${NO_BN_NOTE}`);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }

  // -- the datasets
  const datasets: DatasetCheck[] = [];
  const sections: [DatasetCheck['role'], AdaptDataConfig, boolean][] = [['target', cfg.target, false]];
  if (cfg.eval.enabled) sections.push(['eval', cfg.eval, true]);
  for (const [role, d, labelled] of sections) {
    if (d.source !== 'dataset') {
      warnings.push(`${role}: SynthStreet (rendered on the fly, nothing to check on disk)`);
      continue;
    }
    log(`checking the ${role} dataset ${d.kind}/${d.split} at ${d.root}…`);
    datasets.push(await checkSplit(role, datasetSpecOf(d, protocolOf(d)), labelled, o.check));
  }
  if (o.sourceData) {
    const l = (await import('../data/datasets/spec.js')).getLayout(o.sourceData.kind);
    log(`checking the source dataset ${o.sourceData.kind} at ${o.sourceData.root}…`);
    const split = l.labelledSplits.join('+');
    const protocol = configProtocol || model?.meta.protocol || l.defaultProtocol;
    datasets.push(await checkSplit('source-data', { kind: o.sourceData.kind, root: o.sourceData.root, split, protocol }, true, o.check));
  }
  for (const d of datasets) for (const p of d.problems) problems.push(`${d.role} ${d.id}: ${p}`);

  // -- the programs, at the configured batch and crop
  const spec: DeepLabSpec | undefined = model ? model.meta.spec : deeplabV2Spec({ numClasses: needC });
  const numClasses = model ? numClassesOf(model.meta) : needC;
  const net: NetSource = adaptationNet(model ? netSourceOf(model) : { spec: spec!, allowInit: true }, cfg.stvm);
  const netText = spec ? specText(spec) : 'imported ONNX graph';
  const [cw, ch] = [cfg.augment.cropWidth, cfg.augment.cropHeight];
  const stepOptions = studentStepOptions(cfg.stvm);
  const groups = stepOptions.groups ?? 1;
  const programs: ProgramInfo[] = [];
  let parameters = 0;
  let student: CompiledGraph | undefined;
  log(`compiling the programs (${netText}, batch ${cfg.batch}, crop ${cw}x${ch})${model ? '' : ' with random weights (no source model)'}…`);
  try {
    let t = Date.now();
    const st = studentStepProgram(net, cfg.batch, ch, cw, cfg.stvm.student, stepOptions);
    student = st.compiled;
    programs.push(programInfo('student step', `${groups * cfg.batch}x3x${ch}x${cw}`, st.compiled, Date.now() - t));
    for (const p of st.params.all) parameters += numel(st.params.shapes.get(p)!);
    t = Date.now();
    const te = teacherEvalProgram(net, cfg.batch, ch, cw, { probs: settings.weighting.needs.probs ?? false });
    programs.push(programInfo('teacher forward', `${cfg.batch}x3x${ch}x${cw}`, te.compiled, Date.now() - t));
    if (settings.metric) {
      t = Date.now();
      const [fh, fw] = te.params.featureSize;
      const ms = metricStepProgram({ n: cfg.batch, featureChannels: te.params.featureChannels, featureSize: te.params.featureSize, numClasses }, cfg.stvm.metric, cfg.seed);
      programs.push(programInfo('metric step', `${cfg.batch}x${te.params.featureChannels}x${fh}x${fw}`, ms, Date.now() - t));
    }
    if (settings.teacher === 'ema') {
      t = Date.now();
      programs.push(programInfo('ema', `${te.params.all.length} tensors`, emaProgram(te.params), Date.now() - t));
    }
    if (cfg.eval.enabled) {
      const [ew, eh] = cfg.eval.resizeWidth > 0 ? [cfg.eval.resizeWidth, cfg.eval.resizeHeight] : [cw, ch];
      t = Date.now();
      const pp = predictProgram(net, cfg.eval.batch, eh, ew);
      programs.push(programInfo('evaluation forward', `${cfg.eval.batch}x3x${eh}x${ew}${cfg.eval.resizeWidth > 0 ? '' : ' (eval images at their own size; crop size assumed)'}`, pp, Date.now() - t));
    }
  } catch (e) {
    problems.push(`the programs do not compile at batch ${cfg.batch}, crop ${cw}x${ch}: ${(e as Error).message}`);
  }

  // -- the plan
  const T = cfg.iterations;
  const warm = settings.warmup;
  const evalEvery = cfg.eval.enabled ? (cfg.eval.every > 0 ? cfg.eval.every : T) : 0;
  const evals = cfg.eval.enabled ? Math.floor(T / evalEvery) + (T % evalEvery === 0 ? 0 : 1) : 0;
  const ckEvery = cfg.runtime.checkpointEvery > 0 ? cfg.runtime.checkpointEvery : T;
  const evalImages = datasets.find((d) => d.role === 'eval')?.images ?? 0;
  const evalN = cfg.eval.limit > 0 ? Math.min(cfg.eval.limit, evalImages) : evalImages;
  const plan: DryRunReport['plan'] = {
    method: cfg.name, weighting: settings.weighting.name, mixing: settings.mixing, metric: settings.metric, teacher: settings.teacher,
    iterations: T, 'metric warm-up (teacher + metric only)': warm, 'student steps': T - warm, batch: cfg.batch,
    crop: `${cw}x${ch}`, resize: cfg.augment.resizeWidth > 0 ? `${cfg.augment.resizeWidth}x${cfg.augment.resizeHeight}` : 'none',
    'target images': datasets.find((d) => d.role === 'target')?.images ?? 0,
    epochs: 0, checkpoints: Math.ceil(T / ckEvery), 'checkpoint every': ckEvery, 'checkpoints kept': cfg.runtime.keepCheckpoints,
    evaluations: evals, 'evaluation images': evalN, provider: cfg.runtime.provider, threads: cfg.runtime.threads,
  };
  const tgt = plan['target images'] as number;
  plan['epochs'] = tgt > 0 ? +((T * cfg.batch) / tgt).toFixed(2) : 0;
  if (o.out && fs.existsSync(path.join(o.out, 'checkpoints'))) warnings.push(`--out ${o.out} already holds a run (checkpoints/): the real command needs --resume or another directory`);
  if (cfg.runtime.provider !== 'cpu') warnings.push(`runtime.provider is '${cfg.runtime.provider}' (fallback ${cfg.runtime.fallback}): the dry run does not start it (nor check that onnxruntime has it); the estimate states the device its step time comes from`);

  // -- the estimate
  let estimate: Estimate | undefined;
  const sp = programs.find((p) => p.name === 'student step');
  if (sp && student) {
    const ratio = (n: string): number => (programs.find((p) => p.name === n)?.macs ?? 0) / sp.macs;
    let stepMs: number | undefined;
    let source: Estimate['source'] | undefined;
    let sourceText = '';
    let device = '';
    let memoryNote: string | undefined;
    if (o.stepMs !== undefined) {
      stepMs = o.stepMs;
      source = 'step-ms';
      sourceText = `--step-ms ${o.stepMs}: the student step time given by the user (batch ${groups * cfg.batch}, crop ${cw}x${ch})`;
      device = 'the device the user measured on';
    } else if (o.measure) {
      const threads = o.threads ?? cfg.runtime.threads;
      const m = await measureStep(student, threads, log);
      stepMs = m.stepMs;
      source = 'measured';
      sourceText = `one student step measured here (CPU, onnxruntime, ${threads || 'default'} threads, after a first step that created the session in ${(m.sessionMs / 1000).toFixed(1)} s): ${m.stepMs} ms`;
      device = `this machine's CPU (${(await import('node:os')).cpus().length} cores)`;
    } else {
      const file = o.engineBench ?? ENGINE_BENCH;
      try {
        const b = (JSON.parse(fs.readFileSync(file, 'utf8')) as { cases: BenchCase[] }).cases.find((c) => c.key === 'r101');
        if (!b) throw new Error('no r101 case');
        const benchMacs = (b.conv_gflop_per_step * 1e9) / 2;
        stepMs = b.engine_ms * (sp.macs / benchMacs);
        source = 'bench';
        sourceText = `${path.relative(process.cwd(), file) || file}, case r101 (${b.name}): ${b.engine_ms.toFixed(1)} ms per training step (median, engine, ${b.threads} threads, ${b.host}, ${b.measured_at.slice(0, 10)}), scaled by multiply-accumulates to this student step (×${(sp.macs / benchMacs).toFixed(2)}); CPU measurement — no GPU measurement exists`;
        device = `the CPU of the device host (${b.host.replace(/, load.*$/, '')}, ${b.threads} threads)`;
        if (b.engine_peak_rss_mb) memoryNote = `measured with it: engine peak RSS ${(b.engine_peak_rss_mb / 1024).toFixed(1)} GiB for one training step at 1x3x512x1024 (CPU)`;
        if (!spec || !isResNet101(spec)) warnings.push(`the bench step time is for DeepLab-v2 ResNet-101; it is scaled to ${netText} by multiply-accumulates only`);
      } catch (e) {
        warnings.push(`no step time: ${file}: ${(e as Error).message}; pass --step-ms N or --measure`);
      }
    }
    if (stepMs !== undefined && source) {
      const teacherMs = stepMs * ratio('teacher forward');
      const metricMs = stepMs * ratio('metric step');
      const evalForwardMs = stepMs * ratio('evaluation forward');
      const trainMs = warm * (teacherMs + metricMs) + (T - warm) * (stepMs + teacherMs + metricMs);
      // each evaluation: the teacher over the split; at the end also the student
      const evalMs = (evals + (cfg.eval.enabled && cfg.eval.student ? 1 : 0)) * Math.ceil(evalN / cfg.eval.batch) * evalForwardMs;
      estimate = {
        source, sourceText, studentMs: stepMs, teacherMs, metricMs, evalForwardMs,
        trainingH: h(trainMs), evaluationH: h(evalMs), totalH: h(trainMs + evalMs), device, ...(memoryNote ? { memoryNote } : {}),
        formula: `${warm} × (teacher ${teacherMs.toFixed(0)} + metric ${metricMs.toFixed(0)} ms) + ${T - warm} × (student ${stepMs.toFixed(0)} + teacher ${teacherMs.toFixed(0)} + metric ${metricMs.toFixed(0)} ms) + ${evals}${cfg.eval.student ? ' + 1 (student)' : ''} evaluations × ${Math.ceil(evalN / cfg.eval.batch)} batches × ${evalForwardMs.toFixed(0)} ms; teacher/metric/evaluation scaled from the student step by multiply-accumulates; data loading, EMA and checkpoints not counted`,
      };
    }
  }
  return { ok: problems.length === 0, config: o.configFile, problems, warnings, datasets, sourceModel, programs, parameters, plan, estimate };
}

const mb = (b: number): string => (b >= 1e9 ? `${(b / 1e9).toFixed(1)} GB` : `${(b / 1e6).toFixed(1)} MB`);
const hours = (x: number): string => (x >= 1 ? `${x.toFixed(1)} h` : `${(x * 60).toFixed(1)} min`);

export function formatDryRun(r: DryRunReport): string {
  const L: string[] = [];
  L.push(`dry run of ${r.config}: ${r.ok ? 'OK — everything the run needs is in place' : `${r.problems.length} problem(s)`}`, '');
  L.push('source model:');
  if (r.sourceModel.found) L.push(`  ${r.sourceModel.file}: ${r.sourceModel.spec}, protocol ${r.sourceModel.protocol}`);
  else L.push(`  ${r.sourceModel.file || '(none)'}: missing — needed: ${r.sourceModel.needed}`);
  L.push('', 'datasets:');
  for (const d of r.datasets) {
    L.push(`  ${d.role.padEnd(11)} ${d.id} at ${d.root}: ${d.images} images${d.labelled ? ' (labelled)' : ' (labels never opened)'}; ${d.checked} file(s) decoded${d.imageSizes.length ? `; sizes ${d.imageSizes.join(', ')}` : ''}; ${d.problems.length} problem(s)`);
  }
  if (r.programs.length) {
    L.push('', `programs (compiled, ${(r.parameters / 1e6).toFixed(2)} M trainable network parameters):`);
    for (const p of r.programs) {
      L.push(`  ${p.name.padEnd(18)} ${p.shape.padEnd(20)} ${String(p.nodes).padStart(5)} nodes  ${(p.macs / 1e9).toFixed(1).padStart(8)} GMAC  activations ≤ ${mb(p.activationBytes)}  state ${mb(p.stateBytes)}  built in ${(p.buildMs / 1000).toFixed(1)} s`);
    }
    L.push('  (activations: every intermediate tensor at once, no buffer reuse — an upper bound)');
  }
  L.push('', 'plan:');
  for (const [k, v] of Object.entries(r.plan)) L.push(`  ${k}: ${v}`);
  if (r.estimate) {
    const e = r.estimate;
    L.push('', `wall-time ESTIMATE: ${hours(e.totalH)} (training ${hours(e.trainingH)}, evaluation ${hours(e.evaluationH)}) on ${e.device}`);
    L.push(`  step time from ${e.sourceText}`);
    if (e.source === 'bench') L.push(`  no GPU measurement exists; on the CPU of the device host this is ${hours(e.totalH)}`);
    L.push(`  = ${e.formula}`);
    if (e.memoryNote) L.push(`  ${e.memoryNote}`);
  }
  if (r.warnings.length) {
    L.push('', 'warnings:');
    for (const w of r.warnings) L.push(`  - ${w}`);
  }
  if (r.problems.length) {
    L.push('', `PROBLEMS (${r.problems.length}) — the run cannot start until each is fixed:`);
    for (const p of r.problems) L.push(`  - ${p.replace(/\n/g, '\n    ')}`);
  }
  return L.join('\n');
}
