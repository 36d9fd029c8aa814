"""AdaBN reference for test/train/adabn.test.ts (PyTorch is the reference).

  python3 tools/pytorch/adabn_fixture.py

Writes test/fixtures/train/adabn.json: a tiny DeepLab (tools/pytorch/models.py mirror, engine
spec field names) with weights drawn here, 8-bit target images, and PyTorch's AdaBN result:
every BatchNorm's running_mean / running_var after BN momentum=None (cumulative average of
the batch statistics), reset running statistics, model.train(), one no-grad forward per batch
of `batch` images in order, float64. Images are normalised as the engine does:
x = (v/255 - mean_c)/std_c with ImageNet mean/std.
"""
import json, os, sys
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, HERE)
from models import DeepLab, draw_weights  # noqa: E402

SPEC = {'block': 'basic', 'layers': [2, 2, 2, 2], 'widths': [4, 4, 8, 8], 'stemWidth': 4, 'inChannels': 3, 'numClasses': 3,
        'outputStride': 8, 'asppDilations': [1, 2], 'bn': 'train', 'bnEps': 1e-5, 'bnMomentum': 0.1, 'strideOn': 'conv2',
        'maxpoolCeil': False, 'headName': 'classifier', 'upsampleLogits': False, 'seed': 0}
MEAN = np.array([0.485, 0.456, 0.406])
STD = np.array([0.229, 0.224, 0.225])
N_IMAGES, H, W, BATCH = 6, 24, 20, 2


def main():
    rng = np.random.default_rng(321)
    model = DeepLab(SPEC).double()
    weights = draw_weights(model, rng)
    # images with per-image brightness so that the batch statistics differ between batches
    images = np.clip(rng.normal(110, 50, size=(N_IMAGES, H, W, 3)) + rng.uniform(-40, 40, size=(N_IMAGES, 1, 1, 1)), 0, 255).round().astype(np.uint8)
    x = (images.astype(np.float64) / 255 - MEAN) / STD
    x = torch.tensor(x.transpose(0, 3, 1, 2).copy())
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.momentum = None
            m.reset_running_stats()
    model.train()
    with torch.no_grad():
        for s in range(0, N_IMAGES, BATCH):
            model(x[s:s + BATCH])
    running = {k: v.numpy().tolist() for k, v in model.state_dict().items() if 'running_' in k}
    out = {
        'spec': SPEC, 'batch': BATCH, 'height': H, 'width': W,
        'weights': {k: {'shape': list(a.shape), 'data': [float(f'{x:.9g}') for x in a.reshape(-1).tolist()]} for k, a in weights.items()},
        'images': images.reshape(-1).tolist(),
        'running': {k: [float(f'{x:.10g}') for x in v] for k, v in running.items()},
    }
    d = os.path.join(ROOT, 'test', 'fixtures', 'train')
    os.makedirs(d, exist_ok=True)
    p = os.path.join(d, 'adabn.json')
    with open(p, 'w') as f:
        json.dump(out, f, separators=(',', ':'))
    print(f'wrote {os.path.relpath(p, ROOT)} ({os.path.getsize(p)} bytes)')


if __name__ == '__main__':
    main()
