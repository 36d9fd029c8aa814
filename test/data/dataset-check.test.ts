/**
 * dataset-check: one broken dataset holding every kind of problem must get every problem
 * reported at once, each naming its file; a clean dataset gets the exact class histogram.
 * The CLI is run as a child process (exit status, --help).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { checkDataset } from '../../lib/data/check/check-dataset.js';
import { formatCheckReport } from '../../lib/data/check/format.js';
import { describeProblem, type DatasetProblem } from '../../lib/data/datasets/problems.js';
import { writeLabelPng } from '../../lib/data/io/label.js';
import { writePng } from '../../lib/data/io/image.js';
import { CAMVID_VALUES, FH, FW, sweep, tempDir, testImage, writeCamvid, writeGta5 } from './layout-fixtures.js';

const run = promisify(execFile);

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['dist/cli/dataset-check.js', ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function byKind(problems: readonly DatasetProblem[]): Record<string, DatasetProblem[]> {
  const out: Record<string, DatasetProblem[]> = {};
  for (const p of problems) (out[p.kind] ??= []).push(p);
  return out;
}

describe('data/check: dataset-check', function () {
  this.timeout(30000);
  let root: string;
  let broken: string;
  let clean: string;
  before(async () => {
    root = await tempDir('ds-check');
    clean = join(root, 'clean');
    await writeCamvid(clean);
    // the broken one: CamVid train with every problem, and val missing altogether
    broken = join(root, 'broken');
    const img = join(broken, 'train', 'images');
    const lab = join(broken, 'train', 'labels');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(img, { recursive: true });
    await mkdir(lab, { recursive: true });
    const good = sweep(CAMVID_VALUES, 0);
    for (const [k, n] of ['a', 'b', 'c', 'd', 'e'].entries()) await writePng(join(img, `${n}.png`), testImage(k));
    for (const n of ['b', 'c', 'f', 'g']) await writeLabelPng(join(lab, `${n}.png`), { width: FW, height: FH, data: Uint8Array.from(good) });
    // a: values 11 (3 pixels) and 77 (2 pixels) are outside the CamVid table
    const a = Uint8Array.from(good);
    a.set([11, 11, 11, 77, 77], 0);
    await writeLabelPng(join(lab, 'a.png'), { width: FW, height: FH, data: a });
    // e: label one pixel wider than its image
    await writeLabelPng(join(lab, 'e.png'), { width: FW + 1, height: FH, data: new Uint8Array((FW + 1) * FH) });
    // b: truncated image
    const bImg = await readFile(join(img, 'b.png'));
    await writeFile(join(img, 'b.png'), bImg.subarray(0, Math.floor(bImg.length / 2)));
    // c: corrupt label (a flipped byte inside the image data)
    const cLab = Buffer.from(await readFile(join(lab, 'c.png')));
    cLab[cLab.length - 20]! ^= 0xff;
    await writeFile(join(lab, 'c.png'), cLab);
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reports every problem at once, each naming its file', async () => {
    const r = await checkDataset({ kind: 'camvid', root: broken, split: 'train+val' });
    const k = byKind(r.problems);
    assert.deepEqual(Object.keys(k).sort(), [
      'count-mismatch',
      'missing-folder',
      'out-of-table',
      'size-mismatch',
      'unpaired-image',
      'unpaired-label',
      'unreadable',
    ]);
    assert.deepEqual(k['count-mismatch'], [{ kind: 'count-mismatch', images: 5, labels: 6 }]);
    assert.deepEqual(
      k['missing-folder']!.map((p) => (p as { path: string }).path),
      [join(broken, 'val', 'images'), join(broken, 'val', 'labels')],
    );
    assert.deepEqual(k['unpaired-image']!.map((p) => (p as { name: string }).name), ['d']);
    assert.match(describeProblem(k['unpaired-image']![0]!), /d\.png.*expected .*labels[/\\]d\.png/);
    assert.deepEqual(k['unpaired-label']!.map((p) => (p as { name: string }).name), ['f', 'g']);
    const unreadable = k['unreadable']! as Extract<DatasetProblem, { kind: 'unreadable' }>[];
    assert.deepEqual(
      unreadable.map((p) => [p.role, p.path]),
      [
        ['image', join(broken, 'train', 'images', 'b.png')],
        ['label', join(broken, 'train', 'labels', 'c.png')],
      ],
    );
    for (const p of unreadable) assert.ok(describeProblem(p).includes(p.path));
    assert.match(unreadable[0]!.reason, /truncated|corrupt/);
    assert.match(unreadable[1]!.reason, /CRC/);
    assert.deepEqual(k['size-mismatch'], [
      {
        kind: 'size-mismatch',
        name: 'e',
        image: join(broken, 'train', 'images', 'e.png'),
        label: join(broken, 'train', 'labels', 'e.png'),
        imageSize: [FW, FH],
        labelSize: [FW + 1, FH],
      },
    ]);
    assert.deepEqual(k['out-of-table'], [
      { kind: 'out-of-table', value: 11, pixels: 3, files: 1, examples: [join(broken, 'train', 'labels', 'a.png')] },
      { kind: 'out-of-table', value: 77, pixels: 2, files: 1, examples: [join(broken, 'train', 'labels', 'a.png')] },
    ]);
    assert.equal(r.problems.length, 11);
    const text = formatCheckReport(r);
    assert.match(text, /FAILED: 11 problem/);
    for (const p of r.problems) assert.ok(text.includes(describeProblem(p)));
  });

  it('clean dataset: no problem, exact class pixel histogram', async () => {
    const r = await checkDataset({ kind: 'camvid', root: clean, split: 'train+val' });
    assert.deepEqual(r.problems, []);
    assert.equal(r.pairs, 4);
    // independent count: the fixture's label values, pixel by pixel
    const expect = new Array(11).fill(0);
    let ignore = 0;
    for (let k = 0; k < 4; k++) {
      for (const v of sweep(CAMVID_VALUES, k)) {
        if (v === 255) ignore++;
        else expect[v]++;
      }
    }
    assert.deepEqual(r.histogram!.pixels, expect);
    assert.equal(r.histogram!.ignorePixels, ignore);
    assert.equal(r.histogram!.outOfTablePixels, 0);
    assert.equal(r.histogram!.totalPixels, 4 * FW * FH);
    assert.match(formatCheckReport(r), /OK: no problems/);
    // the test split has no public labels: images only
    const t = await checkDataset({ kind: 'camvid', root: clean, split: 'test' });
    assert.equal(t.labelled, false);
    assert.equal(t.histogram, null);
    assert.equal(t.images, 2);
  });

  it('GTA5 without its labels folder: missing folder and unpaired images', async () => {
    const dir = join(root, 'gta5');
    await writeGta5(dir, 2);
    await rm(join(dir, 'labels'), { recursive: true });
    const r = await checkDataset({ kind: 'gta5', root: dir, split: 'all' });
    const k = byKind(r.problems);
    assert.deepEqual(k['missing-folder']!.map((p) => (p as { path: string }).path), [join(dir, 'labels')]);
    assert.equal(k['unpaired-image']!.length, 2);
    assert.deepEqual(k['count-mismatch'], [{ kind: 'count-mismatch', images: 2, labels: 0 }]);
  });

  it('CLI: exit status 1 with problems, 0 when clean, 2 on usage errors; --help', async () => {
    const bad = await cli(['--kind', 'camvid', '--root', broken, '--split', 'train']);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /b\.png/);
    assert.match(bad.stdout, /c\.png/);
    assert.match(bad.stdout, /label value 77 is outside the class table: 2 pixels/);
    const jsonPath = join(root, 'report.json');
    const good = await cli(['--kind', 'camvid', '--root', clean, '--split', 'train', '--json', jsonPath]);
    assert.equal(good.code, 0, good.stdout + good.stderr);
    assert.match(good.stdout, /Class pixel histogram/);
    const json = JSON.parse(await readFile(jsonPath, 'utf8')) as { pairs: number; problems: unknown[] };
    assert.equal(json.pairs, 3);
    assert.deepEqual(json.problems, []);
    const help = await cli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: node dist\/cli\/dataset-check\.js --kind KIND/);
    assert.match(help.stdout, /cityscapes.*leftImg8bit/);
    const usage = await cli(['--kind', 'camvid', '--root', clean]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--split is required/);
    const badKind = await cli(['--kind', 'kitti', '--root', clean, '--split', 'train']);
    assert.equal(badKind.code, 2);
    assert.match(badKind.stderr, /field 'kind' = 'kitti'/);
  });
});
