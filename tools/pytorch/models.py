"""PyTorch mirror of the engine's models (lib/engine/models/): the same DeepLab-v2 networks
(dilated ResNet backbone + ASPP classifier of summed dilated 3x3 convs) and the STvM metric
head, with identical module names, so the engine's ONNX initializers load by name.

Specs are the engine's JSON specs (lib/engine/models/spec.ts field names):
  block 'basic'|'bottleneck', layers [4], widths [4], stemWidth, inChannels, numClasses,
  outputStride 8|16|32, asppDilations, bn 'frozen'|'train', bnEps, bnMomentum,
  strideOn 'conv1'|'conv2', maxpoolCeil, headName, upsampleLogits, seed.
Weights never come from PyTorch's own init: load_onnx_weights() reads the initializers the
TypeScript side wrote (python `onnx` package), so both sides run the exact same numbers.
"""
import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F

EXPANSION = {'basic': 1, 'bottleneck': 4}


def stage_plan(os_):
    return {8: ([1, 2, 1, 1], [1, 1, 2, 4]), 16: ([1, 2, 2, 1], [1, 1, 1, 2]), 32: ([1, 2, 2, 2], [1, 1, 1, 1])}[os_]


def _bn(c, spec):
    return nn.BatchNorm2d(c, eps=spec['bnEps'], momentum=spec['bnMomentum'])


class BasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride, dilation, spec):
        super().__init__()
        d = dilation
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=d, dilation=d, bias=False)
        self.bn1 = _bn(planes, spec)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=d, dilation=d, bias=False)
        self.bn2 = _bn(planes, spec)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride=stride, bias=False), _bn(planes, spec))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        idt = x if self.downsample is None else self.downsample(x)
        return F.relu(y + idt)


class Bottleneck(nn.Module):
    def __init__(self, inplanes, planes, stride, dilation, spec):
        super().__init__()
        d = dilation
        s1, s2 = (stride, 1) if spec['strideOn'] == 'conv1' else (1, stride)
        out = planes * 4
        self.conv1 = nn.Conv2d(inplanes, planes, 1, stride=s1, bias=False)
        self.bn1 = _bn(planes, spec)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=s2, padding=d, dilation=d, bias=False)
        self.bn2 = _bn(planes, spec)
        self.conv3 = nn.Conv2d(planes, out, 1, bias=False)
        self.bn3 = _bn(out, spec)
        self.downsample = None
        if stride != 1 or inplanes != out:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, out, 1, stride=stride, bias=False), _bn(out, spec))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        idt = x if self.downsample is None else self.downsample(x)
        return F.relu(y + idt)


class ASPPClassifier(nn.Module):
    """DeepLab-v2 Classifier_Module: sum of dilated 3x3 convs (bias) to the classes."""
    def __init__(self, cin, classes, dilations):
        super().__init__()
        self.conv2d_list = nn.ModuleList([nn.Conv2d(cin, classes, 3, padding=d, dilation=d, bias=True) for d in dilations])

    def forward(self, x):
        out = self.conv2d_list[0](x)
        for c in self.conv2d_list[1:]:
            out = out + c(x)
        return out


class BnModeMixin:
    """spec['bn'] == 'frozen': every BN in eval mode with its affine parameters without gradient
    (DeepLab-v2), also after model.train(); 'train': ordinary train-mode BN."""
    def set_bn_mode(self):
        frozen = self.spec['bn'] == 'frozen'
        for m in self.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.train(not frozen)
                for p in m.parameters():
                    p.requires_grad_(not frozen)

    def train(self, mode=True):
        super().train(mode)
        if mode:
            self.set_bn_mode()
        return self


class DeepLab(BnModeMixin, nn.Module):
    def __init__(self, spec):
        super().__init__()
        self.spec = spec
        self.conv1 = nn.Conv2d(spec['inChannels'], spec['stemWidth'], 7, stride=2, padding=3, bias=False)
        self.bn1 = _bn(spec['stemWidth'], spec)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=bool(spec['maxpoolCeil']))
        strides, dils = stage_plan(spec['outputStride'])
        block = BasicBlock if spec['block'] == 'basic' else Bottleneck
        inplanes = spec['stemWidth']
        for li in range(4):
            planes = spec['widths'][li]
            blocks = []
            for bi in range(spec['layers'][li]):
                blocks.append(block(inplanes, planes, strides[li] if bi == 0 else 1, dils[li], spec))
                inplanes = planes * EXPANSION[spec['block']]
            setattr(self, f'layer{li + 1}', nn.Sequential(*blocks))
        self.feature_channels = inplanes
        setattr(self, spec['headName'], ASPPClassifier(inplanes, spec['numClasses'], spec['asppDilations']))
        self.set_bn_mode()

    def forward(self, x):
        """Returns (logits at feature resolution, features, logits upsampled or None)."""
        y = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        y = self.layer4(self.layer3(self.layer2(self.layer1(y))))
        logits = getattr(self, self.spec['headName'])(y)
        full = None
        if self.spec['upsampleLogits']:
            full = F.interpolate(logits, size=x.shape[2:], mode='bilinear', align_corners=True)
        return logits, y, full

    def param_groups(self):
        head = getattr(self, self.spec['headName'])
        hid = {id(p) for p in head.parameters()}
        bb = [p for p in self.parameters() if p.requires_grad and id(p) not in hid]
        hd = [p for p in head.parameters() if p.requires_grad]
        return bb, hd


class MetricHead(nn.Module):
    """1x1 conv (no bias) -> BN -> ReLU -> 1x1 conv (bias) -> e = y / sqrt(sum_c y^2 + eps)."""
    def __init__(self, spec):
        super().__init__()
        self.spec = spec
        self.conv1 = nn.Conv2d(spec['inChannels'], spec['hidden'], 1, bias=False)
        self.bn1 = _bn(spec['hidden'], spec)
        self.conv2 = nn.Conv2d(spec['hidden'], spec['embedDim'], 1, bias=True)

    def forward(self, f):
        y = self.conv2(F.relu(self.bn1(self.conv1(f))))
        return y / torch.sqrt((y * y).sum(1, keepdim=True) + self.spec['normEps'])


def draw_weights(module, rng):
    """Test weights for every state tensor of `module` (num_batches_tracked skipped), drawn from
    `rng` in state order: running_var ~ U(0.5, 2), running_mean and biases ~ U(-0.3, 0.3), other
    1-D tensors (BN gamma) ~ U(0.5, 1.5), weights ~ N(0, 2 / fan_in). Loads them into `module`
    (as float64) and returns them as float32 arrays by state name (what the fixtures store)."""
    weights = {}
    for k, v in module.state_dict().items():
        if k.endswith('num_batches_tracked'):
            continue
        if 'running_var' in k:
            a = rng.uniform(0.5, 2.0, size=v.shape)
        elif 'running_mean' in k or k.endswith('bias'):
            a = rng.uniform(-0.3, 0.3, size=v.shape)
        elif v.dim() == 1:
            a = rng.uniform(0.5, 1.5, size=v.shape)
        else:
            a = rng.standard_normal(v.shape) * np.sqrt(2.0 / int(np.prod(v.shape[1:])))
        weights[k] = a.astype(np.float32)
    module.load_state_dict({**module.state_dict(), **{k: torch.tensor(a.astype(np.float64)) for k, a in weights.items()}})
    return weights


def onnx_initializers(path):
    """{name: numpy array} of every initializer of an ONNX file."""
    m = onnx.load(path)
    return {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}


def load_weights(model, arrays, prefix='', dtype=torch.float64):
    """Loads arrays[prefix + state-dict key] into model; every parameter and buffer except
    num_batches_tracked must be present (a missing name is an error naming it)."""
    sd = model.state_dict()
    new = {}
    for k, v in sd.items():
        if k.endswith('num_batches_tracked'):
            new[k] = v
            continue
        name = prefix + k
        if name not in arrays:
            raise KeyError(f'weights file has no tensor {name!r} (model expects shape {list(v.shape)})')
        a = arrays[name]
        if list(a.shape) != list(v.shape):
            raise ValueError(f'{name}: file shape {list(a.shape)} != model shape {list(v.shape)}')
        new[k] = torch.from_numpy(np.array(a))
    model.load_state_dict(new)
    return model.to(dtype)


def cross_entropy(logits, labels, weights=None, ignore=255):
    """L = sum_i w_i v_i CE_i / sum_i w_i v_i (the engine's softmaxCrossEntropy)."""
    ce = F.cross_entropy(logits, labels, ignore_index=ignore, reduction='none')
    valid = (labels != ignore).to(logits.dtype)
    w = valid if weights is None else weights * valid
    return (ce * w).sum() / w.sum().clamp_min(1e-12)
