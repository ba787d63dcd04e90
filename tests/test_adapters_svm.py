"""Adapters of the margin classifiers (LinearSVC, SVC, SGDClassifier, SmoothHinge).

Each setting is checked twice: the stationarity of the objective the adapter
writes down, at the fitted model, and its predicted removal effects against
actual refits of the scikit-learn estimator (warm-started where the
estimator allows it, at a tight tolerance otherwise).
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.linear_model import SGDClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklinfluence import InfluenceClassifier, SmoothHingeClassifier
from sklinfluence._adapters import stack_theta
from sklinfluence._margin import Hinge, SmoothHinge
from sklinfluence._refits import agreement, refit_without
from sklinfluence.exceptions import (
    ConvergenceWarning,
    HingeSmoothingWarning,
    IllConditionedHessianWarning,
    UnsupportedEstimatorError,
)

from ._data import load_example


def _data(name):
    loader = {
        "breast_cancer": load_breast_cancer,
        "wine": load_wine,
        "iris": load_iris,
    }[name]
    X, y = loader(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    order = np.random.RandomState(0).permutation(len(y))
    return X[order], y[order]


def _digits_1_vs_7(n_train=300):
    X, y = load_digits(return_X_y=True)
    keep = np.isin(y, [1, 7])
    X, y = X[keep] / 16.0, y[keep]
    order = np.random.RandomState(0).permutation(len(y))
    X, y = X[order], y[order]
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def _lsvc(**kw):
    return LinearSVC(**{"tol": 1e-10, "max_iter": 100_000, **kw})


def _sgd(loss, **kw):
    params = dict(alpha=0.1, average=True, max_iter=2000, tol=None, random_state=0)
    params.update(kw)
    return SGDClassifier(loss=loss, **params)


def _fit(estimator, X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HingeSmoothingWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        return InfluenceClassifier(estimator, **kw).fit(X, y)


def _refit(model, estimator, X, y, i):
    """Parameters of ``estimator`` refitted without row ``i``, warm where possible."""
    # liblinear, libsvm and SmoothHingeClassifier have no warm start; they
    # are refitted to a tight tolerance instead. SGD starts at the fit.
    est = refit_without(estimator, X, y, i, warm_from=model.estimator_)
    return stack_theta(est.coef_, est.intercept_, model.objective_.fit_intercept)


def _removal_comparison(estimator, X, y, n_test=4, n_refits=20, **kw):
    """Predicted (first_order, newton) and actual test-loss changes on removal.

    Test points are the held-out rows with the largest loss, so the loss is
    active; the refitted rows are the most influential ones plus a few
    random others.
    """
    X_train, y_train, X_hold, y_hold = X[:-40], y[:-40], X[-40:], y[-40:]
    model = _fit(estimator, X_train, y_train, **kw)
    obj = model.objective_
    hold_loss = obj.loss.loss(model.target_encoding_(y_hold), obj.decision(X_hold))
    test = np.argsort(-hold_loss)[:n_test]
    X_test, y_test = X_hold[test], y_hold[test]
    codes = model.target_encoding_(y_test)
    base = obj.loss.loss(codes, obj.decision(X_test))

    first = model.removal_effect(X_test, y_test, method="first_order")
    strongest = np.argsort(-np.abs(first).max(axis=1))[: n_refits - 5]
    extra = np.random.RandomState(1).choice(len(y_train), 5, replace=False)
    sel = np.unique(np.r_[strongest, extra])
    newton = model.removal_effect(X_test, y_test, method="newton", train_indices=sel)
    actual = np.array(
        [
            obj.loss.loss(
                codes,
                obj.decision(
                    X_test, _refit(model, estimator, X_train, y_train, i).ravel()
                ),
            )
            - base
            for i in sel
        ]
    )
    return model, first[sel], newton, actual


def _expected_failed_checks(estimator):
    if isinstance(estimator.estimator, SVC):
        reason = (
            "inherited from libsvm: sample_weight is not equivalent to "
            "removing/repeating samples (scikit-learn lists the same xfail)"
        )
        return {
            "check_sample_weight_equivalence_on_dense_data": reason,
            "check_sample_weight_equivalence_on_sparse_data": reason,
        }
    return {}


@parametrize_with_checks(
    [
        InfluenceClassifier(SmoothHingeClassifier()),
        InfluenceClassifier(SVC(kernel="linear")),
    ],
    expected_failed_checks=_expected_failed_checks,
)
def test_wrapper_is_sklearn_compatible(estimator, check):
    # SVC is binary only here: the wrapper's tags say so, and the
    # multiclass checks are skipped by scikit-learn.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HingeSmoothingWarning)
        check(estimator)


# ----------------------------------------------------------------------
# stationarity at the fitted model


@pytest.mark.parametrize(
    "estimator, data, bound",
    [
        (SmoothHingeClassifier(C=0.1, t=0.1), "breast_cancer", 1e-8),
        (SmoothHingeClassifier(C=0.1, t=0.01, class_weight="balanced"), "wine", 1e-8),
        (_lsvc(C=0.1, dual=False), "breast_cancer", 1e-5),
        (_lsvc(C=0.1, dual=True), "breast_cancer", 1e-5),
        (
            _lsvc(C=0.1, dual=False, intercept_scaling=10, class_weight="balanced"),
            "breast_cancer",
            1e-5,
        ),
        (_lsvc(C=0.1, dual=False, class_weight={0: 2.0, 1: 1.0, 2: 0.5}), "wine", 1e-5),
        (_lsvc(C=0.1, dual=False, fit_intercept=False), "iris", 1e-5),
    ],
)
def test_fitted_model_is_stationary(estimator, data, bound):
    X, y = _data(data)
    sw = np.random.RandomState(0).uniform(0.5, 2.0, len(y))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = InfluenceClassifier(estimator).fit(X, y, sample_weight=sw)
    assert model.optimality_ < bound


def test_liblinear_intercept_penalty_is_needed():
    # The wrong rule (unpenalized intercept) is visibly not stationary.
    X, y = _data("breast_cancer")
    model = InfluenceClassifier(_lsvc(C=0.1, dual=False)).fit(X, y)
    obj = model.objective_
    assert obj.penalty[0, -1] == 1.0
    obj.penalty[0, -1] = 0.0
    assert obj.relative_gradient_norm() > 1e-2


@pytest.mark.parametrize(
    "estimator, bound",
    [
        (_sgd("log_loss"), 5e-3),
        (_sgd("modified_huber"), 3e-2),
        (_sgd("squared_hinge", learning_rate="constant", eta0=1e-3), 0.1),
    ],
)
def test_sgd_is_only_approximately_stationary(estimator, bound):
    # SGD stops near the optimum; the fit-time check says how near.
    X, y = _data("breast_cancer")
    with pytest.warns(ConvergenceWarning, match="relative gradient norm"):
        model = InfluenceClassifier(estimator, optimum_tol=1e-5).fit(X, y)
    assert 1e-5 < model.optimality_ < bound
    quiet = InfluenceClassifier(estimator, optimum_tol=bound)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet.fit(X, y)


@pytest.mark.parametrize(
    "estimator",
    [
        _lsvc(C=0.1, loss="hinge"),
        SVC(kernel="linear", C=0.1, tol=1e-8),
        _sgd("hinge"),
    ],
)
@pytest.mark.parametrize("t", [0.0, 0.01])
def test_hinge_models_warn_that_smoothing_is_the_cause(estimator, t):
    X, y = _data("breast_cancer")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        model = InfluenceClassifier(estimator, hinge_smoothing=t).fit(X, y)
    categories = [w.category for w in record]
    assert categories == [HingeSmoothingWarning]
    message = str(record[0].message)
    assert "because of the smoothing" in message
    assert "will not change this" in message
    assert f"{model.optimality_:.3g}" in message
    margin = model.objective_.loss.margin
    assert isinstance(margin, Hinge) if t == 0 else margin.t == t


def test_raw_hinge_hessian_is_the_penalty_only():
    X, y = _data("breast_cancer")
    model = _fit(
        _lsvc(C=0.1, loss="hinge", intercept_scaling=2.0), X, y, hinge_smoothing=0.0
    )
    H = model.objective_.hessian()
    expected = np.ones(X.shape[1] + 1)
    expected[-1] = 1 / 4.0
    assert_allclose(H, np.diag(expected))

    # libsvm leaves the intercept unpenalized: with no curvature from the
    # data the Hessian is singular there, and the solver says so.
    svc = _fit(SVC(kernel="linear", C=0.1, tol=1e-8), X, y, hinge_smoothing=0.0)
    with pytest.warns(IllConditionedHessianWarning, match="singular"):
        svc.influence_upweight(X[:2], y[:2])


# ----------------------------------------------------------------------
# removal effects against actual refits


@pytest.mark.parametrize(
    "estimator, data, r_newton, slope_newton",
    [
        # SmoothHingeClassifier: the objective is exactly the one fitted.
        (SmoothHingeClassifier(C=0.1, t=0.1), "breast_cancer", 0.995, 0.05),
        (SmoothHingeClassifier(C=0.1, t=0.1), "wine", 0.995, 0.1),
        # LinearSVC, squared hinge (C^1, generalized Hessian).
        (_lsvc(C=0.1, dual=False), "breast_cancer", 0.99, 0.1),
        (_lsvc(C=0.1, dual=False), "iris", 0.995, 0.05),
        (
            _lsvc(C=0.1, dual=False, intercept_scaling=10, class_weight="balanced"),
            "wine",
            0.99,
            0.25,
        ),
        # SGD, warm-started refits of the stochastic solver.
        (_sgd("log_loss"), "breast_cancer", 0.97, 0.2),
        (_sgd("modified_huber"), "breast_cancer", 0.99, 0.1),
        (
            _sgd("squared_hinge", learning_rate="constant", eta0=1e-3),
            "breast_cancer",
            0.99,
            0.1,
        ),
        (_sgd("log_loss"), "wine", 0.99, 0.1),  # one-vs-rest
    ],
)
def test_removal_effect_matches_refits(estimator, data, r_newton, slope_newton):
    X, y = _data(data)
    _, first, newton, actual = _removal_comparison(estimator, X, y)
    assert np.abs(actual).max() > 1e-4  # the comparison is not vacuous
    r, slope = agreement(newton, actual)
    assert r > r_newton
    assert abs(slope - 1) < slope_newton
    # First order is a linearization: it correlates, but underestimates the
    # largest effects (slope below 1).
    r, slope = agreement(first, actual)
    assert r > 0.85
    assert 0.5 < slope < 1.1


@pytest.mark.parametrize(
    "estimator, data, r_first",
    [
        # Measured r (first order / newton): 0.91 / 0.93, 0.88 / 0.90,
        # 0.90 / 0.90, 0.92 / 0.92.
        (_lsvc(C=0.1, loss="hinge", tol=1e-8), "digits", 0.85),
        (SVC(kernel="linear", C=0.1, tol=1e-8), "digits", 0.8),
        (_lsvc(C=0.1, loss="hinge"), "wine", 0.8),
        (_sgd("hinge"), "breast_cancer", 0.85),
    ],
)
# Points on the margin have leverage near 1 at a small temperature; the
# library says so for the Newton step, which is expected here.
@pytest.mark.filterwarnings("ignore::sklinfluence.exceptions.ApproximationWarning")
def test_hinge_removal_effect_correlates_with_refits(estimator, data, r_first):
    # The hinge model is not an optimum of the smoothed objective, so only a
    # correlation is expected (default hinge_smoothing=0.01).
    if data == "digits":
        X, y, X_test, y_test = _digits_1_vs_7()
        X = np.vstack([X, X_test])
        y = np.concatenate([y, y_test])
    else:
        X, y = _data(data)
    _, first, newton, actual = _removal_comparison(estimator, X, y, n_refits=30)
    assert agreement(first, actual)[0] > r_first
    assert agreement(newton, actual)[0] > r_first


def test_removal_effect_multiclass_is_sum_over_outputs():
    X, y = _data("wine")
    model = _fit(SmoothHingeClassifier(C=0.1, t=0.1), X, y)
    obj = model.objective_
    codes = model.target_encoding_(y[:3])
    assert codes.shape == (3, 3)
    assert_allclose(np.abs(codes), 1.0)
    per_output = SmoothHinge(0.1)(codes * obj.decision(X[:3]))[0]
    assert_allclose(obj.loss.loss(codes, obj.decision(X[:3])), per_output.sum(axis=1))
    # Outputs are independent: the Hessian is block diagonal.
    H = obj.hessian().reshape(3, obj.n_columns, 3, obj.n_columns)
    for k in range(3):
        for m in range(3):
            if k != m:
                assert np.all(H[k, :, m, :] == 0)


# ----------------------------------------------------------------------
# the paper's smooth-hinge finding (Koh & Liang, 2017, section 4.1)


def test_smoothed_hinge_agrees_with_leave_one_out_far_better_than_raw():
    example = load_example("plot_smooth_hinge")
    actual, results = example.run()
    r = {t: corr for t, (_, corr) in results.items()}
    # Measured: raw 0.42, t=0.001 0.80, t=0.1 0.87 (paper on MNIST: 0.63,
    # 0.95, 0.91).
    assert r[0.0] < 0.55
    assert r[0.001] > 0.7 and r[0.1] > 0.7
    assert min(r[0.001], r[0.1]) - r[0.0] > 0.25


# ----------------------------------------------------------------------
# unsupported settings


@pytest.mark.parametrize(
    "estimator, data, match",
    [
        (LinearSVC(penalty="l1", dual=False), "breast_cancer", "penalty='l2'"),
        (LinearSVC(multi_class="crammer_singer"), "wine", "Crammer-Singer"),
        (SVC(kernel="rbf"), "breast_cancer", "kernel='linear'"),
        (SVC(kernel="linear"), "wine", "Only binary classification"),
        (SGDClassifier(loss="perceptron"), "breast_cancer", "supported losses"),
        (SGDClassifier(penalty="l1"), "breast_cancer", "penalty='l2'"),
        (SGDClassifier(early_stopping=True), "breast_cancer", "early_stopping"),
    ],
)
def test_unsupported_settings_raise_clear_errors(estimator, data, match):
    X, y = _data(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.raises(ValueError, match=match):
            InfluenceClassifier(estimator).fit(X, y)


def test_multiclass_svc_trained_elsewhere_is_refused_by_its_adapter():
    from sklearn.frozen import FrozenEstimator

    X, y = _data("wine")
    frozen = FrozenEstimator(SVC(kernel="linear").fit(X, y))
    with pytest.raises(UnsupportedEstimatorError, match="one-vs-one"):
        InfluenceClassifier(frozen).fit(X, y)


@pytest.mark.parametrize("value", [-0.1, np.inf, "auto"])
def test_invalid_hinge_smoothing(value):
    X, y = _data("breast_cancer")
    with pytest.raises(ValueError, match="'hinge_smoothing' parameter"):
        InfluenceClassifier(LinearSVC(), hinge_smoothing=value).fit(X, y)


def test_hinge_smoothing_is_a_plain_parameter():
    model = InfluenceClassifier(LinearSVC(), hinge_smoothing=0.05)
    assert model.get_params()["hinge_smoothing"] == 0.05
    assert clone(model).hinge_smoothing == 0.05
    assert InfluenceClassifier().hinge_smoothing == 0.01
