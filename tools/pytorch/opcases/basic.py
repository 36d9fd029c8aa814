"""Cases for the core ops written with the engine skeleton: Add, ReduceSum."""
import numpy as np
import torch
from opgrad_fixtures import Inp, rnd


def cases():
    return base() + more()


def base():
    return [
        dict(op='Add', name='add_broadcast', inputs=[Inp(rnd(2, 3, 4, seed=1)), Inp(rnd(3, 1, seed=2))],
             fn=lambda x: [x[0] + x[1]]),
        dict(op='ReduceSum', name='reducesum_axes_keep', attrs={'keepdims': {'kind': 'int', 'value': 1}},
             inputs=[Inp(rnd(2, 3, 4, seed=3)), Inp(np.array([0, 2]), 'int64', False)],
             fn=lambda x: [x[0].sum(dim=(0, 2), keepdim=True)]),
        dict(op='ReduceSum', name='reducesum_all_nokeep', attrs={'keepdims': {'kind': 'int', 'value': 0}},
             inputs=[Inp(rnd(2, 3, seed=4)), None],
             fn=lambda x: [x[0].sum()]),
    ]


def more():
    return [
        dict(op='Mul', name='mul_broadcast', inputs=[Inp(rnd(2, 1, 4, seed=5)), Inp(rnd(3, 4, seed=6))],
             fn=lambda x: [x[0] * x[1]]),
        dict(op='Sum', name='sum_three', inputs=[Inp(rnd(2, 3, seed=7)), Inp(rnd(3, seed=8)), Inp(rnd(2, 1, seed=9))],
             fn=lambda x: [x[0] + x[1] + x[2]]),
    ]
