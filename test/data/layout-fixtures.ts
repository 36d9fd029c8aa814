/**
 * Writes tiny datasets in each dataset's exact on-disk layout into a temp folder, for the
 * reader and dataset-check tests. Sizes are tiny (16x8); label values sweep the whole raw id
 * range so every entry of the mapping tables is exercised.
 */
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePng, writePng16 } from '../../lib/data/io/image.js';
import { writeLabelPng } from '../../lib/data/io/label.js';
import type { Raster8 } from '../../lib/data/io/types.js';

export const FW = 16;
export const FH = 8;

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `${prefix}-`));
}

/** A deterministic RGB image; pixel (x, y) = (x * 16 + seed, y * 32, seed * 40) mod 256. */
export function testImage(seed: number, w = FW, h = FH): Raster8 {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = 3 * (y * w + x);
      data[i] = (x * 16 + seed) & 255;
      data[i + 1] = (y * 32) & 255;
      data[i + 2] = (seed * 40) & 255;
    }
  }
  return { width: w, height: h, channels: 3, data };
}

/** Raw label values: value at pixel i = values[(i + offset) % values.length]. */
export function sweep(values: readonly number[], offset: number, n = FW * FH): number[] {
  return Array.from({ length: n }, (_, i) => values[(i + offset) % values.length]!);
}

async function png(path: string, img: Raster8): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writePng(path, img);
}

async function gray(path: string, values: readonly number[], w = FW, h = FH): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeLabelPng(path, { width: w, height: h, data: Uint8Array.from(values) });
}

export const CITYSCAPES_IDS = Array.from({ length: 34 }, (_, i) => i); // labelIds 0..33

/** Cityscapes: leftImg8bit/<split>/<city>/…_leftImg8bit.png, gtFine/…/…_gtFine_labelIds.png. */
export async function writeCityscapes(root: string, split = 'train'): Promise<{ keys: string[]; raw: Map<string, number[]> }> {
  const keys: string[] = [];
  const raw = new Map<string, number[]>();
  let k = 0;
  for (const city of ['bremen', 'aachen']) {
    for (const frame of [19, 20]) {
      const key = `${city}_000000_0000${frame}`;
      await png(join(root, 'leftImg8bit', split, city, `${key}_leftImg8bit.png`), testImage(k));
      const values = sweep(CITYSCAPES_IDS, k * 5);
      await gray(join(root, 'gtFine', split, city, `${key}_gtFine_labelIds.png`), values);
      // the other gtFine files of the real layout, which the reader must ignore
      await gray(join(root, 'gtFine', split, city, `${key}_gtFine_instanceIds.png`), sweep([0, 1], 0));
      await png(join(root, 'gtFine', split, city, `${key}_gtFine_color.png`), testImage(99));
      keys.push(key);
      raw.set(key, values);
      k++;
    }
  }
  keys.sort();
  return { keys, raw };
}

/** A palette whose entry i is a colour unlike i (so indices and colours cannot be confused). */
export function oddPalette(): number[] {
  return Array.from({ length: 256 * 3 }, (_, i) => (i * 53 + 17) & 255);
}

/** GTA5: images/NNNNN.png, labels/NNNNN.png as palette PNGs (indices = Cityscapes labelIds). */
export async function writeGta5(root: string, n = 3): Promise<{ keys: string[]; raw: Map<string, number[]> }> {
  const keys: string[] = [];
  const raw = new Map<string, number[]>();
  for (let k = 1; k <= n; k++) {
    const key = String(k).padStart(5, '0');
    await png(join(root, 'images', `${key}.png`), testImage(k));
    const values = sweep(CITYSCAPES_IDS, k * 7);
    await mkdir(join(root, 'labels'), { recursive: true });
    await writeLabelPng(join(root, 'labels', `${key}.png`), { width: FW, height: FH, data: Uint8Array.from(values) }, { palette: oddPalette() });
    keys.push(key);
    raw.set(key, values);
  }
  return { keys, raw };
}

export const SYNTHIA_IDS = Array.from({ length: 23 }, (_, i) => i); // 0..22

/** SYNTHIA-RAND-CITYSCAPES: RGB/NNNNNNN.png, GT/LABELS/NNNNNNN.png 16-bit RGB (ch0 class, ch1 instance). */
export async function writeSynthia(root: string, n = 2): Promise<{ keys: string[]; raw: Map<string, number[]> }> {
  const keys: string[] = [];
  const raw = new Map<string, number[]>();
  for (let k = 0; k < n; k++) {
    const key = String(k).padStart(7, '0');
    await png(join(root, 'RGB', `${key}.png`), testImage(k));
    const values = sweep(SYNTHIA_IDS, k * 3);
    const data = new Uint16Array(FW * FH * 3);
    for (let i = 0; i < FW * FH; i++) {
      data[3 * i] = values[i]!;
      data[3 * i + 1] = 1000 + 37 * i; // instance ids, > 255, must not leak into the class
      data[3 * i + 2] = 65535;
    }
    await mkdir(join(root, 'GT', 'LABELS'), { recursive: true });
    await writePng16(join(root, 'GT', 'LABELS', `${key}.png`), { width: FW, height: FH, channels: 3, data });
    keys.push(key);
    raw.set(key, values);
  }
  return { keys, raw };
}

/** NTHU cross-city: <City>/Images/Train/*.png, <City>/Images/Test/*.png, <City>/Labels/Test/*_eval.png. */
export async function writeNthu(root: string, city = 'Rome'): Promise<{ trainKeys: string[]; testKeys: string[]; raw: Map<string, number[]> }> {
  const trainKeys = ['pic_001', 'pic_002', 'pic_003'];
  const testKeys = ['pic_101', 'pic_102'];
  const raw = new Map<string, number[]>();
  for (const [k, key] of trainKeys.entries()) await png(join(root, city, 'Images', 'Train', `${key}.png`), testImage(k));
  for (const [k, key] of testKeys.entries()) {
    await png(join(root, city, 'Images', 'Test', `${key}.png`), testImage(10 + k));
    const values = sweep([...CITYSCAPES_IDS, 255], k * 11);
    await gray(join(root, city, 'Labels', 'Test', `${key}_eval.png`), values);
    raw.set(key, values);
  }
  return { trainKeys, testKeys, raw };
}

export const CAMVID_VALUES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255];

/** CamVid: <split>/images/*.png, <split>/labels/*.png (test: images only). */
export async function writeCamvid(root: string): Promise<{ keys: Record<string, string[]>; raw: Map<string, number[]> }> {
  const keys: Record<string, string[]> = {
    train: ['0001TP_006690', '0001TP_006720', '0006R0_f00930'],
    val: ['0016E5_07959'],
    test: ['0001TP_008550', 'Seq05VD_f00000'],
  };
  const raw = new Map<string, number[]>();
  let k = 0;
  for (const [split, names] of Object.entries(keys)) {
    for (const key of names) {
      await png(join(root, split, 'images', `${key}.png`), testImage(k));
      if (split !== 'test') {
        const values = sweep(CAMVID_VALUES, k);
        await gray(join(root, split, 'labels', `${key}.png`), values);
        raw.set(key, values);
      }
      k++;
    }
  }
  return { keys, raw };
}
