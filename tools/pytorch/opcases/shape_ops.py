"""Cases for tensor-shape ops (prefix shp_): Concat, Split, Slice, Reshape, Flatten, Transpose,
Squeeze, Unsqueeze, Expand, Gather. Index arithmetic in the references uses Python's own slice
semantics (slice.indices) and torch indexing, not the engine's code."""
import numpy as np
import torch
from opgrad_fixtures import Inp, rnd


def I(v):
    return {'kind': 'int', 'value': v}


def INTS(v):
    return {'kind': 'ints', 'value': list(v)}


def ints(*v):
    return Inp(np.array(v, dtype=np.int64), 'int64', False)


def slice_ref(x, starts, ends, axes=None, steps=None):
    axes = axes if axes is not None else list(range(len(starts)))
    steps = steps if steps is not None else [1] * len(starts)
    for s, e, a, st in zip(starts, ends, axes, steps):
        idx = list(range(*slice(s, e, st).indices(x.shape[a])))
        x = x.index_select(a, torch.tensor(idx, dtype=torch.int64))
    return x


def slice_case(name, shape, seed, starts, ends, axes=None, steps=None):
    ins = [Inp(rnd(*shape, seed=seed)), ints(*starts), ints(*ends)]
    if axes is not None or steps is not None:
        ins.append(ints(*axes) if axes is not None else None)
    if steps is not None:
        ins.append(ints(*steps))
    return dict(op='Slice', name=name, inputs=ins, fn=lambda x: [slice_ref(x[0], starts, ends, axes, steps)])


def cases():
    return concat_split() + slices() + reshapes() + gathers()


def concat_split():
    return [
        dict(op='Concat', name='shp_concat_axis1', attrs={'axis': I(1)},
             inputs=[Inp(rnd(2, 1, 3, seed=101)), Inp(rnd(2, 3, 3, seed=102)), Inp(rnd(2, 2, 3, seed=103))],
             fn=lambda x: [torch.cat(x, dim=1)]),
        dict(op='Concat', name='shp_concat_neg_axis_const', attrs={'axis': I(-1)},
             inputs=[Inp(rnd(2, 3, seed=104)), Inp(rnd(2, 2, seed=105), grad=False)],
             fn=lambda x: [torch.cat(x, dim=-1)]),
        dict(op='Split', name='shp_split_unequal', attrs={'axis': I(1)},
             inputs=[Inp(rnd(2, 6, 2, seed=106)), ints(1, 3, 2)],
             fn=lambda x: list(torch.split(x[0], [1, 3, 2], dim=1))),
        dict(op='Split', name='shp_split_equal_default', inputs=[Inp(rnd(4, 3, seed=107))],
             fn=lambda x: list(torch.split(x[0], 2, dim=0))),
        dict(op='Split', name='shp_split_partial_upstream', attrs={'axis': I(-1)},
             inputs=[Inp(rnd(2, 6, seed=108)), ints(2, 1, 3)], upstream=[True, False, True],
             fn=lambda x: list(torch.split(x[0], [2, 1, 3], dim=-1))),
    ]


def slices():
    return [
        slice_case('shp_slice_basic', (4, 5), 111, [1], [3], [1]),
        slice_case('shp_slice_neg_start', (3, 6), 112, [-4], [6], [1]),
        slice_case('shp_slice_end_beyond', (5, 4), 113, [2, 1], [100, 3]),
        slice_case('shp_slice_step2', (3, 7), 114, [1], [7], [-1], [2]),
        slice_case('shp_slice_step3_multi', (7, 8, 2), 115, [0, 1], [7, 100], [0, 1], [3, 2]),
        slice_case('shp_slice_step2_tail', (2, 6), 116, [0], [5], [1], [2]),
        slice_case('shp_slice_neg_step', (3, 6), 117, [-1], [-100], [1], [-1]),
        slice_case('shp_slice_neg_step2', (2, 7, 3), 118, [5, 2], [0, -100], [1, 2], [-2, -1]),
        slice_case('shp_slice_int_max', (2, 5), 119, [2], [2**40], [1], [1]),
    ]


def reshapes():
    return [
        dict(op='Reshape', name='shp_reshape_minus1_zero', inputs=[Inp(rnd(2, 3, 4, seed=121)), ints(0, -1, 2)],
             fn=lambda x: [x[0].reshape(2, 6, 2)]),
        dict(op='Flatten', name='shp_flatten_axis2', attrs={'axis': I(2)}, inputs=[Inp(rnd(2, 3, 2, 2, seed=122))],
             fn=lambda x: [x[0].reshape(6, 4)]),
        dict(op='Flatten', name='shp_flatten_axis0', attrs={'axis': I(0)}, inputs=[Inp(rnd(2, 3, seed=123))],
             fn=lambda x: [x[0].reshape(1, 6)]),
        dict(op='Transpose', name='shp_transpose_perm', attrs={'perm': INTS([2, 0, 1])}, inputs=[Inp(rnd(2, 3, 4, seed=124))],
             fn=lambda x: [x[0].permute(2, 0, 1)]),
        dict(op='Transpose', name='shp_transpose_default', inputs=[Inp(rnd(2, 3, 4, seed=125))],
             fn=lambda x: [x[0].permute(2, 1, 0)]),
        dict(op='Squeeze', name='shp_squeeze_neg_axis', inputs=[Inp(rnd(2, 1, 3, 1, seed=126)), ints(-1)],
             fn=lambda x: [x[0].squeeze(-1)]),
        dict(op='Squeeze', name='shp_squeeze_all', inputs=[Inp(rnd(1, 3, 1, seed=127))],
             fn=lambda x: [x[0].squeeze()]),
        dict(op='Unsqueeze', name='shp_unsqueeze_neg_axes', inputs=[Inp(rnd(2, 3, seed=128)), ints(0, -1)],
             fn=lambda x: [x[0].unsqueeze(0).unsqueeze(-1)]),
        dict(op='Expand', name='shp_expand_prepend', inputs=[Inp(rnd(3, 1, seed=129)), ints(2, 3, 4)],
             fn=lambda x: [x[0].expand(2, 3, 4)]),
        dict(op='Expand', name='shp_expand_bidirectional', inputs=[Inp(rnd(2, 1, 4, seed=130)), ints(3, 1)],
             fn=lambda x: [torch.broadcast_to(x[0], (2, 3, 4))]),
    ]


def gathers():
    return [
        dict(op='Gather', name='shp_gather_axis1_2d', attrs={'axis': I(1)},
             inputs=[Inp(rnd(2, 5, 3, seed=131)), Inp(np.array([[0, 4], [-1, 2], [0, 0]], dtype=np.int64), 'int64', False)],
             fn=lambda x: [x[0][:, x[1]]]),
        dict(op='Gather', name='shp_gather_axis0_dup', inputs=[Inp(rnd(4, 3, seed=132)), ints(3, 1, 3)],
             fn=lambda x: [x[0][x[1]]]),
        dict(op='Gather', name='shp_gather_scalar_last', attrs={'axis': I(-1)},
             inputs=[Inp(rnd(2, 3, 4, seed=133)), Inp(np.array(2, dtype=np.int64), 'int64', False)],
             fn=lambda x: [x[0][..., 2]]),
    ]
