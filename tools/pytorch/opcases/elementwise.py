"""Cases for element-wise ops and reductions (prefix ew_): Sub, Div, Relu, LeakyRelu, Sigmoid,
Tanh, Clip, Exp, Log, Sqrt, Pow, Neg, Reciprocal, Abs, Where, Identity, Cast, Max, Min, Mean,
ReduceMean, ReduceMax, ReduceL2, ReduceSumSquare, HardSwish, HardSigmoid, Erf.

HardSwish / HardSigmoid cases (regenerate with --only ew_hard) put inputs exactly on the kinks, so
the fixtures pin PyTorch's subgradients there: hardswish_backward gives 0 at x = -3 and 1 at x = 3,
hardsigmoid_backward gives 0 at both clip points (open interval). HardSigmoid with other alpha/beta
is written as F.hardsigmoid(6 * (alpha * x + beta - 0.5)), which is clamp(alpha * x + beta, 0, 1)
with hardsigmoid's subgradient (torch.clamp's own is the closed interval, which torch.onnx never
exports as HardSigmoid); alpha/beta are dyadic so the kinks land exactly on +-3 in float64."""
import numpy as np
import torch
import torch.nn.functional as F
from opgrad_fixtures import Inp, rnd


def I(v):
    return {'kind': 'int', 'value': v}


def FL(v):
    return {'kind': 'float', 'value': v}


def INTS(v):
    return {'kind': 'ints', 'value': list(v)}


def signed(*shape, seed, lo=0.5, hi=1.5):
    """Values with |v| in [lo, hi] and random sign (kept away from 0)."""
    r = np.random.default_rng(seed)
    return (r.uniform(lo, hi, size=shape) * r.choice([-1.0, 1.0], size=shape)).astype(np.float32)


def f32(*v):
    return np.array(v, dtype=np.float32)


def cases():
    return binaries() + unaries() + clip_pow() + reductions() + hard_erf()


def binaries():
    return [
        dict(op='Sub', name='ew_sub_broadcast', inputs=[Inp(rnd(2, 3, 4, seed=11)), Inp(rnd(3, 1, seed=12))],
             fn=lambda x: [x[0] - x[1]]),
        dict(op='Sub', name='ew_sub_lhs_broadcast', inputs=[Inp(rnd(4, seed=13)), Inp(rnd(2, 1, 4, seed=14))],
             fn=lambda x: [x[0] - x[1]]),
        dict(op='Div', name='ew_div_broadcast', inputs=[Inp(rnd(2, 3, 4, seed=15)), Inp(signed(1, 3, 1, seed=16))],
             fn=lambda x: [x[0] / x[1]]),
        dict(op='Div', name='ew_div_const_divisor', inputs=[Inp(rnd(3, 4, seed=17)), Inp(signed(4, seed=18), grad=False)],
             fn=lambda x: [x[0] / x[1]]),
        dict(op='Max', name='ew_max_broadcast', inputs=[Inp(rnd(2, 3, seed=19)), Inp(rnd(3, seed=20))],
             fn=lambda x: [torch.maximum(x[0], x[1])]),
        dict(op='Max', name='ew_max_ties', inputs=[Inp(f32(0.5, -0.25, 1.0, 0.75, -1.0, 0.125).reshape(2, 3)),
                                                   Inp(f32(0.5, 0.25, -1.0, 0.75, -2.0, 0.125).reshape(2, 3))],
             fn=lambda x: [torch.maximum(x[0], x[1])]),
        dict(op='Min', name='ew_min_broadcast', inputs=[Inp(rnd(2, 1, 3, seed=21)), Inp(rnd(4, 1, seed=22))],
             fn=lambda x: [torch.minimum(x[0], x[1])]),
        dict(op='Min', name='ew_min_ties', inputs=[Inp(f32(0.5, -0.25, 1.0, 0.75)), Inp(f32(0.5, 0.25, -1.0, 0.75))],
             fn=lambda x: [torch.minimum(x[0], x[1])]),
        dict(op='Mean', name='ew_mean_three', inputs=[Inp(rnd(2, 3, seed=23)), Inp(rnd(3, seed=24)), Inp(rnd(2, 1, seed=25))],
             fn=lambda x: [(x[0] + x[1] + x[2]) / 3.0]),
        dict(op='Where', name='ew_where_broadcast',
             inputs=[Inp(np.array([[True, False, True], [False, False, True]]), 'bool', False),
                     Inp(rnd(2, 3, seed=26)), Inp(rnd(3, seed=27))],
             fn=lambda x: [torch.where(x[0], x[1], x[2])]),
        dict(op='Where', name='ew_where_cond_broadcast',
             inputs=[Inp(np.array([True, False, True, False]), 'bool', False), Inp(rnd(3, 1, seed=28)), Inp(rnd(3, 4, seed=29))],
             fn=lambda x: [torch.where(x[0], x[1], x[2])]),
    ]


def unaries():
    return [
        dict(op='Relu', name='ew_relu', inputs=[Inp(signed(3, 4, seed=31, lo=0.01, hi=1.0))], fn=lambda x: [torch.relu(x[0])]),
        dict(op='LeakyRelu', name='ew_leakyrelu_alpha', attrs={'alpha': FL(0.2)},
             inputs=[Inp(signed(3, 4, seed=32, lo=0.01, hi=1.0))], fn=lambda x: [F.leaky_relu(x[0], 0.2)]),
        dict(op='LeakyRelu', name='ew_leakyrelu_default', inputs=[Inp(signed(2, 5, seed=33, lo=0.01, hi=1.0))],
             fn=lambda x: [F.leaky_relu(x[0], 0.01)]),
        dict(op='Sigmoid', name='ew_sigmoid', inputs=[Inp(rnd(3, 4, seed=34, lo=-3, hi=3))], fn=lambda x: [torch.sigmoid(x[0])]),
        dict(op='Tanh', name='ew_tanh', inputs=[Inp(rnd(3, 4, seed=35, lo=-2, hi=2))], fn=lambda x: [torch.tanh(x[0])]),
        dict(op='Exp', name='ew_exp', inputs=[Inp(rnd(3, 4, seed=36, lo=-2, hi=2))], fn=lambda x: [torch.exp(x[0])]),
        dict(op='Log', name='ew_log', inputs=[Inp(rnd(3, 4, seed=37, lo=0.2, hi=3))], fn=lambda x: [torch.log(x[0])]),
        dict(op='Sqrt', name='ew_sqrt', inputs=[Inp(rnd(3, 4, seed=38, lo=0.2, hi=3))], fn=lambda x: [torch.sqrt(x[0])]),
        dict(op='Neg', name='ew_neg', inputs=[Inp(rnd(2, 3, seed=39))], fn=lambda x: [-x[0]]),
        dict(op='Reciprocal', name='ew_reciprocal', inputs=[Inp(signed(2, 3, seed=40))], fn=lambda x: [torch.reciprocal(x[0])]),
        dict(op='Abs', name='ew_abs', inputs=[Inp(signed(2, 3, seed=41, lo=0.01, hi=1.0))], fn=lambda x: [torch.abs(x[0])]),
        dict(op='Identity', name='ew_identity', inputs=[Inp(rnd(2, 3, seed=42))], fn=lambda x: [x[0].clone()]),
        dict(op='Cast', name='ew_cast_float', attrs={'to': I(1)}, inputs=[Inp(rnd(2, 3, seed=43))],
             fn=lambda x: [x[0].to(torch.float64)]),
    ]


def clip_pow():
    x = rnd(3, 4, seed=51)
    return [
        dict(op='Clip', name='ew_clip_both', inputs=[Inp(x), Inp(f32(-0.3).reshape(()), grad=False), Inp(f32(0.4).reshape(()), grad=False)],
             fn=lambda t: [torch.clamp(t[0], -0.3, 0.4)]),
        dict(op='Clip', name='ew_clip_min_only', inputs=[Inp(x), Inp(f32(-0.3).reshape(()), grad=False)],
             fn=lambda t: [torch.clamp(t[0], min=-0.3)]),
        dict(op='Clip', name='ew_clip_max_only', inputs=[Inp(x), None, Inp(f32(0.25).reshape(()), grad=False)],
             fn=lambda t: [torch.clamp(t[0], max=0.25)]),
        dict(op='Clip', name='ew_clip_none', inputs=[Inp(x)], fn=lambda t: [t[0].clone()]),
        dict(op='Clip', name='ew_clip_bound_grads', inputs=[Inp(x), Inp(f32(-0.3).reshape(())), Inp(f32(0.4).reshape(()))],
             fn=lambda t: [torch.clamp(t[0], t[1], t[2])]),
        dict(op='Pow', name='ew_pow_const_cube', inputs=[Inp(rnd(3, 4, seed=52)), Inp(f32(3.0).reshape(()), grad=False)],
             fn=lambda t: [torch.pow(t[0], 3.0)]),
        dict(op='Pow', name='ew_pow_const_square', inputs=[Inp(rnd(3, 4, seed=53)), Inp(f32(2.0).reshape(()), grad=False)],
             fn=lambda t: [torch.pow(t[0], 2.0)]),
        dict(op='Pow', name='ew_pow_const_half', inputs=[Inp(rnd(3, 4, seed=54, lo=0.2, hi=2)), Inp(f32(0.5).reshape(()), grad=False)],
             fn=lambda t: [torch.pow(t[0], 0.5)]),
        dict(op='Pow', name='ew_pow_const_vector', inputs=[Inp(rnd(2, 3, seed=55, lo=0.2, hi=2)), Inp(f32(2.5, 0.0, -1.5), grad=False)],
             fn=lambda t: [torch.pow(t[0], t[1])]),
        dict(op='Pow', name='ew_pow_tensor_both', inputs=[Inp(rnd(2, 3, 1, seed=56, lo=0.3, hi=2)), Inp(rnd(4, seed=57, lo=-2, hi=2))],
             fn=lambda t: [torch.pow(t[0], t[1])]),
        dict(op='Pow', name='ew_pow_zero_base', inputs=[Inp(f32(0.0, 0.5, 0.0, 1.5, 2.0, 0.0).reshape(2, 3)), Inp(rnd(3, seed=58, lo=1.2, hi=2.5))],
             fn=lambda t: [torch.pow(t[0], t[1])]),
    ]


def reductions():
    ties = np.round(rnd(2, 3, 4, seed=61) * 2) / 2  # values in {-1, -0.5, 0, 0.5, 1}: many ties
    return [
        dict(op='ReduceMean', name='ew_reducemean_keep', attrs={'axes': INTS([0, 2]), 'keepdims': I(1)},
             inputs=[Inp(rnd(2, 3, 4, seed=62))], fn=lambda x: [x[0].mean(dim=(0, 2), keepdim=True)]),
        dict(op='ReduceMean', name='ew_reducemean_nokeep_neg', attrs={'axes': INTS([-1]), 'keepdims': I(0)},
             inputs=[Inp(rnd(2, 3, 4, seed=63))], fn=lambda x: [x[0].mean(dim=-1)]),
        dict(op='ReduceMean', name='ew_reducemean_all', attrs={'keepdims': I(0)},
             inputs=[Inp(rnd(3, 4, seed=64))], fn=lambda x: [x[0].mean()]),
        dict(op='ReduceMax', name='ew_reducemax_keep', attrs={'axes': INTS([1]), 'keepdims': I(1)},
             inputs=[Inp(rnd(2, 3, 4, seed=65))], fn=lambda x: [torch.amax(x[0], dim=1, keepdim=True)]),
        dict(op='ReduceMax', name='ew_reducemax_ties_nokeep', attrs={'axes': INTS([1, 2]), 'keepdims': I(0)},
             inputs=[Inp(ties.astype(np.float32))], fn=lambda x: [torch.amax(x[0], dim=(1, 2))]),
        dict(op='ReduceMax', name='ew_reducemax_all_ties', attrs={'keepdims': I(1)},
             inputs=[Inp(ties.astype(np.float32))], fn=lambda x: [torch.amax(x[0], dim=(0, 1, 2), keepdim=True)]),
        dict(op='ReduceL2', name='ew_reducel2_keep', attrs={'axes': INTS([2]), 'keepdims': I(1)},
             inputs=[Inp(rnd(2, 3, 4, seed=66))], fn=lambda x: [torch.linalg.vector_norm(x[0], 2, dim=2, keepdim=True)]),
        dict(op='ReduceL2', name='ew_reducel2_nokeep', attrs={'axes': INTS([0, -1]), 'keepdims': I(0)},
             inputs=[Inp(rnd(2, 3, 4, seed=67))], fn=lambda x: [torch.linalg.vector_norm(x[0], 2, dim=(0, 2))]),
        dict(op='ReduceSumSquare', name='ew_reducesumsquare_keep', attrs={'axes': INTS([1]), 'keepdims': I(1)},
             inputs=[Inp(rnd(2, 3, 4, seed=68))], fn=lambda x: [(x[0] * x[0]).sum(dim=1, keepdim=True)]),
        dict(op='ReduceSumSquare', name='ew_reducesumsquare_all', attrs={'keepdims': I(0)},
             inputs=[Inp(rnd(3, 4, seed=69))], fn=lambda x: [(x[0] * x[0]).sum()]),
    ]


def with_kinks(values, *kinks):
    """values (float32) with its first entries replaced by each kink k and k -+ 0.25."""
    v = values.reshape(-1).copy()
    pts = []
    for k in kinks:
        pts += [k, k - 0.25, k + 0.25]
    v[:len(pts)] = np.array(pts, dtype=np.float32)
    return v.reshape(values.shape)


def hardsigmoid_ref(alpha, beta):
    return lambda x: [F.hardsigmoid(6.0 * (alpha * x[0] + beta - 0.5))]


def hard_erf():
    return [
        dict(op='HardSwish', name='ew_hardswish', inputs=[Inp(with_kinks(rnd(4, 5, seed=71, lo=-5, hi=5), -3.0, 3.0))],
             fn=lambda x: [F.hardswish(x[0])]),
        dict(op='HardSwish', name='ew_hardswish_inner', inputs=[Inp(rnd(2, 3, 4, seed=72, lo=-3.5, hi=3.5))],
             fn=lambda x: [F.hardswish(x[0])]),
        # what torch.onnx exports for F.hardsigmoid / nn.Hardsigmoid: alpha = 1/6 (float32), beta left at 0.5
        dict(op='HardSigmoid', name='ew_hardsigmoid_torch', attrs={'alpha': FL(float(np.float32(1 / 6)))},
             inputs=[Inp(with_kinks(rnd(4, 5, seed=73, lo=-5, hi=5), -3.0, 3.0))], fn=lambda x: [F.hardsigmoid(x[0])]),
        # ONNX defaults alpha = 0.2, beta = 0.5 (clip points +-2.5, kept away from: 0.2 is not dyadic)
        dict(op='HardSigmoid', name='ew_hardsigmoid_onnx_default',
             inputs=[Inp(np.where(np.abs(np.abs(v := rnd(3, 4, seed=74, lo=-4, hi=4)) - 2.5) < 0.05, 0.0, v).astype(np.float32))],
             fn=hardsigmoid_ref(0.2, 0.5)),
        dict(op='HardSigmoid', name='ew_hardsigmoid_alpha_beta', attrs={'alpha': FL(0.25), 'beta': FL(0.25)},
             inputs=[Inp(with_kinks(rnd(3, 5, seed=75, lo=-3, hi=5), -1.0, 3.0))], fn=hardsigmoid_ref(0.25, 0.25)),
        dict(op='HardSigmoid', name='ew_hardsigmoid_negative_alpha', attrs={'alpha': FL(-0.5), 'beta': FL(0.75)},
             inputs=[Inp(with_kinks(rnd(3, 5, seed=76, lo=-2, hi=3), -0.5, 1.5))], fn=hardsigmoid_ref(-0.5, 0.75)),
        dict(op='Erf', name='ew_erf', inputs=[Inp(rnd(3, 4, seed=77, lo=-2.5, hi=2.5))], fn=lambda x: [torch.erf(x[0])]),
    ]
