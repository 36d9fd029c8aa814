/**
 * SynthStreet across processes and on disk: a second Node process computes the same SHA-256
 * per frame; the CLI writes the CamVid layout that the io helper reads back bit-exactly and the
 * camvid dataset reader opens; the sample-grid mode writes one picture.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readImage, readImageHeader, readLabel } from '../../lib/data/io/index.js';
import { openDataset } from '../../lib/data/datasets/index.js';
import { frameSeed, renderFrame, SynthStreet } from '../../lib/data/synthstreet/index.js';

const CLI = join(process.cwd(), 'dist', 'cli', 'synthstreet.js');
const GEN = new URL('../../lib/data/synthstreet/index.js', import.meta.url).href;

function hashOf(seed: number, style: string): string {
  const f = renderFrame(seed, { style });
  return createHash('sha256').update(f.image).update(f.label).digest('hex');
}

describe('SynthStreet CLI and cross-process determinism', function () {
  this.timeout(60000);
  let dir = '';
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'synthstreet-')); });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  it('a separate Node process renders the same SHA-256 for the same seeds and styles', () => {
    const script = `
      import { createHash } from 'node:crypto';
      const { renderFrame } = await import(${JSON.stringify(GEN)});
      const out = [];
      for (const st of ['source', 'foggy-lowres']) for (const s of [7, 8]) {
        const f = renderFrame(s, { style: st });
        out.push(createHash('sha256').update(f.image).update(f.label).digest('hex'));
      }
      console.log(JSON.stringify(out));`;
    const child = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as string[];
    const here = ['source', 'foggy-lowres'].flatMap((st) => [7, 8].map((s) => hashOf(s, st)));
    assert.deepEqual(child, here);
  });

  it('writes images/ and labels/ that read back exactly and open as a CamVid split', async () => {
    const out = join(dir, 'root', 'train');
    execFileSync(process.execPath, [CLI, '--style', 'dusk', '--count', '3', '--seed', '4', '--start', '2', '--out', out, '--quiet'], { encoding: 'utf8' });
    const names = (await readdir(join(out, 'images'))).sort();
    assert.deepEqual(names, ['s4_000002.png', 's4_000003.png', 's4_000004.png']);
    assert.deepEqual((await readdir(join(out, 'labels'))).sort(), names);
    const gen = new SynthStreet(4, { style: 'dusk' });
    for (const [k, name] of names.entries()) {
      const f = gen.frame(2 + k);
      const img = await readImage(join(out, 'images', name));
      const lab = await readLabel(join(out, 'labels', name));
      assert.equal(img.width, 240); assert.equal(img.height, 180);
      assert.deepEqual(img.data, f.image, `${name}: image`);
      assert.deepEqual(Array.from(lab.data), Array.from(f.label), `${name}: label`);
    }
    const meta = JSON.parse(await readFile(join(out, 'synthstreet.json'), 'utf8')) as { seed: number; style: string; count: number };
    assert.equal(meta.seed, 4); assert.equal(meta.style, 'dusk'); assert.equal(meta.count, 3);
    const ds = await openDataset({ kind: 'camvid', root: join(dir, 'root'), split: 'train', labels: true });
    assert.equal(ds.size, 3);
    const s0 = await ds.readSample(0);
    assert.deepEqual(Array.from(s0.label.data), Array.from(gen.frame(2).label));
    assert.ok(frameSeed(4, 2) !== frameSeed(4, 3));
  });

  it('writes a sample grid (frames over label colour maps) and rejects bad arguments with exit status 2', async () => {
    const file = join(dir, 'grid.png');
    execFileSync(process.execPath, [CLI, '--style', 'source', '--count', '2', '--grid', file], { encoding: 'utf8' });
    const h = await readImageHeader(file);
    assert.equal(h.width, 2 * 240 + 2);
    assert.equal(h.height, 2 * 180 + 2);
    assert.throws(() => execFileSync(process.execPath, [CLI, '--style', 'nope', '--out', dir], { stdio: 'pipe' }),
      (e: { status: number; stderr: Buffer }) => e.status === 2 && /unknown SynthStreet style 'nope'/.test(e.stderr.toString()));
    assert.throws(() => execFileSync(process.execPath, [CLI, '--count', 'x', '--out', dir], { stdio: 'pipe' }),
      (e: { status: number; stderr: Buffer }) => e.status === 2 && /--count: expected a number, got 'x'/.test(e.stderr.toString()));
    assert.throws(() => execFileSync(process.execPath, [CLI, '--count', '1.5', '--out', dir], { stdio: 'pipe' }),
      (e: { status: number; stderr: Buffer }) => e.status === 2 && /--count must be an integer ≥ 1/.test(e.stderr.toString()));
    assert.throws(() => execFileSync(process.execPath, [CLI, '--count', '2'], { stdio: 'pipe' }),
      (e: { status: number; stderr: Buffer }) => e.status === 2 && /--out DIR \(or --grid FILE\) is required/.test(e.stderr.toString()));
    const help = execFileSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
    assert.match(help, /--style <string>/);
    assert.match(help, /foggy-lowres/);
  });
});
