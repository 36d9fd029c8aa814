"""Cases for the linear layers: Conv, Gemm, MatMul, BatchNormalization (eval and train),
LayerNormalization, Pad.
All case names start with lin_ (regenerate with: python3 tools/pytorch/opgrad_fixtures.py --only lin_).

ONNX → PyTorch mapping used here:
  Conv pads [top, left, bottom, right]  = F.pad(x, (left, right, top, bottom)) then conv2d(padding=0)
  Gemm                                  = alpha * A'.mm(B') + beta * C
  BatchNormalization training_mode=1    = F.batch_norm(training=True) for Y; running stats with
      PyTorch's update (momentum_torch = 1 − momentum_onnx, UNBIASED batch variance), written out
      differentiably and checked against F.batch_norm's own in-place update
  LayerNormalization axis a             = F.layer_norm(x, x.shape[a:], scale, bias, eps) for Y; with the
      Mean / InvStdDev outputs written out differentiably (mean, 1/sqrt(population var + eps))
      and Y checked against F.layer_norm (regenerate with --only lin_layernorm)
  Pad pads [b_1..b_r, e_1..e_r]         = F.pad(x, (b_r, e_r, ..., b_1, e_1)); reflect / edge =
      F.pad mode 'reflect' / 'replicate'; constant value v = F.pad(x − v, pads) + v (so dv is checked)
"""
import numpy as np
import torch
import torch.nn.functional as F
from opgrad_fixtures import Inp, rnd


def ints(v):
    return {'kind': 'ints', 'value': list(v)}


def i(v):
    return {'kind': 'int', 'value': v}


def f(v):
    return {'kind': 'float', 'value': v}


def cases():
    return conv() + gemm() + matmul() + batchnorm() + layernorm() + pad()


# ---------------------------------------------------------------- Conv
def conv_case(name, xs, ws, bias=True, strides=(1, 1), dil=(1, 1), pads=(0, 0, 0, 0), group=1, xgrad=True, seed=0):
    attrs = {}
    if strides != (1, 1):
        attrs['strides'] = ints(strides)
    if dil != (1, 1):
        attrs['dilations'] = ints(dil)
    if any(pads):
        attrs['pads'] = ints(pads)
    if group != 1:
        attrs['group'] = i(group)
    attrs['kernel_shape'] = ints(ws[2:])
    inputs = [Inp(rnd(*xs, seed=seed), grad=xgrad), Inp(rnd(*ws, seed=seed + 1))]
    if bias:
        inputs.append(Inp(rnd(ws[0], seed=seed + 2)))
    t, l, b, r = pads

    def fn(x):
        xp = F.pad(x[0], (l, r, t, b))
        return [F.conv2d(xp, x[1], x[2] if bias else None, stride=strides, dilation=dil, groups=group)]
    return dict(op='Conv', name=name, attrs=attrs, inputs=inputs, fn=fn)


def conv():
    return [
        conv_case('lin_conv_s1_pad1_bias', (2, 3, 6, 5), (4, 3, 3, 3), pads=(1, 1, 1, 1), seed=10),
        conv_case('lin_conv_s2_asym_nobias', (2, 3, 7, 6), (4, 3, 3, 2), bias=False, strides=(2, 2), pads=(1, 0, 2, 1), seed=20),
        conv_case('lin_conv_dil2_asym', (1, 2, 8, 7), (3, 2, 3, 3), dil=(2, 2), pads=(2, 1, 1, 2), seed=30),
        conv_case('lin_conv_s21_dil12', (2, 2, 7, 8), (3, 2, 2, 3), strides=(2, 1), dil=(1, 2), pads=(0, 2, 1, 0), seed=40),
        conv_case('lin_conv_s3_k2_outpad', (1, 2, 9, 8), (2, 2, 2, 2), strides=(3, 3), seed=50),
        conv_case('lin_conv_s1_bigpad', (1, 2, 5, 5), (3, 2, 3, 3), pads=(3, 0, 0, 3), seed=60),
        conv_case('lin_conv_1x1', (2, 4, 3, 3), (5, 4, 1, 1), seed=70),
        conv_case('lin_conv_1x1_s2_nobias', (2, 4, 5, 5), (3, 4, 1, 1), bias=False, strides=(2, 2), seed=80),
        conv_case('lin_conv_first_layer_no_dx', (2, 3, 8, 8), (4, 3, 3, 3), strides=(2, 2), pads=(1, 1, 1, 1), xgrad=False, seed=90),
        conv_case('lin_conv_depthwise_s1', (2, 3, 6, 6), (3, 1, 3, 3), pads=(1, 1, 1, 1), group=3, seed=100),
        conv_case('lin_conv_depthwise_s2_dil2', (2, 4, 9, 8), (4, 1, 3, 3), bias=False, strides=(2, 2), dil=(2, 2), pads=(2, 1, 2, 2), group=4, seed=110),
    ]


# ---------------------------------------------------------------- Gemm
def gemm_case(name, a_shape, b_shape, c_shape, ta=0, tb=0, alpha=1.0, beta=1.0, seed=0):
    attrs = {}
    if ta:
        attrs['transA'] = i(1)
    if tb:
        attrs['transB'] = i(1)
    if alpha != 1.0:
        attrs['alpha'] = f(alpha)
    if beta != 1.0:
        attrs['beta'] = f(beta)
    inputs = [Inp(rnd(*a_shape, seed=seed)), Inp(rnd(*b_shape, seed=seed + 1))]
    if c_shape is not None:
        inputs.append(Inp(rnd(*c_shape, seed=seed + 2)))

    def fn(x):
        a = x[0].t() if ta else x[0]
        b = x[1].t() if tb else x[1]
        y = alpha * a.mm(b)
        return [y + beta * x[2] if c_shape is not None else y]
    return dict(op='Gemm', name=name, attrs=attrs, inputs=inputs, fn=fn)


def gemm():
    return [
        gemm_case('lin_gemm_plain_rowbias', (3, 4), (4, 5), (5,), alpha=0.5, beta=2.0, seed=200),
        gemm_case('lin_gemm_transA_colbias', (4, 3), (4, 5), (3, 1), ta=1, beta=0.25, seed=210),
        gemm_case('lin_gemm_transB_scalarC', (3, 4), (5, 4), (), tb=1, alpha=-1.5, seed=220),
        gemm_case('lin_gemm_transAB_fullC', (4, 3), (5, 4), (3, 5), ta=1, tb=1, alpha=1.5, beta=0.7, seed=230),
        gemm_case('lin_gemm_noC', (2, 6), (6, 3), None, seed=240),
    ]


# ---------------------------------------------------------------- MatMul
def mm_case(name, a_shape, b_shape, seed):
    return dict(op='MatMul', name=name, inputs=[Inp(rnd(*a_shape, seed=seed)), Inp(rnd(*b_shape, seed=seed + 1))],
                fn=lambda x: [torch.matmul(x[0], x[1])])


def matmul():
    return [
        mm_case('lin_matmul_2d', (3, 4), (4, 5), 300),
        mm_case('lin_matmul_batched_broadcast', (2, 1, 3, 4), (3, 4, 5), 310),
        mm_case('lin_matmul_3d_by_2d', (2, 3, 4), (4, 5), 320),
        mm_case('lin_matmul_2d_by_3d', (3, 4), (2, 4, 5), 330),
        mm_case('lin_matmul_1d_by_3d', (4,), (2, 4, 3), 340),
        mm_case('lin_matmul_3d_by_1d', (2, 3, 4), (4,), 350),
        mm_case('lin_matmul_1d_by_1d', (4,), (4,), 360),
    ]


# ---------------------------------------------------------------- BatchNormalization
def bn_eval_case(name, xs, eps=1e-5, seed=0):
    c = xs[1]
    inputs = [Inp(rnd(*xs, seed=seed, lo=-2, hi=2)), Inp(rnd(c, seed=seed + 1, lo=0.5, hi=1.5)), Inp(rnd(c, seed=seed + 2)),
              Inp(rnd(c, seed=seed + 3)), Inp(rnd(c, seed=seed + 4, lo=0.5, hi=2.0))]
    view = [1, c] + [1] * (len(xs) - 2)

    def fn(x):
        xx, s, b, m, v = x
        y = (xx - m.view(view)) / torch.sqrt(v.view(view) + eps) * s.view(view) + b.view(view)
        ref = F.batch_norm(xx.detach(), m.detach(), v.detach(), s.detach(), b.detach(), training=False, eps=eps)
        assert torch.allclose(y.detach(), ref, atol=1e-10)
        return [y]
    return dict(op='BatchNormalization', name=name, attrs={'epsilon': f(eps), 'training_mode': i(0)}, inputs=inputs, fn=fn)


def bn_train_case(name, xs, momentum=0.9, eps=1e-5, upstream=None, seed=0):
    c = xs[1]
    axes = [a for a in range(len(xs)) if a != 1]
    n = int(np.prod(xs)) // c
    inputs = [Inp(rnd(*xs, seed=seed, lo=-2, hi=3)), Inp(rnd(c, seed=seed + 1, lo=0.5, hi=1.5)), Inp(rnd(c, seed=seed + 2)),
              Inp(rnd(c, seed=seed + 3)), Inp(rnd(c, seed=seed + 4, lo=0.5, hi=2.0))]

    def fn(x):
        xx, s, b, rm, rv = x
        y = F.batch_norm(xx, None, None, s, b, training=True, eps=eps)
        mean = xx.mean(dim=axes)
        var_unbiased = xx.var(dim=axes, unbiased=True)
        rm_new = momentum * rm + (1 - momentum) * mean
        rv_new = momentum * rv + (1 - momentum) * var_unbiased
        # PyTorch's own running-stat update must agree with the differentiable form above
        rm_t, rv_t = rm.detach().clone(), rv.detach().clone()
        F.batch_norm(xx.detach(), rm_t, rv_t, s.detach(), b.detach(), training=True, momentum=1 - momentum, eps=eps)
        assert torch.allclose(rm_t, rm_new.detach(), atol=1e-12) and torch.allclose(rv_t, rv_new.detach(), atol=1e-12)
        assert n == xx.numel() // c
        return [y, rm_new, rv_new]
    attrs = {'epsilon': f(eps), 'momentum': f(momentum), 'training_mode': i(1)}
    d = dict(op='BatchNormalization', name=name, attrs=attrs, inputs=inputs, fn=fn)
    if upstream is not None:
        d['upstream'] = upstream
    return d


def batchnorm():
    return [
        bn_eval_case('lin_batchnorm_eval', (2, 3, 4, 5), seed=400),
        bn_eval_case('lin_batchnorm_eval_2d', (5, 4), eps=1e-3, seed=410),
        bn_train_case('lin_batchnorm_train_all_outputs', (3, 4, 3, 2), momentum=0.8, seed=420),
        bn_train_case('lin_batchnorm_train_y_only', (2, 3, 4, 4), upstream=[True, False, False], seed=430),
        bn_train_case('lin_batchnorm_train_2d', (6, 4), momentum=0.9, eps=1e-3, upstream=[True, False, False], seed=440),
    ]


# ---------------------------------------------------------------- LayerNormalization
def ln_case(name, xs, axis=-1, eps=1e-5, bias=True, stats=False, upstream=None, scale_grad=True, seed=0):
    a = axis % len(xs)
    ns = tuple(xs[a:])
    inputs = [Inp(rnd(*xs, seed=seed, lo=-2, hi=2)), Inp(rnd(*ns, seed=seed + 1, lo=0.5, hi=1.5), grad=scale_grad)]
    if bias:
        inputs.append(Inp(rnd(*ns, seed=seed + 2)))
    dims = tuple(range(a, len(xs)))

    def fn(x):
        b = x[2] if bias else None
        ref = F.layer_norm(x[0], ns, x[1], b, eps)
        if not stats:
            return [ref]
        mu = x[0].mean(dim=dims, keepdim=True)
        var = ((x[0] - mu) ** 2).mean(dim=dims, keepdim=True)
        inv = 1.0 / torch.sqrt(var + eps)
        y = (x[0] - mu) * inv * x[1] + (b if b is not None else 0.0)
        assert torch.allclose(y, ref, atol=1e-12), 'written-out LayerNormalization differs from F.layer_norm'
        return [y, mu, inv]
    attrs = {'axis': i(axis), 'epsilon': f(eps)}
    d = dict(op='LayerNormalization', name=name, attrs=attrs, inputs=inputs, fn=fn)
    if upstream is not None:
        d['upstream'] = upstream
    return d


def layernorm():
    return [
        ln_case('lin_layernorm_last_axis', (2, 3, 8), seed=600),
        ln_case('lin_layernorm_axis1_nobias', (2, 3, 4, 5), axis=1, eps=1e-3, bias=False, seed=610),
        ln_case('lin_layernorm_axis0_all', (3, 4), axis=0, seed=620),
        ln_case('lin_layernorm_neg_axis_frozen_scale', (4, 3, 6), axis=-2, scale_grad=False, seed=630),
        ln_case('lin_layernorm_all_outputs', (4, 2, 6), axis=2, stats=True, seed=640),
        ln_case('lin_layernorm_stats_only', (3, 2, 5), axis=1, stats=True, upstream=[False, True, True], seed=650),
    ]


# ---------------------------------------------------------------- Pad
def torch_pads(pads):
    r = len(pads) // 2
    out = []
    for a in reversed(range(r)):
        out += [pads[a], pads[r + a]]
    while len(out) > 2 and out[-1] == 0 and out[-2] == 0:  # reflect/replicate take only the padded trailing axes
        out = out[:-2]
    return tuple(out)


def pad_case(name, xs, pads, mode='constant', value=None, seed=0):
    inputs = [Inp(rnd(*xs, seed=seed)), Inp(np.array(pads), 'int64', False)]
    if value is not None:
        inputs.append(Inp(np.array(value, dtype=np.float32)))
    tp = torch_pads(pads)
    attrs = {} if mode == 'constant' else {'mode': {'kind': 'string', 'value': mode}}

    def fn(x):
        if mode != 'constant':
            return [F.pad(x[0], tp, mode={'reflect': 'reflect', 'edge': 'replicate'}[mode])]
        if value is None:
            return [F.pad(x[0], tp)]
        return [F.pad(x[0] - x[2], tp) + x[2]]
    return dict(op='Pad', name=name, attrs=attrs, inputs=inputs, fn=fn)


def pad():
    return [
        pad_case('lin_pad_constant_value', (2, 3, 4), [0, 1, 2, 1, 0, 1], value=0.5, seed=500),
        pad_case('lin_pad_constant_zero', (1, 2, 3, 4), [0, 0, 1, 2, 0, 0, 2, 0], seed=510),
        pad_case('lin_pad_constant_negative_mixed', (2, 5, 6), [0, -1, 2, 0, 1, -2], value=-0.25, seed=520),
        pad_case('lin_pad_constant_crop_only', (2, 5, 6), [0, -1, -2, -1, 0, -1], seed=530),
        pad_case('lin_pad_reflect', (1, 2, 4, 5), [0, 0, 2, 1, 0, 0, 1, 3], mode='reflect', seed=540),
        pad_case('lin_pad_edge', (1, 2, 4, 5), [0, 0, 3, 0, 0, 0, 1, 2], mode='edge', seed=550),
    ]
