/**
 * Data transforms: alignment of image/label/weight through every geometric step (a synthetic
 * label whose image and weight are functions of the label), exact flips and crops with padding,
 * reproducibility per seed, resize and normalisation against PyTorch (committed fixture from
 * tools/pytorch/transforms_fixtures.py), photometric ops.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Rng } from '../../lib/data/rng.js';
import { pal, syntheticSample } from './synthetic-sample.js';
import {
  adjustBrightness, adjustHue, augment, colorJitter, cropSample, gaussianBlur, grayscale, hflipSample, photometric, randomCrop,
  randomHFlip, randomScale, resizeImage, resizeLabel, resizeSample, toCHW, validateAugment,
  type AugmentSpec, type ImageU8, type LabelU8, type Sample, type WeightF32,
} from '../../lib/data/transforms/index.js';

/**
 * Check alignment: wherever a pixel's 5×5 neighbourhood has one label value (so bilinear image
 * taps cannot reach another class), image = pal(label) and weight = label/10 exactly. Padding
 * must be label 255 with weight 0 and image = fill. Returns the fraction of pixels checked.
 */
function checkAlignment(s: Sample, fill: number, what: string): number {
  const { width: w, height: h } = s.image;
  const L = s.label!.data, I = s.image.data, Wt = s.weight!.data;
  let checked = 0;
  for (let y = 2; y < h - 2; y++) for (let x = 2; x < w - 2; x++) {
    const i = y * w + x, c = L[i]!;
    let uniform = true;
    for (let dy = -2; dy <= 2 && uniform; dy++) for (let dx = -2; dx <= 2; dx++) if (L[i + dy * w + dx] !== c) { uniform = false; break; }
    if (!uniform) continue;
    const padded = c === 255 && I[3 * i] === fill && I[3 * i + 1] === fill && I[3 * i + 2] === fill && fill !== 128;
    const want = padded ? [fill, fill, fill] : pal(c);
    assert.deepEqual([I[3 * i], I[3 * i + 1], I[3 * i + 2]], want, `${what}: image at (${x},${y}) label ${c}`);
    assert.equal(Wt[i], c === 255 ? 0 : Math.fround(c / 10), `${what}: weight at (${x},${y}) label ${c}`);
    checked++;
  }
  return checked / (w * h);
}

describe('data transforms', function () {
  this.timeout(30000);

  it('keep image, label and weight aligned through resize, scale, crop (with padding), flip and full recipes', () => {
    const s = syntheticSample(1, 96, 72, 12);
    assert.ok(checkAlignment(s, 0, 'identity') > 0.3);
    for (const [w, h] of [[61, 47], [150, 100], [96, 72]] as const) {
      assert.ok(checkAlignment(resizeSample(s, w, h), 0, `resize ${w}x${h}`) > 0.15);
    }
    for (let k = 0; k < 5; k++) {
      const rng = new Rng(['align', k]);
      assert.ok(checkAlignment(randomScale(s, rng, 0.75, 1.25), 0, `scale ${k}`) > 0.15);
      assert.ok(checkAlignment(randomCrop(s, rng, 120, 90, 7), 7, `crop+pad ${k}`) > 0.15);
      assert.ok(checkAlignment(randomHFlip(s, rng, 0.5), 0, `flip ${k}`) > 0.3);
      const spec: AugmentSpec = { scale: [0.5, 1.5], crop: [64, 64], flip: 0.5, padValue: 3 };
      assert.ok(checkAlignment(augment(s, spec, rng), 3, `recipe ${k}`) > 0.05);
    }
  });

  it('an alignment error would be caught (flipping the label alone fails the check)', () => {
    const s = syntheticSample(2, 64, 48);
    const f = hflipSample(s);
    const broken: Sample = { image: s.image, label: f.label!, weight: s.weight! };
    assert.throws(() => checkAlignment(broken, 0, 'broken'), /image at/);
  });

  it('flips exactly: (x, y) → (W−1−x, y); flipping twice is the identity', () => {
    const s = syntheticSample(3, 37, 11, 3);
    const f = hflipSample(s);
    const { width: w, height: h } = s.image;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const a = y * w + x, b = y * w + (w - 1 - x);
      assert.equal(f.label!.data[b], s.label!.data[a]);
      assert.equal(f.weight!.data[b], s.weight!.data[a]);
      for (let c = 0; c < 3; c++) assert.equal(f.image.data[3 * b + c], s.image.data[3 * a + c]);
    }
    const ff = hflipSample(f);
    assert.deepEqual(ff.image.data, s.image.data);
    assert.deepEqual(ff.label!.data, s.label!.data);
    assert.deepEqual(ff.weight!.data, s.weight!.data);
  });

  it('crops exactly, padding outside with image fill, label 255 and weight 0', () => {
    const s = syntheticSample(4, 20, 15, 2);
    const c = cropSample(s, -3, 5, 10, 14, 9);
    const { width: W } = s.image;
    for (let y = 0; y < 14; y++) for (let x = 0; x < 10; x++) {
      const sx = x - 3, sy = y + 5, i = y * 10 + x;
      if (sx >= 0 && sx < 20 && sy >= 0 && sy < 15) {
        const j = sy * W + sx;
        assert.equal(c.label!.data[i], s.label!.data[j]);
        assert.equal(c.weight!.data[i], s.weight!.data[j]);
        assert.deepEqual(Array.from(c.image.data.subarray(3 * i, 3 * i + 3)), Array.from(s.image.data.subarray(3 * j, 3 * j + 3)));
      } else {
        assert.equal(c.label!.data[i], 255);
        assert.equal(c.weight!.data[i], 0);
        assert.deepEqual(Array.from(c.image.data.subarray(3 * i, 3 * i + 3)), [9, 9, 9]);
      }
    }
    // A random crop larger than the sample pads and keeps every source pixel.
    const big = randomCrop(s, new Rng(5), 30, 20);
    let kept = 0;
    for (const v of big.label!.data) if (v !== 255) kept++;
    let orig = 0;
    for (const v of s.label!.data) if (v !== 255) orig++;
    assert.equal(kept, orig);
    assert.throws(() => cropSample(s, 0, 0, 0, 4), /positive size/);
  });

  it('is reproducible: same seed ⇒ same output; different seeds ⇒ different', () => {
    const s = syntheticSample(6, 80, 60);
    const spec: AugmentSpec = {
      scale: [0.6, 1.4], crop: [48, 40], flip: 0.5,
      photometric: { jitter: { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 }, blur: { sigma: [0.3, 1.2], p: 0.5 }, noise: { sigma: [2, 6], p: 0.5 }, grayscale: 0.2 },
    };
    const a = augment(s, spec, new Rng(['rep', 1])), b = augment(s, spec, new Rng(['rep', 1]));
    assert.deepEqual(a.image.data, b.image.data);
    assert.deepEqual(a.label!.data, b.label!.data);
    assert.deepEqual(a.weight!.data, b.weight!.data);
    const outs = new Set<string>();
    for (let k = 0; k < 6; k++) outs.add(Buffer.from(augment(s, spec, new Rng(['rep', 10 + k])).image.data).toString('base64'));
    assert.equal(outs.size, 6);
    // Photometric ops never touch labels or weights.
    const p = augment(s, { photometric: spec.photometric! }, new Rng(3));
    assert.deepEqual(p.label!.data, s.label!.data);
    assert.deepEqual(p.weight!.data, s.weight!.data);
    assert.notDeepEqual(p.image.data, s.image.data);
  });

  it('resizes like PyTorch F.interpolate (bilinear align_corners=False; nearest) and normalises like torchvision', () => {
    const fx = JSON.parse(readFileSync('test/fixtures/data/resize.json', 'utf8')) as {
      height: number; width: number; image_hwc: number[]; label: number[];
      resize: { height: number; width: number; bilinear_hwc: number[]; nearest: number[] }[]; imagenet_chw: number[];
    };
    const img: ImageU8 = { width: fx.width, height: fx.height, channels: 3, data: Uint8Array.from(fx.image_hwc) };
    const lab: LabelU8 = { width: fx.width, height: fx.height, data: Uint8Array.from(fx.label) };
    for (const c of fx.resize) {
      const r = resizeImage(img, c.width, c.height);
      for (let i = 0; i < r.data.length; i++) {
        assert.ok(Math.abs(r.data[i]! - c.bilinear_hwc[i]!) <= 0.5 + 1e-6, `${c.width}x${c.height} value ${i}: ${r.data[i]} vs torch ${c.bilinear_hwc[i]}`);
      }
      assert.deepEqual(Array.from(resizeLabel(lab, c.width, c.height).data), c.nearest, `nearest ${c.width}x${c.height}`);
    }
    const t = toCHW(img, { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
    assert.equal(t.data.length, fx.imagenet_chw.length);
    for (let i = 0; i < t.data.length; i++) assert.ok(Math.abs(t.data[i]! - fx.imagenet_chw[i]!) < 1e-5, `normalised value ${i}`);
  });

  it('photometric ops: identities, grayscale, hue rotation, blur of a constant, jitter reproducible', () => {
    const s = syntheticSample(7, 24, 16, 4).image;
    assert.deepEqual(adjustBrightness(s, 1).data, s.data);
    const hue0 = adjustHue(s, 0);
    for (let i = 0; i < s.data.length; i++) assert.ok(Math.abs(hue0.data[i]! - s.data[i]!) <= 1);
    const red: ImageU8 = { width: 1, height: 1, channels: 3, data: Uint8Array.from([255, 0, 0]) };
    assert.deepEqual(Array.from(adjustHue(red, 1 / 3).data), [0, 255, 0]);
    const g = grayscale(s);
    for (let i = 0; i < g.data.length; i += 3) { assert.equal(g.data[i], g.data[i + 1]); assert.equal(g.data[i], g.data[i + 2]); }
    const flat: ImageU8 = { width: 9, height: 7, channels: 3, data: new Uint8Array(9 * 7 * 3).fill(77) };
    assert.deepEqual(gaussianBlur(flat, 1.5).data, flat.data);
    const j1 = colorJitter(s, new Rng(8), { brightness: 0.5, hue: 0.2 }), j2 = colorJitter(s, new Rng(8), { brightness: 0.5, hue: 0.2 });
    assert.deepEqual(j1.data, j2.data);
    assert.notDeepEqual(j1.data, s.data);
    // Enabling noise does not change what jitter draws (independent child streams).
    const a = photometric(s, new Rng(9), { jitter: { brightness: 0.5 } });
    const b = photometric(s, new Rng(9), { jitter: { brightness: 0.5 }, noise: { sigma: [0, 0] } });
    assert.deepEqual(a.data, b.data);
  });

  it('validates recipes with errors naming the field', () => {
    assert.throws(() => validateAugment({ crop: [0, 4] } as AugmentSpec, 'cfg.augment'), /cfg\.augment\.crop/);
    assert.throws(() => validateAugment({ scale: [1.5, 1] } as AugmentSpec), /augment\.scale/);
    assert.throws(() => validateAugment({ flip: 2 } as AugmentSpec), /augment\.flip/);
    assert.throws(() => validateAugment({ colour: 1 } as unknown as AugmentSpec), /augment\.colour: unknown field/);
    const w: WeightF32 = { width: 3, height: 3, data: new Float32Array(9) };
    assert.throws(() => resizeSample({ image: { width: 4, height: 3, channels: 3, data: new Uint8Array(36) }, weight: w }, 2, 2), /weight is 3×3, image is 4×3/);
  });
});
