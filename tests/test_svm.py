"""Tests of SmoothHingeClassifier: the estimator, its objective and its influences."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse
from sklearn.datasets import load_breast_cancer, load_iris, load_wine
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklinfluence import InfluenceClassifier, SmoothHingeClassifier
from sklinfluence._losses import SmoothHingeLoss, smooth_hinge
from sklinfluence._margin import OneVsRestMarginLoss, SmoothHinge


@parametrize_with_checks([SmoothHingeClassifier(t=0.01)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _scaled(loader):
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


# ----------------------------------------------------------------------
# CASES.md C7: the smooth hinge at huge and tiny scales


def test_smooth_hinge_at_small_temperature_is_exact_at_the_kink():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, d1, d2 = smooth_hinge([0.0], t=0.001)
    # At m = 0 the exponent (1 - m)/t = 1000: log1p(exp(-1000)) underflows to 0.
    assert value[0] == 1.0
    assert d1[0] == -1.0
    assert d2[0] == 0.0


@pytest.mark.parametrize("t", [1e-3, 0.1, 1.0])
def test_smooth_hinge_is_finite_at_huge_margins(t):
    margins = np.array([-1e6, -1000.0, -1.0, 0.0, 1.0, 2.0, 1000.0, 1e6])
    y = np.ones(len(margins))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, d1, d2 = smooth_hinge(margins, t)
        loss = OneVsRestMarginLoss(SmoothHinge(t), 1)
        eta = margins[:, None]
        parts = (loss.loss(y, eta), loss.gradient(y, eta), loss.hess_diag(y, eta))
        legacy = SmoothHingeLoss(t)
        legacy_parts = (legacy.loss(y, eta), legacy.gradient(y, eta))
    for arr in (value, d1, d2, *parts, *legacy_parts):
        assert np.all(np.isfinite(arr))
    # Far on the wrong side the loss is linear, far on the right side zero.
    assert_allclose(value[0], 1 + 1e6)
    assert value[-1] == 0.0 and d1[-1] == 0.0 and d2[-1] == 0.0
    assert_allclose(parts[0], value)
    assert_allclose(parts[1][:, 0], d1)


def test_smooth_hinge_derivatives_match_finite_differences():
    m = np.linspace(-2, 3, 41)
    h = 1e-6
    for t in (0.05, 0.5):
        value, d1, d2 = smooth_hinge(m, t)
        up, d1_up, _ = smooth_hinge(m + h, t)
        down, d1_down, _ = smooth_hinge(m - h, t)
        assert_allclose(d1, (up - down) / (2 * h), rtol=1e-6, atol=1e-8)
        assert_allclose(d2, (d1_up - d1_down) / (2 * h), rtol=1e-5, atol=1e-7)


# ----------------------------------------------------------------------
# the estimator


def test_binary_fit_reaches_a_tight_optimum_and_labels():
    X, y = _scaled(load_breast_cancer)
    clf = SmoothHingeClassifier(C=0.5, t=0.05).fit(X, y)
    assert clf.coef_.shape == (1, X.shape[1]) and clf.intercept_.shape == (1,)
    scores = clf.decision_function(X)
    assert_array_equal(clf.predict(X), clf.classes_[(scores > 0).astype(int)])
    assert clf.score(X, y) > 0.97

    # The wrapper's stationarity figure is the gradient of the objective.
    model = InfluenceClassifier(SmoothHingeClassifier(C=0.5, t=0.05)).fit(X, y)
    assert model.optimality_ < 1e-6


def test_small_temperature_approaches_the_hinge_svm():
    from sklearn.svm import SVC

    X, y = _scaled(load_breast_cancer)
    svm = SVC(kernel="linear", C=0.1, tol=1e-8).fit(X, y)
    smooth = SmoothHingeClassifier(C=0.1, t=1e-3).fit(X, y)
    assert_allclose(smooth.coef_, svm.coef_, atol=0.02 * np.abs(svm.coef_).max())


def test_multiclass_is_one_vs_rest_of_binary_problems():
    X, y = _scaled(load_wine)
    cw = {0: 2.0, 1: 1.0, 2: 0.5}
    clf = SmoothHingeClassifier(C=0.2, t=0.05, class_weight=cw).fit(X, y)
    assert clf.coef_.shape == (3, X.shape[1])
    assert clf.decision_function(X).shape == (len(y), 3)
    # Row k is the binary problem of class k against the rest, with class k
    # weighted by class_weight[k] and the rest by 1, as in LinearSVC.
    for k in range(3):
        yk = (y == k).astype(int)
        sw = np.where(y == k, cw[k], 1.0)
        binary = SmoothHingeClassifier(C=0.2, t=0.05).fit(X, yk, sample_weight=sw)
        assert_allclose(clf.coef_[k], binary.coef_[0], rtol=1e-6, atol=1e-8)
        assert_allclose(clf.intercept_[k], binary.intercept_[0], rtol=1e-6, atol=1e-8)


def test_integer_weights_equal_repeated_rows_and_sparse_equals_dense():
    X, y = _scaled(load_iris)
    rng = np.random.RandomState(0)
    sw = rng.randint(0, 4, len(y)).astype(float)
    weighted = SmoothHingeClassifier(C=0.3).fit(X, y, sample_weight=sw)
    rows = np.repeat(np.arange(len(y)), sw.astype(int))
    repeated = SmoothHingeClassifier(C=0.3).fit(X[rows], y[rows])
    assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-6, atol=1e-8)
    on_sparse = SmoothHingeClassifier(C=0.3).fit(sparse.csr_matrix(X), y, sw)
    assert_allclose(on_sparse.coef_, weighted.coef_, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"t": 0.0}, "'t' parameter"),
        ({"C": -1.0}, "'C' parameter"),
        ({"max_iter": 0}, "'max_iter' parameter"),
        ({"class_weight": "auto"}, "'class_weight' parameter"),
    ],
)
def test_invalid_parameters_are_reported_on_fit(params, match):
    X, y = _scaled(load_iris)
    with pytest.raises(ValueError, match=match):
        SmoothHingeClassifier(**params).fit(X, y)


def test_max_iter_too_small_warns():
    X, y = _scaled(load_breast_cancer)
    with pytest.warns(Warning, match="did not converge"):
        SmoothHingeClassifier(t=1e-3, max_iter=1, tol=1e-14).fit(X[:, :2000], y)


def test_influence_perturb_matches_refits_with_a_moved_input():
    # One-vs-rest on iris: moving one training input and refitting changes
    # the (summed) test loss by (c_i / sum c) * I_pert . delta.
    X, y = _scaled(load_iris)
    X_train, y_train, X_test, y_test = X[:-10], y[:-10], X[-10:-7], y[-10:-7]
    clf = SmoothHingeClassifier(C=0.1, t=0.1)
    model = InfluenceClassifier(clf).fit(X_train, y_train)
    obj = model.objective_
    codes = model.target_encoding_(y_test)
    base = obj.loss.loss(codes, obj.decision(X_test))
    weight = obj.data_weights()
    i, h = 7, 1e-5
    pert = model.influence_perturb(X_test, y_test, train_indices=[i])[0]
    for a in range(X.shape[1]):
        moved = X_train.copy()
        moved[i, a] += h
        refit = SmoothHingeClassifier(C=0.1, t=0.1).fit(moved, y_train)
        theta = np.hstack([refit.coef_, refit.intercept_[:, None]]).ravel()
        actual = (obj.loss.loss(codes, obj.decision(X_test, theta)) - base) / h
        predicted = weight[i] / weight.sum() * pert[:, a]
        assert_allclose(predicted, actual, rtol=1e-3, atol=1e-6)
