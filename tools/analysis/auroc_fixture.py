"""Reference numbers for lib/analysis/auroc.ts and histogram.ts (numpy, brute force).

AUROC by its definition: the mean over all (positive, negative) pairs of
1[s_p > s_n] + 0.5 * 1[s_p == s_n], computed with an explicit pairwise comparison matrix
(no ranking, no sklearn), so it is independent of the rank-statistic implementation.
Scores are rounded to a few levels in some cases to create many ties.

    python3 tools/analysis/auroc_fixture.py   # writes test/fixtures/analysis/auroc.json
"""
import json
import os

import numpy as np


def brute_auroc(s, pos, inc):
    s = s[inc == 1]
    pos = pos[inc == 1]
    p = s[pos == 1][:, None]
    n = s[pos == 0][None, :]
    if p.size == 0 or n.size == 0:
        return None
    return float(((p > n) + 0.5 * (p == n)).mean())


def main():
    rng = np.random.default_rng(20261126)
    cases = []
    for name, m, levels, shift, with_inc in [
        ("continuous", 300, None, 0.8, False),
        ("ties-5-levels", 400, 5, 0.5, True),
        ("ties-2-levels", 200, 2, 0.3, False),
        ("uninformative-all-equal", 50, 1, 0.0, False),
        ("reversed", 120, None, -1.5, True),
    ]:
        pos = (rng.random(m) < 0.6).astype(np.uint8)
        s = rng.normal(size=m) + shift * pos
        if levels is not None:
            if levels == 1:
                s = np.zeros(m)
            else:
                s = np.round((s - s.min()) / (s.max() - s.min()) * (levels - 1)) / (levels - 1)
        s = s.astype(np.float32).astype(np.float64)
        inc = (rng.random(m) < 0.85).astype(np.uint8) if with_inc else np.ones(m, np.uint8)
        edges = np.linspace(-3.0, 3.0, 9)
        sc = np.clip(s, -3.0, 3.0)
        idx = np.minimum(8 - 1, np.maximum(0, np.floor((sc + 3.0) / 6.0 * 8).astype(int)))
        keep = inc == 1
        hp = np.bincount(idx[keep & (pos == 1)], minlength=8).tolist()
        hn = np.bincount(idx[keep & (pos == 0)], minlength=8).tolist()
        cases.append({
            "name": name, "score": [round(float(x), 7) for x in s], "positive": pos.tolist(),
            "include": inc.tolist(), "auroc": brute_auroc(np.array([round(float(x), 7) for x in s]), pos, inc),
            "hist": {"bins": 8, "lo": -3.0, "hi": 3.0, "positive": hp, "negative": hn, "edges": edges.tolist()},
        })
    out = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "analysis", "auroc.json")
    with open(out, "w") as f:
        json.dump({"generator": "tools/analysis/auroc_fixture.py (numpy brute force)", "cases": cases}, f)
    print("wrote", os.path.normpath(out))


if __name__ == "__main__":
    main()
