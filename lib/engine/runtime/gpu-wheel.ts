/**
 * Installs onnxruntime's CUDA execution provider from a PyPI onnxruntime-gpu wheel: reads the
 * wheel (a zip: central directory, stored or deflated members), checks that its onnxruntime
 * version is the binding's (the core and the provider bridge must come from the same build),
 * and places libonnxruntime_providers_shared.so and libonnxruntime_providers_cuda.so beside
 * libonnxruntime.so.1, each written to a temporary file in that folder and renamed into place.
 * `downloadWheel` is the same `pip download` as deploy/docker/Dockerfile.cuda.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { PROVIDER_LIBRARIES } from './gpu-binding.js';

export class WheelError extends Error {
  constructor(msg: string) {
    super(msg);
    this.name = 'WheelError';
  }
}

export interface ZipMember {
  readonly name: string;
  /** 0 stored, 8 deflated */
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly crc32: number;
  readonly localHeaderOffset: number;
}

function readAt(fd: number, pos: number, len: number): Buffer {
  const b = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const n = fs.readSync(fd, b, got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return b.subarray(0, got);
}

/** The members of a zip file, from its central directory (no zip64: a wheel is < 4 GiB). */
export function listZip(file: string): ZipMember[] {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const tailLen = Math.min(size, 22 + 0xffff);
    const tail = readAt(fd, size - tailLen, tailLen);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) if (tail.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
    if (eocd < 0) throw new WheelError(`${file}: not a zip file (no end of central directory)`);
    const count = tail.readUInt16LE(eocd + 10);
    const cdSize = tail.readUInt32LE(eocd + 12);
    const cdOffset = tail.readUInt32LE(eocd + 16);
    if (count === 0xffff || cdOffset === 0xffffffff) throw new WheelError(`${file}: zip64 archives are not supported`);
    const cd = readAt(fd, cdOffset, cdSize);
    const out: ZipMember[] = [];
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== 0x02014b50) throw new WheelError(`${file}: corrupt central directory (entry ${i})`);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      const m: ZipMember = {
        name: cd.toString('utf8', p + 46, p + 46 + nameLen),
        method: cd.readUInt16LE(p + 10),
        crc32: cd.readUInt32LE(p + 16),
        compressedSize: cd.readUInt32LE(p + 20),
        size: cd.readUInt32LE(p + 24),
        localHeaderOffset: cd.readUInt32LE(p + 42),
      };
      if (m.compressedSize === 0xffffffff || m.size === 0xffffffff || m.localHeaderOffset === 0xffffffff) throw new WheelError(`${file}: ${m.name}: zip64 members are not supported`);
      out.push(m);
      p += 46 + nameLen + extraLen + commentLen;
    }
    return out;
  } finally {
    fs.closeSync(fd);
  }
}

/** Where a member's data starts (after its local header). */
function dataOffset(fd: number, file: string, m: ZipMember): number {
  const h = readAt(fd, m.localHeaderOffset, 30);
  if (h.length < 30 || h.readUInt32LE(0) !== 0x04034b50) throw new WheelError(`${file}: ${m.name}: bad local header`);
  return m.localHeaderOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
}

/** Extracts one member to `dest`, streaming; checks its size and CRC-32. */
export async function extractMember(file: string, m: ZipMember, dest: string): Promise<void> {
  if (m.method !== 0 && m.method !== 8) throw new WheelError(`${file}: ${m.name}: compression method ${m.method} is not supported`);
  const fd = fs.openSync(file, 'r');
  let start: number;
  try {
    start = dataOffset(fd, file, m);
  } finally {
    fs.closeSync(fd);
  }
  let crc = 0;
  let n = 0;
  const check = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      crc = zlib.crc32(chunk, crc);
      n += chunk.length;
      cb(null, chunk);
    },
  });
  if (m.compressedSize === 0) fs.writeFileSync(dest, Buffer.alloc(0));
  else {
    const src = fs.createReadStream(file, { start, end: start + m.compressedSize - 1 });
    if (m.method === 8) await pipeline(src, zlib.createInflateRaw(), check, fs.createWriteStream(dest));
    else await pipeline(src, check, fs.createWriteStream(dest));
  }
  if (n !== m.size || (crc >>> 0) !== m.crc32) throw new WheelError(`${file}: ${m.name}: corrupt (size ${n}/${m.size}, crc ${(crc >>> 0).toString(16)}/${m.crc32.toString(16)})`);
}

/** Reads a (small) member into memory. */
export async function readMember(file: string, m: ZipMember): Promise<Buffer> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gpu-wheel-'));
  try {
    const p = path.join(tmp, 'm');
    await extractMember(file, m, p);
    return fs.readFileSync(p);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export interface WheelInfo {
  /** distribution name from the dist-info METADATA (e.g. onnxruntime-gpu) */
  readonly name: string;
  readonly version: string;
  /** provider library → zip member */
  readonly providers: ReadonlyMap<string, ZipMember>;
}

/** The wheel's distribution, version (dist-info METADATA) and provider members (onnxruntime/capi/). */
export async function inspectWheel(file: string): Promise<WheelInfo> {
  if (!fs.existsSync(file)) throw new WheelError(`${file}: no such file`);
  const members = listZip(file);
  const meta = members.find((m) => /^[^/]+\.dist-info\/METADATA$/.test(m.name));
  if (meta === undefined) throw new WheelError(`${file}: not a wheel (no *.dist-info/METADATA)`);
  const text = (await readMember(file, meta)).toString('utf8');
  const name = /^Name:\s*(\S+)\s*$/m.exec(text)?.[1];
  const version = /^Version:\s*(\S+)\s*$/m.exec(text)?.[1];
  if (name === undefined || version === undefined) throw new WheelError(`${file}: ${meta.name} has no Name/Version`);
  const providers = new Map<string, ZipMember>();
  for (const lib of PROVIDER_LIBRARIES) {
    const m = members.find((x) => x.name === `onnxruntime/capi/${lib}`);
    if (m === undefined) throw new WheelError(`${file}: ${name} ${version} has no onnxruntime/capi/${lib} (is it the onnxruntime-gpu wheel for linux x86_64?)`);
    providers.set(lib, m);
  }
  return { name, version, providers };
}

export interface InstallResult {
  readonly wheel: string;
  readonly version: string;
  /** the files placed */
  readonly placed: readonly { readonly path: string; readonly bytes: number }[];
}

/**
 * Places the wheel's two provider libraries in `bindingDir`, refusing a wheel whose version is
 * not `bindingVersion`. Both are extracted and checked before either is renamed into place.
 */
export async function installFromWheel(wheel: string, bindingDir: string, bindingVersion: string): Promise<InstallResult> {
  const info = await inspectWheel(wheel);
  if (info.version !== bindingVersion) {
    throw new WheelError(`${wheel} is ${info.name} ${info.version} but onnxruntime-node is ${bindingVersion}: refusing (the provider must come from the same onnxruntime build as the core); use onnxruntime-gpu==${bindingVersion}`);
  }
  if (!fs.existsSync(bindingDir)) throw new WheelError(`${bindingDir}: no such folder (is onnxruntime-node installed?)`);
  const tmps: [string, string][] = [];
  try {
    for (const [lib, m] of info.providers) {
      const final = path.join(bindingDir, lib);
      const tmp = path.join(bindingDir, `.${lib}.${process.pid}.tmp`);
      tmps.push([tmp, final]);
      await extractMember(wheel, m, tmp);
      fs.chmodSync(tmp, 0o755);
    }
    for (const [tmp, final] of tmps) fs.renameSync(tmp, final);
  } finally {
    for (const [tmp] of tmps) fs.rmSync(tmp, { force: true });
  }
  return { wheel, version: info.version, placed: tmps.map(([, final]) => ({ path: final, bytes: fs.statSync(final).size })) };
}

/** `pip download` of onnxruntime-gpu==version (the linux x86_64 wheel, whatever python3 is) into dir. */
export function pipDownloadArgs(version: string, dir: string): string[] {
  return ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--platform', 'manylinux_2_28_x86_64', '--python-version', '3.11', `onnxruntime-gpu==${version}`, '-d', dir];
}

/** Downloads the wheel with python3's pip; returns its path. */
export function downloadWheel(version: string, dir: string, log: (msg: string) => void, python = 'python3'): string {
  const args = pipDownloadArgs(version, dir);
  log(`${python} ${args.join(' ')}`);
  try {
    execFileSync(python, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new WheelError(`${python} not found: install Python 3 with pip, or download onnxruntime-gpu==${version} (linux x86_64 wheel) elsewhere and pass --wheel FILE`);
    throw new WheelError(`pip download of onnxruntime-gpu==${version} failed (${err.message.split('\n')[0]}); on an offline host pass --wheel FILE`);
  }
  const whl = fs.readdirSync(dir).filter((n) => /^onnxruntime_gpu-.*\.whl$/.test(n));
  if (whl.length !== 1) throw new WheelError(`pip download left ${whl.length} onnxruntime_gpu wheels in ${dir}`);
  return path.join(dir, whl[0]!);
}
