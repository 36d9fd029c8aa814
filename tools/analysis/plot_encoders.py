"""Grouped bar chart of bench/results/encoders.json (bench/encoders.ts): per protocol, each
method's mIoU (mean ± std over seeds) with the from-scratch and the pretrained encoder side by side.

    python3 tools/analysis/plot_encoders.py bench/results/encoders.json   # writes encoders.png
"""
import json
import sys

from figures import plt, save_beside


def main(path):
    d = json.load(open(path))
    pairs = d["pairs"]
    fig, axes = plt.subplots(1, len(pairs), figsize=(4.2 * len(pairs), 3.2), dpi=90, squeeze=False)
    for ax, p in zip(axes[0], pairs):
        ids = [r["id"] for r in p["rows"]]
        x = list(range(len(ids)))
        for k, (side, colour, label) in enumerate([("scratch", "#4c72b0", "from scratch"), ("pretrained", "#dd8452", "pretrained MobileNetV2")]):
            means = [100 * r[side]["miou_mean"] if r[side] else float("nan") for r in p["rows"]]  # not run: no bar
            stds = [100 * (r[side]["miou_std"] or 0) if r[side] else 0 for r in p["rows"]]
            ax.bar([i + (k - 0.5) * 0.38 for i in x], means, 0.38, yerr=stds, color=colour, capsize=2, label=label)
        ax.set_xticks(x)
        ax.set_xticklabels(ids, fontsize=8)
        ax.set_ylabel("target mIoU (%)", fontsize=8)
        ax.set_title(p["protocol"], fontsize=9)
        ax.legend(fontsize=7)
    save_beside(fig, path)


if __name__ == "__main__":
    main(sys.argv[1])
