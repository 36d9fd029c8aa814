"""A SegFormer-B0-like segmentation transformer (Xie et al., NeurIPS 2021), written for the
reference-model tests of the bring-your-own-model path (tools/pytorch/export_reference_models.py).

Written from the paper's description (no code copied from another repository):

- **Mix Transformer encoder (MiT-B0)**: four stages at strides 4, 8, 16, 32 with widths
  32, 64, 160, 256, two blocks each, 1, 2, 5, 8 heads, spatial-reduction ratios 8, 4, 2, 1.
  Each stage starts with an *overlapping patch embedding* (Conv 7x7 stride 4 padding 3 for the
  first stage, 3x3 stride 2 padding 1 after; then LayerNorm over channels) and ends with a
  LayerNorm. A block is pre-norm:
      x = x + Attention(LN(x)),   x = x + MixFFN(LN(x)).
  *Efficient self-attention*: queries from every token; keys/values from the map reduced by a
  Conv kernel = stride = R (R > 1) followed by a LayerNorm; softmax(q kᵀ / sqrt(d)) v per head;
  a Linear projection. *Mix-FFN*: Linear C→4C, depthwise 3x3 Conv on the token map, GELU,
  Linear 4C→C.
- **All-MLP decoder**: each stage's tokens through a Linear to 256 channels, upsampled
  bilinearly to the stride-4 map, concatenated (deepest first), fused by a 1x1 Conv + ReLU,
  then a 1x1 classifier Conv; the logits are upsampled bilinearly to the input size.

Deviations from the published SegFormer, on purpose:
- no dropout / drop-path (they would make the training-mode export random);
- the fuse step is Conv(bias) + ReLU, without the published head's BatchNorm, so the model has
  **no BatchNorm at all** (LayerNorm only): it is the BN-free reference model, on which AdaBN and
  TENT must refuse to run and STvM must say that there is no BN to freeze.

Shapes (input [N,3,H,W]): stage i tokens [N, h_i*w_i, C_i] with h_1 = ceil(H/4) (the
stride-4 conv), h_{i+1} = ceil(h_i/2); decoder map [N,256,h_1,w_1]; output [N,K,H,W].
About 3.7 M parameters with K = 11. Works for any H, W (no divisibility needed).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

DIMS = (32, 64, 160, 256)
DEPTHS = (2, 2, 2, 2)
HEADS = (1, 2, 5, 8)
SR = (8, 4, 2, 1)
MLP_RATIO = 4
DECODER_DIM = 256


class PatchEmbed(nn.Module):
    """Overlapping patch embedding: Conv(k, stride s, padding k//2) then LayerNorm; returns tokens [N,hw,C], h, w."""

    def __init__(self, cin, cout, k, s):
        super().__init__()
        self.proj = nn.Conv2d(cin, cout, k, stride=s, padding=k // 2)
        self.norm = nn.LayerNorm(cout)

    def forward(self, x):
        x = self.proj(x)
        h, w = x.shape[2], x.shape[3]
        return self.norm(x.flatten(2).transpose(1, 2)), h, w


class EfficientAttention(nn.Module):
    """Multi-head self-attention whose keys/values come from the map reduced by ratio `sr`."""

    def __init__(self, dim, heads, sr):
        super().__init__()
        self.heads = heads
        self.scale = 1.0 / math.sqrt(dim // heads)
        self.q = nn.Linear(dim, dim)
        self.kv = nn.Linear(dim, 2 * dim)
        self.proj = nn.Linear(dim, dim)
        self.sr_ratio = sr
        if sr > 1:
            self.sr = nn.Conv2d(dim, dim, sr, stride=sr)
            self.norm = nn.LayerNorm(dim)

    def forward(self, x, h, w):
        n, t, c = x.shape
        d = c // self.heads
        q = self.q(x).reshape(n, t, self.heads, d).transpose(1, 2)                # [N,heads,t,d]
        if self.sr_ratio > 1:
            m = x.transpose(1, 2).reshape(n, c, h, w)
            kv_in = self.norm(self.sr(m).flatten(2).transpose(1, 2))            # [N,t',C]
        else:
            kv_in = x
        kv = self.kv(kv_in).reshape(n, -1, 2, self.heads, d).permute(2, 0, 3, 1, 4)  # [2,N,heads,t',d]
        k, v = kv[0], kv[1]
        a = torch.softmax((q @ k.transpose(-2, -1)) * self.scale, dim=-1)         # [N,heads,t,t']
        y = (a @ v).transpose(1, 2).reshape(n, t, c)
        return self.proj(y)


class MixFFN(nn.Module):
    """Linear C→4C, depthwise 3x3 Conv on the token map, GELU, Linear 4C→C."""

    def __init__(self, dim, ratio):
        super().__init__()
        hid = dim * ratio
        self.fc1 = nn.Linear(dim, hid)
        self.dwconv = nn.Conv2d(hid, hid, 3, padding=1, groups=hid)
        self.fc2 = nn.Linear(hid, dim)

    def forward(self, x, h, w):
        n, t, _ = x.shape
        x = self.fc1(x)
        c = x.shape[2]
        x = self.dwconv(x.transpose(1, 2).reshape(n, c, h, w)).flatten(2).transpose(1, 2)
        return self.fc2(F.gelu(x))


class Block(nn.Module):
    def __init__(self, dim, heads, sr):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = EfficientAttention(dim, heads, sr)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = MixFFN(dim, MLP_RATIO)

    def forward(self, x, h, w):
        x = x + self.attn(self.norm1(x), h, w)
        return x + self.mlp(self.norm2(x), h, w)


class Stage(nn.Module):
    def __init__(self, cin, dim, k, s, depth, heads, sr):
        super().__init__()
        self.embed = PatchEmbed(cin, dim, k, s)
        self.blocks = nn.ModuleList([Block(dim, heads, sr) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        x, h, w = self.embed(x)
        for b in self.blocks:
            x = b(x, h, w)
        x = self.norm(x)
        return x.transpose(1, 2).reshape(x.shape[0], -1, h, w)                   # [N,C,h,w]


class SegFormerB0(nn.Module):
    """MiT-B0 encoder + all-MLP decoder (see the module doc); forward(x [N,3,H,W]) -> logits [N,K,H,W]."""

    def __init__(self, num_classes=11):
        super().__init__()
        cins = (3,) + DIMS[:-1]
        self.stages = nn.ModuleList([
            Stage(cins[i], DIMS[i], 7 if i == 0 else 3, 4 if i == 0 else 2, DEPTHS[i], HEADS[i], SR[i]) for i in range(4)])
        self.linear_c = nn.ModuleList([nn.Linear(c, DECODER_DIM) for c in DIMS])
        self.fuse = nn.Conv2d(4 * DECODER_DIM, DECODER_DIM, 1)
        self.classifier = nn.Conv2d(DECODER_DIM, num_classes, 1)
        self.apply(self._init)

    @staticmethod
    def _init(m):
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=0.02)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Conv2d):
            fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels // m.groups
            nn.init.normal_(m.weight, 0.0, math.sqrt(2.0 / fan_out))
            if m.bias is not None:
                nn.init.zeros_(m.bias)

    def forward(self, x):
        feats = []
        h = x
        for s in self.stages:
            h = s(h)
            feats.append(h)
        size = feats[0].shape[2:]
        ups = []
        for f, lin in zip(feats, self.linear_c):
            n, _, fh, fw = f.shape
            y = lin(f.flatten(2).transpose(1, 2)).transpose(1, 2).reshape(n, DECODER_DIM, fh, fw)
            ups.append(F.interpolate(y, size=size, mode='bilinear', align_corners=False))
        y = F.relu(self.fuse(torch.cat(ups[::-1], dim=1)))
        y = self.classifier(y)
        return F.interpolate(y, size=x.shape[2:], mode='bilinear', align_corners=False)
