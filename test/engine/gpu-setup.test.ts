/** gpu-setup: the CUDA library search, the wheel → provider install, the version refusal, --verify without a GPU. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bindingAt, findBinding, PROVIDER_LIBRARIES } from '../../lib/engine/runtime/gpu-binding.js';
import { checkGpu, driverStatus, formatCheck } from '../../lib/engine/runtime/gpu-check.js';
import { findLibraries, nvidiaWheelDirs, parseLdconfig, REQUIRED_LIBRARIES, standardDirs } from '../../lib/engine/runtime/gpu-libs.js';
import { inspectWheel, installFromWheel, listZip, pipDownloadArgs } from '../../lib/engine/runtime/gpu-wheel.js';
import { missingLibrary } from '../../lib/engine/runtime/gpu-verify.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = path.join(ROOT, 'dist/cli/gpu-setup.js');

function touch(p: string, data: string | Buffer = ''): string {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, data);
  return p;
}

/** A minimal zip writer (stored or deflated members), enough for a fake wheel. */
function writeZip(file: string, members: { name: string; data: Buffer; deflate?: boolean; badCrc?: boolean }[]): void {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const body = m.deflate ? zlib.deflateRawSync(m.data) : m.data;
    const crc = (zlib.crc32(m.data) ^ (m.badCrc ? 1 : 0)) >>> 0;
    const name = Buffer.from(m.name, 'utf8');
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0); lh.writeUInt16LE(20, 4); lh.writeUInt16LE(m.deflate ? 8 : 0, 8);
    lh.writeUInt32LE(crc, 14); lh.writeUInt32LE(body.length, 18); lh.writeUInt32LE(m.data.length, 22); lh.writeUInt16LE(name.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0); ch.writeUInt16LE(20, 4); ch.writeUInt16LE(20, 6); ch.writeUInt16LE(m.deflate ? 8 : 0, 10);
    ch.writeUInt32LE(crc, 16); ch.writeUInt32LE(body.length, 20); ch.writeUInt32LE(m.data.length, 24); ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(offset, 42);
    locals.push(lh, name, body);
    central.push(ch, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0); eocd.writeUInt16LE(members.length, 8); eocd.writeUInt16LE(members.length, 10);
  eocd.writeUInt32LE(cd.length, 12); eocd.writeUInt32LE(offset, 16);
  fs.writeFileSync(file, Buffer.concat([...locals, cd, eocd]));
}

const SHARED = Buffer.from('\x7fELF fake shared provider');
const CUDA = Buffer.alloc(200000, 0).fill('cuda-kernels-', 0);

function fakeWheel(dir: string, version: string, opts: { omitCuda?: boolean; badCrc?: boolean } = {}): string {
  const file = path.join(dir, `onnxruntime_gpu-${version}-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl`);
  writeZip(file, [
    { name: 'onnxruntime/__init__.py', data: Buffer.from(`__version__ = "${version}"\n`), deflate: true },
    { name: 'onnxruntime/capi/libonnxruntime_providers_shared.so', data: SHARED },
    ...(opts.omitCuda ? [] : [{ name: 'onnxruntime/capi/libonnxruntime_providers_cuda.so', data: CUDA, deflate: true, badCrc: opts.badCrc }]),
    { name: 'onnxruntime/capi/libonnxruntime_providers_tensorrt.so', data: Buffer.from('trt'), deflate: true },
    { name: `onnxruntime_gpu-${version}.dist-info/METADATA`, data: Buffer.from(`Metadata-Version: 2.1\nName: onnxruntime-gpu\nVersion: ${version}\nSummary: ONNX Runtime\n`), deflate: true },
  ]);
  return file;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('gpu-setup', function () {
  this.timeout(120000);
  let tmp: string;
  beforeEach(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gpu-setup-test-')); });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  describe('library search', () => {
    it('parses ldconfig -p', () => {
      const m = parseLdconfig('1234 libs found in cache `/etc/ld.so.cache\'\n\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1\n\tlibcudart.so.13 (libc6,x86-64) => /usr/local/cuda-13.0/lib64/libcudart.so.13\n');
      assert.equal(m.get('libcuda.so.1'), '/usr/lib/x86_64-linux-gnu/libcuda.so.1');
      assert.equal(m.get('libcudart.so.13'), '/usr/local/cuda-13.0/lib64/libcudart.so.13');
    });

    it('a fake tree with some libraries missing: each missing one is named with its fix, and the check fails', () => {
      const ld = path.join(tmp, 'ld');
      touch(path.join(ld, 'libcudart.so.13'));
      touch(path.join(ld, 'libcublas.so.13'));
      touch(path.join(tmp, 'site/nvidia/cu13/lib/libcublasLt.so.13'));
      touch(path.join(tmp, 'site/nvidia/cudnn/lib/libcudnn.so.9'));
      touch(path.join(tmp, 'usr/local/cuda-13.0/lib64/libnvrtc.so.13'));
      const driverLib = touch(path.join(tmp, 'drv/libcuda.so.1'));
      const bind = path.join(tmp, 'bind');
      touch(path.join(bind, 'libonnxruntime.so.1'));
      touch(path.join(bind, 'libonnxruntime_providers_shared.so'));
      const search = {
        ldLibraryPath: [ld, path.join(tmp, 'nonexistent')],
        ldconfig: new Map([['libcuda.so.1', driverLib]]),
        standardDirs: standardDirs(tmp),
        pythonDirs: nvidiaWheelDirs(path.join(tmp, 'site')),
      };
      assert.deepEqual(search.pythonDirs, [path.join(tmp, 'site/nvidia/cu13/lib'), path.join(tmp, 'site/nvidia/cudnn/lib')]);
      assert.ok(search.standardDirs.includes(path.join(tmp, 'usr/local/cuda-13.0/lib64')));

      const hits = new Map(findLibraries(search).map((h) => [h.library.name, h]));
      assert.equal(hits.get('libcudart.so.13')!.path, path.join(ld, 'libcudart.so.13'));
      assert.equal(hits.get('libcudart.so.13')!.source, 'LD_LIBRARY_PATH');
      assert.equal(hits.get('libcuda.so.1')!.source, 'ldconfig');
      assert.equal(hits.get('libcublasLt.so.13')!.source, 'python');
      assert.equal(hits.get('libcublasLt.so.13')!.loadable, false, 'a wheel folder is not on the loader path');
      assert.match(hits.get('libcublasLt.so.13')!.fix!, /LD_LIBRARY_PATH=.*site\/nvidia\/cu13\/lib/);
      assert.equal(hits.get('libnvrtc.so.13')!.source, 'standard');

      const r = checkGpu(bindingAt(bind, '1.30.0'), search, driverStatus(undefined));
      assert.equal(r.ok, false);
      const text = formatCheck(r);
      for (const [lib, pip, apt] of [['libcurand.so.10', 'nvidia-curand', 'libcurand-13-0'], ['libcufft.so.12', 'nvidia-cufft', 'libcufft-13-0']]) {
        const p = r.problems.find((x) => x.startsWith(`${lib} MISSING`));
        assert.ok(p, `${lib} is reported missing: ${r.problems.join('\n')}`);
        assert.ok(p.includes(`pip: ${pip}`) && p.includes(`apt: ${apt}`) && p.includes('LD_LIBRARY_PATH'), p);
        assert.match(text, new RegExp(`MISSING ${lib.replace(/\./g, '\\.')}`));
      }
      assert.ok(r.problems.some((x) => x.startsWith('libonnxruntime_providers_cuda.so MISSING') && x.includes('--install') && x.includes('onnxruntime-gpu==1.30.0')));
      assert.ok(!r.problems.some((x) => x.startsWith('libonnxruntime_providers_shared.so')));
      assert.ok(r.problems.some((x) => /^libcublasLt\.so\.13 found at .* but not on the loader's path/.test(x)));
      assert.ok(r.problems.some((x) => /no NVIDIA driver/.test(x)));
      assert.ok(!r.problems.some((x) => /^libcudart|^libcublas\.so|^libcuda\.so/.test(x)));
      assert.match(text, /GPU check: \d+ problem/);
    });

    it('everything present and loadable, driver >= 580: ok', () => {
      const ld = path.join(tmp, 'ld');
      for (const l of REQUIRED_LIBRARIES) touch(path.join(ld, l.name));
      const bind = path.join(tmp, 'bind');
      for (const f of ['libonnxruntime.so.1', ...PROVIDER_LIBRARIES]) touch(path.join(bind, f));
      const r = checkGpu(bindingAt(bind, '1.30.0'), { ldLibraryPath: [ld], ldconfig: new Map(), standardDirs: [], pythonDirs: [] }, driverStatus('580.65.06\n580.65.06\n'));
      assert.deepEqual(r.problems, []);
      assert.equal(r.ok, true);
    });

    it('driver versions', () => {
      assert.equal(driverStatus('580.65.06').ok, true);
      assert.equal(driverStatus('590.1').version, '590.1');
      const old = driverStatus('575.57.08');
      assert.equal(old.ok, false);
      assert.match(old.message, /older than 580/);
      assert.match(driverStatus(undefined).message, /no NVIDIA driver/);
    });

    it('the CLI on a fake tree: --check --json exits non-zero and names the missing libraries', () => {
      const bind = path.join(tmp, 'bind');
      touch(path.join(bind, 'libonnxruntime.so.1'));
      const ld = path.join(tmp, 'ld');
      touch(path.join(ld, 'libcudart.so.13'));
      const r = cli(['--check', '--json', '--binding-dir', bind], { LD_LIBRARY_PATH: ld });
      assert.equal(r.status, 2, r.stderr);
      const rep = JSON.parse(r.stdout) as { check: { ok: boolean; problems: string[]; libraries: { library: { name: string }; path?: string }[] } };
      assert.equal(rep.check.ok, false);
      assert.equal(rep.check.libraries.find((h) => h.library.name === 'libcudart.so.13')!.path, path.join(ld, 'libcudart.so.13'));
      for (const lib of PROVIDER_LIBRARIES) assert.ok(rep.check.problems.some((p) => p.startsWith(`${lib} MISSING`)), lib);
    });
  });

  describe('wheel install', () => {
    it('extracts the two provider libraries from a wheel into the binding folder', async () => {
      const whl = fakeWheel(tmp, '1.30.0');
      assert.equal(listZip(whl).length, 5);
      const info = await inspectWheel(whl);
      assert.equal(info.name, 'onnxruntime-gpu');
      assert.equal(info.version, '1.30.0');
      const bind = path.join(tmp, 'bind');
      touch(path.join(bind, 'libonnxruntime.so.1'));
      const r = await installFromWheel(whl, bind, '1.30.0');
      assert.deepEqual(r.placed.map((p) => path.basename(p.path)), [...PROVIDER_LIBRARIES]);
      assert.deepEqual(fs.readFileSync(path.join(bind, 'libonnxruntime_providers_shared.so')), SHARED);
      assert.deepEqual(fs.readFileSync(path.join(bind, 'libonnxruntime_providers_cuda.so')), CUDA);
      assert.deepEqual(fs.readdirSync(bind).sort(), ['libonnxruntime.so.1', ...PROVIDER_LIBRARIES].sort(), 'no temporary files left, nothing else extracted');
    });

    it('refuses a wheel whose onnxruntime version is not the binding\'s, placing nothing', async () => {
      const whl = fakeWheel(tmp, '1.29.0');
      const bind = path.join(tmp, 'bind');
      touch(path.join(bind, 'libonnxruntime.so.1'));
      await assert.rejects(installFromWheel(whl, bind, '1.30.0'), /onnxruntime-gpu 1\.29\.0 but onnxruntime-node is 1\.30\.0: refusing.*onnxruntime-gpu==1\.30\.0/);
      assert.deepEqual(fs.readdirSync(bind), ['libonnxruntime.so.1']);
    });

    it('a wheel without the CUDA provider, or with a corrupt member: an error, nothing placed', async () => {
      const bind = path.join(tmp, 'bind');
      touch(path.join(bind, 'libonnxruntime.so.1'));
      fs.mkdirSync(path.join(tmp, 'a'));
      fs.mkdirSync(path.join(tmp, 'b'));
      await assert.rejects(installFromWheel(fakeWheel(path.join(tmp, 'a'), '1.30.0', { omitCuda: true }), bind, '1.30.0'), /has no onnxruntime\/capi\/libonnxruntime_providers_cuda\.so/);
      await assert.rejects(installFromWheel(fakeWheel(path.join(tmp, 'b'), '1.30.0', { badCrc: true }), bind, '1.30.0'), /libonnxruntime_providers_cuda\.so: corrupt/);
      assert.deepEqual(fs.readdirSync(bind), ['libonnxruntime.so.1']);
      await assert.rejects(inspectWheel(touch(path.join(tmp, 'x.whl'), 'not a zip')), /not a zip file/);
    });

    it('the CLI: --install --wheel places the files (exit 0 with --no-check), a mismatched wheel exits 1 with the reason', () => {
      const version = findBinding().version;
      const bind = path.join(tmp, 'bind');
      touch(path.join(bind, 'libonnxruntime.so.1'));
      const ok = cli(['--install', '--no-check', '--wheel', fakeWheel(tmp, version), '--binding-dir', bind]);
      assert.equal(ok.status, 0, ok.stderr);
      assert.match(ok.stderr, /placed .*libonnxruntime_providers_cuda\.so \(200000 bytes\)/);
      fs.mkdirSync(path.join(tmp, 'old'));
      const bad = cli(['--install', '--wheel', fakeWheel(path.join(tmp, 'old'), '1.0.0'), '--binding-dir', path.join(tmp, 'bind2')]);
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, /^error: .*onnxruntime-gpu 1\.0\.0 but onnxruntime-node is .*refusing/m);
      assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace');
    });

    it('pip download is the Dockerfile.cuda one, at the binding\'s version', () => {
      const args = pipDownloadArgs('1.30.0', '/d');
      assert.deepEqual(args.slice(0, 3), ['-m', 'pip', 'download']);
      for (const a of ['--no-deps', '--only-binary=:all:', 'manylinux_2_28_x86_64', 'onnxruntime-gpu==1.30.0']) assert.ok(args.includes(a), a);
      const docker = fs.readFileSync(path.join(ROOT, 'deploy/docker/Dockerfile.cuda'), 'utf8');
      assert.match(docker, /pip download --no-deps --only-binary=:all: --platform manylinux_2_28_x86_64/);
      assert.match(docker, /gpu-setup\.js --install --no-check --wheel/);
    });
  });

  describe('--verify', () => {
    it('names the library onnxruntime could not load', () => {
      const m = missingLibrary('Failed to load library /x/libonnxruntime_providers_cuda.so with error: libcublasLt.so.13: cannot open shared object file: No such file or directory');
      assert.deepEqual(m, { library: 'libcublasLt.so.13', reason: 'libcublasLt.so.13: cannot open shared object file: No such file or directory' });
    });

    it('without a working CUDA provider: a clear failure (exit 2), not a crash', function () {
      const r = cli(['--verify', '--json']);
      const res = JSON.parse(r.stdout) as { ok: boolean; stage?: string; error?: string; missing?: { library: string } };
      if (res.ok) this.skip(); // a GPU host with the provider set up
      assert.equal(r.status, 2, r.stderr);
      assert.ok(res.error && res.error.length > 0);
      assert.notEqual(res.stage, 'process', `the probe itself failed: ${res.error}`);
      const shared = path.join(findBinding().dir, 'libonnxruntime_providers_shared.so');
      if (!fs.existsSync(shared)) assert.equal(res.missing?.library, 'libonnxruntime_providers_shared.so');
      const text = cli(['--verify']);
      assert.equal(text.status, 2);
      assert.match(text.stdout, /^verify: FAILED — the CUDA execution provider could not start/);
      if (!fs.existsSync(shared)) assert.match(text.stdout, /cannot load libonnxruntime_providers_shared\.so: .*No such file.*\n {2}fix: node dist\/cli\/gpu-setup\.js --install/);
      assert.equal(text.stderr.includes('\u001b['), false, 'no raw onnxruntime colour codes');
    });
  });
});
