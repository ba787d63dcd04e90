"""L1 and elastic-net models: influence on the active set, support changes.

Every flag of :meth:`support_changes` is compared with the support of an
actual refit without the point, and removal effects of the points whose
removal keeps the support with actual refits.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.linear_model import ElasticNet, Lasso, LogisticRegression
from sklearn.preprocessing import scale

from sklinfluence import InfluenceClassifier, InfluenceRegressor
from sklinfluence.exceptions import SupportChangeWarning, UnsupportedEstimatorError

from ._data import diabetes
from ._refits import actual_effects, quiet_refit_without, slope_corr

pytestmark = pytest.mark.filterwarnings(
    # LogisticRegression's l1_ratio with liblinear still warns in 1.9.
    "ignore::FutureWarning"
)


def _cancer():
    X, y = load_breast_cancer(return_X_y=True)
    X = scale(X)
    return X[:150], y[:150], X[400:415], y[400:415]


TIGHT = dict(tol=1e-12, max_iter=100_000)

CASES = [
    ("lasso", InfluenceRegressor, Lasso(alpha=0.05, **TIGHT), diabetes),
    (
        "elastic-net",
        InfluenceRegressor,
        ElasticNet(alpha=0.02, l1_ratio=0.7, **TIGHT),
        diabetes,
    ),
    (
        "logistic-liblinear-l1",
        InfluenceClassifier,
        LogisticRegression(solver="liblinear", l1_ratio=1.0, C=0.5, tol=1e-10),
        _cancer,
    ),
    (
        "logistic-saga-elastic-net",
        InfluenceClassifier,
        LogisticRegression(
            solver="saga", l1_ratio=0.5, C=0.5, tol=1e-10, max_iter=100_000
        ),
        _cancer,
    ),
]
IDS = [c[0] for c in CASES]


def _support(model):
    return np.ravel(model.coef_) != 0


@pytest.mark.parametrize("name, wrapper, estimator, data", CASES, ids=IDS)
def test_stationarity_on_the_active_set(name, wrapper, estimator, data):
    X, y, _, _ = data()
    model = wrapper(estimator).fit(X, y)
    obj = model.objective_
    assert model.optimality_ < 1e-6
    assert 0 < obj.n_active < X.shape[1]

    # Zero coefficients satisfy |G_j| <= l1_j; non-zero ones sit at G_j = -l1 sign.
    _, G, lam = obj._frozen_data_gradient()
    assert np.all(np.abs(G) <= lam * (1 + 1e-6))


@pytest.mark.parametrize("name, wrapper, estimator, data", CASES, ids=IDS)
def test_support_changes_match_refits(name, wrapper, estimator, data):
    X, y, X_test, y_test = data()
    model = wrapper(estimator).fit(X, y)
    flags = model.support_changes()
    assert flags.shape == (len(y),)

    # Refit a spread of points plus every flagged one (slow solvers: fewer).
    step = 15 if "saga" in name else 3
    idx = np.union1d(np.arange(0, len(y), step), np.flatnonzero(flags)[:10])
    support = _support(model.estimator_)
    changed = np.array(
        [
            np.any(_support(quiet_refit_without(model.estimator_, X, y, i)) != support)
            for i in idx
        ]
    )
    # Measured: the flags agree with every refit on these data; allow one
    # borderline case in either direction.
    assert changed.any() and not changed.all()
    assert np.sum(flags[idx] != changed) <= 1

    # Where the support stays, the Newton step matches the refits.
    keep = idx[~changed & ~flags[idx]]
    with warnings.catch_warnings():
        warnings.simplefilter("error", SupportChangeWarning)
        newton = model.removal_effect(X_test, y_test, train_indices=keep)
        first = model.removal_effect(
            X_test, y_test, method="first_order", train_indices=keep
        )
    actual = actual_effects(model, X_test, y_test, keep)
    slope, corr = slope_corr(newton, actual)
    assert 0.97 < slope < 1.03, slope
    assert corr > 0.999, corr
    slope_fo, corr_fo = slope_corr(first, actual)
    assert corr_fo > 0.99 and 0.9 < slope_fo < 1.3

    # Asking for a flagged point warns.
    if flags.any():
        with pytest.warns(SupportChangeWarning, match="would change which"):
            model.removal_effect(
                X_test, y_test, train_indices=np.flatnonzero(flags)[:1]
            )


def test_active_set_shapes_and_zeros():
    X, y, X_test, y_test = diabetes()
    model = InfluenceRegressor(Lasso(alpha=0.05, **TIGHT)).fit(X, y)
    inactive = np.ravel(model.estimator_.coef_) == 0
    assert inactive.any()

    perturb = model.influence_perturb(X_test, y_test, train_indices=[0, 1, 2])
    assert perturb.shape == (3, len(y_test), X.shape[1])
    # Zero up to rounding in the Hessian's eigendecomposition.
    largest = np.abs(perturb[:, :, ~inactive]).max()
    assert largest > 0
    assert_allclose(perturb[:, :, inactive], 0.0, atol=1e-12 * largest)

    params = model.influence_params(train_indices=[0, 1])
    assert params.shape == (2, X.shape[1] + 1)
    assert_allclose(params[:, :-1][:, inactive], 0.0, atol=1e-12 * np.abs(params).max())

    # Test features of zero coefficients do not matter.
    X_moved = X_test.copy()
    X_moved[:, inactive] += 10.0
    assert_allclose(
        model.influence_upweight(X_moved, y_test),
        model.influence_upweight(X_test, y_test),
    )


def test_elastic_net_sample_weight_scaling():
    # scikit-learn averages the data term by the total weight: the stationarity
    # check holds with it, and removal matches weighted refits.
    X, y, X_test, y_test = diabetes()
    sw = np.random.default_rng(0).integers(1, 4, len(y)).astype(float)
    estimator = ElasticNet(alpha=0.05, l1_ratio=0.5, **TIGHT)
    model = InfluenceRegressor(estimator).fit(X, y, sample_weight=sw)
    assert model.optimality_ < 1e-8
    flags = model.support_changes()
    idx = np.flatnonzero(~flags)[::25]
    newton = model.removal_effect(X_test, y_test, train_indices=idx)
    actual = actual_effects(model, X_test, y_test, idx, sample_weight=sw)
    slope, corr = slope_corr(newton, actual)
    assert 0.97 < slope < 1.03 and corr > 0.999


def test_liblinear_zero_intercept_is_frozen():
    X, y, _, _ = _cancer()
    estimator = LogisticRegression(solver="liblinear", l1_ratio=1.0, C=0.5, tol=1e-10)
    model = InfluenceClassifier(estimator).fit(X, y)
    assert model.estimator_.intercept_[0] == 0.0
    assert not model.objective_.fit_intercept
    assert model.influence_params(train_indices=[0]).shape == (1, X.shape[1])


def test_multinomial_l1_is_refused():
    X, y = load_wine(return_X_y=True)
    estimator = LogisticRegression(solver="saga", l1_ratio=1.0, max_iter=50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(UnsupportedEstimatorError, match="binary problems only"):
            InfluenceClassifier(estimator).fit(scale(X), y)


def test_l2_logistic_regression_still_served():
    X, y, X_test, y_test = _cancer()
    model = InfluenceClassifier(LogisticRegression(tol=1e-10)).fit(X, y)
    assert not hasattr(model.objective_, "active")
    assert not model.support_changes(train_indices=[0, 1]).any()


def test_active_set_with_cg_solver_and_in_a_pipeline():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_diabetes(return_X_y=True)
    X_train, y_train, X_test, y_test = X[:200], y[:200], X[300:305], y[300:305]
    scaler = StandardScaler().fit(X_train)
    lasso = Lasso(alpha=2.0, **TIGHT)
    direct = InfluenceRegressor(lasso).fit(scaler.transform(X_train), y_train)
    assert 0 < direct.objective_.n_active < X.shape[1]
    expected = direct.influence_upweight(scaler.transform(X_test), y_test)

    cg = InfluenceRegressor(lasso, solver="cg", cg_tol=1e-12)
    cg.fit(scaler.transform(X_train), y_train)
    assert_allclose(
        cg.influence_upweight(scaler.transform(X_test), y_test),
        expected,
        rtol=1e-6,
        atol=1e-9 * np.abs(expected).max(),
    )

    piped = InfluenceRegressor(make_pipeline(StandardScaler(), lasso))
    piped.fit(X_train, y_train)
    assert_allclose(piped.influence_upweight(X_test, y_test), expected, rtol=1e-8)
    assert_allclose(piped.support_changes(), direct.support_changes())


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning:sklearn")
def test_unconverged_lasso_warns_and_all_zero_lasso_is_optimal():
    from sklearn.exceptions import ConvergenceWarning

    X, y, _, _ = diabetes()
    # Ours among the solver's own warnings (all ConvergenceWarning).
    with pytest.warns(ConvergenceWarning) as record:
        InfluenceRegressor(Lasso(alpha=0.01, max_iter=1, tol=0.0)).fit(X, y)
    assert any("relative gradient norm is" in str(w.message) for w in record)

    # A penalty so strong that every coefficient is zero: the intercept alone
    # is active, and the zero coefficients satisfy their KKT conditions.
    model = InfluenceRegressor(Lasso(alpha=10.0)).fit(X, y)
    assert model.objective_.n_active == 0
    assert model.optimality_ < 1e-10
    assert not model.support_changes().any()
