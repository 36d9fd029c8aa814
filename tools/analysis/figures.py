"""Shared by the plot scripts: a headless matplotlib and saving a figure beside its JSON."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402,F401  (re-exported for the plot scripts)


def save_beside(fig, json_path):
    """Lays out `fig` and writes it as <json_path without .json>.png; returns that path."""
    fig.tight_layout()
    out = json_path[:-5] + ".png"
    fig.savefig(out)
    print("wrote", out)
    return out
