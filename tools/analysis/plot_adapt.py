"""Bar chart of an adaptation benchmark table (bench/results/adapt-<P>.json from bench/adapt.ts):
mIoU mean ± std per method, with the source-only and oracle levels as lines.

    python3 tools/analysis/plot_adapt.py bench/results/adapt-P0.json   # writes adapt-P0.png
"""
import json
import sys

from figures import plt, save_beside


def main(path):
    d = json.load(open(path))
    rows = [r for r in d["rows"] if r["kind"] not in ("source", "oracle")]
    names = [r["method"] if len(r["method"]) < 48 else r["method"][:46] + "…" for r in rows]
    means = [100 * r["miou_mean"] for r in rows]
    stds = [100 * (r["miou_std"] or 0) for r in rows]
    fig, ax = plt.subplots(figsize=(7, 0.32 * len(rows) + 1.2), dpi=90)
    y = list(range(len(rows)))[::-1]
    ax.barh(y, means, xerr=stds, color=["#c44e52" if r["id"] == "stvm" else "#4c72b0" for r in rows], alpha=0.85, capsize=2)
    ax.set_yticks(y)
    ax.set_yticklabels(names, fontsize=7)
    if d.get("source_only"):
        ax.axvline(100 * d["source_only"]["miou_mean"], color="black", ls=":", lw=1, label="source only")
    if d.get("oracle"):
        ax.axvline(100 * d["oracle"]["miou_mean"], color="green", ls="--", lw=1, label="target oracle")
    ax.set_xlabel("mIoU (%) on the target evaluation split, mean ± std over seeds")
    ax.set_title(f"{d['protocol']}: adaptation benchmark", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    save_beside(fig, path)


if __name__ == "__main__":
    main(sys.argv[1])
