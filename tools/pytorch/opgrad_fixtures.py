"""Writes one JSON fixture per gradient-rule test case: inputs, forward outputs and input
gradients computed by PyTorch autograd in float64 (the independent reference).

Each case module in opcases/ exposes cases() -> list of dicts:
  op:     ONNX op type
  name:   case name (file name)
  attrs:  {name: {"kind": "int"|"float"|"ints"|"floats"|"string", "value": ...}}
  inputs: list of Inp(...) or None (an omitted optional ONNX input)
  fn:     callable(list of torch tensors or None) -> list of torch outputs (float64), in ONNX output order
  upstream: optional list of booleans: which outputs receive a random upstream gradient (default: all float outputs)

The loss is L = sum_k sum(Y_k * G_k) with random G_k, so dL/dY_k = G_k.
Usage: python tools/pytorch/opgrad_fixtures.py [--only NAME_SUBSTRING]
"""
import argparse, importlib, json, os, pkgutil, sys
from dataclasses import dataclass
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', '..', 'test', 'fixtures', 'ops')


@dataclass
class Inp:
    value: np.ndarray          # values (rounded to float32 for float inputs)
    dtype: str = 'float32'     # engine dtype: float32 | int64 | bool
    grad: bool = True          # whether d/d(input) is checked (float inputs only)


def rnd(*shape, seed=0, lo=-1.0, hi=1.0):
    r = np.random.default_rng(seed)
    return (r.uniform(lo, hi, size=shape)).astype(np.float32)


def _enc(a):
    a = np.asarray(a)
    return {'shape': list(a.shape), 'data': [float(x) if a.dtype.kind == 'f' else int(x) for x in a.reshape(-1)]}


def build(case, seed=1234):
    ins = []
    for inp in case['inputs']:
        if inp is None:
            ins.append(None)
            continue
        if inp.dtype == 'float32':
            t = torch.tensor(np.asarray(inp.value, dtype=np.float32).astype(np.float64), requires_grad=inp.grad)
        elif inp.dtype == 'bool':
            t = torch.tensor(np.asarray(inp.value, dtype=bool))
        else:
            t = torch.tensor(np.asarray(inp.value, dtype=np.int64))
        ins.append(t)
    outs = case['fn'](ins)
    rng = np.random.default_rng(seed)
    ups = case.get('upstream') or [o.is_floating_point() for o in outs]
    loss = torch.zeros((), dtype=torch.float64)
    gs = []
    for o, u in zip(outs, ups):
        if u:
            g = torch.tensor(rng.uniform(-1, 1, size=tuple(o.shape)))
            loss = loss + (o * g).sum()
            gs.append(g)
        else:
            gs.append(None)
    grads = [None] * len(ins)
    want = [i for i, t in enumerate(ins) if t is not None and t.requires_grad]
    if want and loss.requires_grad:
        gr = torch.autograd.grad(loss, [ins[i] for i in want], allow_unused=True)
        for i, gi in zip(want, gr):
            grads[i] = torch.zeros_like(ins[i]) if gi is None else gi
    return {
        'op': case['op'], 'name': case['name'], 'attrs': case.get('attrs', {}),
        'tolerance': case.get('tolerance', 1e-4),
        'inputs': [None if inp is None else {'dtype': inp.dtype, 'grad': inp.grad and inp.dtype == 'float32', **_enc(inp.value)} for inp in case['inputs']],
        'outputs': [{'dtype': 'float32' if o.is_floating_point() else ('bool' if o.dtype == torch.bool else 'int64'), **_enc(o.detach().numpy())} for o in outs],
        'check_outputs': case.get('check_outputs', [True] * len(outs)),
        'upstream': [None if g is None else _enc(g.numpy()) for g in gs],
        'grads': [None if g is None else _enc(g.detach().numpy()) for g in grads],
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--only', default='')
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    sys.path.insert(0, HERE)
    import opcases
    n = 0
    for mod in pkgutil.iter_modules(opcases.__path__):
        m = importlib.import_module(f'opcases.{mod.name}')
        for case in m.cases():
            if args.only and args.only not in case['name']:
                continue
            fx = build(case)
            with open(os.path.join(OUT, f"{case['name']}.json"), 'w') as f:
                json.dump(fx, f, separators=(',', ':'))
            n += 1
    print(f'wrote {n} fixtures to {os.path.normpath(OUT)}')


if __name__ == '__main__':
    main()
