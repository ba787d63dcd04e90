"""Group removal against actual refits of the whole group."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.preprocessing import scale

from sklinfluence import InfluenceClassifier

from ._refits import converged_refit_without, tight_logistic


def _split(loader, C):
    X, y = loader(return_X_y=True)
    order = np.random.default_rng(1).permutation(len(y))
    X, y = scale(X)[order], y[order]
    n_test = len(y) // 8
    Xtr, ytr, Xte, yte = X[:-n_test], y[:-n_test], X[-n_test:], y[-n_test:]
    estimator = tight_logistic(solver="newton-cholesky", C=C).fit(Xtr, ytr)
    return estimator, InfluenceClassifier(estimator).fit(Xtr, ytr), Xtr, ytr, Xte, yte


def _actual(estimator, Xtr, ytr, Xte, yte, groups):
    """Change of each test log-loss when each group is refitted away."""
    columns = np.searchsorted(estimator.classes_, yte)
    rows = np.arange(len(yte))
    base = -np.log(estimator.predict_proba(Xte)[rows, columns])
    out = []
    for group in groups:
        refit = converged_refit_without(estimator, Xtr, ytr, group)
        out.append(-np.log(refit.predict_proba(Xte)[rows, columns]) - base)
    return np.array(out)


def _relative_error(estimate, actual):
    """Worst error over the test points, relative to the largest actual change."""
    return np.abs(estimate - actual).max(axis=1) / np.abs(actual).max(axis=1)


# Tolerances of the Newton step on random groups, as a share of the largest
# actual change over the test points. Measured, 3 groups per size:
# breast_cancer (498 training points) 0.1-1%, 1-4%, 7-9% at 1%, 5%, 10%;
# wine (156 points, a 1% group is 2 points) 1-10%, 2-7%, 11-14%. First
# order: 2-77% (slopes 0.35-0.98).
NEWTON_TOL = {
    "load_breast_cancer": {0.01: 0.02, 0.05: 0.06, 0.1: 0.12},
    "load_wine": {0.01: 0.12, 0.05: 0.1, 0.1: 0.2},
}


@pytest.mark.parametrize("loader, C", [(load_breast_cancer, 1.0), (load_wine, 0.3)])
@pytest.mark.parametrize("fraction", [0.01, 0.05, 0.1])
def test_random_groups_against_refits(loader, C, fraction):
    estimator, model, Xtr, ytr, Xte, yte = _split(loader, C)
    n = len(ytr)
    size = max(1, int(round(fraction * n)))
    rng = np.random.default_rng(0)
    groups = [rng.choice(n, size, replace=False) for _ in range(3)]
    actual = _actual(estimator, Xtr, ytr, Xte, yte, groups)

    newton = model.group_removal_effect(Xte, yte, groups=groups, method="newton")
    first = model.group_removal_effect(Xte, yte, groups=groups, method="first_order")
    newton_error = _relative_error(newton, actual)
    first_error = _relative_error(first, actual)
    assert np.all(newton_error < NEWTON_TOL[loader.__name__][fraction])
    # First order is the cruder estimate, and it underestimates: its slope
    # against the refits is below one, the Newton step's is close to one.
    assert newton_error.mean() < first_error.mean()
    for k in range(len(groups)):
        assert 0.95 < np.polyfit(actual[k], newton[k], 1)[0] < 1.1
        assert np.polyfit(actual[k], first[k], 1)[0] < 1.0


# Measured on this split: Newton 5%, 7%, 11% of the largest change; first
# order 49%, 61%, 67%. On another random split the 10% group's Newton step
# was 47% off: coherent groups are where ``method="exact"`` is needed.
@pytest.mark.parametrize("fraction, tol", [(0.01, 0.1), (0.05, 0.15), (0.1, 0.2)])
def test_coherent_group_degrades_and_exact_recovers(fraction, tol):
    # The points most helpful to one test point, removed together: the
    # hardest case for both estimates.
    estimator, model, Xtr, ytr, Xte, yte = _split(load_breast_cancer, 1.0)
    size = int(round(fraction * len(ytr)))
    effect = model.removal_effect(Xte[:1], yte[:1])[:, 0]
    groups = [np.argsort(-effect)[:size]]
    actual = _actual(estimator, Xtr, ytr, Xte, yte, groups)

    first = model.group_removal_effect(Xte, yte, groups=groups, method="first_order")
    newton = model.group_removal_effect(Xte, yte, groups=groups, method="newton")
    # First order misses about half of the largest change at every size (the
    # members reinforce each other).
    assert _relative_error(first, actual)[0] > 0.4
    assert _relative_error(newton, actual)[0] < tol
    exact = model.group_removal_effect(Xte, yte, groups=groups, method="exact")
    assert_allclose(exact, actual, rtol=1e-5, atol=1e-8)


def test_group_of_one_and_first_order_sum():
    _, model, Xtr, ytr, Xte, yte = _split(load_wine, 0.3)
    single = model.removal_effect(Xte, yte, train_indices=[4, 9])
    group = model.group_removal_effect(Xte, yte, groups=[[4], [9]])
    assert_allclose(group, single, rtol=1e-8, atol=1e-12)

    # For a summed objective the first-order group effect is the sum of the
    # members' first-order effects.
    members = [3, 10, 11, 40]
    first = model.removal_effect(
        Xte, yte, method="first_order", train_indices=members
    ).sum(axis=0)
    grouped = model.group_removal_effect(
        Xte, yte, groups=[members], method="first_order"
    )
    assert_allclose(grouped[0], first, rtol=1e-8, atol=1e-12)


def test_group_input_forms():
    _, model, Xtr, ytr, Xte, yte = _split(load_breast_cancer, 1.0)
    mask = np.zeros(len(ytr), dtype=bool)
    mask[[1, 5, 7]] = True
    by_index = model.group_removal_effect(Xte, yte, groups=[[1, 5, 7], [7, 5, 1, 1]])
    by_mask = model.group_removal_effect(Xte, yte, groups=[mask])
    assert_allclose(by_index[0], by_index[1])  # order and repeats ignored
    assert_allclose(by_mask[0], by_index[0])
    empty = model.group_removal_effect(Xte, yte, groups=[[]])
    assert_allclose(empty, 0.0)
    assert model.group_removal_effect(Xte[:3], groups=[[0], [1], [2]]).shape == (3, 3)


@pytest.mark.parametrize(
    "groups, match",
    [
        ([1, 2, 3], "wrap a single group in a list"),
        ([], "list of groups"),
        ([[0.5, 1.5]], "list of groups"),
        ([[10_000]], "must lie in"),
        ([np.ones(3, dtype=bool)], "one entry per training sample"),
    ],
)
def test_group_errors(groups, match):
    _, model, _, _, Xte, yte = _split(load_wine, 0.3)
    with pytest.raises(ValueError, match=match):
        model.group_removal_effect(Xte, yte, groups=groups)
    with pytest.raises(ValueError, match="method must be one of"):
        model.group_removal_effect(Xte, yte, groups=[[0]], method="lissa")
