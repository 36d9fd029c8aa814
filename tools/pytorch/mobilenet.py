"""PyTorch mirror of lib/engine/models/mobilenetv2.ts: the MobileNetV2 encoder (Keras layout,
width multiplier) with the DeepLab-v3+ style head, module names identical to the engine's
parameter names (encoder.conv1, encoder.blocks.{i}.expand|depthwise|project[_bn], aspp.*,
decoder.*, <headName>), so the engine's ONNX initializers load by name (models.load_weights).

Written from the description in mobilenetv2.ts, not from its code: ReLU6 is torch.clamp(x, 0, 6)
(the engine's Clip: gradient passes where 0 <= x <= 6), every resize is bilinear with
align_corners=True, the image-pooling branch is GAP -> 1x1 conv (bias) -> ReLU -> broadcast.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

from models import BnModeMixin

STAGES = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
LOW_LEVEL_BLOCK = 2


def make_divisible(v, divisor=8):
    """Keras applications' _make_divisible(v, 8)."""
    n = max(divisor, int(v + divisor / 2) // divisor * divisor)
    if n < 0.9 * v:
        n += divisor
    return n


def plan(width_mult, output_stride):
    """[(cin, expanded, cout, t, stride, dilation, residual)] of the 17 blocks (TF DeepLab
    output-stride rule: the stride-2 block reaching the output stride runs at stride 1 with the
    current rate; the rate then multiplies by its stride)."""
    stem = make_divisible(32 * width_mult)
    blocks, cin, current, rate = [], stem, 2, 1
    for t, c, n, s in STAGES:
        cout = make_divisible(int(c * width_mult))
        for i in range(n):
            stride = s if i == 0 else 1
            dil = rate
            if stride > 1 and current >= output_stride:
                rate *= stride
                stride = 1
            else:
                current *= stride
            exp = cin if t == 1 else cin * t
            blocks.append((cin, exp, cout, t, stride, dil, stride == 1 and cin == cout))
            cin = cout
    return stem, blocks


def relu6(x):
    return torch.clamp(x, 0.0, 6.0)


def _bn(c, spec):
    return nn.BatchNorm2d(c, eps=spec['bnEps'], momentum=spec['bnMomentum'])


class InvertedResidual(nn.Module):
    def __init__(self, cin, exp, cout, t, stride, dil, residual, spec):
        super().__init__()
        self.residual = residual
        self.has_expand = t != 1
        if self.has_expand:
            self.expand = nn.Conv2d(cin, exp, 1, bias=False)
            self.expand_bn = _bn(exp, spec)
        self.depthwise = nn.Conv2d(exp, exp, 3, stride=stride, padding=dil, dilation=dil, groups=exp, bias=False)
        self.depthwise_bn = _bn(exp, spec)
        self.project = nn.Conv2d(exp, cout, 1, bias=False)
        self.project_bn = _bn(cout, spec)

    def forward(self, x):
        y = relu6(self.expand_bn(self.expand(x))) if self.has_expand else x
        y = relu6(self.depthwise_bn(self.depthwise(y)))
        y = self.project_bn(self.project(y))
        return x + y if self.residual else y


class Encoder(nn.Module):
    def __init__(self, spec):
        super().__init__()
        o = spec['mobilenetv2']
        stem, blocks = plan(o['widthMult'], spec['outputStride'])
        self.conv1 = nn.Conv2d(spec['inChannels'], stem, 3, stride=2, padding=1, bias=False)
        self.bn1 = _bn(stem, spec)
        self.blocks = nn.ModuleList([InvertedResidual(*b, spec) for b in blocks])
        self.channels = blocks[-1][2]
        self.low_channels = blocks[LOW_LEVEL_BLOCK][2]

    def forward(self, x):
        y = relu6(self.bn1(self.conv1(x)))
        low = None
        for i, b in enumerate(self.blocks):
            y = b(y)
            if i == LOW_LEVEL_BLOCK:
                low = y
        return y, low


class Separable(nn.Module):
    def __init__(self, cin, cout, dil, spec):
        super().__init__()
        self.depthwise = nn.Conv2d(cin, cin, 3, padding=dil, dilation=dil, groups=cin, bias=False)
        self.depthwise_bn = _bn(cin, spec)
        self.pointwise = nn.Conv2d(cin, cout, 1, bias=False)
        self.pointwise_bn = _bn(cout, spec)

    def forward(self, x):
        return F.relu(self.pointwise_bn(self.pointwise(F.relu(self.depthwise_bn(self.depthwise(x))))))


class ASPP(nn.Module):
    def __init__(self, cin, a, dilations, image_pooling, spec):
        super().__init__()
        self.conv0 = nn.Conv2d(cin, a, 1, bias=False)
        self.bn0 = _bn(a, spec)
        self.n_sep = len(dilations)
        for k, d in enumerate(dilations):
            setattr(self, f'sep{k + 1}', Separable(cin, a, d, spec))
        self.image_pooling = image_pooling
        if image_pooling:
            self.pool = nn.Conv2d(cin, a, 1, bias=True)
        n = 1 + len(dilations) + (1 if image_pooling else 0)
        self.project = nn.Conv2d(n * a, a, 1, bias=False)
        self.project_bn = _bn(a, spec)

    def forward(self, f):
        out = [F.relu(self.bn0(self.conv0(f)))]
        out += [getattr(self, f'sep{k + 1}')(f) for k in range(self.n_sep)]
        if self.image_pooling:
            p = F.relu(self.pool(f.mean(dim=(2, 3), keepdim=True)))
            out.append(p.expand(-1, -1, f.shape[2], f.shape[3]))
        return F.relu(self.project_bn(self.project(torch.cat(out, 1))))


class Decoder(nn.Module):
    def __init__(self, low_c, a, o, spec):
        super().__init__()
        self.low = nn.Conv2d(low_c, o['lowLevelChannels'], 1, bias=False)
        self.low_bn = _bn(o['lowLevelChannels'], spec)
        self.sep1 = Separable(a + o['lowLevelChannels'], o['decoderChannels'], 1, spec)
        self.sep2 = Separable(o['decoderChannels'], o['decoderChannels'], 1, spec)

    def forward(self, aspp, low):
        low = F.relu(self.low_bn(self.low(low)))
        up = F.interpolate(aspp, size=low.shape[2:], mode='bilinear', align_corners=True)
        return self.sep2(self.sep1(torch.cat([up, low], 1)))


class MobileNetV2DeepLab(BnModeMixin, nn.Module):
    """Returns (logits at stride 4, features = the classifier's input, logits upsampled or None)."""
    def __init__(self, spec):
        super().__init__()
        self.spec = spec
        o = spec['mobilenetv2']
        self.encoder = Encoder(spec)
        self.aspp = ASPP(self.encoder.channels, o['asppChannels'], spec['asppDilations'], o['imagePooling'], spec)
        self.decoder = Decoder(self.encoder.low_channels, o['asppChannels'], o, spec)
        setattr(self, spec['headName'], nn.Conv2d(o['decoderChannels'], spec['numClasses'], 1, bias=True))
        self.feature_channels = o['decoderChannels']
        self.set_bn_mode()

    def forward(self, x):
        f, low = self.encoder(x)
        feats = self.decoder(self.aspp(f), low)
        logits = getattr(self, self.spec['headName'])(feats)
        full = None
        if self.spec['upsampleLogits']:
            full = F.interpolate(logits, size=x.shape[2:], mode='bilinear', align_corners=True)
        return logits, feats, full

    def param_groups(self):
        enc = {id(p) for p in self.encoder.parameters()}
        bb = [p for p in self.parameters() if p.requires_grad and id(p) in enc]
        hd = [p for p in self.parameters() if p.requires_grad and id(p) not in enc]
        return bb, hd


def build_model(spec):
    """The engine's DeepLab for a spec: the ResNet DeepLab-v2 (models.DeepLab) or this network."""
    if spec.get('encoder') == 'mobilenetv2':
        return MobileNetV2DeepLab(spec)
    from models import DeepLab
    return DeepLab(spec)
