#!/usr/bin/env node
/**
 * synthstreet: generate a SynthStreet dataset (CamVid layout: images/*.png RGB, labels/*.png
 * 8-bit class ids 0..10, 255 void) or a sample grid picture.
 *
 *   node dist/cli/synthstreet.js --style source --count 500 --seed 1 --out data/synthstreet/source
 *   node dist/cli/synthstreet.js --style dusk --count 4 --grid docs/img/synthstreet-dusk.png
 */
import { mkdir, writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { parseFlags, runMain, UsageError, type CommandSpec, type ParsedFlags } from '../lib/cli/args.js';
import { writeLabelPng, writePng } from '../lib/data/io/index.js';
import {
  DEFAULT_HEIGHT, DEFAULT_WIDTH, STYLE_NAMES, STYLE_PRESETS, SynthStreet, frameGrid, frameSeed, resolveStyle,
} from '../lib/data/synthstreet/index.js';

const SPEC: CommandSpec = {
  name: 'synthstreet',
  summary: 'generate a SynthStreet dataset (CamVid layout) or a sample grid picture',
  synopsis: 'node dist/cli/synthstreet.js --out DIR [flags]\n       node dist/cli/synthstreet.js --grid FILE.png [flags]',
  details: `Generates SynthStreet street scenes with the 11 CamVid classes (0 sky, 1 building,
2 pole, 3 road, 4 pavement, 5 tree, 6 sign, 7 fence, 8 car, 9 pedestrian,
10 bicyclist; 255 void). Deterministic: frame i of (--seed S, --style T) is always
the same picture; frame i's layout is the same in every style with the same layout
knobs. Writes the CamVid layout:
  DIR/images/s<seed>_<index>.png   RGB, 8-bit
  DIR/labels/s<seed>_<index>.png   gray, 8-bit class ids
  DIR/synthstreet.json             style knobs, seed, size, count (provenance)
(To open DIR with the camvid dataset reader, pass --out ROOT/train and --kind camvid --root ROOT.)
Exit status: 0 done, 2 bad command line, 1 any other failure.

Styles:
${STYLE_NAMES.map((n) => `  ${n.padEnd(15)} ${STYLE_PRESETS[n].description}`).join('\n')}`,
  flags: {
    style: { type: 'string', default: 'source', help: `style preset: ${STYLE_NAMES.join(' | ')}` },
    count: { type: 'number', default: 100, help: 'number of frames' },
    seed: { type: 'number', default: 1, help: 'dataset seed, an integer' },
    start: { type: 'number', default: 0, help: 'index of the first frame: shards of one dataset' },
    width: { type: 'number', default: DEFAULT_WIDTH, help: 'frame width in pixels' },
    height: { type: 'number', default: DEFAULT_HEIGHT, help: 'frame height in pixels' },
    out: { type: 'string', help: 'output folder (created)' },
    grid: { type: 'string', help: 'write one PNG with --count frames (row 1) and their label colour maps (row 2) instead of a dataset' },
    'grid-scale': { type: 'number', default: 1, help: 'integer downscale of the grid tiles' },
    'grid-full': { type: 'boolean', help: 'write the grid as a full-colour PNG (default: 256-colour palette PNG with dithering, ~4× smaller, for docs)' },
    quiet: { type: 'boolean', help: 'no progress bar' },
    'list-styles': { type: 'boolean', help: 'print the style presets with every knob and exit' },
  },
  examples: [
    'node dist/cli/synthstreet.js --style source --count 500 --seed 1 --out data/synthstreet/source',
    'node dist/cli/synthstreet.js --style dusk --count 4 --grid docs/img/synthstreet-dusk.png',
  ],
};

/**
 * A 256-colour palette PNG (libvips quantiser, dithered): the io helper's writePng keeps full
 * colour, which makes noisy sample pictures 3–4× larger than docs need.
 */
async function writePalettePng(path: string, img: { width: number; height: number; channels: 3; data: Uint8Array }): Promise<void> {
  const buf = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length);
  await sharp(buf, { raw: { width: img.width, height: img.height, channels: 3 } })
    .png({ palette: true, colours: 256, compressionLevel: 9, effort: 10 })
    .toFile(path);
}

/** An integer flag ≥ min (the parser has already made it a number). */
function intFlag(f: ParsedFlags, name: string, min: number): number {
  const n = f[name] as number;
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got '${n}'`);
  return n;
}

async function main(): Promise<void> {
  const f = parseFlags(SPEC);
  if (!f) return;
  if (f['list-styles']) { process.stdout.write(`${JSON.stringify(STYLE_PRESETS, null, 2)}\n`); return; }
  const styleName = f.style as string;
  let knobs;
  try { knobs = resolveStyle(styleName); } catch (e) { throw new UsageError((e as Error).message); }
  const count = intFlag(f, 'count', 1);
  const seed = intFlag(f, 'seed', -(2 ** 31));
  const start = intFlag(f, 'start', 0);
  const width = intFlag(f, 'width', 16);
  const height = intFlag(f, 'height', 16);
  const grid = f.grid as string | undefined;
  const gen = new SynthStreet(seed, { style: knobs, width, height });

  if (grid !== undefined) {
    const scale = intFlag(f, 'grid-scale', 1);
    const frames = Array.from({ length: count }, (_, i) => gen.frame(start + i));
    const picture = frameGrid(frames, scale);
    if (f['grid-full']) await writePng(grid, picture, { compressionLevel: 9 });
    else await writePalettePng(grid, picture);
    process.stdout.write(`wrote ${grid} (${count} frames of style ${styleName}, seed ${seed})\n`);
    return;
  }
  const out = f.out as string | undefined;
  if (out === undefined) throw new UsageError('--out DIR (or --grid FILE) is required');
  await mkdir(join(out, 'images'), { recursive: true });
  await mkdir(join(out, 'labels'), { recursive: true });
  await writeFile(join(out, 'synthstreet.json'), `${JSON.stringify({
    generator: 'synthstreet', style: styleName, knobs, seed, start, count, width, height,
    frameSeed: 'frameSeed(seed, index) = hashParts(["synthstreet-frame", seed, index])',
  }, null, 2)}\n`);

  const bar = f.quiet ? null : new cliProgress.SingleBar({
    format: `synthstreet ${styleName} |{bar}| {value}/{total} frames | {ms} ms/frame | eta {eta_formatted}`,
  }, cliProgress.Presets.shades_classic);
  bar?.start(count, 0, { ms: '-' });
  const inFlight = new Set<Promise<void>>();
  let genMs = 0;
  for (let k = 0; k < count; k++) {
    const i = start + k;
    const t0 = performance.now();
    const f = gen.frame(i);
    genMs += performance.now() - t0;
    const name = `s${seed}_${String(i).padStart(6, '0')}.png`;
    const p: Promise<void> = Promise.all([
      writePng(join(out, 'images', name), { width: f.width, height: f.height, channels: 3, data: f.image }),
      writeLabelPng(join(out, 'labels', name), { width: f.width, height: f.height, data: f.label }),
    ]).then(() => {
      inFlight.delete(p);
      bar?.increment(1, { ms: (genMs / (k + 1)).toFixed(1) });
    });
    inFlight.add(p);
    if (inFlight.size >= 8) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  bar?.stop();
  process.stdout.write(`wrote ${count} frames to ${out} (generation ${(genMs / count).toFixed(1)} ms/frame; frame seeds from frameSeed(${seed}, i), e.g. ${frameSeed(seed, start)})\n`);
}

runMain(main, { usageExitCode: 2 });
