"""Plots of bench/results/reliability-<P>.json (bench/reliability.ts), small PNGs next to it:
  <stem>-auroc.png  AUROC of reliability and of softmax confidence (correct vs wrong pseudo-labels) over iterations
  <stem>-hist.png   histograms (density) of reliability and confidence for correct vs wrong pixels, last probe
  <stem>-miou.png   teacher mIoU and pseudo-label accuracy on the evaluation split over iterations

    python3 tools/analysis/plot_reliability.py bench/results/reliability-P0.json
"""
import json
import sys
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(path):
    d = json.load(open(path))
    stem = path[:-5] if path.endswith(".json") else path
    pts = d["points"]
    it = [p["iteration"] for p in pts]
    title = "\n".join(textwrap.wrap(f"{d['protocol']} {d['method']} (seed {d['seed']})", 70))
    fig, ax = plt.subplots(figsize=(5, 3.2), dpi=90)
    ax.plot(it, [p["auroc_reliability"] for p in pts], "o-", label=f"metric reliability ({d['reliability_variant']})")
    ax.plot(it, [p["auroc_confidence"] for p in pts], "s--", label="teacher softmax confidence q")
    if all("auroc_confidence_coarse" in p for p in pts):
        ax.plot(it, [p["auroc_confidence_coarse"] for p in pts], "^:", ms=4, label="q at r's resolution (control)")
        ax.plot(it, [p["auroc_product"] for p in pts], "x:", ms=5, label="r·q")
    ax.axvline(d["warmup"], color="grey", lw=0.8, ls=":", label="end of metric warm-up")
    ax.axhline(0.5, color="black", lw=0.5)
    ax.set_xlabel("iteration")
    ax.set_ylabel("AUROC correct vs wrong")
    ax.set_title(title, fontsize=8)
    ax.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(stem + "-auroc.png")
    plt.close(fig)

    last = pts[-1]
    fig, axs = plt.subplots(1, 2, figsize=(7, 3), dpi=90)
    for ax, key, name in [(axs[0], "hist_reliability", "reliability r"), (axs[1], "hist_confidence", "softmax confidence q")]:
        h = last[key]
        e = h["edges"]
        w = e[1] - e[0]
        sp, sn = max(1, sum(h["positive"])), max(1, sum(h["negative"]))
        ax.bar(e[:-1], [c / sp / w for c in h["positive"]], width=w, align="edge", alpha=0.6, label="correct pseudo-label")
        ax.bar(e[:-1], [c / sn / w for c in h["negative"]], width=w, align="edge", alpha=0.6, label="wrong pseudo-label")
        ax.set_xlabel(name)
        ax.set_ylabel("density")
        ax.set_title(f"iteration {last['iteration']}", fontsize=8)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(stem + "-hist.png")
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5, 3.2), dpi=90)
    ax.plot(it, [100 * p["miou"] for p in pts], "o-", label="teacher mIoU (eval split)")
    ax.plot(it, [100 * p["pseudo_label_accuracy"] for p in pts], "s--", label="pseudo-label pixel accuracy (probe tiles)")
    ax.axvline(d["warmup"], color="grey", lw=0.8, ls=":")
    ax.set_xlabel("iteration")
    ax.set_ylabel("%")
    ax.set_title(title, fontsize=8)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(stem + "-miou.png")
    plt.close(fig)
    print("wrote", stem + "-{auroc,hist,miou}.png")


if __name__ == "__main__":
    main(sys.argv[1])
