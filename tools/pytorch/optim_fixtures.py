"""Writes the optimiser and learning-rate-schedule fixtures of the training-step compiler,
computed with torch.optim (float64) as the independent reference.

test/fixtures/optim/<case>.json, one per optimiser case: a tiny model with parameters
w [3,4], b [4], u [5], a frozen f [4], constants c [3,4], e [5], h [5] and a data input x [3,4]
(new values each step), with the loss

    L = sum(c * (x*w + b + f)^2) + sum(e*u*u + h*u)

(only Mul, Add and ReduceSum, so the engine builds the same graph from ops with gradient
rules). Each case runs `steps` optimiser steps (torch.optim.SGD / AdamW, parameter groups with
lr multipliers, clip_grad_norm_ / clip_grad_value_ between backward() and step(), an lr
scheduler stepped after each optimiser step) and records, per step, the lr in use, the loss
before the update and every parameter after it.

test/fixtures/optim/schedules.json: lr values of torch.optim.lr_scheduler schedulers
(PolynomialLR, LambdaLR DeepLab poly, CosineAnnealingLR, SequentialLR(LinearLR, ...)).

Usage: python tools/pytorch/optim_fixtures.py
"""
import json, math, os
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', '..', 'test', 'fixtures', 'optim')
STEPS = 8


def f32(a):
    return np.asarray(a, dtype=np.float32)


def enc(a):
    a = np.asarray(a)
    return {'shape': list(a.shape), 'data': [float(v) for v in a.reshape(-1)]}


def make_problem(seed):
    r = np.random.default_rng(seed)
    init = {
        'w': f32(r.uniform(-1, 1, (3, 4))),
        'b': f32(r.uniform(-0.5, 0.5, (4,))),
        'u': f32(r.uniform(-1, 1, (5,))),
        'f': f32(r.uniform(-0.2, 0.2, (4,))),
    }
    consts = {
        'c': f32(r.uniform(0.2, 1.0, (3, 4))),
        'e': f32(r.uniform(0.5, 1.5, (5,))),
        'h': f32(r.uniform(-1, 1, (5,))),
    }
    data = [f32(r.uniform(-1, 1, (3, 4))) for _ in range(STEPS)]
    return init, consts, data


def loss_fn(p, consts, x):
    y = x * p['w'] + p['b'] + p['f']
    return (consts['c'] * y * y).sum() + (consts['e'] * p['u'] * p['u'] + consts['h'] * p['u']).sum()


def torch_optimizer(cfg, groups):
    if cfg['kind'] == 'sgd':
        return torch.optim.SGD(groups, lr=groups[0]['lr'], momentum=cfg.get('momentum', 0.0), dampening=cfg.get('dampening', 0.0),
                               nesterov=cfg.get('nesterov', False), weight_decay=cfg.get('weightDecay', 0.0))
    return torch.optim.AdamW(groups, lr=groups[0]['lr'], betas=(cfg.get('beta1', 0.9), cfg.get('beta2', 0.999)), eps=cfg.get('eps', 1e-8),
                             weight_decay=cfg.get('weightDecay', 0.01))


def torch_scheduler(opt, sched):
    k = sched['kind']
    if k == 'constant':
        return None
    if k == 'poly':  # DeepLab's poly, written as a LambdaLR
        T, pw = sched['maxSteps'], sched.get('power', 0.9)
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda s: (1 - min(s, T) / T) ** pw)
    if k == 'cosine':
        cos = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=sched['maxSteps'], eta_min=sched.get('minLr', 0.0))
        if 'warmup' not in sched:
            return cos
        w = sched['warmup']
        # SequentialLR needs the LinearLR constructed first
        lin = torch.optim.lr_scheduler.LinearLR(opt, start_factor=w['startFactor'], end_factor=1.0, total_iters=w['steps'])
        return torch.optim.lr_scheduler.SequentialLR(opt, [lin, cos], milestones=[w['steps']])
    raise ValueError(k)


def run_case(name, optimizer, groups, clip=None, schedule=None, seed=0):
    schedule = schedule or {'kind': 'constant', 'base': 0.05}
    init, consts, data = make_problem(seed)
    params = {k: torch.tensor(v.astype(np.float64), requires_grad=(k != 'f')) for k, v in init.items()}
    cst = {k: torch.tensor(v.astype(np.float64)) for k, v in consts.items()}
    base = schedule['base']
    tgroups = []
    for g in groups:
        tg = {'params': [params[p] for p in g['params']], 'lr': base * g.get('lrMult', 1.0)}
        if 'weightDecay' in g:
            tg['weight_decay'] = g['weightDecay']
        tgroups.append(tg)
    opt = torch_optimizer(optimizer, tgroups)
    sched = torch_scheduler(opt, schedule)
    trainable = [params[p] for g in groups for p in g['params']]
    steps = []
    for s in range(STEPS):
        lr = opt.param_groups[0]['lr'] / groups[0].get('lrMult', 1.0)
        opt.zero_grad()
        loss = loss_fn(params, cst, torch.tensor(data[s].astype(np.float64)))
        loss.backward()
        norm = None
        if clip is not None and clip['kind'] == 'norm':
            norm = float(torch.nn.utils.clip_grad_norm_(trainable, clip['maxNorm']))
        elif clip is not None and clip['kind'] == 'value':
            torch.nn.utils.clip_grad_value_(trainable, clip['value'])
        opt.step()
        if sched is not None:
            sched.step()
        steps.append({
            'lr': lr, 'loss': loss.item(), 'gradNorm': norm,
            'params': {k: [float(v) for v in params[k].detach().numpy().reshape(-1)] for k in ('w', 'b', 'u')},
        })
    return {
        'name': name, 'optimizer': optimizer, 'groups': groups, 'clip': clip, 'schedule': schedule,
        'init': {k: enc(v) for k, v in init.items()}, 'consts': {k: enc(v) for k, v in consts.items()},
        'data': [enc(x) for x in data], 'steps': steps,
    }




def cases():
    g = lambda *ps, **kw: {'params': list(ps), **kw}
    return [
        run_case('sgd_plain', {'kind': 'sgd'}, [g('w', 'b', 'u')], seed=1),
        run_case('sgd_momentum', {'kind': 'sgd', 'momentum': 0.9}, [g('w', 'b', 'u')], seed=2),
        run_case('sgd_momentum_wd', {'kind': 'sgd', 'momentum': 0.9, 'weightDecay': 0.05}, [g('w', 'b', 'u')], seed=3),
        run_case('sgd_nesterov_wd', {'kind': 'sgd', 'momentum': 0.9, 'nesterov': True, 'weightDecay': 0.01}, [g('w', 'b', 'u')], seed=4),
        run_case('sgd_dampening', {'kind': 'sgd', 'momentum': 0.9, 'dampening': 0.3, 'weightDecay': 0.01}, [g('w', 'b', 'u')], seed=5),
        run_case('sgd_groups_lr_mult', {'kind': 'sgd', 'momentum': 0.9, 'weightDecay': 5e-4},
                 [g('w'), g('b', 'u', lrMult=10.0, weightDecay=0.0)], schedule={'kind': 'constant', 'base': 0.005}, seed=6),
        run_case('sgd_clip_norm', {'kind': 'sgd', 'momentum': 0.9}, [g('w', 'b', 'u')], clip={'kind': 'norm', 'maxNorm': 0.5}, seed=7),
        run_case('sgd_clip_value', {'kind': 'sgd', 'momentum': 0.9}, [g('w', 'b', 'u')], clip={'kind': 'value', 'value': 0.05}, seed=8),
        run_case('sgd_poly_groups', {'kind': 'sgd', 'momentum': 0.9, 'weightDecay': 5e-4}, [g('w', 'b'), g('u', lrMult=10.0)],
                 schedule={'kind': 'poly', 'base': 0.01, 'maxSteps': STEPS, 'power': 0.9}, seed=9),
        run_case('adamw', {'kind': 'adamw', 'beta1': 0.9, 'beta2': 0.999, 'eps': 1e-8, 'weightDecay': 0.1}, [g('w', 'b', 'u')],
                 schedule={'kind': 'constant', 'base': 0.01}, seed=10),
        run_case('adamw_groups_clip_norm', {'kind': 'adamw', 'weightDecay': 1e-4}, [g('w', 'b'), g('u', lrMult=100.0, weightDecay=0.0)],
                 clip={'kind': 'norm', 'maxNorm': 0.5}, schedule={'kind': 'constant', 'base': 1e-4}, seed=11),
        run_case('adamw_cosine_warmup', {'kind': 'adamw', 'beta1': 0.8, 'beta2': 0.99, 'eps': 1e-6, 'weightDecay': 0.05}, [g('w', 'b', 'u')],
                 schedule={'kind': 'cosine', 'base': 0.02, 'maxSteps': 5, 'warmup': {'steps': 3, 'startFactor': 0.1}}, seed=12),
    ]


def lr_trace(make, steps, base=1.0):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=base)
    sch = make(opt)
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]['lr'])
        opt.step()
        sch.step()
    return out


def schedules():
    S = torch.optim.lr_scheduler
    return [
        {'config': {'kind': 'poly', 'base': 0.01, 'maxSteps': 20, 'power': 0.9},
         'values': lr_trace(lambda o: S.PolynomialLR(o, total_iters=20, power=0.9), 25, 0.01), 'reference': 'PolynomialLR'},
        {'config': {'kind': 'poly', 'base': 2.5e-4, 'maxSteps': 30, 'power': 0.9},
         'values': lr_trace(lambda o: S.LambdaLR(o, lambda s: (1 - s / 30) ** 0.9), 30, 2.5e-4), 'reference': 'LambdaLR (1-s/T)^0.9'},
        {'config': {'kind': 'poly', 'base': 0.1, 'maxSteps': 15, 'power': 2.0},
         'values': lr_trace(lambda o: S.PolynomialLR(o, total_iters=15, power=2.0), 15, 0.1), 'reference': 'PolynomialLR power 2'},
        {'config': {'kind': 'cosine', 'base': 0.1, 'maxSteps': 20, 'minLr': 0.001},
         'values': lr_trace(lambda o: S.CosineAnnealingLR(o, T_max=20, eta_min=0.001), 21, 0.1), 'reference': 'CosineAnnealingLR'},
        {'config': {'kind': 'poly', 'base': 0.01, 'maxSteps': 20, 'power': 0.9, 'warmup': {'steps': 5, 'startFactor': 0.1}},
         'values': lr_trace(lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=5), S.PolynomialLR(o, total_iters=20, power=0.9)], milestones=[5]), 25, 0.01),
         'reference': 'SequentialLR(LinearLR, PolynomialLR)'},
        {'config': {'kind': 'cosine', 'base': 0.05, 'maxSteps': 10, 'warmup': {'steps': 4, 'startFactor': 0.25}},
         'values': lr_trace(lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.25, total_iters=4), S.CosineAnnealingLR(o, T_max=10)], milestones=[4]), 15, 0.05),
         'reference': 'SequentialLR(LinearLR, CosineAnnealingLR)'},
    ]


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_default_dtype(torch.float64)
    for c in cases():
        with open(os.path.join(OUT, c['name'] + '.json'), 'w') as fh:
            json.dump(c, fh)
        print('wrote', c['name'])
    with open(os.path.join(OUT, 'schedules.json'), 'w') as fh:
        json.dump({'torch': torch.__version__, 'schedules': schedules()}, fh, indent=1)
    print('wrote schedules')


if __name__ == '__main__':
    main()
