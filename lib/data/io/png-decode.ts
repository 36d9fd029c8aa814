/**
 * A strict PNG decoder for label maps (PNG specification, ISO/IEC 15948).
 *
 * Why not sharp for labels: libvips expands palette PNGs into their colours (a GTA5 label would
 * come back as RGB, not as class indices) and colour-manages images with an ICC profile; a label
 * is data, so this decoder returns the stored samples exactly. It checks the signature, every
 * chunk's CRC, the header, the presence of IDAT and IEND and the exact length of the
 * decompressed data, so truncated and corrupt files fail loudly instead of decoding to garbage.
 * Supports every colour type (0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA), every bit depth
 * (1, 2, 4, 8, 16) and Adam7 interlacing.
 */
import * as zlib from 'node:zlib';
import { PngFormatError } from './errors.js';
import { crc32 } from './crc32.js';

export const PNG_SIGNATURE = Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10]);

export type PngColorType = 0 | 2 | 3 | 4 | 6;
export type PngBitDepth = 1 | 2 | 4 | 8 | 16;

export interface PngHeader {
  width: number;
  height: number;
  bitDepth: PngBitDepth;
  colorType: PngColorType;
  interlace: 0 | 1;
  /** Samples per pixel: 1 (gray, palette), 2 (gray+alpha), 3 (RGB), 4 (RGBA). */
  channels: 1 | 2 | 3 | 4;
}

export interface PngChunks {
  header: PngHeader;
  /** PLTE entries as RGB triples (length = 3 × entries), when present. */
  palette: Uint8Array | undefined;
  /** Concatenated IDAT payloads (zlib stream). */
  idat: Buffer;
}

/** One decoded channel of a PNG: raw sample values. */
export interface DecodedChannel {
  header: PngHeader;
  palette: Uint8Array | undefined;
  /** width × height samples; Uint16Array for 16-bit files, Uint8Array otherwise. */
  data: Uint8Array | Uint16Array;
}

const CHANNELS: Record<number, 1 | 2 | 3 | 4> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const ALLOWED_DEPTHS: Record<number, readonly number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

/** True when the buffer starts with the 8-byte PNG signature. */
export function isPng(buf: Uint8Array): boolean {
  if (buf.length < 8) return false;
  for (let i = 0; i < 8; i++) if (buf[i] !== PNG_SIGNATURE[i]) return false;
  return true;
}

/** Reads only the IHDR (cheap): width, height, depth, colour type. */
export function readPngHeader(buf: Uint8Array): PngHeader {
  if (!isPng(buf)) throw new PngFormatError('not a PNG file (bad signature)');
  if (buf.length < 33) throw new PngFormatError('truncated PNG: file ends inside the IHDR chunk');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const len = view.getUint32(8);
  const type = String.fromCharCode(buf[12]!, buf[13]!, buf[14]!, buf[15]!);
  if (type !== 'IHDR' || len !== 13) throw new PngFormatError('corrupt PNG: first chunk is not a 13-byte IHDR');
  return parseHeader(view, 16);
}

function parseHeader(view: DataView, at: number): PngHeader {
  const width = view.getUint32(at);
  const height = view.getUint32(at + 4);
  const bitDepth = view.getUint8(at + 8);
  const colorType = view.getUint8(at + 9);
  const compression = view.getUint8(at + 10);
  const filter = view.getUint8(at + 11);
  const interlace = view.getUint8(at + 12);
  if (width === 0 || height === 0) throw new PngFormatError(`corrupt PNG: image size ${width}x${height}`);
  if (width > 0x7fffffff || height > 0x7fffffff) throw new PngFormatError('corrupt PNG: image size out of range');
  const depths = ALLOWED_DEPTHS[colorType];
  if (!depths) throw new PngFormatError(`corrupt PNG: unknown colour type ${colorType}`);
  if (!depths.includes(bitDepth)) {
    throw new PngFormatError(`corrupt PNG: bit depth ${bitDepth} is not allowed for colour type ${colorType}`);
  }
  if (compression !== 0 || filter !== 0) throw new PngFormatError('corrupt PNG: unknown compression or filter method');
  if (interlace !== 0 && interlace !== 1) throw new PngFormatError(`corrupt PNG: unknown interlace method ${interlace}`);
  return {
    width,
    height,
    bitDepth: bitDepth as PngBitDepth,
    colorType: colorType as PngColorType,
    interlace: interlace as 0 | 1,
    channels: CHANNELS[colorType]!,
  };
}

/** Splits a PNG into header, palette and image data, checking structure and CRCs. */
export function readPngChunks(buf: Uint8Array): PngChunks {
  if (!isPng(buf)) throw new PngFormatError('not a PNG file (bad signature)');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 8;
  let header: PngHeader | undefined;
  let palette: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  let sawIend = false;
  while (pos < buf.length) {
    if (pos + 12 > buf.length) throw new PngFormatError(`truncated PNG: file ends inside a chunk header at byte ${pos}`);
    const len = view.getUint32(pos);
    const type = String.fromCharCode(buf[pos + 4]!, buf[pos + 5]!, buf[pos + 6]!, buf[pos + 7]!);
    if (!/^[A-Za-z]{4}$/.test(type)) throw new PngFormatError(`corrupt PNG: invalid chunk type at byte ${pos}`);
    const dataStart = pos + 8;
    const dataEnd = dataStart + len;
    if (len > 0x7fffffff || dataEnd + 4 > buf.length) {
      throw new PngFormatError(`truncated PNG: chunk ${type} at byte ${pos} extends past the end of the file (${buf.length} bytes)`);
    }
    const stored = view.getUint32(dataEnd);
    const actual = crc32(buf.subarray(pos + 4, dataEnd));
    if (stored !== actual) throw new PngFormatError(`corrupt PNG: CRC mismatch in chunk ${type} at byte ${pos}`);
    if (header === undefined && type !== 'IHDR') throw new PngFormatError('corrupt PNG: first chunk is not IHDR');
    if (type === 'IHDR') {
      if (header !== undefined) throw new PngFormatError('corrupt PNG: more than one IHDR chunk');
      if (len !== 13) throw new PngFormatError('corrupt PNG: IHDR chunk is not 13 bytes');
      header = parseHeader(view, dataStart);
    } else if (type === 'PLTE') {
      if (len % 3 !== 0 || len === 0 || len > 768) throw new PngFormatError(`corrupt PNG: PLTE chunk of ${len} bytes`);
      palette = buf.slice(dataStart, dataEnd);
    } else if (type === 'IDAT') {
      idat.push(buf.subarray(dataStart, dataEnd));
    } else if (type === 'IEND') {
      sawIend = true;
      break;
    }
    pos = dataEnd + 4;
  }
  if (header === undefined) throw new PngFormatError('truncated PNG: no IHDR chunk');
  if (idat.length === 0) throw new PngFormatError('truncated PNG: no image data (IDAT) chunk');
  if (!sawIend) throw new PngFormatError('truncated PNG: no IEND chunk (file is cut short)');
  if (header.colorType === 3 && palette === undefined) throw new PngFormatError('corrupt PNG: palette image without PLTE chunk');
  return { header, palette, idat: Buffer.concat(idat) };
}

interface Pass {
  x0: number;
  y0: number;
  dx: number;
  dy: number;
}
const ADAM7: readonly Pass[] = [
  { x0: 0, y0: 0, dx: 8, dy: 8 },
  { x0: 4, y0: 0, dx: 8, dy: 8 },
  { x0: 0, y0: 4, dx: 4, dy: 8 },
  { x0: 2, y0: 0, dx: 4, dy: 4 },
  { x0: 0, y0: 2, dx: 2, dy: 4 },
  { x0: 1, y0: 0, dx: 2, dy: 2 },
  { x0: 0, y0: 1, dx: 1, dy: 2 },
];
const NO_INTERLACE: readonly Pass[] = [{ x0: 0, y0: 0, dx: 1, dy: 1 }];

function passSize(h: PngHeader, p: Pass): [number, number] {
  const w = h.width > p.x0 ? Math.ceil((h.width - p.x0) / p.dx) : 0;
  const ht = h.height > p.y0 ? Math.ceil((h.height - p.y0) / p.dy) : 0;
  return [w, ht];
}

function rowBytes(h: PngHeader, w: number): number {
  return Math.ceil((w * h.channels * h.bitDepth) / 8);
}

/** Reverses the per-row filters in place (rows are `1 + stride` bytes, filter byte first). */
function unfilter(raw: Uint8Array, start: number, rows: number, stride: number, bpp: number): void {
  let prev = -1; // offset of the previous row's first data byte, -1 for none
  for (let r = 0; r < rows; r++) {
    const f = raw[start + r * (stride + 1)]!;
    const o = start + r * (stride + 1) + 1;
    switch (f) {
      case 0:
        break;
      case 1:
        for (let i = bpp; i < stride; i++) raw[o + i] = (raw[o + i]! + raw[o + i - bpp]!) & 255;
        break;
      case 2:
        if (prev >= 0) for (let i = 0; i < stride; i++) raw[o + i] = (raw[o + i]! + raw[prev + i]!) & 255;
        break;
      case 3:
        for (let i = 0; i < stride; i++) {
          const left = i >= bpp ? raw[o + i - bpp]! : 0;
          const up = prev >= 0 ? raw[prev + i]! : 0;
          raw[o + i] = (raw[o + i]! + ((left + up) >> 1)) & 255;
        }
        break;
      case 4:
        for (let i = 0; i < stride; i++) {
          const a = i >= bpp ? raw[o + i - bpp]! : 0;
          const b = prev >= 0 ? raw[prev + i]! : 0;
          const c = i >= bpp && prev >= 0 ? raw[prev + i - bpp]! : 0;
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          const pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          raw[o + i] = (raw[o + i]! + pred) & 255;
        }
        break;
      default:
        throw new PngFormatError(`corrupt PNG: unknown row filter type ${f}`);
    }
    prev = o;
  }
}

function inflate(idat: Buffer, expected: number): Uint8Array {
  let out: Buffer;
  try {
    out = zlib.inflateSync(idat);
  } catch (err) {
    const msg = (err as Error).message;
    throw new PngFormatError(`corrupt or truncated PNG image data (zlib: ${msg})`);
  }
  if (out.length < expected) {
    throw new PngFormatError(`truncated PNG image data: ${out.length} of ${expected} bytes after decompression`);
  }
  return out;
}

/**
 * Decodes one channel (sample index `channel`, 0-based) of a PNG into raw values.
 * For a palette PNG, channel 0 holds the palette indices.
 */
export function decodePngChannel(buf: Uint8Array, channel = 0): DecodedChannel {
  const { header: h, palette, idat } = readPngChunks(buf);
  if (channel < 0 || channel >= h.channels) {
    throw new PngFormatError(`PNG has ${h.channels} channel(s); channel ${channel} was asked for`);
  }
  const passes = h.interlace === 1 ? ADAM7 : NO_INTERLACE;
  let expected = 0;
  for (const p of passes) {
    const [w, ht] = passSize(h, p);
    if (w > 0 && ht > 0) expected += ht * (rowBytes(h, w) + 1);
  }
  const raw = inflate(idat, expected);
  const n = h.width * h.height;
  const data = h.bitDepth === 16 ? new Uint16Array(n) : new Uint8Array(n);
  const bpp = Math.max(1, (h.channels * h.bitDepth) >> 3);
  let start = 0;
  for (const p of passes) {
    const [w, ht] = passSize(h, p);
    if (w === 0 || ht === 0) continue;
    const stride = rowBytes(h, w);
    unfilter(raw, start, ht, stride, bpp);
    for (let r = 0; r < ht; r++) {
      const o = start + r * (stride + 1) + 1;
      const y = p.y0 + r * p.dy;
      let dst = y * h.width + p.x0;
      if (h.bitDepth === 16) {
        const step = h.channels * 2;
        for (let x = 0, s = o + channel * 2; x < w; x++, s += step, dst += p.dx) data[dst] = (raw[s]! << 8) | raw[s + 1]!;
      } else if (h.bitDepth === 8) {
        const step = h.channels;
        for (let x = 0, s = o + channel; x < w; x++, s += step, dst += p.dx) data[dst] = raw[s]!;
      } else {
        const bd = h.bitDepth;
        const mask = (1 << bd) - 1;
        for (let x = 0; x < w; x++, dst += p.dx) {
          const bit = x * bd;
          data[dst] = (raw[o + (bit >> 3)]! >> (8 - bd - (bit & 7))) & mask;
        }
      }
    }
    start += ht * (stride + 1);
  }
  return { header: h, palette, data };
}
