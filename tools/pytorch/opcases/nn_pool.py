"""Cases for pooling / resizing / softmax / dropout gradient rules: MaxPool, AveragePool,
GlobalAveragePool, Resize, Softmax, LogSoftmax, Dropout (eval mode; training mode is checked in
test/engine/nn-pool.test.ts since torch's random mask cannot be reproduced).

Every case name starts with 'nnpool_' (regenerate with --only nnpool_).
Cases whose name contains '_lastwin' (ceil_mode where the last-window rule drops a window) or
'_f32shape' (Resize scales where float32 rounding of in*scale gives a larger size) are not
returned by cases(): onnxruntime's load-time ONNX shape inference gives those outputs another
shape than its kernel and refuses the graphs at optimisation levels >= basic, so the generic
harness cannot load them; run this file as a script to write them to test/fixtures/nn-pool/,
where test/engine/nn-pool.test.ts runs them unoptimised and through the model helpers
maxPoolWithIndices / averagePool / resize.
ONNX pads are [begin per spatial axis..., end per spatial axis...]; F.pad takes (W_left, W_right,
H_top, H_bottom). Asymmetric pads are written as an explicit F.pad before the PyTorch pool.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # for running as a script
import numpy as np
import torch
import torch.nn.functional as F
from opgrad_fixtures import Inp, rnd


def I(v):
    return {'kind': 'int', 'value': int(v)}


def Is(v):
    return {'kind': 'ints', 'value': [int(x) for x in v]}


def S(v):
    return {'kind': 'string', 'value': v}


def all_cases():
    return maxpool() + avgpool() + globalavg() + resize() + softmax() + dropout()


def _separate(c):
    return '_lastwin' in c['name'] or '_f32shape' in c['name']


def cases():
    return [c for c in all_cases() if not _separate(c)]


def separate_cases():
    return [c for c in all_cases() if _separate(c)]


# ---------------------------------------------------------------- MaxPool

def _flat_indices(idx, x):
    """PyTorch's per-plane indices → onnxruntime's indices, flat over N·C·spatial."""
    n, c = x.shape[:2]
    plane = int(np.prod(x.shape[2:]))
    off = (torch.arange(n * c, dtype=torch.int64) * plane).reshape((n, c) + (1,) * (idx.dim() - 2))
    return idx + off


def maxpool():
    out = []

    def mp(name, shape, seed, k, s, p=None, ceil=0, dil=None, indices=False, torch_pad=None):
        nd = len(shape) - 2
        attrs = {'kernel_shape': Is(k), 'strides': Is(s)}
        if p is not None:
            attrs['pads'] = Is(p)
        if ceil:
            attrs['ceil_mode'] = I(1)
        if dil is not None:
            attrs['dilations'] = Is(dil)

        def fn(x, k=k, s=s, p=p, ceil=ceil, dil=dil, indices=indices, torch_pad=torch_pad, nd=nd):
            xi = x[0]
            pad = 0
            if torch_pad is not None:
                xi = F.pad(xi, torch_pad, value=float('-inf'))
            elif p is not None:
                pad = tuple(p[:nd])
            pool = F.max_pool1d if nd == 1 else F.max_pool2d
            y, idx = pool(xi, tuple(k), tuple(s), pad, dilation=tuple(dil) if dil else 1, ceil_mode=bool(ceil), return_indices=True)
            return [y, _flat_indices(idx, x[0])] if indices else [y]
        out.append(dict(op='MaxPool', name=name, attrs=attrs, inputs=[Inp(rnd(*shape, seed=seed))], fn=fn))

    mp('nnpool_maxpool_k3s2', (2, 3, 7, 9), 11, [3, 3], [2, 2])
    mp('nnpool_maxpool_k3s2p1_ceil_idx', (2, 3, 7, 9), 12, [3, 3], [2, 2], [1, 1, 1, 1], ceil=1, indices=True)
    mp('nnpool_maxpool_k2s3_ceil_lastwin', (2, 2, 7, 9), 13, [2, 2], [3, 3], ceil=1, indices=True)
    mp('nnpool_maxpool_k4s3p2_ceil_lastwin', (1, 3, 7, 9), 14, [4, 4], [3, 3], [2, 2, 2, 2], ceil=1)
    mp('nnpool_maxpool_k3s1_overlap', (1, 2, 6, 7), 15, [3, 3], [1, 1], [1, 1, 1, 1])
    mp('nnpool_maxpool_k2s2', (2, 3, 8, 6), 16, [2, 2], [2, 2], indices=True)
    mp('nnpool_maxpool_dil2_ceil', (1, 2, 9, 8), 17, [3, 3], [2, 2], [1, 1, 1, 1], ceil=1, dil=[2, 2], indices=True)
    # asymmetric pads: H top 0 / bottom 1, W left 1 / right 1
    mp('nnpool_maxpool_rect_asympad', (2, 2, 7, 9), 18, [2, 3], [1, 2], [0, 1, 1, 1], torch_pad=(1, 1, 0, 1))
    mp('nnpool_maxpool_1d_ceil', (2, 3, 11), 19, [3], [2], [1, 1], ceil=1, indices=True)
    return out


# ---------------------------------------------------------------- AveragePool

def avgpool():
    out = []

    def ap(name, shape, seed, k, s, p=None, ceil=0, cip=0):
        nd = len(shape) - 2
        attrs = {'kernel_shape': Is(k), 'strides': Is(s), 'count_include_pad': I(cip)}
        if p is not None:
            attrs['pads'] = Is(p)
        if ceil:
            attrs['ceil_mode'] = I(1)
        symmetric = p is None or list(p[:nd]) == list(p[nd:])

        def fn(x, k=k, s=s, p=p, ceil=ceil, cip=cip, nd=nd, symmetric=symmetric):
            if symmetric:
                pool = F.avg_pool1d if nd == 1 else F.avg_pool2d
                pad = tuple(p[:nd]) if p is not None else 0
                return [pool(x[0], tuple(k), tuple(s), pad, ceil_mode=bool(ceil), count_include_pad=bool(cip))]
            # asymmetric pads (2-D, ceil_mode 0): window sums over the zero-padded input, divided
            # by the window size (cip=1) or by the number of real pixels in it (cip=0)
            tp = (p[1], p[3], p[0], p[2])
            xp = F.pad(x[0], tp)
            ones = F.pad(torch.ones_like(x[0]), tp)
            tot = F.avg_pool2d(xp, tuple(k), tuple(s), 0, divisor_override=1)
            cnt = F.avg_pool2d(ones, tuple(k), tuple(s), 0, divisor_override=1)
            return [tot / cnt if not cip else tot / float(np.prod(k))]
        out.append(dict(op='AveragePool', name=name, attrs=attrs, inputs=[Inp(rnd(*shape, seed=seed))], fn=fn))

    ap('nnpool_avgpool_k3s2p1_excl', (2, 3, 7, 9), 21, [3, 3], [2, 2], [1, 1, 1, 1], cip=0)
    ap('nnpool_avgpool_k3s2p1_incl_ceil', (2, 3, 7, 9), 22, [3, 3], [2, 2], [1, 1, 1, 1], ceil=1, cip=1)
    ap('nnpool_avgpool_k2s2_ceil_excl', (2, 2, 7, 9), 23, [2, 2], [2, 2], ceil=1, cip=0)
    ap('nnpool_avgpool_k2s2_ceil_incl', (2, 2, 7, 9), 24, [2, 2], [2, 2], ceil=1, cip=1)
    ap('nnpool_avgpool_k3s3p1_ceil_excl_lastwin', (1, 3, 7, 8), 25, [3, 3], [3, 3], [1, 1, 1, 1], ceil=1, cip=0)
    ap('nnpool_avgpool_k2s3_ceil_lastwin', (1, 2, 7, 9), 26, [2, 2], [3, 3], ceil=1, cip=1)
    ap('nnpool_avgpool_k2s2_uniform', (2, 3, 8, 6), 27, [2, 2], [2, 2])
    ap('nnpool_avgpool_rect_asympad_excl', (2, 2, 7, 9), 28, [2, 3], [2, 2], [0, 1, 1, 2], cip=0)
    ap('nnpool_avgpool_rect_asympad_incl', (2, 2, 7, 9), 29, [2, 3], [2, 2], [0, 1, 1, 2], cip=1)
    ap('nnpool_avgpool_1d_ceil_incl', (2, 3, 11), 30, [3], [2], [1, 1], ceil=1, cip=1)
    return out


def globalavg():
    return [
        dict(op='GlobalAveragePool', name='nnpool_globalavgpool_2d', inputs=[Inp(rnd(2, 3, 7, 9, seed=31))],
             fn=lambda x: [x[0].mean(dim=(2, 3), keepdim=True)]),
        dict(op='GlobalAveragePool', name='nnpool_globalavgpool_1d', inputs=[Inp(rnd(1, 4, 5, seed=32))],
             fn=lambda x: [x[0].mean(dim=2, keepdim=True)]),
    ]


# ---------------------------------------------------------------- Resize

def resize():
    out = []

    def rs(name, shape, seed, mode, ctm, scales=None, sizes=None, nearest=None):
        attrs = {'mode': S(mode), 'coordinate_transformation_mode': S(ctm)}
        if nearest is not None:
            attrs['nearest_mode'] = S(nearest)
        ins = [Inp(rnd(*shape, seed=seed)), None]
        ins += [Inp(np.array(scales, dtype=np.float32), 'float32', False)] if scales is not None else [None]
        if sizes is not None:
            ins.append(Inp(np.array(sizes, dtype=np.int64), 'int64', False))

        def fn(x, mode=mode, ctm=ctm, scales=scales, sizes=sizes):
            kw = {}
            if mode == 'linear':
                kw['mode'] = 'bilinear' if len(shape) == 4 else 'linear'
                kw['align_corners'] = ctm == 'align_corners'
            else:
                kw['mode'] = 'nearest'
            if scales is not None:
                kw['scale_factor'] = tuple(float(v) for v in scales[2:])
            else:
                kw['size'] = tuple(sizes[2:])
            return [F.interpolate(x[0], **kw)]
        out.append(dict(op='Resize', name=name, attrs=attrs, inputs=ins, fn=fn))

    rs('nnpool_resize_linear_hp_x2', (1, 2, 7, 9), 41, 'linear', 'half_pixel', scales=[1, 1, 2, 2])
    rs('nnpool_resize_linear_hp_half', (2, 2, 7, 9), 42, 'linear', 'half_pixel', scales=[1, 1, 0.5, 0.5])
    rs('nnpool_resize_linear_hp_sizes', (2, 2, 5, 6), 43, 'linear', 'half_pixel', sizes=[2, 2, 8, 4])
    rs('nnpool_resize_linear_hp_mixed', (1, 3, 6, 8), 44, 'linear', 'half_pixel', scales=[1, 1, 1.5, 0.75])
    rs('nnpool_resize_linear_ac_sizes', (2, 2, 5, 6), 45, 'linear', 'align_corners', sizes=[2, 2, 8, 4])
    rs('nnpool_resize_linear_ac_x2', (1, 2, 7, 9), 46, 'linear', 'align_corners', scales=[1, 1, 2, 2])
    rs('nnpool_resize_linear_hp_rowonly', (1, 2, 5, 6), 47, 'linear', 'half_pixel', sizes=[1, 2, 8, 6])
    # 10 * 0.7f and 10 * 1.3f round to 7 and 13 in float32 (the kernel), floor to 6 and 12 in float64 (ONNX)
    rs('nnpool_resize_linear_hp_f32shape', (1, 2, 10, 10), 48, 'linear', 'half_pixel', scales=[1, 1, 0.7, 1.3])
    rs('nnpool_resize_nearest_f32shape', (1, 2, 10, 10), 56, 'nearest', 'asymmetric', scales=[1, 1, 0.7, 1.3], nearest='floor')
    rs('nnpool_resize_nearest_x2', (1, 2, 7, 9), 51, 'nearest', 'asymmetric', scales=[1, 1, 2, 2], nearest='floor')
    rs('nnpool_resize_nearest_half', (2, 2, 7, 9), 52, 'nearest', 'asymmetric', scales=[1, 1, 0.5, 0.5], nearest='floor')
    rs('nnpool_resize_nearest_sizes', (2, 2, 5, 6), 53, 'nearest', 'asymmetric', sizes=[2, 2, 8, 4], nearest='floor')
    rs('nnpool_resize_nearest_x3w', (1, 2, 4, 5), 54, 'nearest', 'asymmetric', scales=[1, 1, 1, 3], nearest='floor')
    rs('nnpool_resize_nearest_mixed', (1, 2, 7, 9), 55, 'nearest', 'asymmetric', sizes=[1, 2, 14, 4], nearest='floor')
    return out


# ---------------------------------------------------------------- Softmax / LogSoftmax

def softmax():
    out = []
    for op, f in (('Softmax', torch.softmax), ('LogSoftmax', torch.log_softmax)):
        low = op.lower()
        out.append(dict(op=op, name=f'nnpool_{low}_axis1', attrs={'axis': I(1)}, inputs=[Inp(rnd(2, 5, 3, 4, seed=61, lo=-3, hi=3))],
                        fn=lambda x, f=f: [f(x[0], dim=1)]))
        out.append(dict(op=op, name=f'nnpool_{low}_default', inputs=[Inp(rnd(3, 7, seed=62, lo=-3, hi=3))],
                        fn=lambda x, f=f: [f(x[0], dim=-1)]))
        out.append(dict(op=op, name=f'nnpool_{low}_axisneg2', attrs={'axis': I(-2)}, inputs=[Inp(rnd(2, 6, 3, seed=63, lo=-3, hi=3))],
                        fn=lambda x, f=f: [f(x[0], dim=-2)]))
    return out


# ---------------------------------------------------------------- Dropout (eval mode)

def dropout():
    return [
        dict(op='Dropout', name='nnpool_dropout_eval_mask',
             inputs=[Inp(rnd(2, 3, 4, seed=71)), Inp(np.array(0.3, dtype=np.float32), 'float32', False),
                     Inp(np.array(False), 'bool', False)],
             fn=lambda x: [x[0] * 1.0, torch.ones(x[0].shape, dtype=torch.bool)]),
        dict(op='Dropout', name='nnpool_dropout_eval_default', inputs=[Inp(rnd(3, 5, seed=72))],
             fn=lambda x: [F.dropout(x[0], 0.5, training=False)]),
    ]


if __name__ == '__main__':
    import json
    here = os.path.dirname(os.path.abspath(__file__))
    from opgrad_fixtures import build
    out = os.path.join(here, '..', '..', '..', 'test', 'fixtures', 'nn-pool')
    os.makedirs(out, exist_ok=True)
    cs = separate_cases()
    for c in cs:
        with open(os.path.join(out, c['name'] + '.json'), 'w') as f:
            json.dump(build(c), f, separators=(',', ':'))
    print(f'wrote {len(cs)} fixtures to {os.path.normpath(out)}')
