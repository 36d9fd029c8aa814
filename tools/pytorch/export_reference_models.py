"""Exports a reference segmentation model to ONNX, and computes PyTorch's loss and gradients for it.

Run by test/train/reference-models.test.ts at test time, into a temporary folder (the files are
far too large to commit: deeplabv3_resnet50 has 39.6 M parameters, a 160 MB ONNX file).

Models (random weights, nothing downloaded; 11 classes = the camvid11 protocol):
  deeplabv3_resnet50, lraspp_mobilenet_v3_large, deeplabv3_mobilenet_v3_large
      torchvision 0.28 (weights=None, weights_backbone=None, num_classes=11), wrapped in a
      module whose forward returns the dict's 'out' (torchvision_compat.py imports torchvision);
      parameter names are 'net.' + torchvision's
  segformer_b0
      segformer_b0.py (MiT-B0 encoder + all-MLP decoder; LayerNorm only, no BatchNorm)

Two phases, so that the reference can use the engine's kink decisions (same_branch.py):

--export: builds, prepares and exports the model, writes the test input.
  Preparation (seeded, deterministic): torch.manual_seed(0) before construction; every BN gets
  γ ~ U(0.5, 1.5), β ~ U(-0.2, 0.2) and running statistics estimated by 3 train-mode passes
  (momentum=None: cumulative average) over synthetic images [2,3,H,W] (`images`), so the
  eval-mode network is well scaled (fresh running statistics 0/1 let the activations of the
  torchvision networks grow into the hundreds).
  The synthetic images are smooth random scenes, not pixel noise: bilinearly upsampled Gaussian
  noise at 1/15 resolution plus 0.3 pixel noise, a random colour offset U(-0.5, 0.5) per
  channel and contrast U(0.4, 1.2) per image, clipped to [-2.2, 2.7] (the ImageNet-normalised
  range). Why: on i.i.d. pixel noise every image has almost the same global averages, so the
  BNs after torchvision's ASPP global pooling and squeeze-excitation blocks get running
  variances far below the squared means; eval-mode BN then subtracts two nearly equal numbers,
  and PyTorch's own float32 gradients differ from its float64 ones by 4.6e-3
  (deeplabv3_mobilenet_v3_large, measured; 6e-6 on these images).
  Then the export of docs/bring-your-own-model.md §1: BN momentum 0 and dropout p 0 on the
  exported module, dynamo=False, opset 17, TrainingMode.TRAINING, do_constant_folding=False,
  input 'input', output 'logits', dynamic batch/height/width, traced on zeros [2,3,H,W] (batch
  2: torchvision's ASPP pooling cannot run train-mode BN on one value per channel).
  The test input: x = images(1, generator seed 1) [1,3,H,W] float32, and labels
  y[0,r,c] = (r // 16 + 2 * (c // 16)) % 11, 255 (ignored) where (r + c) % 13 == 0.

--reference: the float64 loss and gradients of the network as the engine adapts it (BN in eval
  mode on the running statistics, i.e. frozen BN; no dropout), parameters and buffers loaded
  from the ONNX initializers (exactly the values in the file):
      loss = F.cross_entropy(model(x), y, ignore_index=255)   (mean over the labelled pixels)
      d loss / d p for EVERY named parameter p (conv, linear, BN and LayerNorm weights),
  with the derivative of each ReLU/HardSwish/HardSigmoid/MaxPool taken at the engine's float32
  input of that node (NAME.kinks.*, written by the test; same_branch.py says why). With
  --plain, the plain float64 gradients too (for measurements; they differ from any float32
  computation at the kinks).

Files in --out (NAME = --model):
  written by --export:
    NAME.onnx           the export
    NAME.x.f32          x, float32 little-endian, row-major
    NAME.y.u8           y, uint8
    NAME.export.json    {model, torch, torchvision, height, width, num_parameters,
                         has_batchnorm, seconds: {build, export}}
  read by --reference (written by the engine test):
    NAME.kinks.json     {points: [{op, shape, offset}]}: the kink nodes of the imported graph
                        in node order (op: Relu | HardSwish | HardSigmoid | MaxPool)
    NAME.kinks.f32      their inputs, float32, concatenated (offset in elements)
  written by --reference:
    NAME.grads.f32      every gradient (float32 of the float64 values), concatenated in the
                        order of NAME.ref.json's grads
    NAME.plain.f32      (--plain) the plain float64 gradients, same layout
    NAME.ref.json       {loss, plain_loss (--plain), grads: [{name, shape, offset, l2}],
                         seconds}

Usage:
  python3 tools/pytorch/export_reference_models.py --check     # exit 0 when torch, torchvision
        (torchvision_compat.py), onnx and onnxruntime import; otherwise prints the reason, exit 2
  python3 tools/pytorch/export_reference_models.py --export --model NAME --out DIR [--height 180 --width 240]
  python3 tools/pytorch/export_reference_models.py --reference --model NAME --out DIR [--plain]
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = ('deeplabv3_resnet50', 'lraspp_mobilenet_v3_large', 'deeplabv3_mobilenet_v3_large', 'segformer_b0')
NUM_CLASSES = 11


def check():
    try:
        import torch  # noqa: F401
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401  (the test runs the adapted export in it)
        from torchvision_compat import segmentation_models
        segmentation_models()
    except Exception as e:  # ImportError, or torchvision failing to load
        print(f'{type(e).__name__}: {e}'.strip().split('\n')[0])
        return 2
    print('ok')
    return 0


def build(name):
    """The model with fresh random weights (torch.manual_seed(0))."""
    import torch
    import torch.nn as nn
    torch.manual_seed(0)
    if name == 'segformer_b0':
        from segformer_b0 import SegFormerB0
        return SegFormerB0(NUM_CLASSES)
    from torchvision_compat import segmentation_models
    inner = segmentation_models()[name](weights=None, weights_backbone=None, num_classes=NUM_CLASSES)

    class OutOnly(nn.Module):
        """forward returns the logits, torchvision's dict 'out' (docs/bring-your-own-model.md §1)."""

        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, x):
            return self.net(x)['out']

    return OutOnly(inner)


def images(n, gen, h, w):
    """Synthetic images [n,3,h,w] float32 (see the module doc)."""
    import torch
    import torch.nn.functional as F
    low = torch.randn(n, 3, -(-h // 15), -(-w // 15), generator=gen)
    img = F.interpolate(low, size=(h, w), mode='bilinear', align_corners=False)
    img = img + 0.3 * torch.randn(n, 3, h, w, generator=gen)
    offset = torch.rand(n, 3, 1, 1, generator=gen) - 0.5
    contrast = torch.rand(n, 1, 1, 1, generator=gen) * 0.8 + 0.4
    return (offset + contrast * img).clamp(-2.2, 2.7)


def labels(h, w):
    """y [1,h,w] int64 (see the module doc)."""
    import torch
    r = torch.arange(h).view(h, 1)
    c = torch.arange(w).view(1, w)
    y = (r // 16 + 2 * (c // 16)) % NUM_CLASSES
    return torch.where((r + c) % 13 == 0, torch.full_like(y, 255), y).view(1, h, w)


def prepare(model, h, w):
    """BN affine and running statistics as in the module doc; BN momentum 0, dropout 0. Returns whether there is BN."""
    import torch
    import torch.nn as nn
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    gen = torch.Generator().manual_seed(2)
    with torch.no_grad():
        for m in bns:
            m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
            m.bias.copy_(torch.rand(m.bias.shape, generator=gen) * 0.4 - 0.2)
            m.reset_running_stats()
            m.momentum = None
        if bns:
            model.train()
            for _ in range(3):
                model(images(2, gen, h, w))
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.momentum = 0.0          # the training-mode export's forward must not move them
        if isinstance(m, nn.modules.dropout._DropoutNd):
            m.p = 0.0
    return len(bns) > 0


def export(name, out, h, w):
    import torch
    t0 = time.time()
    model = build(name)
    has_bn = prepare(model, h, w)
    t1 = time.time()
    path = os.path.join(out, f'{name}.onnx')
    model.train()
    torch.onnx.export(
        model, (torch.zeros(2, 3, h, w),), path, dynamo=False, opset_version=17,
        training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False,
        input_names=['input'], output_names=['logits'],
        dynamic_axes={'input': {0: 'batch', 2: 'height', 3: 'width'}, 'logits': {0: 'batch', 2: 'height', 3: 'width'}})
    t2 = time.time()
    images(1, torch.Generator().manual_seed(1), h, w).numpy().astype('<f4').tofile(os.path.join(out, f'{name}.x.f32'))
    labels(h, w).numpy().astype('uint8').tofile(os.path.join(out, f'{name}.y.u8'))
    from torchvision_compat import import_torchvision
    info = {
        'about': 'written by tools/pytorch/export_reference_models.py --export; see its docstring',
        'model': name, 'torch': torch.__version__, 'torchvision': import_torchvision().__version__,
        'height': h, 'width': w, 'num_classes': NUM_CLASSES,
        'num_parameters': int(sum(p.numel() for p in model.parameters())), 'has_batchnorm': has_bn,
        'seconds': {'build': round(t1 - t0, 2), 'export': round(t2 - t1, 2)},
    }
    with open(os.path.join(out, f'{name}.export.json'), 'w') as f:
        json.dump(info, f, indent=1)
    print(f"{name}: {info['num_parameters']} parameters, {os.path.getsize(path)} bytes ONNX; build {info['seconds']['build']} s, export {info['seconds']['export']} s")


def from_onnx(name, out):
    """The model with the parameters and buffers of NAME.onnx, float64, eval mode."""
    import onnx
    import torch
    from onnx import numpy_helper
    model = build(name)
    inits = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in onnx.load(os.path.join(out, f'{name}.onnx')).graph.initializer}
    state = model.state_dict()
    for k in state:
        if k in inits:
            state[k] = inits[k]
        elif not k.endswith('num_batches_tracked'):
            raise SystemExit(f'{k} is not an ONNX initializer of {name}.onnx')
    model.load_state_dict(state)
    return model.double().eval()


def reference(name, out, plain):
    import numpy as np
    import torch
    import torch.nn.functional as F
    from same_branch import SameBranch
    t0 = time.time()
    with open(os.path.join(out, f'{name}.export.json')) as f:
        h, w = (lambda e: (e['height'], e['width']))(json.load(f))
    x = torch.from_numpy(np.fromfile(os.path.join(out, f'{name}.x.f32'), dtype='<f4').reshape(1, 3, h, w)).double()
    y = torch.from_numpy(np.fromfile(os.path.join(out, f'{name}.y.u8'), dtype=np.uint8).reshape(1, h, w).astype(np.int64))
    with open(os.path.join(out, f'{name}.kinks.json')) as f:
        kinks = json.load(f)['points']
    flat = np.fromfile(os.path.join(out, f'{name}.kinks.f32'), dtype='<f4')
    points = []
    for p in kinks:
        n = int(np.prod(p['shape']))
        points.append((p['op'], torch.from_numpy(flat[p['offset']:p['offset'] + n].reshape(p['shape']).astype(np.float64))))
    del flat

    def grads(model, same_branch):
        model.zero_grad()
        if same_branch:
            with SameBranch(points) as sb:
                logits = model(x)
            sb.check()
        else:
            logits = model(x)
        loss = F.cross_entropy(logits, y, ignore_index=255)
        loss.backward()
        return float(loss.item())

    model = from_onnx(name, out)
    info = {'about': 'written by tools/pytorch/export_reference_models.py --reference; see its docstring', 'model': name}
    for file, same_branch in [('grads', True)] + ([('plain', False)] if plain else []):
        loss = grads(model, same_branch)
        info['loss' if same_branch else 'plain_loss'] = loss
        entries = []
        offset = 0
        with open(os.path.join(out, f'{name}.{file}.f32'), 'wb') as f:
            for k, p in model.named_parameters():
                g = p.grad.detach().numpy()
                f.write(np.ascontiguousarray(g, dtype='<f4').tobytes())
                entries.append({'name': k, 'shape': list(g.shape), 'offset': offset, 'l2': float(np.sqrt((g ** 2).sum()))})
                offset += g.size
        if same_branch:
            info['grads'] = entries
    info['kink_points'] = len(points)
    info['seconds'] = round(time.time() - t0, 2)
    with open(os.path.join(out, f'{name}.ref.json'), 'w') as f:
        json.dump(info, f, indent=1)
    extra = f", plain float64 {info['plain_loss']:.8f}" if plain else ''
    print(f"{name}: loss {info['loss']:.8f} (same-branch float64){extra}; {len(points)} kink nodes; {info['seconds']} s")


def main():
    sys.path.insert(0, HERE)
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--check', action='store_true')
    ap.add_argument('--export', action='store_true')
    ap.add_argument('--reference', action='store_true')
    ap.add_argument('--plain', action='store_true')
    ap.add_argument('--model', choices=MODELS)
    ap.add_argument('--out')
    ap.add_argument('--height', type=int, default=180)
    ap.add_argument('--width', type=int, default=240)
    a = ap.parse_args()
    if a.check:
        sys.exit(check())
    if not a.model or not a.out or a.export == a.reference:
        ap.error('give --check, or --export or --reference with --model and --out')
    import torch
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    if a.export:
        os.makedirs(a.out, exist_ok=True)
        export(a.model, a.out, a.height, a.width)
    else:
        reference(a.model, a.out, a.plain)


if __name__ == '__main__':
    main()
