/**
 * A minimal PNG encoder (filter type 0 on every row, zlib level 6), used where sharp cannot
 * write what a label needs: palette PNGs whose indices are the class ids (GTA5-style labels)
 * and exact multi-channel 16-bit files. Ordinary images are written by sharp (image.ts).
 */
import * as zlib from 'node:zlib';
import { crc32 } from './crc32.js';
import { PNG_SIGNATURE } from './png-decode.js';

export interface PngEncodeInput {
  width: number;
  height: number;
  /** 1 gray (or palette indices), 2 gray+alpha, 3 RGB, 4 RGBA. */
  channels: 1 | 2 | 3 | 4;
  bitDepth: 8 | 16;
  /** Interleaved samples: Uint8Array for 8-bit, Uint16Array for 16-bit. */
  data: Uint8Array | Uint16Array;
  /** RGB triples; when given the file is a palette PNG (channels 1, bitDepth 8). */
  palette?: ArrayLike<number>;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** Encodes a raster as PNG bytes. */
export function encodePng(img: PngEncodeInput): Buffer {
  const { width, height, channels, bitDepth, data, palette } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`encodePng: bad size ${width}x${height}`);
  }
  if (data.length !== width * height * channels) {
    throw new Error(`encodePng: data has ${data.length} samples, expected ${width}x${height}x${channels}`);
  }
  if ((bitDepth === 16) !== data instanceof Uint16Array) throw new Error('encodePng: 16-bit data must be a Uint16Array (and 8-bit a Uint8Array)');
  let colorType: number;
  if (palette !== undefined) {
    if (channels !== 1 || bitDepth !== 8) throw new Error('encodePng: a palette PNG needs channels 1 and bitDepth 8');
    if (palette.length % 3 !== 0 || palette.length === 0 || palette.length > 768) throw new Error('encodePng: palette must hold 1..256 RGB triples');
    colorType = 3;
  } else {
    colorType = ({ 1: 0, 2: 4, 3: 2, 4: 6 } as const)[channels];
  }
  const bytesPerSample = bitDepth / 8;
  const stride = width * channels * bytesPerSample;
  const raw = Buffer.alloc(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    const o = y * (stride + 1) + 1;
    const s = y * width * channels;
    if (bitDepth === 8) {
      raw.set((data as Uint8Array).subarray(s, s + width * channels), o);
    } else {
      for (let i = 0; i < width * channels; i++) raw.writeUInt16BE((data as Uint16Array)[s + i]!, o + 2 * i);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = colorType;
  const parts = [Buffer.from(PNG_SIGNATURE), chunk('IHDR', ihdr)];
  if (palette !== undefined) parts.push(chunk('PLTE', Uint8Array.from(palette)));
  parts.push(chunk('IDAT', zlib.deflateSync(raw, { level: 6 })), chunk('IEND', new Uint8Array(0)));
  return Buffer.concat(parts);
}
