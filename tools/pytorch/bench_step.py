"""PyTorch side of `npm run bench:engine` (bench/engine.ts spawns it; one case per call).

  python3 tools/pytorch/bench_step.py --weights W.onnx --case CASE.json [--steps 10] [--warmup 2] [--threads 2]
  python3 tools/pytorch/bench_step.py --weights W.onnx --case CASE.json --serve [--threads 2]

W.onnx: the initial weights and batch written by the engine (initializers under PyTorch
state-dict names, plus __image, __labels, __weights), so both sides time the same network on
the same numbers. CASE.json: {"spec": <DeepLab spec of lib/engine/models/spec.ts>}.
One training step = zero_grad, forward, bilinear upsampling (align_corners) to the label size,
weighted cross-entropy with ignore 255, backward, SGD (momentum 0.9, weight decay 5e-4, head
lr x10) -- what the engine's compiled step computes. float32, CPU, torch.set_num_threads(threads).
Prints one JSON line: {"median_ms", "times_ms", "peak_rss_mb", "threads", "torch"}.
--serve: prints {"ready": true}, then runs one step per input line 'step' (answering {"ms": t})
until the line 'done' (answering {"peak_rss_mb", "threads", "torch"}); bench/engine.ts uses it
to interleave PyTorch and engine steps so that both see the same machine load.
"""
import argparse, json, os, resource, sys, time
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from models import DeepLab, cross_entropy, load_weights, onnx_initializers  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--weights', required=True)
    ap.add_argument('--case', required=True)
    ap.add_argument('--steps', type=int, default=10)
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--lr', type=float, default=1e-4)
    ap.add_argument('--serve', action='store_true')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    with open(a.case) as f:
        spec = json.load(f)['spec']
    arrays = onnx_initializers(a.weights)
    model = load_weights(DeepLab(spec), arrays, dtype=torch.float32)
    x = torch.from_numpy(arrays.pop('__image'))
    y = torch.from_numpy(arrays.pop('__labels')).long()
    w = torch.from_numpy(arrays.pop('__weights'))
    del arrays
    model.train()
    bb, hd = model.param_groups()
    opt = torch.optim.SGD([{'params': bb, 'lr': a.lr}, {'params': hd, 'lr': a.lr * 10}], lr=a.lr, momentum=0.9, weight_decay=5e-4)

    def step():
        opt.zero_grad(set_to_none=True)
        logits, _, full = model(x)
        if full is None:
            full = torch.nn.functional.interpolate(logits, size=y.shape[1:], mode='bilinear', align_corners=True)
        loss = cross_entropy(full, y, w)
        loss.backward()
        opt.step()
        return float(loss.detach())

    info = lambda: {'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'threads': torch.get_num_threads(), 'torch': torch.__version__}
    if a.serve:
        print(json.dumps({'ready': True}), flush=True)
        for line in sys.stdin:
            cmd = line.strip()
            if cmd == 'step':
                t0 = time.perf_counter()
                step()
                print(json.dumps({'ms': (time.perf_counter() - t0) * 1000}), flush=True)
            elif cmd == 'done':
                print(json.dumps(info()), flush=True)
                return
        return
    for _ in range(a.warmup):
        step()
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
    s = sorted(times)
    med = s[len(s) // 2] if len(s) % 2 else (s[len(s) // 2 - 1] + s[len(s) // 2]) / 2
    print(json.dumps({'median_ms': med, 'times_ms': times, **info()}))


if __name__ == '__main__':
    main()
