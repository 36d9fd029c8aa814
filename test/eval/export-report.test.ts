/**
 * Prediction export (Cityscapes labelId PNGs), colour maps and overlays, JSON and Markdown
 * results, and the evaluate-preds CLI.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { applyIdMap } from '../../lib/data/datasets/id-map.js';
import { cityscapesIdMap } from '../../lib/data/datasets/mappings.js';
import { PROTOCOLS, type ProtocolId } from '../../lib/data/datasets/protocols.js';
import { readImage } from '../../lib/data/io/image.js';
import { readLabel, writeLabelPng } from '../../lib/data/io/label.js';
import { toCityscapesLabelIds, writeCityscapesPrediction } from '../../lib/eval/cityscapes-export.js';
import { colorizeLabel, overlayLabel, writeOverlayPng } from '../../lib/eval/colorize.js';
import { createConfusion, updateConfusion } from '../../lib/eval/confusion.js';
import { comparisonMarkdown, resultToJson, resultToMarkdown, summarize } from '../../lib/eval/results.js';
import { CAMVID_VALUES, FH, FW, sweep, tempDir, writeCamvid } from '../data/layout-fixtures.js';

const official = (JSON.parse(readFileSync('test/fixtures/eval/cityscapes_labels.json', 'utf8')) as {
  labels: { name: string; id: number }[];
}).labels;
const idOf = new Map(official.map((o) => [o.name, o.id]));

describe('eval: exports and reports', function () {
  this.timeout(30000);
  let dir: string;
  before(async () => {
    dir = await tempDir('eval-export');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const pid of ['cityscapes19', 'cityscapes16', 'cityscapes13'] as ProtocolId[]) {
    it(`Cityscapes export (${pid}): train id → official labelId, and back`, () => {
      const p = PROTOCOLS[pid];
      const pred = Uint8Array.from([...p.classes.keys(), 255]);
      const ids = toCityscapesLabelIds(pred, p);
      assert.deepEqual(Array.from(ids), [...p.classes.map((c) => idOf.get(c)!), 0]);
      const back = new Uint8Array(ids.length);
      applyIdMap(ids, cityscapesIdMap(pid), back);
      assert.deepEqual(Array.from(back), Array.from(pred));
    });
  }

  it('writeCityscapesPrediction writes <name>.png with labelIds', async () => {
    const p = PROTOCOLS.cityscapes19;
    const data = Uint8Array.from({ length: 6 }, (_, i) => i * 3);
    const path = await writeCityscapesPrediction(dir, 'aachen_000000_000019', { width: 3, height: 2, data }, p);
    assert.equal(path, join(dir, 'aachen_000000_000019.png'));
    const back = await readLabel(path);
    assert.deepEqual(Array.from(back.data), Array.from(data).map((t) => idOf.get(p.classes[t]!)!));
  });

  it('colour map and overlay: palette colours, α-blend, ignore pixels keep the image', async () => {
    const pal = PROTOCOLS.camvid11.palette;
    const label = { width: 3, height: 1, data: Uint8Array.from([0, 4, 255]) };
    const col = colorizeLabel(label, pal);
    assert.deepEqual(Array.from(col.data), [...pal[0]!, ...pal[4]!, 0, 0, 0]);
    const image = { width: 3, height: 1, channels: 3 as const, data: Uint8Array.from([10, 20, 30, 200, 100, 0, 7, 8, 9]) };
    const ov = overlayLabel(image, label, pal, 0.25);
    const blend = (a: number, b: number): number => Math.round(0.75 * a + 0.25 * b);
    assert.deepEqual(Array.from(ov.data), [
      blend(10, pal[0]![0]), blend(20, pal[0]![1]), blend(30, pal[0]![2]),
      blend(200, pal[4]![0]), blend(100, pal[4]![1]), blend(0, pal[4]![2]),
      7, 8, 9,
    ]);
    const path = join(dir, 'overlay.png');
    await writeOverlayPng(path, image, label, pal, 0.25);
    assert.deepEqual(Array.from((await readImage(path)).data), Array.from(ov.data));
    assert.throws(() => overlayLabel(image, { width: 2, height: 1, data: new Uint8Array(2) }, pal), /differ/);
  });

  it('results as JSON (NaN → null) and Markdown tables', () => {
    const cm = createConfusion(3);
    updateConfusion(cm, [0, 0, 1, 1], [0, 1, 1, 1]);
    const r = summarize(cm, 'toy3', ['a', 'b', 'c'], 1);
    const j = resultToJson(r) as { iou: Record<string, number | null>; mIoU: number };
    assert.deepEqual(j.iou, { a: 0.5, b: 2 / 3, c: null });
    assert.equal(j.mIoU, (0.5 + 2 / 3) / 2);
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(j)));
    const md = resultToMarkdown(r, { title: 'toy' });
    assert.match(md, /\| a \| 50\.0 \|/);
    assert.match(md, /\| b \| 66\.7 \|/);
    assert.match(md, /\| c \| n\/a \|/);
    assert.match(md, /\| \*\*mIoU\*\* \| \*\*58\.3\*\* \|/);
    const table = comparisonMarkdown([
      { name: 'source-only', result: r },
      { name: 'STvM', result: r },
    ]);
    assert.equal(table.split('\n').length, 4);
    assert.match(table, /^\| method \| a \| b \| c \| mIoU \|/);
  });

  it('evaluate-preds CLI: perfect predictions give mIoU 1, written as JSON and Markdown', async () => {
    const root = join(dir, 'camvid');
    const fx = await writeCamvid(root);
    const preds = join(dir, 'preds');
    await mkdir(preds, { recursive: true });
    let k = 0;
    for (const name of fx.keys.train!) {
      // the prediction is the label, with void replaced by a class (predictions on void are free)
      const data = Uint8Array.from(fx.raw.get(name)!.map((v) => (v === 255 ? 3 : v)));
      await writeLabelPng(join(preds, `${name}.png`), { width: FW, height: FH, data });
      k++;
    }
    assert.equal(k, 3);
    const jsonPath = join(dir, 'res.json');
    const mdPath = join(dir, 'res.md');
    const { stdout } = await promisify(execFile)(process.execPath, [
      'dist/cli/evaluate-preds.js', '--kind', 'camvid', '--root', root, '--split', 'train', '--preds', preds, '--json', jsonPath, '--md', mdPath,
    ]);
    assert.match(stdout, /\*\*mIoU\*\* \| \*\*100\.0\*\*/);
    const j = JSON.parse(await readFile(jsonPath, 'utf8')) as { mIoU: number; images: number; validPixels: number };
    assert.equal(j.mIoU, 1);
    assert.equal(j.images, 3);
    let valid = 0;
    for (let s = 0; s < 3; s++) valid += sweep(CAMVID_VALUES, s).filter((v) => v !== 255).length;
    assert.equal(j.validPixels, valid);
    assert.match(await readFile(mdPath, 'utf8'), /\| sky \| 100\.0 \|/);
  });
});
