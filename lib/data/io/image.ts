/**
 * Colour image I/O through sharp (libvips): PNG (8- and 16-bit, gray, palette, RGB, RGBA) and
 * JPEG in, 8-bit RGB out. 16-bit samples are reduced to 8 bits (v >> 8), gray is replicated to
 * RGB, alpha is dropped, palettes are expanded, embedded ICC profiles are converted to sRGB.
 * Labels are NOT read here (see label.ts): a label must keep its stored values.
 */
import { readFile, writeFile } from 'node:fs/promises';
import sharp, { type Sharp } from 'sharp';
import { fileError, ImageFileError } from './errors.js';
import type { Raster8, RgbImage } from './types.js';

function sharpReason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (/unsupported image format/i.test(msg)) return 'not a supported image file (PNG or JPEG expected)';
  if (/libpng read error|read error|premature end|truncated|Input buffer|Warning treated as error|bad adaptive filter|IDAT|CRC/i.test(msg)) {
    return `corrupt or truncated image (${msg.trim()})`;
  }
  return msg.trim();
}

/** Decodes PNG/JPEG bytes to 8-bit RGB; `file` names the source in errors. */
export async function decodeImage(buf: Uint8Array, file: string): Promise<RgbImage> {
  try {
    const { data, info } = await sharp(buf, { failOn: 'warning' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
    return {
      width: info.width,
      height: info.height,
      channels: 3,
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    };
  } catch (err) {
    throw new ImageFileError(file, sharpReason(err));
  }
}

/** Reads a PNG or JPEG file as 8-bit RGB: {width, height, channels: 3, data}. */
export async function readImage(path: string): Promise<RgbImage> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    throw fileError(path, err);
  }
  return decodeImage(buf, path);
}

export interface ImageHeader {
  width: number;
  height: number;
  format: string;
  channels: number;
  bitDepth: number | undefined;
}

/**
 * Reads only the header (size, format). Cheap, but does not detect a file truncated after its
 * header: use readImage for a full check.
 */
export async function readImageHeader(path: string): Promise<ImageHeader> {
  try {
    const m = await sharp(path, { failOn: 'warning' }).metadata();
    if (!m.width || !m.height || !m.format) throw new Error('no image size or format in header');
    return { width: m.width, height: m.height, format: m.format, channels: m.channels ?? 0, bitDepth: m.bitsPerSample };
  } catch (err) {
    const e = err as Error;
    if (/missing|ENOENT|no such file/i.test(e.message ?? '')) throw new ImageFileError(path, 'file not found');
    throw new ImageFileError(path, sharpReason(err));
  }
}

function rawInput(img: Raster8): Sharp {
  const { width, height, channels, data } = img;
  if (data.length !== width * height * channels) {
    throw new Error(`raster data has ${data.length} bytes, expected ${width}x${height}x${channels}`);
  }
  const s = sharp(Buffer.from(data.buffer, data.byteOffset, data.length), { raw: { width, height, channels } });
  return channels <= 2 ? s.toColourspace('b-w') : s;
}

async function writeBytes(path: string, make: () => Promise<Buffer>): Promise<void> {
  let bytes: Buffer;
  try {
    bytes = await make();
  } catch (err) {
    throw new ImageFileError(path, `cannot encode: ${(err as Error).message}`);
  }
  try {
    await writeFile(path, bytes);
  } catch (err) {
    throw fileError(path, err);
  }
}

/** Encodes an 8-bit raster (gray, gray+alpha, RGB, RGBA) as PNG bytes. */
export async function encodePngSharp(img: Raster8, compressionLevel = 6): Promise<Buffer> {
  return rawInput(img).png({ compressionLevel }).toBuffer();
}

/** Writes an 8-bit raster (gray, gray+alpha, RGB, RGBA) as a PNG file. */
export async function writePng(path: string, img: Raster8, opts: { compressionLevel?: number } = {}): Promise<void> {
  await writeBytes(path, () => encodePngSharp(img, opts.compressionLevel ?? 6));
}

/** Writes an 8-bit gray or RGB raster as a baseline JPEG (quality 1..100, default 90). */
export async function writeJpeg(path: string, img: Raster8, opts: { quality?: number } = {}): Promise<void> {
  const quality = opts.quality ?? 90;
  if (!(quality >= 1 && quality <= 100)) throw new ImageFileError(path, `JPEG quality ${quality} outside 1..100`);
  await writeBytes(path, () => rawInput(img).jpeg({ quality }).toBuffer());
}

/** A 16-bit interleaved raster (1 = gray, 3 = RGB). */
export interface Raster16 {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint16Array;
}

/** Writes a 16-bit gray or RGB PNG (e.g. SYNTHIA-style labels with the class in channel 0). */
export async function writePng16(path: string, img: Raster16): Promise<void> {
  const { width, height, channels, data } = img;
  if (data.length !== width * height * channels) {
    throw new ImageFileError(path, `raster data has ${data.length} samples, expected ${width}x${height}x${channels}`);
  }
  await writeBytes(path, () =>
    sharp(data, { raw: { width, height, channels } })
      .toColourspace(channels === 1 ? 'grey16' : 'rgb16')
      .png()
      .toBuffer(),
  );
}
