"""Writes the small PyTorch models of the bring-your-own-model tests (test/train/import-model.test.ts).

An 11-class network (camvid11's class count): conv-BN-ReLU, stride-2 conv-BN-ReLU, a residual
conv-BN block, stride-2 conv-BN-ReLU, a 1x1 classifier with bias, bilinear F.interpolate back
to the input size; about 9 K parameters. Files (test/fixtures/models/):

  seg11_train.onnx   torch.onnx.export in TRAINING mode, do_constant_folding=False, opset 17,
                     dynamic batch/height/width: BatchNormalization nodes stay (the good case)
  seg11_folded.onnx  eval-mode export with constant folding: BN folded into the convolutions
                     (no BatchNormalization node; the convs get biases) -> import warns
  seg11_elu.onnx     like seg11_train but with an ELU in the backbone (an op the engine has no
                     gradient rule for) -> import refuses, naming the node
  seg11_opset19.onnx seg11_train with its opset import rewritten to 19 -> import refuses

Exporter: the legacy TorchScript exporter (dynamo=False; see export_small_model.py).
Usage: python3 tools/pytorch/export_import_fixtures.py
"""
import os

import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.normpath(os.path.join(HERE, '..', '..', 'test', 'fixtures', 'models'))
NUM_CLASSES = 11


class Seg11(nn.Module):
    def __init__(self, elu=False):
        super().__init__()
        self.elu = elu
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.conv3 = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(16)
        self.conv4 = nn.Conv2d(16, 32, 3, stride=2, padding=1, bias=False)
        self.bn4 = nn.BatchNorm2d(32)
        self.classifier = nn.Conv2d(32, NUM_CLASSES, 1)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = F.relu(self.bn2(self.conv2(h)))
        r = self.bn3(self.conv3(h))
        h = F.elu(h + r) if self.elu else F.relu(h + r)
        h = F.relu(self.bn4(self.conv4(h)))
        y = self.classifier(h)
        return F.interpolate(y, size=x.shape[-2:], mode='bilinear', align_corners=False)


def make(elu=False):
    torch.manual_seed(0)
    m = Seg11(elu)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, nn.BatchNorm2d):
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.2, 0.2)
    m.train()
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for _ in range(3):
            m(torch.rand(2, 3, 48, 64, generator=gen) * 2 - 1)
    return m


def export(m, name, training):
    path = os.path.join(OUT_DIR, name)
    torch.onnx.export(
        m, (torch.zeros(1, 3, 48, 64),), path, dynamo=False, opset_version=17,
        input_names=['input'], output_names=['logits'],
        dynamic_axes={'input': {0: 'batch', 2: 'height', 3: 'width'},
                      'logits': {0: 'batch', 2: 'height', 3: 'width'}},
        training=torch.onnx.TrainingMode.TRAINING if training else torch.onnx.TrainingMode.EVAL,
        do_constant_folding=not training)
    return path


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    good = export(make(), 'seg11_train.onnx', True)
    m = make()
    m.eval()
    export(m, 'seg11_folded.onnx', False)
    export(make(elu=True), 'seg11_elu.onnx', True)
    mp = onnx.load(good)
    for o in mp.opset_import:
        if o.domain in ('', 'ai.onnx'):
            o.version = 19
    onnx.save(mp, os.path.join(OUT_DIR, 'seg11_opset19.onnx'))
    for f in ['seg11_train.onnx', 'seg11_folded.onnx', 'seg11_elu.onnx', 'seg11_opset19.onnx']:
        mp = onnx.load(os.path.join(OUT_DIR, f))
        ops = sorted({n.op_type for n in mp.graph.node})
        print(f, os.path.getsize(os.path.join(OUT_DIR, f)), 'bytes;', ' '.join(ops))


if __name__ == '__main__':
    main()
