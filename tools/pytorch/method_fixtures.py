"""Reference values for the STvM method pieces, written as small JSON fixtures:
- Proxy-Anchor loss and its gradients by pytorch-metric-learning's ProxyAnchorLoss (an
  independent implementation), float64;
- the three reliability variants by torch ops.
Usage: python tools/pytorch/method_fixtures.py   (needs pytorch-metric-learning)
"""
import json, os
import numpy as np
import torch
import torch.nn.functional as F
from pytorch_metric_learning.losses import ProxyAnchorLoss

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'method')


def enc(a):
    a = np.asarray(a)
    return {'shape': list(a.shape), 'data': [float(x) for x in a.reshape(-1)]}


def proxy_anchor():
    rng = np.random.default_rng(7)
    M, D, C = 48, 8, 5
    emb = rng.normal(size=(M, D)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    emb = emb.astype(np.float32)
    prox = rng.normal(size=(C, D)).astype(np.float32)
    labels = rng.integers(0, C - 1, size=M)  # class C-1 absent: no positives for its proxy
    valid = (rng.uniform(size=M) > 0.2).astype(np.float32)  # subsampled locations
    cases = []
    for alpha, delta in [(32.0, 0.1), (8.0, 0.3)]:
        e = torch.tensor(emb.astype(np.float64), requires_grad=True)
        loss_fn = ProxyAnchorLoss(num_classes=C, embedding_size=D, margin=delta, alpha=alpha).double()
        with torch.no_grad():
            loss_fn.proxies.copy_(torch.tensor(prox.astype(np.float64)))
        keep = torch.tensor(valid > 0)
        loss = loss_fn(e[keep], torch.tensor(labels)[keep])
        ge, gp = torch.autograd.grad(loss, [e, loss_fn.proxies])
        cases.append({'alpha': alpha, 'delta': delta, 'loss': float(loss), 'grad_emb': enc(ge.numpy()), 'grad_proxies': enc(gp.numpy())})
    onehot = np.eye(C, dtype=np.float32)[labels]
    return {'emb': enc(emb), 'proxies': enc(prox), 'labels': [int(x) for x in labels], 'onehot': enc(onehot),
            'valid': enc(valid.reshape(M, 1)), 'cases': cases}


def reliability():
    rng = np.random.default_rng(11)
    P, C = 30, 6
    sim = rng.uniform(-1, 1, size=(P, C)).astype(np.float32)
    labels = rng.integers(0, C, size=P)
    labels[3] = 255
    s = torch.tensor(sim.astype(np.float64))
    lab = torch.tensor(np.where(labels == 255, 0, labels))
    beta = 32.0
    post = F.softmax(beta * s, dim=1).gather(1, lab[:, None])[:, 0]
    cos = s.gather(1, lab[:, None])[:, 0].clamp(min=0)
    hard = (s.argmax(1) == lab).double()
    none = torch.tensor(labels == 255)
    out = {}
    for k, v in [('proxy-posterior', post), ('clipped-cosine', cos), ('hard-agreement', hard)]:
        v = v.clone()
        v[none] = 0
        out[k] = [float(x) for x in v]
    return {'sim': enc(sim), 'labels': [int(x) for x in labels], 'beta': beta, 'expected': out}


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    for name, fn in [('proxy_anchor', proxy_anchor), ('reliability', reliability)]:
        with open(os.path.join(OUT, f'{name}.json'), 'w') as f:
            json.dump(fn(), f, separators=(',', ':'))
    print('wrote method fixtures to', os.path.normpath(OUT))
