"""An independent PyTorch implementation of one whole STvM iteration, and of the student's
information-maximisation loss, as fixtures for test/method/stvm-iteration-torch.test.ts.

  python3 tools/pytorch/stvm_iteration.py        (needs torch, numpy, pytorch-metric-learning)

Writes to test/fixtures/method/:
  im_loss.json         random logits [2,5,4,6]; L_ent = mean_i H(p_i), L_div = sum_c pbar_c log pbar_c
                       and the gradient of lam_ent*L_ent + lam_div*L_div w.r.t. the logits
                       (float64 autograd, two (lam_ent, lam_div) settings).
  stvm_iteration.json  one STvM iteration on a tiny DeepLab (tools/pytorch/models.py) with
                       train-mode BN (stvm.bn.mode 'train', statsFrom 'unmixed'), everything in
                       float64, from weights drawn here (stored in the fixture):
    1. teacher forward (eval-mode BN): labels at the feature grid and at the crop (argmax),
       confidence q = max softmax of the upsampled logits, encoder features f;
    2. metric step: e = MetricHead(f) (train-mode BN), Proxy-Anchor loss by
       pytorch-metric-learning on every location with the teacher's feature-grid labels,
       S = cos(e_i, p_c) before the update, one AdamW step (torch.optim.AdamW) on the head
       (lr) and the proxies (lr x proxyLrMult);
    3. reliability r = softmax_c(beta*S)[label] at the feature grid, upsampled bilinearly
       (align_corners) to the crop;
    4. a GIVEN ClassMix mask M [N,H,W]: x~_i = M_i x_i + (1-M_i) x_{i+1 mod N}, and the same for
       the pseudo-labels and the reliabilities;
    5. the student step on [x~; x]: every BN normalises both halves with the statistics of the
       un-mixed half x (a BatchNorm written here), the x half carries no loss;
       L = sum_i r~_i CE_i / (N*H*W); torch.optim.SGD (momentum, weight decay, head lr x10);
       running statistics updated (momentum 0.1, unbiased variance);
    6. the EMA with a given decay alpha: theta_t <- alpha*theta_t + (1-alpha)*theta_s for every
       convolution and every BN weight, bias, running mean and running variance.
    Also 'student_mixed_im': the student step from the same weights on x~ alone with ordinary
    train-mode BN (statsFrom 'mixed') and the information-maximisation terms added.
Floats are written with 10 significant digits.
"""
import copy, json, os, sys
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from pytorch_metric_learning.losses import ProxyAnchorLoss

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'method')
sys.path.insert(0, HERE)
from models import DeepLab, MetricHead, draw_weights  # noqa: E402

D64 = torch.float64

SPEC = {'block': 'basic', 'layers': [2, 2, 2, 2], 'widths': [4, 4, 8, 8], 'stemWidth': 4, 'inChannels': 3, 'numClasses': 4,
        'outputStride': 8, 'asppDilations': [1, 2], 'bn': 'frozen', 'bnEps': 1e-5, 'bnMomentum': 0.1, 'strideOn': 'conv2',
        'maxpoolCeil': False, 'headName': 'classifier', 'upsampleLogits': True, 'seed': 0}
N, H, W = 2, 32, 40
CFG = {
    'metric': {'hidden': 8, 'dim': 8, 'alpha': 32.0, 'delta': 0.1, 'lr': 1e-3, 'proxyLrMult': 100.0, 'weightDecay': 1e-4,
               'maxLocations': 100000, 'warmupIters': 0},
    'reliability': {'beta': 8.0},
    'student': {'lr': 0.01, 'headLrMult': 10.0, 'momentum': 0.9, 'weightDecay': 5e-4},
    'bn': {'mode': 'train', 'statsFrom': 'unmixed'},
}
EMA_ALPHA = 0.8          # the decay of version 5 after version 4: min(1 - 1/5, 0.99)
IM = {'entropy': 0.5, 'diversity': 0.3}


def r10(o):
    if isinstance(o, float):
        return float(f'{o:.10g}')
    if isinstance(o, dict):
        return {k: r10(v) for k, v in o.items()}
    if isinstance(o, list):
        return [r10(v) for v in o]
    return o


def enc(a):
    a = np.asarray(a.detach().numpy() if torch.is_tensor(a) else a, dtype=np.float64)
    return {'shape': list(a.shape), 'data': [float(x) for x in a.reshape(-1)]}


def write(name, obj):
    os.makedirs(OUT, exist_ok=True)
    p = os.path.join(OUT, name)
    with open(p, 'w') as f:
        json.dump(r10(obj), f, separators=(',', ':'))
    print(f'wrote {os.path.relpath(p, ROOT)} ({os.path.getsize(p)} bytes)')


# ---------------------------------------------------------------- information maximisation
def im_terms(z):
    """L_ent = mean over pixels of -sum_c p log p; L_div = sum_c pbar_c log(pbar_c + 1e-12)."""
    logp = F.log_softmax(z, dim=1)
    p = logp.exp()
    ent = -(p * logp).sum(1).mean()
    pbar = p.mean(dim=(0, 2, 3))
    div = (pbar * torch.log(pbar + 1e-12)).sum()
    return ent, div


def im_fixture():
    rng = np.random.default_rng(31)
    z = (rng.standard_normal((2, 5, 4, 6)) * 2).astype(np.float32)
    cases = []
    for le, ld in [(1.0, 1.0), (0.5, 0.1)]:
        zt = torch.tensor(z.astype(np.float64), requires_grad=True)
        ent, div = im_terms(zt)
        loss = le * ent + ld * div
        loss.backward()
        cases.append({'entropy_weight': le, 'diversity_weight': ld, 'entropy': float(ent.detach()), 'diversity': float(div.detach()), 'loss': float(loss.detach()), 'grad': enc(zt.grad)})
    write('im_loss.json', {'logits': enc(z), 'cases': cases})


# ---------------------------------------------------------------- the iteration
class RowStatsBN(nn.Module):
    """Train-mode BatchNorm2d whose batch statistics come from rows [r0, r0+k) of the batch and
    normalise every row (lib/engine/models/bn-rows.ts); running statistics as PyTorch."""

    def __init__(self, bn, rows):
        super().__init__()
        self.weight = nn.Parameter(bn.weight.detach().clone())
        self.bias = nn.Parameter(bn.bias.detach().clone())
        self.register_buffer('running_mean', bn.running_mean.detach().clone())
        self.register_buffer('running_var', bn.running_var.detach().clone())
        self.eps, self.momentum, self.rows = bn.eps, bn.momentum, rows

    def forward(self, x):
        r0, k = self.rows
        xr = x[r0:r0 + k]
        mu = xr.mean(dim=(0, 2, 3), keepdim=True)
        var = ((xr - mu) ** 2).mean(dim=(0, 2, 3), keepdim=True)
        n = xr.numel() / xr.shape[1]
        with torch.no_grad():
            self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mu.reshape(-1))
            self.running_var.mul_(1 - self.momentum).add_(self.momentum * var.reshape(-1) * n / (n - 1))
        y = (x - mu) / torch.sqrt(var + self.eps)
        return y * self.weight.reshape(1, -1, 1, 1) + self.bias.reshape(1, -1, 1, 1)


def replace_bn(model, rows):
    for name, mod in list(model.named_modules()):
        for cname, child in list(mod.named_children()):
            if isinstance(child, nn.BatchNorm2d):
                setattr(mod, cname, RowStatsBN(child, rows))
    return model


def draw_source_like_weights(rng, sd):
    """Weights like a trained source model: Kaiming-normal convs, a classifier with visible
    class structure, BN statistics and affine parameters away from the init."""
    out = {}
    for k, v in sd.items():
        if k.endswith('num_batches_tracked'):
            continue
        shape = tuple(v.shape)
        if k.endswith('running_var'):
            a = rng.uniform(0.5, 2.0, size=shape)
        elif k.endswith('running_mean'):
            a = rng.uniform(-0.3, 0.3, size=shape)
        elif len(shape) == 1 and ('bn' in k or 'downsample.1' in k):
            a = rng.uniform(0.5, 1.5, size=shape) if k.endswith('weight') else rng.uniform(-0.3, 0.3, size=shape)
        elif k.startswith('classifier') and k.endswith('bias'):
            a = rng.uniform(-0.5, 0.5, size=shape)
        elif k.startswith('classifier'):
            a = rng.standard_normal(shape) * 0.3
        else:
            a = rng.standard_normal(shape) * np.sqrt(2.0 / (shape[0] * shape[2] * shape[3]))
        out[k] = a.astype(np.float32)
    return out


def load(model, arrays):
    sd = model.state_dict()
    model.load_state_dict({k: (torch.tensor(arrays[k].astype(np.float64)) if k in arrays else v) for k, v in sd.items()})
    return model


def margin(z):
    """Smallest gap between the two largest values along dim 1 (labels must not flip in float32)."""
    t = torch.topk(z, 2, dim=1).values
    return float((t[:, 0] - t[:, 1]).min())


def student_step(net_arrays, x, labels, weights, groups, rows, im):
    """One student step (see the file comment); returns loss, IM terms, state, momentum buffers."""
    spec = {**SPEC, 'bn': 'train'}
    model = load(DeepLab(spec).to(D64), net_arrays)
    if rows is not None:
        replace_bn(model, rows)
    model.train()
    bb, hd = model.param_groups()
    s = CFG['student']
    opt = torch.optim.SGD([{'params': bb, 'lr': s['lr']}, {'params': hd, 'lr': s['lr'] * s['headLrMult']}],
                          lr=s['lr'], momentum=s['momentum'], weight_decay=s['weightDecay'])
    _, _, full = model(x)
    n = x.shape[0] // groups
    ce = F.cross_entropy(full, labels, ignore_index=255, reduction='none')
    valid = (labels != 255).to(D64)
    loss = 0
    for g in range(groups):
        sl = slice(g * n, (g + 1) * n)
        loss = loss + (ce[sl] * weights[sl] * valid[sl]).sum() / valid[sl].sum().clamp_min(1)
    ent = div = None
    if im is not None:
        ent, div = im_terms(full[:n])
        loss = loss + im['entropy'] * ent + im['diversity'] * div
    opt.zero_grad()
    loss.backward()
    opt.step()
    names = {id(p): k for k, p in model.named_parameters()}
    mom = {names[id(p)]: enc(st['momentum_buffer']) for p, st in opt.state.items()}
    state = {k: enc(v) for k, v in model.state_dict().items() if not k.endswith('num_batches_tracked')}
    out = {'loss': float(loss.detach()), 'state': state, 'momentum_buffer': mom}
    if ent is not None:
        out['im_entropy'], out['im_diversity'] = float(ent.detach()), float(div.detach())
    return out, model


def iteration_fixture():
    torch.set_num_threads(1)
    for seed in range(100, 200):
        rng = np.random.default_rng(seed)
        net = draw_source_like_weights(rng, DeepLab(SPEC).state_dict())
        x = rng.standard_normal((N, 3, H, W)).astype(np.float32)
        teacher = load(DeepLab(SPEC).to(D64), net).eval()
        xt = torch.tensor(x.astype(np.float64))
        with torch.no_grad():
            logits, feats, full = teacher(xt)
        if margin(logits) > 1e-4 and margin(full) > 1e-4 and len(torch.unique(logits.argmax(1))) >= 3:
            break
    else:
        raise SystemExit('no seed gave teacher labels with safe margins')
    print(f'seed {seed}: logit margins {margin(logits):.2e} (feature grid), {margin(full):.2e} (crop)')
    C = SPEC['numClasses']
    labels_feat = logits.argmax(1)                              # [N,h,w]
    labels = full.argmax(1)                                     # [N,H,W]
    confidence = F.softmax(full, 1).max(1).values
    h, w = feats.shape[2], feats.shape[3]

    # metric step
    mc = CFG['metric']
    mspec = {'inChannels': feats.shape[1], 'hidden': mc['hidden'], 'embedDim': mc['dim'], 'bn': 'train', 'bnEps': 1e-5, 'bnMomentum': 0.1,
             'prefix': 'metric', 'normEps': 1e-12, 'seed': 1}
    head = MetricHead(mspec).to(D64).train()
    mw = {'metric.' + k: a for k, a in draw_weights(head, rng).items()}
    proxies = (rng.standard_normal((C, mc['dim'])) * np.sqrt(2.0 / C)).astype(np.float32)
    loss_fn = ProxyAnchorLoss(num_classes=C, embedding_size=mc['dim'], margin=mc['delta'], alpha=mc['alpha']).to(D64)
    with torch.no_grad():
        loss_fn.proxies.copy_(torch.tensor(proxies.astype(np.float64)))
    mopt = torch.optim.AdamW([{'params': list(head.parameters()), 'lr': mc['lr']}, {'params': [loss_fn.proxies], 'lr': mc['lr'] * mc['proxyLrMult']}],
                             lr=mc['lr'], betas=(0.9, 0.999), eps=1e-8, weight_decay=mc['weightDecay'])
    f = feats.detach()
    e = head(f)                                                 # [N,D,h,w]
    E = e.permute(0, 2, 3, 1).reshape(-1, mc['dim'])            # [M,D], location-major
    ylab = labels_feat.reshape(-1)
    with torch.no_grad():
        sim = E @ F.normalize(loss_fn.proxies, dim=1).t()       # S before the update
    mloss = loss_fn(E, ylab)
    mopt.zero_grad()
    mloss.backward()
    mopt.step()
    metric_after = {'metric.' + k: enc(v) for k, v in head.state_dict().items() if not k.endswith('num_batches_tracked')}
    metric_after['metric.proxies'] = enc(loss_fn.proxies)
    pnames = {id(p): 'metric.' + k for k, p in head.named_parameters()}
    pnames[id(loss_fn.proxies)] = 'metric.proxies'
    adam = {}
    for p, st in mopt.state.items():
        adam[f'exp_avg/{pnames[id(p)]}'] = enc(st['exp_avg'])
        adam[f'exp_avg_sq/{pnames[id(p)]}'] = enc(st['exp_avg_sq'])

    # reliability at the feature grid, upsampled to the crop
    beta = CFG['reliability']['beta']
    r_feat = F.softmax(beta * sim, 1).gather(1, ylab[:, None])[:, 0].reshape(N, h, w)
    rel = F.interpolate(r_feat[:, None], size=(H, W), mode='bilinear', align_corners=True)[:, 0]

    # a given ClassMix mask: image 0 keeps a rectangle, image 1 its left 17 columns
    mask = np.zeros((N, H, W), dtype=np.float32)
    mask[0, 5:23, 8:30] = 1
    mask[1, :, :17] = 1
    Mt = torch.tensor(mask.astype(np.float64))
    nxt = [(i + 1) % N for i in range(N)]
    xmix = Mt[:, None] * xt + (1 - Mt[:, None]) * xt[nxt]
    ymix = torch.where(Mt > 0, labels, labels[nxt])
    rmix = Mt * rel + (1 - Mt) * rel[nxt]

    # the student step on [x~; x] with BN statistics from x, the x half without loss
    xs = torch.cat([xmix, xt])
    ys = torch.cat([ymix, torch.full_like(labels, 255)])
    ws = torch.cat([rmix, torch.zeros_like(rel)])
    stud, stud_model = student_step(net, xs, ys, ws, 2, (N, N), None)

    # EMA of every convolution and BN tensor
    ema = {}
    for k, v in stud_model.state_dict().items():
        if k.endswith('num_batches_tracked'):
            continue
        ema[k] = enc(EMA_ALPHA * torch.tensor(net[k].astype(np.float64)) + (1 - EMA_ALPHA) * v)

    # the variant: ordinary train-mode BN on x~ alone, information maximisation on
    mixed_im, _ = student_step(net, xmix, ymix, rmix, 1, None, IM)

    write('stvm_iteration.json', {
        'spec': SPEC, 'batch': N, 'height': H, 'width': W, 'config': CFG, 'ema_alpha': EMA_ALPHA, 'teacher_version_before': 4, 'im': IM,
        'weights': {k: enc(v) for k, v in net.items()}, 'metric_weights': {**{k: enc(v) for k, v in mw.items()}, 'metric.proxies': enc(proxies)},
        'images': enc(x), 'mask': enc(mask),
        'expected': {
            'labels_feat': [int(v) for v in labels_feat.reshape(-1)], 'labels': [int(v) for v in labels.reshape(-1)],
            'confidence': enc(confidence), 'metric_loss': float(mloss.detach()), 'sim': enc(sim), 'reliability_feat': enc(r_feat), 'reliability': enc(rel),
            'metric_state': metric_after, 'metric_adamw': adam,
            'student': stud, 'teacher': ema, 'student_mixed_im': mixed_im,
        },
    })


if __name__ == '__main__':
    im_fixture()
    iteration_fixture()
