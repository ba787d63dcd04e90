"""
Training-set attack: a bounded change to a few training images flips a test
prediction (Koh & Liang 2017, section 5.2).
==========================================================================

A logistic regression separates handwritten 3s from 8s. We pick a test image
the model classifies correctly and with some confidence (a quarter of the
correct test images have a smaller margin), and ask which training images,
changed by at most 4 of 16 gray levels per pixel, would make the model get it
wrong.

``influence_perturb`` gives, for every training image, the derivative of the
test loss in each of its pixels. The attack takes the few training images
with the largest attainable effect under an L-infinity budget, moves their
pixels by signed steps in the direction that raises the test loss (clipped to
the budget and the valid pixel range), refits, and repeats. The flip is
confirmed by refitting the scikit-learn estimator from scratch on the
perturbed training set.

The whole attack takes a few seconds; ``SKLINFLUENCE_EXAMPLES_QUICK=1`` (used in
CI) only caps the number of refits. ``SKLINFLUENCE_EXAMPLES_OUTPUT`` names the
folder the figure goes to (default: ``docs/images``).
"""

import os

import numpy as np
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from sklinfluence import InfluenceClassifier

FAST = os.environ.get("SKLINFLUENCE_EXAMPLES_QUICK", "") not in ("", "0")
OUTPUT = os.path.join(
    os.environ.get("SKLINFLUENCE_EXAMPLES_OUTPUT", os.path.join("docs", "images")),
    "attack.png",
)


def load_threes_and_eights():
    """Digits 3 and 8, pixels in [0, 16], split into train and test halves."""
    X, y = load_digits(return_X_y=True)
    keep = np.isin(y, [3, 8])
    X, y = X[keep], y[keep]
    order = np.random.default_rng(0).permutation(len(y))
    X, y = X[order], y[order]
    half = len(y) // 2
    return X[:half], y[:half], X[half:], y[half:]


def attack(
    estimator,
    X_train,
    y_train,
    x_test,
    y_test,
    *,
    n_points=3,
    budget=4.0,
    step=1.0,
    max_steps=10,
    goal=0.5,
    pixel_range=(0.0, 16.0),
):
    """Perturb a few training inputs within ``budget`` until ``x_test`` flips.

    Parameters
    ----------
    estimator : LogisticRegression
        The model to attack (cloned and refitted on the perturbed data).
    X_train, y_train : ndarray
        Training set; its labels are never changed.
    x_test : ndarray of shape (1, n_features)
        The test input whose prediction should flip.
    y_test : ndarray of shape (1,)
        Its true label, predicted correctly before the attack.
    n_points : int
        How many training inputs may be changed.
    budget : float
        L-infinity bound on the change of each changed input.
    step : float
        Size of each signed step.
    max_steps : int
        Refits allowed.
    goal : float
        Stop once the test margin is past zero by this much, so the flip does
        not rest on the last digit of the solver.

    Returns
    -------
    result : dict
        ``X_attacked``, the changed rows ``targets``, the test margin after
        each refit ``margins`` and whether the prediction flipped.
    """
    model = InfluenceClassifier(clone(estimator)).fit(X_train, y_train)

    # The few training inputs whose pixels can move the test loss most under
    # the budget: the L1 norm of their perturbation influence.
    grad = model.influence_perturb(x_test, y_test)[:, 0, :]
    targets = np.argsort(-np.abs(grad).sum(axis=1))[:n_points]

    X_attacked = X_train.copy()
    margins = [float(model.decision_function(x_test)[0])]
    sign = 1.0 if y_test[0] == model.classes_[1] else -1.0
    for _ in range(max_steps):
        # Signed step up the test loss, then back into the budget box and
        # the pixel range.
        grad = model.influence_perturb(x_test, y_test, train_indices=targets)[:, 0, :]
        moved = X_attacked[targets] + step * np.sign(grad)
        low = np.maximum(X_train[targets] - budget, pixel_range[0])
        high = np.minimum(X_train[targets] + budget, pixel_range[1])
        X_attacked[targets] = np.clip(moved, low, high)

        model = InfluenceClassifier(clone(estimator)).fit(X_attacked, y_train)
        margins.append(float(model.decision_function(x_test)[0]))
        if sign * margins[-1] < -goal:
            break

    # The verdict comes from a refit of the plain estimator.
    refit = clone(estimator).fit(X_attacked, y_train)
    flipped = bool(refit.predict(x_test)[0] != y_test[0])
    return {
        "X_attacked": X_attacked,
        "targets": targets,
        "margins": np.array(margins),
        "flipped": flipped,
        "refit_prediction": refit.predict(x_test)[0],
    }


def main(fast=FAST, output=OUTPUT):
    X_train, y_train, X_test, y_test = load_threes_and_eights()
    estimator = LogisticRegression(
        C=0.05, solver="newton-cholesky", tol=1e-10, max_iter=1000
    )
    estimator.fit(X_train, y_train)

    # A correctly classified test image at the lower quartile of the margins.
    margin = estimator.decision_function(X_test) * np.where(
        y_test == estimator.classes_[1], 1.0, -1.0
    )
    candidates = np.flatnonzero(margin > 0)
    candidates = candidates[np.argsort(margin[candidates], kind="stable")]
    j = candidates[len(candidates) // 4]
    x_test, y_true = X_test[j : j + 1], y_test[j : j + 1]

    result = attack(
        estimator,
        X_train,
        y_train,
        x_test,
        y_true,
        n_points=3,
        budget=4.0,
        max_steps=10 if fast else 20,
    )
    changes = np.abs(result["X_attacked"] - X_train).max(axis=1)
    result["test_index"] = int(j)
    result["true_label"] = int(y_true[0])
    result["max_change"] = float(changes.max())
    result["n_changed"] = int(np.sum(changes > 0))
    print(
        f"test image {j} (a {y_true[0]}): margin {result['margins'][0]:+.3f} -> "
        f"{result['margins'][-1]:+.3f} after {len(result['margins']) - 1} refits; "
        f"{result['n_changed']} training images changed by at most "
        f"{result['max_change']:.0f} of 16 gray levels; refit predicts "
        f"{result['refit_prediction']} (flipped: {result['flipped']})"
    )

    if output:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        targets = result["targets"]
        fig, axes = plt.subplots(
            2, len(targets) + 1, figsize=(2.2 * (len(targets) + 1), 4.6)
        )
        axes[0, 0].imshow(x_test.reshape(8, 8), cmap="gray_r", vmin=0, vmax=16)
        axes[0, 0].set_title(f"test image ({y_true[0]})", fontsize=9)
        axes[1, 0].plot(result["margins"], "o-")
        axes[1, 0].axhline(0, color="k", lw=0.8)
        axes[1, 0].set_title("test margin per refit", fontsize=9)
        for col, i in enumerate(targets, start=1):
            axes[0, col].imshow(
                X_train[i].reshape(8, 8), cmap="gray_r", vmin=0, vmax=16
            )
            axes[0, col].set_title(f"train {i} ({y_train[i]})", fontsize=9)
            axes[1, col].imshow(
                result["X_attacked"][i].reshape(8, 8), cmap="gray_r", vmin=0, vmax=16
            )
            axes[1, col].set_title("perturbed", fontsize=9)
        for ax in axes.ravel():
            if ax is not axes[1, 0]:
                ax.set_xticks([])
                ax.set_yticks([])
        fig.suptitle(
            f"L-inf budget 4/16 on {len(targets)} training images: prediction "
            f"{'flipped' if result['flipped'] else 'not flipped'} (verified by refit)",
            fontsize=10,
        )
        fig.tight_layout()
        os.makedirs(os.path.dirname(output) or ".", exist_ok=True)
        fig.savefig(output, dpi=80)
        plt.close(fig)
    return result


if __name__ == "__main__":
    main()
