"""Plots bench/results/sgd-curve.json (engine vs PyTorch loss curves) to a PNG.
  python3 tools/pytorch/plot_sgd_curve.py IN.json OUT.png"""
import json, sys
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt

d = json.load(open(sys.argv[1]))
fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.6))
steps = range(len(d['torch64']))
a.plot(steps, d['torch64'], label='PyTorch float64', lw=2.5, alpha=0.6)
a.plot(steps, d['torch32'], label='PyTorch float32', lw=1, ls='--')
a.plot(steps, d['engine'], label='engine (onnxruntime, float32)', lw=1)
a.set_xlabel('step'); a.set_ylabel('loss'); a.set_yscale('log'); a.legend(); a.set_title('SGD, small DeepLab, same batch')
rel = lambda c: [abs(x - r) / r for x, r in zip(c, d['torch64'])]
b.semilogy(steps, [max(v, 1e-9) for v in rel(d['engine'])], label='engine')
b.semilogy(steps, [max(v, 1e-9) for v in rel(d['torch32'])], label='PyTorch float32')
b.set_xlabel('step'); b.set_ylabel('|loss - loss_f64| / loss_f64'); b.legend(); b.set_title('distance to PyTorch float64')
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=80)
print('wrote', sys.argv[2])
