"""PyTorch side of `npm run bench:engine` (bench/engine.ts spawns it; one case per call).

  python3 tools/pytorch/bench_step.py --weights W.onnx --case CASE.json [--steps 10] [--warmup 2] [--threads 2]
  python3 tools/pytorch/bench_step.py --weights W.onnx --case CASE.json --serve [--threads 2]
      [--device cpu|cuda] [--tf32 on|off] [--cudnn-benchmark on|off]

W.onnx: the initial weights and batch written by the engine (initializers under PyTorch
state-dict names, plus __image, __labels, __weights), so both sides time the same network on
the same numbers. CASE.json: {"spec": <DeepLab spec of lib/engine/models/spec.ts>}.
One training step = zero_grad, forward, bilinear upsampling (align_corners) to the label size,
weighted cross-entropy with ignore 255, backward, SGD (momentum 0.9, weight decay 5e-4, head
lr x10) -- what the engine's compiled step computes. float32, CPU, torch.set_num_threads(threads).
--device cuda (bench/device-check.ts): model and batch on the GPU, each step timed to its end
(the loss is read back, which synchronises); --tf32 sets torch.backends.cuda.matmul.allow_tf32
and torch.backends.cudnn.allow_tf32 (default on: onnxruntime's CUDA provider uses TF32 by
default, use_tf32=1, and onnxruntime-node cannot change it except by NVIDIA_TF32_OVERRIDE=0);
--cudnn-benchmark sets torch.backends.cudnn.benchmark (default on: onnxruntime's default cuDNN
algorithm search is exhaustive). The summary adds the device, CUDA/cuDNN versions and
torch.cuda.max_memory_allocated/reserved in MB.
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
    ap.add_argument('--device', choices=['cpu', 'cuda'], default='cpu')
    ap.add_argument('--tf32', choices=['on', 'off'], default='on')
    ap.add_argument('--cudnn-benchmark', choices=['on', 'off'], default='on')
    a = ap.parse_args()
    dev = torch.device(a.device)
    if a.device == 'cuda':
        if not torch.cuda.is_available():
            raise SystemExit('bench_step.py: --device cuda but torch.cuda.is_available() is False (torch %s)' % torch.__version__)
        torch.backends.cuda.matmul.allow_tf32 = a.tf32 == 'on'
        torch.backends.cudnn.allow_tf32 = a.tf32 == 'on'
        torch.backends.cudnn.benchmark = a.cudnn_benchmark == 'on'
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    with open(a.case) as f:
        spec = json.load(f)['spec']
    arrays = onnx_initializers(a.weights)
    model = load_weights(DeepLab(spec), arrays, dtype=torch.float32).to(dev)
    x = torch.from_numpy(arrays.pop('__image')).to(dev)
    y = torch.from_numpy(arrays.pop('__labels')).long().to(dev)
    w = torch.from_numpy(arrays.pop('__weights')).to(dev)
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

    def info():
        out = {'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'threads': torch.get_num_threads(), 'torch': torch.__version__, 'device': a.device}
        if a.device == 'cuda':
            out.update({
                'gpu': torch.cuda.get_device_name(dev), 'cuda': torch.version.cuda, 'cudnn': torch.backends.cudnn.version(),
                'tf32': a.tf32, 'cudnn_benchmark': a.cudnn_benchmark,
                'max_memory_allocated_mb': torch.cuda.max_memory_allocated(dev) / 2**20,
                'max_memory_reserved_mb': torch.cuda.max_memory_reserved(dev) / 2**20,
            })
        return out
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
