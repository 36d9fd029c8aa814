/**
 * Minimal protocol-buffers wire format: a writer that builds length-delimited messages and a
 * reader that walks fields. Enough for ONNX ModelProto; written here so the engine needs no
 * schema compiler.
 */
export const WT_VARINT = 0;
export const WT_I64 = 1;
export const WT_LEN = 2;
export const WT_I32 = 5;

export class ProtoWriter {
  private buf: Uint8Array;
  private pos = 0;

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const nb = new Uint8Array(size);
    nb.set(this.buf.subarray(0, this.pos));
    this.buf = nb;
  }

  private rawVarint(v: bigint): void {
    // negative int64 values are encoded as 10-byte two's complement
    let x = BigInt.asUintN(64, v);
    this.ensure(10);
    while (x >= 0x80n) {
      this.buf[this.pos++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.pos++] = Number(x);
  }

  private varintNum(v: number): void {
    if (v >= 0 && v < 0x80000000) {
      this.ensure(5);
      while (v >= 0x80) {
        this.buf[this.pos++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      this.buf[this.pos++] = v;
    } else this.rawVarint(BigInt(v));
  }

  private tag(field: number, wt: number): void {
    this.varintNum((field << 3) | wt);
  }

  int(field: number, v: number | bigint): this {
    this.tag(field, WT_VARINT);
    if (typeof v === 'bigint') this.rawVarint(v);
    else this.varintNum(v);
    return this;
  }

  float(field: number, v: number): this {
    this.tag(field, WT_I32);
    this.ensure(4);
    new DataView(this.buf.buffer, this.buf.byteOffset).setFloat32(this.pos, v, true);
    this.pos += 4;
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, WT_LEN);
    this.varintNum(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, w: ProtoWriter): this {
    return this.bytes(field, w.finish());
  }

  packedInts(field: number, vs: readonly (number | bigint)[]): this {
    const w = new ProtoWriter(vs.length * 2 + 8);
    for (const v of vs) {
      if (typeof v === 'bigint') w.rawVarint(v);
      else w.varintNum(v);
    }
    return this.bytes(field, w.finish());
  }

  packedFloats(field: number, vs: readonly number[]): this {
    const a = new Float32Array(vs);
    return this.bytes(field, new Uint8Array(a.buffer));
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

export interface Field {
  field: number;
  wt: number;
  /** varint value (as bigint) for WT_VARINT; raw bytes view for WT_LEN/I32/I64. */
  int?: bigint;
  bytes?: Uint8Array;
}

/** Iterates the fields of one message. */
export function* readFields(buf: Uint8Array): Generator<Field> {
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw new Error('protobuf: truncated varint');
      const b = buf[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wt = key & 7;
    if (wt === WT_VARINT) yield { field, wt, int: varint() };
    else if (wt === WT_LEN) {
      const len = Number(varint());
      if (pos + len > buf.length) throw new Error('protobuf: truncated length-delimited field');
      yield { field, wt, bytes: buf.subarray(pos, pos + len) };
      pos += len;
    } else if (wt === WT_I32) {
      yield { field, wt, bytes: buf.subarray(pos, pos + 4) };
      pos += 4;
    } else if (wt === WT_I64) {
      yield { field, wt, bytes: buf.subarray(pos, pos + 8) };
      pos += 8;
    } else throw new Error(`protobuf: unsupported wire type ${wt}`);
  }
}

/** Decodes a packed (or single) varint field into signed int64 numbers. */
export function readPackedInts(f: Field): bigint[] {
  if (f.wt === WT_VARINT) return [BigInt.asIntN(64, f.int!)];
  const out: bigint[] = [];
  const b = f.bytes!;
  let pos = 0;
  while (pos < b.length) {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const x = b[pos++]!;
      result |= BigInt(x & 0x7f) << shift;
      if (x < 0x80) break;
      shift += 7n;
    }
    out.push(BigInt.asIntN(64, result));
  }
  return out;
}

export function readPackedFloats(f: Field): number[] {
  const b = f.bytes!;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: number[] = [];
  for (let i = 0; i + 4 <= b.length; i += 4) out.push(dv.getFloat32(i, true));
  return out;
}

export function readPackedDoubles(f: Field): number[] {
  const b = f.bytes!;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: number[] = [];
  for (let i = 0; i + 8 <= b.length; i += 8) out.push(dv.getFloat64(i, true));
  return out;
}

export const utf8 = (b: Uint8Array): string => new TextDecoder().decode(b);
