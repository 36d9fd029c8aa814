"""Writes the small PyTorch segmentation model used by the ONNX import/export tests.

Outputs (both small, committed):
  test/fixtures/models/small_torch.onnx  torch.onnx.export, opset 17, dynamic batch/height/width,
                                         TorchScript exporter (dynamo=False, see below), exported
                                         in TRAINING mode so BatchNormalization nodes stay in the
                                         graph (training_mode=1) with their own parameters and
                                         running statistics (eval-mode export would fold BN into
                                         the convolutions).
  test/fixtures/models/small_torch.json  PyTorch float64 reference for a fixed input:
    forward_train: output of the model in train mode (BN on batch statistics), as in the file
    forward_eval:  output in eval mode (BN on the running statistics); what an inference export
                   of the trained graph must reproduce
    loss / grads:  L = sum(out * G) in train mode, per parameter (ONNX initializer name) the
                   gradient's L2 norm, max |.|, and values at a few flat indices.

The fixed input and loss weights are exact formulas of the flat (row-major) index i, so the
TypeScript test regenerates them bit-identically instead of reading them from a file:
    x[i] = ((i*37 + 11) mod 101) / 50 - 1          input, shape INPUT_SHAPE
    G[i] = ((i*7919) mod 1000) / 500 - 1           loss weights, shape of the output

The network (about 43 K parameters, ~175 KB file): conv-BN-ReLU x2, MaxPool, a residual block
of two conv-BN with ReLU, a stride-2 conv-BN-ReLU, a 1x1 classifier with bias, and bilinear
F.interpolate back to the input size (with dynamic axes this writes a Shape/Gather/Concat/Cast
subgraph feeding Resize's sizes).

Exporter: torch 2.13 defaults to the dynamo exporter, which needs onnxscript (not installed
here) and does not take dynamic_axes; the legacy TorchScript exporter is still available with
dynamo=False and is what this script uses.

Usage: python3 tools/pytorch/export_small_model.py
"""
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.normpath(os.path.join(HERE, '..', '..', 'test', 'fixtures', 'models'))
NUM_CLASSES = 5
EXPORT_SHAPE = (1, 3, 24, 24)   # the traced example (any size works: axes are dynamic)
INPUT_SHAPE = (2, 3, 32, 40)    # the reference input the tests import the model at
SAMPLES = 8                     # sampled values per tensor


class SmallSeg(nn.Module):
    def __init__(self, num_classes=NUM_CLASSES):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.pool = nn.MaxPool2d(2)
        self.conv3 = nn.Conv2d(32, 32, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(32)
        self.conv4 = nn.Conv2d(32, 32, 3, padding=1, bias=False)
        self.bn4 = nn.BatchNorm2d(32)
        self.conv5 = nn.Conv2d(32, 64, 3, stride=2, padding=1, bias=False)
        self.bn5 = nn.BatchNorm2d(64)
        self.cls = nn.Conv2d(64, num_classes, 1)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = self.pool(F.relu(self.bn2(self.conv2(h))))
        r = F.relu(self.bn3(self.conv3(h)))
        r = self.bn4(self.conv4(r))
        h = F.relu(h + r)
        h = F.relu(self.bn5(self.conv5(h)))
        y = self.cls(h)
        return F.interpolate(y, size=x.shape[-2:], mode='bilinear', align_corners=False)


def formula_input(shape):
    i = np.arange(int(np.prod(shape)), dtype=np.int64)
    return (((i * 37 + 11) % 101) / 50.0 - 1.0).astype(np.float32).reshape(shape)


def formula_weights(shape):
    i = np.arange(int(np.prod(shape)), dtype=np.int64)
    return (((i * 7919) % 1000) / 500.0 - 1.0).astype(np.float32).reshape(shape)


def sample_indices(n, k=SAMPLES):
    """k flat indices spread over [0, n), always including the first and the last."""
    if n <= k:
        return list(range(n))
    return sorted({int(round(j * (n - 1) / (k - 1))) for j in range(k)})


def summary(a):
    a = np.asarray(a, dtype=np.float64)
    flat = a.reshape(-1)
    idx = sample_indices(flat.size)
    return {
        'shape': list(a.shape),
        'mean': float(flat.mean()), 'std': float(flat.std()),
        'min': float(flat.min()), 'max': float(flat.max()),
        'l2': float(np.sqrt((flat ** 2).sum())), 'max_abs': float(np.abs(flat).max()),
        'indices': idx, 'values': [float(flat[j]) for j in idx],
        'head': [float(v) for v in flat[:16]],
    }


def main():
    torch.manual_seed(0)
    model = SmallSeg()
    # give BN non-trivial affine parameters and running statistics
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    model.train()
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for _ in range(3):
            model(torch.rand(2, 3, 24, 32, generator=gen) * 2 - 1)

    os.makedirs(OUT_DIR, exist_ok=True)
    onnx_path = os.path.join(OUT_DIR, 'small_torch.onnx')
    torch.onnx.export(
        model, (torch.zeros(EXPORT_SHAPE),), onnx_path, dynamo=False, opset_version=17,
        input_names=['input'], output_names=['logits'],
        dynamic_axes={'input': {0: 'batch', 2: 'height', 3: 'width'},
                      'logits': {0: 'batch', 2: 'height', 3: 'width'}},
        training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False)

    # The reference uses exactly the values stored in the file: a training-mode export runs the
    # model once more, which updates the BN running statistics that the file stores, so the
    # parameters and buffers are loaded back from the ONNX initializers.
    import onnx
    from onnx import numpy_helper
    proto = onnx.load(onnx_path)
    inits = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in proto.graph.initializer}
    params = dict(model.named_parameters())
    state = model.state_dict()
    missing = [k for k in params if k not in inits]
    if missing:
        raise SystemExit(f'parameters not found as ONNX initializers: {missing}')
    for k, v in state.items():
        if k in inits:
            state[k] = inits[k]
        elif not k.endswith('num_batches_tracked'):
            raise SystemExit(f'buffer {k} is not an ONNX initializer')
    model.load_state_dict(state)

    ref = model.double()
    x = torch.from_numpy(formula_input(INPUT_SHAPE)).double()
    ref.train()
    saved = {k: v.clone() for k, v in ref.state_dict().items()}
    out = ref(x)
    G = torch.from_numpy(formula_weights(tuple(out.shape))).double()
    loss = (out * G).sum()
    ref.zero_grad()
    loss.backward()
    grads = {name: summary(p.grad.detach().numpy()) for name, p in ref.named_parameters()}
    ref.load_state_dict(saved)   # undo the running-stat update of the train-mode pass
    ref.eval()
    with torch.no_grad():
        out_eval = ref(x)

    fixture = {
        'about': 'written by tools/pytorch/export_small_model.py (PyTorch float64 reference); see its docstring',
        'torch': torch.__version__, 'opset': 17, 'exporter': 'torchscript (dynamo=False), TrainingMode.TRAINING',
        'input_name': 'input', 'output_name': 'logits',
        'input_shape': list(INPUT_SHAPE),
        'input_formula': 'x[i] = ((i*37 + 11) mod 101) / 50 - 1',
        'loss_formula': 'L = sum(out * G), G[i] = ((i*7919) mod 1000) / 500 - 1',
        'num_parameters': int(sum(p.numel() for p in params.values())),
        'forward_train': summary(out.detach().numpy()),
        'forward_eval': summary(out_eval.numpy()),
        'loss': float(loss.item()),
        'grads': grads,
    }
    with open(os.path.join(OUT_DIR, 'small_torch.json'), 'w') as f:
        json.dump(fixture, f, indent=1)
    print(f"wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes, {fixture['num_parameters']} parameters) and small_torch.json")


if __name__ == '__main__':
    main()
