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
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { writeLabelPng, writePng } from '../lib/data/io/index.js';
import {
  DEFAULT_HEIGHT, DEFAULT_WIDTH, STYLE_NAMES, STYLE_PRESETS, SynthStreet, frameGrid, frameSeed, resolveStyle,
} from '../lib/data/synthstreet/index.js';

const HELP = `Usage: node dist/cli/synthstreet.js --out DIR [options]
       node dist/cli/synthstreet.js --grid FILE.png [options]

Generates SynthStreet street scenes with the 11 CamVid classes (0 sky, 1 building,
2 pole, 3 road, 4 pavement, 5 tree, 6 sign, 7 fence, 8 car, 9 pedestrian,
10 bicyclist; 255 void). Deterministic: frame i of (--seed S, --style T) is always
the same picture; frame i's layout is the same in every style with the same layout
knobs. Writes the CamVid layout:
  DIR/images/s<seed>_<index>.png   RGB, 8-bit
  DIR/labels/s<seed>_<index>.png   gray, 8-bit class ids
  DIR/synthstreet.json             style knobs, seed, size, count (provenance)
(To open DIR with the camvid dataset reader, pass --out ROOT/train and --kind camvid --root ROOT.)

Options:
  --style NAME     ${STYLE_NAMES.join(' | ')} (default source)
  --count N        number of frames (default 100)
  --seed S         dataset seed, an integer (default 1)
  --start I        index of the first frame (default 0): shards of one dataset
  --width W        frame width in pixels (default ${DEFAULT_WIDTH})
  --height H       frame height in pixels (default ${DEFAULT_HEIGHT})
  --out DIR        output folder (created)
  --grid FILE      write one PNG with --count frames (row 1) and their label colour
                   maps (row 2) instead of a dataset
  --grid-scale K   integer downscale of the grid tiles (default 1)
  --grid-full      write the grid as a full-colour PNG (default: 256-colour palette
                   PNG with dithering, ~4× smaller, for docs)
  --quiet          no progress bar
  --list-styles    print the style presets with every knob and exit
  -h, --help       this help

Styles:
${STYLE_NAMES.map((n) => `  ${n.padEnd(15)} ${STYLE_PRESETS[n].description}`).join('\n')}
`;

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

function usage(msg: string): never {
  process.stderr.write(`synthstreet: ${msg}\nRun with --help for usage.\n`);
  process.exit(2);
}

function intArg(name: string, v: string | undefined, def: number, min: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) usage(`--${name} must be an integer ≥ ${min}, got '${v}'`);
  return n;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        style: { type: 'string' }, count: { type: 'string' }, seed: { type: 'string' }, start: { type: 'string' },
        width: { type: 'string' }, height: { type: 'string' }, out: { type: 'string' }, grid: { type: 'string' },
        'grid-scale': { type: 'string' }, 'grid-full': { type: 'boolean' }, quiet: { type: 'boolean' }, 'list-styles': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (e) {
    usage((e as Error).message);
  }
  if (values.help) { process.stdout.write(HELP); return; }
  if (values['list-styles']) { process.stdout.write(`${JSON.stringify(STYLE_PRESETS, null, 2)}\n`); return; }
  const styleName = values.style ?? 'source';
  let knobs;
  try { knobs = resolveStyle(styleName); } catch (e) { usage((e as Error).message); }
  const count = intArg('count', values.count, 100, 1);
  const seed = intArg('seed', values.seed, 1, -(2 ** 31));
  const start = intArg('start', values.start, 0, 0);
  const width = intArg('width', values.width, DEFAULT_WIDTH, 16);
  const height = intArg('height', values.height, DEFAULT_HEIGHT, 16);
  const gen = new SynthStreet(seed, { style: knobs, width, height });

  if (values.grid !== undefined) {
    const scale = intArg('grid-scale', values['grid-scale'], 1, 1);
    const frames = Array.from({ length: count }, (_, i) => gen.frame(start + i));
    const grid = frameGrid(frames, scale);
    if (values['grid-full']) await writePng(values.grid, grid, { compressionLevel: 9 });
    else await writePalettePng(values.grid, grid);
    process.stdout.write(`wrote ${values.grid} (${count} frames of style ${styleName}, seed ${seed})\n`);
    return;
  }
  if (values.out === undefined) usage('--out DIR (or --grid FILE) is required');
  const out = values.out;
  await mkdir(join(out, 'images'), { recursive: true });
  await mkdir(join(out, 'labels'), { recursive: true });
  await writeFile(join(out, 'synthstreet.json'), `${JSON.stringify({
    generator: 'synthstreet', style: styleName, knobs, seed, start, count, width, height,
    frameSeed: 'frameSeed(seed, index) = hashParts(["synthstreet-frame", seed, index])',
  }, null, 2)}\n`);

  const bar = values.quiet ? null : new cliProgress.SingleBar({
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

main().catch((e: unknown) => {
  process.stderr.write(`synthstreet: ${(e as Error).message}\n`);
  process.exit(1);
});
