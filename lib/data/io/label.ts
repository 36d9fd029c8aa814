/**
 * Label map I/O: single-channel raw values, never interpolated, never colour-managed.
 * - 8-bit gray PNG (Cityscapes *_labelIds, CamVid): the gray values.
 * - palette PNG (GTA5 labels): the palette INDICES, not the colours (sharp would expand them).
 * - 16-bit PNG (SYNTHIA GT/LABELS, class id in the first channel): a Uint16Array of channel 0.
 * Only PNG is accepted: a lossy JPEG label would corrupt class ids at every edge.
 */
import { readFile, writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import { fileError, ImageFileError, PngFormatError } from './errors.js';
import { decodePngChannel, isPng } from './png-decode.js';
import { encodePng } from './png-encode.js';
import type { LabelImage } from './types.js';

/** Decodes label PNG bytes (channel `channel`, default 0); `file` names the source in errors. */
export function decodeLabel(buf: Uint8Array, file: string, channel = 0): LabelImage {
  if (!isPng(buf)) {
    const jpeg = buf.length > 2 && buf[0] === 0xff && buf[1] === 0xd8;
    throw new ImageFileError(file, jpeg ? 'label maps must be PNG (lossless); this is a JPEG' : 'not a PNG file (bad signature)');
  }
  try {
    const d = decodePngChannel(buf, channel);
    return { width: d.header.width, height: d.header.height, bitDepth: d.header.bitDepth, data: d.data };
  } catch (err) {
    if (err instanceof PngFormatError) throw new ImageFileError(file, err.message);
    throw fileError(file, err);
  }
}

/** Reads a label PNG: {width, height, bitDepth, data} with the raw values of channel `channel`. */
export async function readLabel(path: string, opts: { channel?: number } = {}): Promise<LabelImage> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    throw fileError(path, err);
  }
  return decodeLabel(buf, path, opts.channel ?? 0);
}

export interface LabelWriteInput {
  width: number;
  height: number;
  data: Uint8Array | Uint16Array;
}

/**
 * Writes a single-channel label PNG: 8-bit gray for a Uint8Array, 16-bit gray for a
 * Uint16Array, or, with `palette` (RGB triples), an 8-bit palette PNG whose indices are the
 * values (the GTA5 label format).
 */
export async function writeLabelPng(path: string, label: LabelWriteInput, opts: { palette?: ArrayLike<number> } = {}): Promise<void> {
  const { width, height, data } = label;
  if (data.length !== width * height) {
    throw new ImageFileError(path, `label data has ${data.length} values, expected ${width}x${height}`);
  }
  let bytes: Buffer;
  try {
    if (opts.palette !== undefined) {
      if (!(data instanceof Uint8Array)) throw new Error('a palette label must hold 8-bit values');
      bytes = encodePng({ width, height, channels: 1, bitDepth: 8, data, palette: opts.palette });
    } else if (data instanceof Uint16Array) {
      bytes = await sharp(data, { raw: { width, height, channels: 1 } }).toColourspace('grey16').png().toBuffer();
    } else {
      const raw = Buffer.from(data.buffer, data.byteOffset, data.length);
      bytes = await sharp(raw, { raw: { width, height, channels: 1 } }).toColourspace('b-w').png().toBuffer();
    }
  } catch (err) {
    throw new ImageFileError(path, `cannot encode label: ${(err as Error).message}`);
  }
  try {
    await writeFile(path, bytes);
  } catch (err) {
    throw fileError(path, err);
  }
}
