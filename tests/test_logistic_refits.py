"""Influence estimates for LogisticRegression against actual refits.

The acceptance figures of the core: on breast_cancer (standardized, C=1) the
Newton-step removal effect of the 30 most influential training points on 20
random test points has Pearson r >= 0.99 and slope within 5% of 1 against
refits, the first-order one r >= 0.9, and the exact mode matches to 1e-6.
Slopes are least-squares fits of predicted on actual through the origin.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_class_weight

from sklinfluence import InfluenceClassifier
from sklinfluence._refits import agreement

from ._refits import actual_removal


def _split(loader, n_test, seed=0, n_train=None):
    X, y = loader(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=n_test, random_state=seed, stratify=y
    )
    if n_train is not None:
        X_train, y_train = X_train[:n_train], y_train[:n_train]
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def _top_points(model, X_test, y_test, n_points):
    effect = model.removal_effect(X_test, y_test, method="first_order")
    return np.argsort(-np.abs(effect).sum(axis=1))[:n_points]


def _check(model, estimator, X_test, y_test, n_points, r_newton, slope_tol, r_first):
    top = _top_points(model, X_test, y_test, n_points)
    actual = actual_removal(model, estimator, top, X_test, y_test)
    newton = model.removal_effect(X_test, y_test, method="newton", train_indices=top)
    first = model.removal_effect(
        X_test, y_test, method="first_order", train_indices=top
    )
    exact = model.removal_effect(X_test, y_test, method="exact", train_indices=top)

    r, slope = agreement(newton, actual)
    assert r >= r_newton
    assert abs(slope - 1) <= slope_tol
    r, _ = agreement(first, actual)
    assert r >= r_first
    assert_allclose(exact, actual, atol=1e-6)
    return top


def test_binary_breast_cancer_acceptance():
    X_train, X_test, y_train, y_test = _split(load_breast_cancer, 0.25)
    estimator = LogisticRegression(C=1.0, solver="newton-cholesky", tol=1e-12)
    model = InfluenceClassifier(estimator).fit(X_train, y_train)
    rng = np.random.RandomState(0)
    test = rng.choice(len(X_test), 20, replace=False)
    _check(model, estimator, X_test[test], y_test[test], 30, 0.99, 0.05, 0.9)


@pytest.mark.parametrize(
    "loader, n_train, C",
    [(load_digits, 500, 0.1), (load_wine, None, 1.0), (load_iris, None, 1.0)],
)
def test_multinomial_refits(loader, n_train, C):
    X_train, X_test, y_train, y_test = _split(loader, 0.3, n_train=n_train)
    estimator = LogisticRegression(C=C, tol=1e-12, max_iter=10_000)
    model = InfluenceClassifier(estimator).fit(X_train, y_train)
    assert len(model.classes_) >= 3
    _check(model, estimator, X_test[:15], y_test[:15], 12, 0.99, 0.1, 0.9)


def test_sample_weight_and_class_weight_refits():
    X_train, X_test, y_train, y_test = _split(load_breast_cancer, 0.25)
    # Removing a point of weight 2 removes two copies at once, where the
    # one-step estimates are less accurate; the exact mode must still match.
    sw = np.random.RandomState(1).randint(1, 3, size=len(y_train)).astype(float)
    # class_weight="balanced" is held fixed on removal (documented): the
    # refits use the class weights of the full data.
    classes = np.unique(y_train)
    cw = compute_class_weight("balanced", classes=classes, y=y_train, sample_weight=sw)
    estimator = LogisticRegression(C=0.1, class_weight="balanced", tol=1e-12)
    model = InfluenceClassifier(estimator).fit(X_train, y_train, sample_weight=sw)
    frozen = estimator.set_params(class_weight=dict(zip(classes, cw)))
    _check(model, frozen, X_test[:20], y_test[:20], 20, 0.99, 0.15, 0.9)


@pytest.mark.parametrize("intercept_scaling", [1.0, 10.0])
def test_liblinear_refits(intercept_scaling):
    X_train, X_test, y_train, y_test = _split(load_breast_cancer, 0.25)
    estimator = LogisticRegression(
        solver="liblinear", C=0.3, intercept_scaling=intercept_scaling, tol=1e-12
    )
    model = InfluenceClassifier(estimator).fit(X_train, y_train)
    assert model.optimality_ < 1e-5
    _check(model, estimator, X_test[:20], y_test[:20], 15, 0.99, 0.15, 0.9)


def test_upweighting_matches_refit_derivative():
    """``influence_params`` is the derivative of the parameters in the weight."""
    X_train, _, y_train, _ = _split(load_wine, 0.3)
    estimator = LogisticRegression(C=1.0, tol=1e-12, max_iter=10_000)
    model = InfluenceClassifier(estimator).fit(X_train, y_train)
    i, eps = 7, 1e-2
    sw = np.ones(len(y_train))
    sw[i] += eps
    refit = InfluenceClassifier(estimator).fit(X_train, y_train, sample_weight=sw)
    # A weight change ds moves the normalized objective's weight by C ds / sum(c).
    total = model.objective_.data_weights().sum()
    predicted = model.influence_params(train_indices=[i])[0] * estimator.C * eps / total
    actual = (refit.objective_.theta - model.objective_.theta).ravel()
    # The difference quotient is accurate to O(eps) relative.
    assert_allclose(predicted, actual, rtol=2e-2, atol=1e-3 * np.abs(actual).max())


def _perturbation_effects(estimator, X_train, y_train, X_test, y_test, i, seed):
    """Predicted and refitted change of each test loss when ``x_i`` moves a little.

    Training input ``i`` moves by ``1e-3`` times a standard normal vector;
    the prediction is ``(c_i / sum(c)) * influence_perturb . delta``.
    """
    model = InfluenceClassifier(estimator).fit(X_train, y_train)
    delta = 1e-3 * np.random.RandomState(seed).standard_normal(X_train.shape[1])
    pert = model.influence_perturb(X_test, y_test, train_indices=[i])[0]
    obj = model.objective_
    c = obj.data_weights()
    predicted = (c[i] / c.sum()) * pert @ delta

    X_moved = X_train.copy()
    X_moved[i] += delta
    moved = InfluenceClassifier(estimator).fit(X_moved, y_train)
    y_enc = model.target_encoding_(y_test)
    actual = obj.loss.loss(y_enc, moved.objective_.decision(X_test)) - obj.loss.loss(
        y_enc, obj.decision(X_test)
    )
    return predicted, actual


def test_perturbation_matches_refit():
    """``influence_perturb`` predicts refits after moving one training input."""
    X_train, X_test, y_train, y_test = _split(load_breast_cancer, 0.25)
    estimator = LogisticRegression(C=1.0, solver="newton-cholesky", tol=1e-12)
    predicted, actual = _perturbation_effects(
        estimator, X_train, y_train, X_test[:10], y_test[:10], 3, seed=0
    )
    assert_allclose(predicted, actual, rtol=2e-2, atol=1e-10)
    r, slope = agreement(predicted, actual)
    assert r > 0.999 and abs(slope - 1) < 0.01


def test_perturbation_multinomial_matches_refit():
    X_train, X_test, y_train, y_test = _split(load_wine, 0.3)
    estimator = LogisticRegression(C=1.0, tol=1e-12, max_iter=10_000)
    predicted, actual = _perturbation_effects(
        estimator, X_train, y_train, X_test, y_test, 11, seed=2
    )
    r, slope = agreement(predicted, actual)
    assert r > 0.999 and abs(slope - 1) < 0.02
