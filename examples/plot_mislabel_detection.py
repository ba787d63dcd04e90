"""
Finding mislabelled training points (Koh & Liang 2017, section 5.4)
===================================================================

Flip 10% of the breast-cancer training labels at random, fit a logistic
regression on the noisy labels, and review the training points in three
orders: by self-influence magnitude (the paper's ranking), by training loss,
and at random. The curve shows the share of the flipped labels found against
the share of the training data checked, averaged over several random flips.

Set ``SKLINFLUENCE_EXAMPLES_QUICK=1`` for the small settings used in CI, and
``SKLINFLUENCE_EXAMPLES_OUTPUT`` to the folder the figure goes to (default:
``docs/images``).
"""

import os

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import scale

from sklinfluence import (
    InfluenceClassifier,
    mislabel_detection_curve,
    mislabel_ranking,
)

FAST = os.environ.get("SKLINFLUENCE_EXAMPLES_QUICK", "") not in ("", "0")
OUTPUT = os.path.join(
    os.environ.get("SKLINFLUENCE_EXAMPLES_OUTPUT", os.path.join("docs", "images")),
    "mislabel.png",
)
METHODS = ("influence", "loss", "random")


def flip_labels(y, fraction, rng):
    """Flip ``fraction`` of the binary labels, chosen at random."""
    flipped = rng.choice(len(y), int(round(fraction * len(y))), replace=False)
    noisy = y.copy()
    noisy[flipped] = 1 - noisy[flipped]
    return noisy, flipped


def curves(X, y, C, seeds):
    """Mean detection curve of each ranking over the random flips."""
    found = {method: [] for method in METHODS}
    for seed in seeds:
        noisy, flipped = flip_labels(y, 0.1, np.random.default_rng(seed))
        estimator = LogisticRegression(C=C, solver="newton-cholesky", tol=1e-8)
        model = InfluenceClassifier(estimator).fit(X, noisy)
        for method in METHODS:
            order = mislabel_ranking(model, method, random_state=seed)
            checked, share = mislabel_detection_curve(order, flipped)
            found[method].append(share)
    return checked, {method: np.mean(v, axis=0) for method, v in found.items()}


def main(fast=FAST, output=OUTPUT):
    X, y = load_breast_cancer(return_X_y=True)
    X = scale(X)
    seeds = range(3 if fast else 20)
    settings = {
        "569 points, C=1": (X, y, 1.0),
        "first 200 points, C=10": (X[:200], y[:200], 10.0),
    }
    results = {}
    for title, (Xs, ys, C) in settings.items():
        checked, found = curves(Xs, ys, C, seeds)
        at = {
            method: [
                float(np.interp(f, checked, found[method])) for f in (0.1, 0.2, 0.3)
            ]
            for method in METHODS
        }
        results[title] = (checked, found, at)
        summary = ", ".join(
            f"{m} " + "/".join(f"{v:.2f}" for v in at[m]) for m in METHODS
        )
        print(f"{title}: found at 10/20/30% checked: {summary}")

    if output:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, len(results), figsize=(9, 3.8), sharey=True)
        styles = {"influence": "C0-", "loss": "C1--", "random": "C7:"}
        for ax, (title, (checked, found, _)) in zip(axes, results.items(), strict=True):
            for method in METHODS:
                ax.plot(checked, found[method], styles[method], label=method)
            ax.set_title(f"breast_cancer, 10% flipped: {title}", fontsize=9)
            ax.set_xlabel("fraction of training data checked")
            ax.set_xlim(0, 0.5)
            ax.grid(alpha=0.3)
        axes[0].set_ylabel("fraction of flipped labels found")
        axes[0].legend(loc="lower right")
        fig.tight_layout()
        os.makedirs(os.path.dirname(output) or ".", exist_ok=True)
        fig.savefig(output, dpi=80)
        plt.close(fig)
    return results


if __name__ == "__main__":
    main()
