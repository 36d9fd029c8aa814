"""Cross-check fixture for lib/eval: the official Cityscapes pixel-level evaluator on tiny PNGs.

1. Writes a small Cityscapes-layout fixture (seeded, 64x32 pixels):
     test/fixtures/eval/cityscapes/gtFine/val/<city>/<city>_000000_00000N_gtFine_labelIds.png
     test/fixtures/eval/cityscapes/results/<city>_000000_00000N.png      (predicted labelIds)
   The ground truth mixes evaluated classes with ignored labelIds (unlabeled, static, parking,
   guard rail, caravan, ...). The predictions are the ground truth with noise, and on purpose:
     - 'train' (labelId 31) appears in neither -> IoU NaN, excluded from the mean;
     - 'bus' (labelId 28) is predicted but absent from the ground truth -> IoU 0;
     - some predictions are ignored labelIds (0, 4, 9) -> misses of the true class.
2. Runs cityscapesscripts.evaluation.evalPixelLevelSemanticLabeling.main() on it, with
   CITYSCAPES_DATASET / CITYSCAPES_RESULTS / CITYSCAPES_EXPORT_DIR pointing at the fixture,
   instance-level scores off (the fixture has no instanceIds files).
3. Writes the official per-class IoU and mean IoU to test/fixtures/eval/cityscapes_official.json
   (NaN written as null). test/eval/cityscapes-crosscheck.test.ts evaluates the same PNGs with
   lib/eval and must match to 1e-4.

    python3 tools/cityscapes/crosscheck.py
"""
import json
import os
import shutil
import sys
import tempfile
from importlib.metadata import version

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.normpath(os.path.join(HERE, '..', '..', 'test', 'fixtures', 'eval'))
DATASET = os.path.join(FIXTURES, 'cityscapes')
RESULTS = os.path.join(DATASET, 'results')
OUT = os.path.join(FIXTURES, 'cityscapes_official.json')

W, H = 64, 32
FRAMES = [('alpha', 1), ('alpha', 2), ('beta', 1), ('beta', 2)]
EVAL_IDS = [7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 32, 33]  # no 28 bus, no 31 train
IGNORED_IDS = [0, 1, 3, 4, 5, 6, 9, 10, 14, 15, 16, 18, 29, 30]
PRED_IGNORED = [0, 4, 9]


def make_pair(rng):
    # ground truth: 8x8 blocks, ~80% evaluated classes, ~20% ignored labelIds
    blocks = np.where(
        rng.random((H // 8, W // 8)) < 0.8,
        rng.choice(EVAL_IDS, size=(H // 8, W // 8)),
        rng.choice(IGNORED_IDS, size=(H // 8, W // 8)),
    )
    gt = np.kron(blocks, np.ones((8, 8), dtype=np.int64)).astype(np.uint8)
    pred = gt.copy()
    # noise: 25% of pixels get another evaluated class (bus included), 5% an ignored labelId
    u = rng.random((H, W))
    noisy = u < 0.25
    pred[noisy] = rng.choice(EVAL_IDS + [28], size=int(noisy.sum()))
    ign = (u >= 0.25) & (u < 0.30)
    pred[ign] = rng.choice(PRED_IGNORED, size=int(ign.sum()))
    # predictions on ignored ground truth are free: make them varied
    mask = np.isin(gt, IGNORED_IDS)
    pred[mask] = rng.choice(EVAL_IDS, size=int(mask.sum()))
    return gt, pred


def write_fixture():
    for d in (os.path.join(DATASET, 'gtFine'), RESULTS):
        if os.path.isdir(d):
            shutil.rmtree(d)
    rng = np.random.default_rng(20240601)
    files = []
    for city, frame in FRAMES:
        key = '%s_000000_%06d' % (city, frame)
        gt, pred = make_pair(rng)
        gdir = os.path.join(DATASET, 'gtFine', 'val', city)
        os.makedirs(gdir, exist_ok=True)
        os.makedirs(RESULTS, exist_ok=True)
        Image.fromarray(gt, mode='L').save(os.path.join(gdir, key + '_gtFine_labelIds.png'), optimize=True)
        Image.fromarray(pred, mode='L').save(os.path.join(RESULTS, key + '.png'), optimize=True)
        files.append(key)
    return files


def run_official():
    export_dir = tempfile.mkdtemp(prefix='cs-eval-')
    os.environ['CITYSCAPES_DATASET'] = DATASET
    os.environ['CITYSCAPES_RESULTS'] = RESULTS
    os.environ['CITYSCAPES_EXPORT_DIR'] = export_dir
    # the module reads the environment when imported
    from cityscapesscripts.evaluation import evalPixelLevelSemanticLabeling as ev
    ev.args.evalInstLevelScore = False  # no instanceIds files in the fixture
    ev.args.quiet = True
    ev.args.colorized = False
    ev.args.JSONOutput = True
    argv = sys.argv
    sys.argv = [argv[0]]
    try:
        ev.main()
    finally:
        sys.argv = argv
    with open(ev.args.exportFile) as f:
        result = json.load(f)
    shutil.rmtree(export_dir, ignore_errors=True)
    return ev, result


def main():
    files = write_fixture()
    ev, result = run_official()
    from cityscapesscripts.helpers.labels import labels
    evaluated = [l for l in labels if l.id >= 0 and not l.ignoreInEval]
    scores = result['classScores']

    def clean(v):
        return None if v is None or (isinstance(v, float) and np.isnan(v)) else v

    doc = {
        'source': 'cityscapesscripts %s evaluation.evalPixelLevelSemanticLabeling (CSUPPORT=%s)' % (
            version('cityscapesScripts'), bool(ev.CSUPPORT)),
        'generator': 'tools/cityscapes/crosscheck.py',
        'files': files,
        'classScores': {l.name: clean(scores[l.name]) for l in evaluated},
        'averageScoreClasses': clean(result['averageScoreClasses']),
    }
    with open(OUT, 'w') as f:
        json.dump(doc, f, indent=1)
        f.write('\n')
    print('wrote %s: mIoU %.6f over %d images' % (os.path.relpath(OUT), doc['averageScoreClasses'], len(files)))


if __name__ == '__main__':
    main()
