"""Bad input gets a clear error that says what is wrong and what to do."""

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from sklinfluence import InfluenceClassifier
from sklinfluence.exceptions import UnsupportedEstimatorError


@pytest.fixture(scope="module")
def fitted():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    model = InfluenceClassifier(LogisticRegression(tol=1e-10, max_iter=1000))
    return model.fit(X, y), X, y


METHODS = ["influence_upweight", "influence_perturb", "removal_effect", "explain"]


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_training_data(value):
    X, y = load_iris(return_X_y=True)
    X = X.copy()
    X[3, 1] = value
    with pytest.raises(ValueError, match="NaN|infinity"):
        InfluenceClassifier().fit(X, y)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_test_data(fitted, method, value):
    model, X, y = fitted
    X_test = X[:3].copy()
    X_test[0, 0] = value
    with pytest.raises(ValueError, match="NaN|infinity"):
        getattr(model, method)(X_test, y[:3])


@pytest.mark.parametrize("method", METHODS)
def test_wrong_number_of_features(fitted, method):
    model, X, y = fitted
    with pytest.raises(ValueError, match="X has 3 features, but InfluenceClassifier"):
        getattr(model, method)(X[:2, :3], y[:2])


@pytest.mark.parametrize("method", METHODS)
def test_labels_not_seen_in_fit(fitted, method):
    model, X, _ = fitted
    with pytest.raises(ValueError, match=r"labels not seen in fit: \[7\]"):
        getattr(model, method)(X[:2], [0, 7])


@pytest.mark.parametrize("method", METHODS)
def test_mismatched_test_targets(fitted, method):
    model, X, y = fitted
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        getattr(model, method)(X[:3], y[:2])


@pytest.mark.parametrize(
    "method",
    METHODS + ["self_influence", "influence_params", "removal_params"],
)
def test_unfitted(method):
    X, y = load_iris(return_X_y=True)
    model = InfluenceClassifier()
    training_only = ("self_influence", "influence_params", "removal_params")
    args = () if method in training_only else (X, y)
    with pytest.raises(NotFittedError):
        getattr(model, method)(*args)


def test_unsupported_estimator_lists_what_is_supported():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(UnsupportedEstimatorError) as info:
        InfluenceClassifier(DecisionTreeClassifier()).fit(X, y)
    message = str(info.value)
    assert "DecisionTreeClassifier" in message
    assert "Supported estimators" in message and "LogisticRegression" in message


@pytest.mark.parametrize(
    "params, match",
    [
        ({"damping": -1.0}, "'damping' parameter of InfluenceClassifier must be"),
        ({"damping": np.nan}, "'damping' parameter"),
        ({"solver": "lissa"}, "'solver' parameter"),
        ({"cg_tol": 0.0}, "'cg_tol' parameter"),
        ({"cg_max_iter": 0}, "'cg_max_iter' parameter"),
        ({"optimum_tol": -1}, "'optimum_tol' parameter"),
    ],
)
def test_bad_parameters_are_reported_on_fit(params, match):
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match=match):
        InfluenceClassifier(**params).fit(X, y)


def test_bad_sample_weight():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="one weight per training sample"):
        InfluenceClassifier().fit(X, y, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="non-negative"):
        InfluenceClassifier().fit(X, y, sample_weight=-np.ones(len(y)))


def test_bad_train_indices(fitted):
    model, X, y = fitted
    with pytest.raises(ValueError, match=r"must lie in \[-150, 150\)"):
        model.influence_upweight(X[:2], y[:2], train_indices=[0, 150])
    with pytest.raises(ValueError, match="integer row positions"):
        model.influence_upweight(X[:2], y[:2], train_indices=[0.5])
    with pytest.raises(ValueError, match="one entry per training sample"):
        model.influence_upweight(X[:2], y[:2], train_indices=np.ones(3, bool))


def test_bad_method_and_n_top(fitted):
    model, X, y = fitted
    with pytest.raises(ValueError, match="method must be one of"):
        model.removal_effect(X[:2], y[:2], method="second_order")
    with pytest.raises(ValueError, match="n_top must be a positive integer"):
        model.explain(X[:2], y[:2], n_top=0)


def test_non_finite_regression_test_targets_are_refused():
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge

    from sklinfluence import InfluenceRegressor

    X, y = load_diabetes(return_X_y=True)
    model = InfluenceRegressor(Ridge()).fit(X[:100], y[:100])
    for bad in (np.nan, np.inf):
        for method in ("influence_upweight", "removal_effect", "explain"):
            with pytest.raises(ValueError, match="NaN|infinity"):
                getattr(model, method)(X[:2], np.array([1.0, bad]))


def test_removals_that_leave_no_model_are_refused(fitted):
    model, X, y = fitted
    everything = np.arange(len(y))
    with pytest.raises(ValueError, match="could not be refitted"):
        model.group_removal_effect(X[:2], y[:2], groups=[everything])
    with pytest.raises(ValueError, match=r"every sample of class \[0\]"):
        model.group_removal_effect(X[:2], y[:2], groups=[np.flatnonzero(y == 0)])
    # A class with a single sample cannot lose it.
    keep = np.r_[np.flatnonzero(y != 2), np.flatnonzero(y == 2)[:1]]
    lonely = InfluenceClassifier(LogisticRegression(tol=1e-10)).fit(X[keep], y[keep])
    with pytest.raises(ValueError, match=r"every sample of class \[2\]"):
        lonely.removal_effect(X[:2], y[:2])
    assert lonely.removal_effect(X[:2], y[:2], train_indices=[0, 1]).shape == (2, 2)


def test_wrong_kind_of_estimator_is_refused():
    from sklearn.linear_model import Ridge

    from sklinfluence import InfluenceRegressor

    X, y = load_iris(return_X_y=True)
    with pytest.raises(UnsupportedEstimatorError, match="use InfluenceRegressor"):
        InfluenceClassifier(Ridge()).fit(X, y)
    with pytest.raises(UnsupportedEstimatorError, match="use InfluenceClassifier"):
        InfluenceRegressor(LogisticRegression()).fit(X, y.astype(float))


def test_multi_output_targets_are_refused():
    from sklearn.linear_model import Ridge

    from sklinfluence import InfluenceRegressor

    X, y = load_iris(return_X_y=True)
    with pytest.raises(UnsupportedEstimatorError, match="multi-output"):
        InfluenceRegressor(Ridge()).fit(X, np.c_[y, y])


def test_frozen_pipeline_is_explained_like_a_refitted_one():
    from numpy.testing import assert_allclose
    from sklearn.frozen import FrozenEstimator
    from sklearn.pipeline import make_pipeline

    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), LogisticRegression(tol=1e-10))
    frozen = InfluenceClassifier(FrozenEstimator(clone_fit(pipe, X, y))).fit(X, y)
    fresh = InfluenceClassifier(pipe).fit(X, y)
    assert_allclose(
        frozen.influence_upweight(X[:3], y[:3]),
        fresh.influence_upweight(X[:3], y[:3]),
        rtol=1e-8,
    )


def clone_fit(estimator, X, y):
    from sklearn.base import clone

    return clone(estimator).fit(X, y)


@pytest.mark.parametrize(
    "name, bad, match",
    [("poisson", -5.0, "y >= 0"), ("gamma", 0.0, "y > 0")],
)
def test_test_targets_outside_the_loss_domain_are_refused(name, bad, match):
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import GammaRegressor, PoissonRegressor

    from sklinfluence import InfluenceRegressor

    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    estimator = {"poisson": PoissonRegressor, "gamma": GammaRegressor}[name]()
    model = InfluenceRegressor(estimator).fit(X[:100], y[:100])
    with pytest.raises(ValueError, match=match):
        model.removal_effect(X[:2], np.array([10.0, bad]))
    assert np.all(np.isfinite(model.removal_effect(X[:2])))
