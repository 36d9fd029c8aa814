/**
 * Image I/O throughput: images per second decoded by readImage (sharp) and readLabel (the
 * project's PNG decoder), one at a time and with several decodes in flight.
 *
 *   node dist/bench/io.js [--camvid ../shared/data/camvid] [--synthetic 24] [--concurrency 4]
 *
 * CamVid: 240x180 frames of train/ (skipped when the folder is absent). Synthetic: 1024x512
 * PNGs written to a temp folder (photo-like RGB, 8-bit gray label, palette label, 16-bit RGB
 * SYNTHIA-style label), deleted afterwards.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readImage, writePng, writePng16 } from '../lib/data/io/image.js';
import { readLabel, writeLabelPng } from '../lib/data/io/label.js';
import { runPool } from '../lib/data/check/pool.js';

async function rate(files: readonly string[], concurrency: number, read: (f: string) => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await runPool(files, concurrency, async (f) => {
    await read(f);
  });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return files.length / s;
}

async function report(label: string, files: readonly string[], concurrency: number, read: (f: string) => Promise<unknown>): Promise<void> {
  await rate(files.slice(0, Math.min(4, files.length)), 1, read); // warm-up (file cache, sharp init)
  const seq = await rate(files, 1, read);
  const par = await rate(files, concurrency, read);
  console.log(`${label.padEnd(48)} ${String(files.length).padStart(5)} files  ${seq.toFixed(1).padStart(8)} img/s (1 at a time)  ${par.toFixed(1).padStart(8)} img/s (${concurrency} in flight)`);
}

function synthRgb(w: number, h: number, seed: number): Uint8Array {
  const d = new Uint8Array(w * h * 3);
  let s = seed >>> 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      s = (s * 1664525 + 1013904223) >>> 0;
      const n = (s >>> 24) & 31; // sensor-like noise
      const i = 3 * (y * w + x);
      d[i] = (x * 255) / w + n;
      d[i + 1] = (y * 255) / h + n;
      d[i + 2] = ((x ^ y) & 0xff) / 2 + n;
    }
  }
  return d;
}

function synthLabel(w: number, h: number, seed: number, classes: number): Uint8Array {
  const d = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) d[y * w + x] = (Math.floor(x / 37) * 7 + Math.floor(y / 23) * 3 + seed) % classes;
  }
  return d;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      camvid: { type: 'string', default: '../shared/data/camvid' },
      synthetic: { type: 'string', default: '24' },
      concurrency: { type: 'string', default: '4' },
    },
  });
  const conc = Number(values.concurrency);
  const nSynth = Number(values.synthetic);
  console.log(`node ${process.version}, sharp (libvips); concurrency ${conc}`);

  const camImages = join(values.camvid!, 'train', 'images');
  if (existsSync(camImages)) {
    const names = (await readdir(camImages)).filter((f) => f.endsWith('.png')).sort();
    await report('CamVid 240x180 RGB PNG, readImage', names.map((n) => join(camImages, n)), conc, readImage);
    const camLabels = join(values.camvid!, 'train', 'labels');
    await report('CamVid 240x180 label PNG, readLabel', names.map((n) => join(camLabels, n)), conc, (f) => readLabel(f));
  } else {
    console.log(`CamVid: ${camImages} absent, skipped`);
  }

  const dir = await mkdtemp(join(tmpdir(), 'bench-io-'));
  try {
    const W = 1024;
    const H = 512;
    const rgb: string[] = [];
    const gray: string[] = [];
    const pal: string[] = [];
    const l16: string[] = [];
    const palette = Array.from({ length: 256 * 3 }, (_, i) => (i * 37) & 255);
    for (let k = 0; k < nSynth; k++) {
      const p = join(dir, `rgb_${k}.png`);
      await writePng(p, { width: W, height: H, channels: 3, data: synthRgb(W, H, k) });
      rgb.push(p);
      const lab = synthLabel(W, H, k, 34);
      const g = join(dir, `gray_${k}.png`);
      await writeLabelPng(g, { width: W, height: H, data: lab });
      gray.push(g);
      const q = join(dir, `pal_${k}.png`);
      await writeLabelPng(q, { width: W, height: H, data: lab }, { palette });
      pal.push(q);
      const s16 = new Uint16Array(W * H * 3);
      for (let i = 0; i < W * H; i++) {
        s16[3 * i] = lab[i]! % 23;
        s16[3 * i + 1] = i & 0xfff;
      }
      const r = join(dir, `l16_${k}.png`);
      await writePng16(r, { width: W, height: H, channels: 3, data: s16 });
      l16.push(r);
    }
    await report(`synthetic ${W}x${H} RGB PNG, readImage`, rgb, conc, readImage);
    await report(`synthetic ${W}x${H} gray label, readLabel`, gray, conc, (f) => readLabel(f));
    await report(`synthetic ${W}x${H} palette label, readLabel`, pal, conc, (f) => readLabel(f));
    await report(`synthetic ${W}x${H} 16-bit RGB label, readLabel`, l16, conc, (f) => readLabel(f));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
