"""Mislabel detection: review orders and the detection curve."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_breast_cancer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler, scale

from sklinfluence import (
    InfluenceClassifier,
    fraction_found_at,
    mislabel_detection_curve,
    mislabel_ranking,
)

from ._refits import tight_logistic

FRACTIONS = [0.1, 0.2, 0.3]


def flip_labels(y, fraction, rng):
    """Flip ``fraction`` of the labels to another class chosen at random."""
    n = len(y)
    flipped = rng.choice(n, int(round(fraction * n)), replace=False)
    classes = np.unique(y)
    y = y.copy()
    for i in flipped:
        y[i] = rng.choice(classes[classes != y[i]])
    return y, flipped


def found_by_method(X, y, C, seeds):
    found = {method: [] for method in ("influence", "loss", "random")}
    for seed in seeds:
        rng = np.random.default_rng(seed)
        noisy, flipped = flip_labels(y, 0.1, rng)
        estimator = tight_logistic(solver="newton-cholesky", C=C, tol=1e-8)
        model = InfluenceClassifier(estimator).fit(X, noisy)
        for method in found:
            order = mislabel_ranking(model, method, random_state=seed)
            found[method].append(fraction_found_at(order, flipped, FRACTIONS))
    return {method: np.mean(values, axis=0) for method, values in found.items()}


# The paper (section 5.4) found the self-influence ranking ahead of the
# loss ranking. On these bundled datasets, with 10% of labels flipped
# uniformly at random, it is not: the two are close, and the loss ranking is
# ahead at 10% checked. The tests pin both facts: both rankings beat random
# by a wide margin, and influence stays within the measured distance of loss
# (means over 5 seeds at 10/20/30% checked, in the comments).
SETTINGS = {
    # influence 0.73 0.88 0.97, loss 0.77 0.93 0.98, random 0.10 0.20 0.32
    "200 points, C=10": (200, 10.0, [0.1, 0.08, 0.03]),
    # influence 0.77 0.97 0.99, loss 0.87 0.98 0.99, random 0.13 0.23 0.32
    "569 points, C=1": (None, 1.0, [0.15, 0.03, 0.02]),
}


@pytest.mark.parametrize("setting", list(SETTINGS))
def test_rankings_against_random_and_each_other(setting):
    n, C, gap = SETTINGS[setting]
    X, y = load_breast_cancer(return_X_y=True)
    X, y = scale(X)[:n], y[:n]
    found = found_by_method(X, y, C, seeds=range(5))
    for method in ("influence", "loss"):
        assert np.all(found[method] > found["random"] + 0.5)
    assert np.all(found["influence"] >= found["loss"] - np.array(gap))


def test_ranking_orders():
    X, y = load_breast_cancer(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), InfluenceClassifier(tight_logistic()))
    pipe.fit(X, y)
    model = pipe[-1]
    influence = mislabel_ranking(pipe, "influence")
    assert_array_equal(np.sort(influence), np.arange(len(y)))
    magnitude = np.abs(model.self_influence())
    assert np.all(np.diff(magnitude[influence]) <= 0)

    loss = mislabel_ranking(model, "loss")
    proba = model.predict_proba(X_train := pipe[:-1].transform(X))
    train_loss = -np.log(proba[np.arange(len(y)), y])
    assert np.all(np.diff(train_loss[loss]) <= 1e-12)
    assert X_train.shape == X.shape

    first = mislabel_ranking(model, "random", random_state=3)
    assert_array_equal(first, mislabel_ranking(model, "random", random_state=3))
    assert not np.array_equal(first, mislabel_ranking(model, "random", random_state=4))


def test_detection_curve():
    checked, found = mislabel_detection_curve([3, 1, 0, 2], [1, 3])
    assert_allclose(checked, [0, 0.25, 0.5, 0.75, 1.0])
    assert_allclose(found, [0, 0.5, 1.0, 1.0, 1.0])
    mask = np.array([False, True, False, True])
    assert_allclose(mislabel_detection_curve([3, 1, 0, 2], mask)[1], found)
    assert_allclose(fraction_found_at([3, 1, 0, 2], mask, [0.25, 0.5]), [0.5, 1.0])


@pytest.mark.parametrize(
    "order, flipped, match",
    [
        ([0, 0, 1], [1], "permutation"),
        ([0.0, 1.0], [1], "integer row positions"),
        ([0, 1], [False, False], "nothing to find"),
        ([0, 1], np.array([True]), "one entry per training row"),
    ],
)
def test_detection_curve_errors(order, flipped, match):
    with pytest.raises(ValueError, match=match):
        mislabel_detection_curve(order, flipped)


def test_ranking_errors():
    X, y = load_breast_cancer(return_X_y=True)
    model = InfluenceClassifier(tight_logistic()).fit(scale(X), y)
    with pytest.raises(ValueError, match="method must be one of"):
        mislabel_ranking(model, "leverage")
    with pytest.raises(TypeError, match="InfluenceClassifier"):
        mislabel_ranking(model.estimator_)
