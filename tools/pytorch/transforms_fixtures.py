"""Writes test/fixtures/data/resize.json: PyTorch references for the data transforms.

- bilinear resize of a small uint8 RGB image (F.interpolate mode='bilinear',
  align_corners=False, antialias=False), kept in float64 before rounding;
- nearest resize of a small label map (mode='nearest');
- ImageNet normalisation to CHW (torchvision-style (x/255 - mean)/std).
Usage: python3 tools/pytorch/transforms_fixtures.py
"""
import json, os
import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', '..', 'test', 'fixtures', 'data', 'resize.json')


def main():
    rng = np.random.default_rng(20240611)
    H, W = 7, 9
    img = rng.integers(0, 256, size=(H, W, 3), dtype=np.uint8)
    lab = rng.integers(0, 12, size=(H, W), dtype=np.uint8)
    lab[lab == 11] = 255
    x = torch.from_numpy(img.astype(np.float64)).permute(2, 0, 1)[None]
    cases = []
    for (h, w) in [(5, 13), (3, 4), (14, 18), (7, 9)]:
        y = F.interpolate(x, size=(h, w), mode='bilinear', align_corners=False, antialias=False)
        yl = F.interpolate(torch.from_numpy(lab.astype(np.float64))[None, None], size=(h, w), mode='nearest')
        cases.append({
            'height': h, 'width': w,
            'bilinear_hwc': y[0].permute(1, 2, 0).reshape(-1).tolist(),
            'nearest': yl[0, 0].reshape(-1).round().int().tolist(),
        })
    mean = torch.tensor([0.485, 0.456, 0.406], dtype=torch.float64)[:, None, None]
    std = torch.tensor([0.229, 0.224, 0.225], dtype=torch.float64)[:, None, None]
    norm = ((x[0] / 255.0) - mean) / std
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        json.dump({
            'source': 'tools/pytorch/transforms_fixtures.py (torch %s)' % torch.__version__,
            'height': H, 'width': W,
            'image_hwc': img.reshape(-1).tolist(), 'label': lab.reshape(-1).tolist(),
            'resize': cases,
            'imagenet_chw': norm.reshape(-1).tolist(),
        }, f)
    print('wrote', OUT)


if __name__ == '__main__':
    main()
