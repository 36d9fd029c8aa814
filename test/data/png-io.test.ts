/**
 * Image I/O. The project's PNG decoder (labels) is checked against sharp/libvips, an
 * independent decoder: on files sharp writes (gray 8/16, RGB 16, palettes of 1/2/4/8 bits,
 * Adam7 interlaced) and on files the project's encoder writes. Bad input: truncated and
 * corrupt PNGs, missing files, JPEG labels — every error names the file.
 */
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import sharp from 'sharp';
import { crc32Js } from '../../lib/data/io/crc32.js';
import { ImageFileError } from '../../lib/data/io/errors.js';
import { readImage, readImageHeader, writeJpeg, writePng, writePng16 } from '../../lib/data/io/image.js';
import { decodeLabel, readLabel, writeLabelPng } from '../../lib/data/io/label.js';
import { decodePngChannel } from '../../lib/data/io/png-decode.js';
import { encodePng } from '../../lib/data/io/png-encode.js';
import { oddPalette, tempDir, testImage } from './layout-fixtures.js';

/** Raw samples of a file as sharp decodes it, in its own colour space (no conversion). */
async function sharpRaw(buf: Buffer, space: 'b-w' | 'grey16' | 'srgb' | 'rgb16'): Promise<{ data: number[]; channels: number }> {
  const depth = space === 'grey16' || space === 'rgb16' ? 'ushort' : 'uchar';
  const { data, info } = await sharp(buf).toColourspace(space).raw({ depth }).toBuffer({ resolveWithObject: true });
  const arr = depth === 'ushort' ? new Uint16Array(data.buffer, data.byteOffset, data.length / 2) : data;
  return { data: Array.from(arr), channels: info.channels };
}

function channelOf(data: number[], channels: number, c: number): number[] {
  return data.filter((_, i) => i % channels === c);
}

async function expectFileError(p: Promise<unknown>, file: string, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ImageFileError, `expected ImageFileError, got ${String(err)}`);
    assert.equal(err.file, file);
    assert.ok(err.message.includes(file), `message names the file: ${err.message}`);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('data/io: PNG decoding of labels (checked against sharp)', () => {
  const W = 13; // odd width: exercises row padding of sub-byte depths
  const H = 7;
  const gray = Uint8Array.from({ length: W * H }, (_, i) => (i * 29 + 3) & 255);

  it('8-bit gray written by sharp: raw values', async () => {
    const buf = await sharp(Buffer.from(gray), { raw: { width: W, height: H, channels: 1 } }).toColourspace('b-w').png().toBuffer();
    const l = decodeLabel(buf, 'g8.png');
    assert.equal(l.bitDepth, 8);
    assert.deepEqual(Array.from(l.data), (await sharpRaw(buf, 'b-w')).data);
    assert.deepEqual(Array.from(l.data), Array.from(gray));
  });

  it('16-bit gray and 16-bit RGB (class id in channel 0) written by sharp', async () => {
    const g16 = Uint16Array.from({ length: W * H }, (_, i) => (i * 997 + 5) & 0xffff);
    const b1 = await sharp(g16, { raw: { width: W, height: H, channels: 1 } }).toColourspace('grey16').png().toBuffer();
    const l1 = decodeLabel(b1, 'g16.png');
    assert.ok(l1.data instanceof Uint16Array);
    assert.deepEqual(Array.from(l1.data), (await sharpRaw(b1, 'grey16')).data);
    assert.deepEqual(Array.from(l1.data), Array.from(g16));

    const rgb16 = Uint16Array.from({ length: W * H * 3 }, (_, i) => (i * 4099 + 11) & 0xffff);
    const b3 = await sharp(rgb16, { raw: { width: W, height: H, channels: 3 } }).toColourspace('rgb16').png().toBuffer();
    const ref = await sharpRaw(b3, 'rgb16');
    for (let c = 0; c < 3; c++) {
      assert.deepEqual(Array.from(decodeLabel(b3, 'rgb16.png', c).data), channelOf(ref.data, 3, c), `channel ${c}`);
    }
    assert.deepEqual(Array.from(decodeLabel(b3, 'rgb16.png').data), channelOf(Array.from(rgb16), 3, 0));
  });

  for (const colours of [2, 4, 16, 200]) {
    it(`palette PNG with ${colours} colours: indices, whose palette colours are what sharp decodes`, async () => {
      const rgb = new Uint8Array(W * H * 3);
      for (let i = 0; i < W * H; i++) {
        const k = (i * 7) % colours;
        rgb.set([(k * 61) & 255, (k * 17 + 40) & 255, (255 - k * 5) & 255], 3 * i);
      }
      const buf = await sharp(Buffer.from(rgb), { raw: { width: W, height: H, channels: 3 } })
        .png({ palette: true, colours, dither: 0 })
        .toBuffer();
      const d = decodePngChannel(buf, 0);
      assert.equal(d.header.colorType, 3);
      assert.equal(d.header.bitDepth, colours <= 2 ? 1 : colours <= 4 ? 2 : colours <= 16 ? 4 : 8);
      assert.ok(d.palette);
      const ref = await sharpRaw(buf, 'srgb'); // sharp expands a palette to colours
      const viaIndices: number[] = [];
      for (const idx of d.data) viaIndices.push(d.palette![3 * idx]!, d.palette![3 * idx + 1]!, d.palette![3 * idx + 2]!);
      assert.deepEqual(viaIndices, ref.data);
      assert.ok(Math.max(...d.data) < d.palette!.length / 3);
    });
  }

  it('Adam7-interlaced PNG (sharp progressive) decodes like sharp', async () => {
    for (const [w, h] of [
      [W, H],
      [1, 1],
      [3, 2],
      [33, 17],
    ] as const) {
      const px = Uint8Array.from({ length: w * h }, (_, i) => (i * 31 + 7) & 255);
      const buf = await sharp(Buffer.from(px), { raw: { width: w, height: h, channels: 1 } })
        .toColourspace('b-w')
        .png({ progressive: true })
        .toBuffer();
      const d = decodePngChannel(buf, 0);
      assert.equal(d.header.interlace, 1, 'sharp wrote an interlaced file');
      assert.deepEqual(Array.from(d.data), (await sharpRaw(buf, 'b-w')).data, `${w}x${h}`);
    }
  });

  it('row filters chosen by libpng (sharp adaptive filtering on an RGB image)', async () => {
    const img = testImage(5, 40, 12);
    const buf = await sharp(Buffer.from(img.data), { raw: { width: 40, height: 12, channels: 3 } }).png({ adaptiveFiltering: true }).toBuffer();
    const raw = zlib.inflateSync((await import('../../lib/data/io/png-decode.js')).readPngChunks(buf).idat);
    const filters = new Set<number>();
    for (let r = 0; r < 12; r++) filters.add(raw[r * (40 * 3 + 1)]!);
    assert.ok(filters.size >= 2, `several filter types used: ${[...filters]}`);
    const ref = await sharpRaw(buf, 'srgb');
    for (let c = 0; c < 3; c++) assert.deepEqual(Array.from(decodePngChannel(buf, c).data), channelOf(ref.data, 3, c));
  });
});

/** Applies PNG filter `f` to one row (the forward direction, written from the specification). */
function filterRow(f: number, cur: Uint8Array, prev: Uint8Array | null, bpp: number): Uint8Array {
  const out = new Uint8Array(cur.length);
  for (let i = 0; i < cur.length; i++) {
    const a = i >= bpp ? cur[i - bpp]! : 0;
    const b = prev ? prev[i]! : 0;
    const c = prev && i >= bpp ? prev[i - bpp]! : 0;
    let pred = 0;
    if (f === 1) pred = a;
    else if (f === 2) pred = b;
    else if (f === 3) pred = Math.floor((a + b) / 2);
    else if (f === 4) {
      const p = a + b - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - b);
      const pc = Math.abs(p - c);
      pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
    out[i] = (cur[i]! - pred) & 255;
  }
  return out;
}

describe('data/io: every PNG row filter type', () => {
  it('a file using filters 0-4 (row r uses r mod 5) decodes like sharp and to the source pixels', async () => {
    const w = 11;
    const h = 10;
    const img = testImage(7, w, h);
    const stride = w * 3;
    const raw = new Uint8Array(h * (stride + 1));
    for (let r = 0; r < h; r++) {
      const cur = img.data.subarray(r * stride, (r + 1) * stride);
      const prev = r > 0 ? img.data.subarray((r - 1) * stride, r * stride) : null;
      raw[r * (stride + 1)] = r % 5;
      raw.set(filterRow(r % 5, cur, prev, 3), r * (stride + 1) + 1);
    }
    // re-use the encoder's framing, then swap in the filtered IDAT
    const plain = encodePng({ width: w, height: h, channels: 3, bitDepth: 8, data: img.data });
    const { readPngChunks } = await import('../../lib/data/io/png-decode.js');
    const ihdrEnd = 8 + 12 + 13;
    const idat = zlib.deflateSync(raw);
    const chunk = Buffer.alloc(12 + idat.length);
    chunk.writeUInt32BE(idat.length, 0);
    chunk.write('IDAT', 4, 'latin1');
    idat.copy(chunk, 8);
    chunk.writeUInt32BE(crc32Js(chunk.subarray(4, 8 + idat.length)), 8 + idat.length);
    const file = Buffer.concat([plain.subarray(0, ihdrEnd), chunk, plain.subarray(plain.length - 12)]);
    assert.equal(readPngChunks(file).header.width, w);
    const ref = await sharpRaw(file, 'srgb');
    assert.deepEqual(ref.data, Array.from(img.data), 'sharp reads the hand-filtered file');
    for (let c = 0; c < 3; c++) assert.deepEqual(Array.from(decodePngChannel(file, c).data), channelOf(ref.data, 3, c));
  });
});

describe('data/io: PNG encoding (checked against sharp)', () => {
  it('palette, gray 16-bit and RGBA files from encodePng decode in sharp to the same values', async () => {
    const w = 9;
    const h = 5;
    const idx = Uint8Array.from({ length: w * h }, (_, i) => (i * 5) % 34);
    const pal = oddPalette();
    const pbuf = encodePng({ width: w, height: h, channels: 1, bitDepth: 8, data: idx, palette: pal });
    const ref = await sharpRaw(pbuf, 'srgb');
    const expect: number[] = [];
    for (const v of idx) expect.push(pal[3 * v]!, pal[3 * v + 1]!, pal[3 * v + 2]!);
    assert.deepEqual(ref.data, expect);

    const g16 = Uint16Array.from({ length: w * h }, (_, i) => i * 1400);
    const gbuf = encodePng({ width: w, height: h, channels: 1, bitDepth: 16, data: g16 });
    assert.deepEqual((await sharpRaw(gbuf, 'grey16')).data, Array.from(g16));

    const rgba = Uint8Array.from({ length: w * h * 4 }, (_, i) => (i * 13) & 255);
    const abuf = encodePng({ width: w, height: h, channels: 4, bitDepth: 8, data: rgba });
    const { data } = await sharp(abuf).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual(Array.from(data), Array.from(rgba));
  });

  it('CRC-32: table implementation agrees with zlib', () => {
    const native = (zlib as unknown as { crc32?: (d: Uint8Array) => number }).crc32;
    const data = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919) & 255);
    assert.equal(crc32Js(new TextEncoder().encode('IEND')), 0xae426082); // the CRC every PNG ends with
    if (native) assert.equal(crc32Js(data), native(data) >>> 0);
  });
});

describe('data/io: readImage / writePng / writeJpeg / writeLabelPng', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir('io-test');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('RGB PNG round trip is exact', async () => {
    const img = testImage(3, 21, 11);
    const p = join(dir, 'rgb.png');
    await writePng(p, img);
    const back = await readImage(p);
    assert.equal(back.width, 21);
    assert.equal(back.height, 11);
    assert.equal(back.channels, 3);
    assert.deepEqual(Array.from(back.data), Array.from(img.data));
    const h = await readImageHeader(p);
    assert.deepEqual([h.width, h.height, h.format], [21, 11, 'png']);
  });

  it('gray, palette, RGBA and 16-bit inputs all come back as 8-bit RGB', async () => {
    const g = Uint8Array.from({ length: 6 * 4 }, (_, i) => i * 10);
    const pg = join(dir, 'g.png');
    await writeLabelPng(pg, { width: 6, height: 4, data: g });
    const ig = await readImage(pg);
    assert.deepEqual(Array.from(ig.data), Array.from(g).flatMap((v) => [v, v, v]));

    const pp = join(dir, 'p.png');
    const pal = oddPalette();
    await writeLabelPng(pp, { width: 6, height: 4, data: g }, { palette: pal });
    const ip = await readImage(pp);
    assert.deepEqual(Array.from(ip.data), Array.from(g).flatMap((v) => [pal[3 * v]!, pal[3 * v + 1]!, pal[3 * v + 2]!]));

    const rgba = Uint8Array.from({ length: 6 * 4 * 4 }, (_, i) => (i % 4 === 3 ? 128 : i * 3) & 255);
    const pa = join(dir, 'a.png');
    await writePng(pa, { width: 6, height: 4, channels: 4, data: rgba });
    const ia = await readImage(pa);
    assert.deepEqual(Array.from(ia.data), Array.from(rgba).filter((_, i) => i % 4 !== 3));

    const s16 = Uint16Array.from({ length: 6 * 4 * 3 }, (_, i) => i * 900 + 77);
    const p16 = join(dir, 's16.png');
    await writePng16(p16, { width: 6, height: 4, channels: 3, data: s16 });
    const i16 = await readImage(p16);
    assert.deepEqual(Array.from(i16.data), Array.from(s16).map((v) => v >> 8));
    const l16 = await readLabel(p16, { channel: 0 });
    assert.deepEqual(Array.from(l16.data), Array.from(s16).filter((_, i) => i % 3 === 0));
  });

  it('label PNG round trips: 8-bit gray, 16-bit gray, palette (indices, not colours)', async () => {
    const v8 = Uint8Array.from({ length: 10 * 3 }, (_, i) => [0, 7, 33, 255][i % 4]!);
    const p8 = join(dir, 'l8.png');
    await writeLabelPng(p8, { width: 10, height: 3, data: v8 });
    assert.deepEqual(Array.from((await readLabel(p8)).data), Array.from(v8));
    const v16 = Uint16Array.from({ length: 30 }, (_, i) => i * 2111);
    const p16 = join(dir, 'l16.png');
    await writeLabelPng(p16, { width: 10, height: 3, data: v16 });
    const r16 = await readLabel(p16);
    assert.equal(r16.bitDepth, 16);
    assert.deepEqual(Array.from(r16.data), Array.from(v16));
    const pp = join(dir, 'lp.png');
    await writeLabelPng(pp, { width: 10, height: 3, data: v8 }, { palette: oddPalette() });
    assert.deepEqual(Array.from((await readLabel(pp)).data), Array.from(v8));
  });

  it('JPEG: written and read back close to the original', async () => {
    const img = testImage(1, 32, 16);
    const p = join(dir, 'x.jpg');
    await writeJpeg(p, img, { quality: 95 });
    const back = await readImage(p);
    assert.deepEqual([back.width, back.height], [32, 16]);
    let err = 0;
    for (let i = 0; i < img.data.length; i++) err += Math.abs(back.data[i]! - img.data[i]!);
    assert.ok(err / img.data.length < 8, `mean abs error ${err / img.data.length}`);
  });

  describe('bad input: every error names the file', () => {
    let good: Buffer;
    before(async () => {
      const img = testImage(2, 64, 32);
      good = await sharp(Buffer.from(img.data), { raw: { width: 64, height: 32, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer();
    });

    it('missing file', async () => {
      const p = join(dir, 'nope.png');
      await expectFileError(readImage(p), p, /not found/);
      await expectFileError(readLabel(p), p, /not found/);
      await expectFileError(readImageHeader(p), p, /not found/);
    });

    it('truncated PNG', async () => {
      const p = join(dir, 'trunc.png');
      await writeFile(p, good.subarray(0, Math.floor(good.length * 0.6)));
      await expectFileError(readImage(p), p, /truncated|corrupt/);
      await expectFileError(readLabel(p), p, /truncated/);
      const q = join(dir, 'trunc-iend.png');
      await writeFile(q, good.subarray(0, good.length - 12)); // only IEND missing
      await expectFileError(readLabel(q), q, /IEND/);
    });

    it('corrupt PNG (flipped bytes in the image data, bad signature)', async () => {
      const bad = Buffer.from(good);
      bad[Math.floor(bad.length / 2)]! ^= 0x5a;
      const p = join(dir, 'corrupt.png');
      await writeFile(p, bad);
      await expectFileError(readImage(p), p, /corrupt|truncated/);
      await expectFileError(readLabel(p), p, /CRC/);
      const q = join(dir, 'notpng.png');
      await writeFile(q, Buffer.from('hello, not an image at all'));
      await expectFileError(readImage(q), q, /not a supported image|unsupported/i);
      await expectFileError(readLabel(q), q, /not a PNG/);
    });

    it('a JPEG label is refused', async () => {
      const p = join(dir, 'label.jpg');
      await writeJpeg(p, testImage(0));
      await expectFileError(readLabel(p), p, /must be PNG/);
    });

    it('a channel the file does not have', async () => {
      const p = join(dir, 'g1.png');
      await writeLabelPng(p, { width: 2, height: 2, data: Uint8Array.from([1, 2, 3, 4]) });
      await expectFileError(readLabel(p, { channel: 1 }), p, /channel/);
      assert.deepEqual(Array.from((await readLabel(p)).data), [1, 2, 3, 4]);
      assert.ok((await readFile(p)).length > 0);
    });
  });
});
