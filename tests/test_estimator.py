"""InfluenceClassifier as a scikit-learn meta-estimator."""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn import config_context
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklinfluence import InfluenceClassifier

SAMPLE_WEIGHT_CHECKS = (
    "check_sample_weight_equivalence_on_dense_data",
    "check_sample_weight_equivalence_on_sparse_data",
)


def _expected_failures(estimator):
    """Checks the wrapped estimator itself is known to fail, with the reason."""
    inner = estimator._get_estimator()
    if getattr(inner, "solver", None) in ("sag", "saga"):
        reason = (
            "stochastic solver: sample_weight is not equivalent to "
            "removing/repeating samples (scikit-learn meta-issue #16298)"
        )
        return dict.fromkeys(SAMPLE_WEIGHT_CHECKS, reason)
    return {}


@parametrize_with_checks(
    [
        InfluenceClassifier(),
        InfluenceClassifier(LogisticRegression(solver="liblinear")),
        InfluenceClassifier(LogisticRegression(solver="saga", random_state=0)),
        InfluenceClassifier(LogisticRegression(C=np.inf)),
    ],
    expected_failed_checks=_expected_failures,
)
def test_sklearn_compatible(estimator, check):
    # The common checks fit on tiny, unscaled data at default tolerances;
    # the optimality warning is expected there and is tested elsewhere.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _tight():
    return LogisticRegression(C=1.0, tol=1e-12, max_iter=10_000)


def test_clone_and_nested_params():
    model = InfluenceClassifier(_tight(), damping=0.5)
    params = model.get_params()
    assert params["estimator__C"] == 1.0 and params["damping"] == 0.5
    copy = clone(model).set_params(estimator__C=3.0)
    assert copy.estimator.C == 3.0 and model.estimator.C == 1.0


def test_does_not_fit_the_given_estimator(cancer):
    X, y = cancer
    inner = _tight()
    model = InfluenceClassifier(inner).fit(X, y)
    assert not hasattr(inner, "coef_")
    assert model.estimator_ is not inner


def test_predictions_are_delegated(cancer):
    X, y = cancer
    model = InfluenceClassifier(_tight()).fit(X, y)
    assert_allclose(model.predict_proba(X), model.estimator_.predict_proba(X))
    assert_allclose(model.decision_function(X), model.estimator_.decision_function(X))
    assert model.score(X, y) == model.estimator_.score(X, y)
    assert model.n_features_in_ == X.shape[1]


def test_pickle_round_trip_keeps_influences(cancer):
    X, y = cancer
    model = InfluenceClassifier(_tight()).fit(X, y)
    before = model.influence_upweight(X[:5], y[:5])
    restored = pickle.loads(pickle.dumps(model))
    assert_allclose(restored.influence_upweight(X[:5], y[:5]), before)


def test_last_step_of_a_pipeline(cancer):
    X, y = cancer
    pipe = make_pipeline(StandardScaler(), InfluenceClassifier(_tight())).fit(X, y)
    model = pipe[-1]
    Xs = pipe[:-1].transform(X[:4])
    assert model.influence_upweight(Xs, y[:4]).shape == (len(y), 4)
    assert pipe.score(X, y) > 0.95


def test_pipeline_as_estimator_equals_prescaled_data():
    X, y = load_breast_cancer(return_X_y=True)
    scaler = StandardScaler().fit(X)
    wrapped = InfluenceClassifier(make_pipeline(StandardScaler(), _tight())).fit(X, y)
    plain = InfluenceClassifier(_tight()).fit(scaler.transform(X), y)
    assert_allclose(
        wrapped.influence_upweight(X[:6], y[:6]),
        plain.influence_upweight(scaler.transform(X[:6]), y[:6]),
        rtol=1e-6,
        atol=1e-8,
    )


def test_pipeline_as_estimator_routes_sample_weight():
    X, y = load_breast_cancer(return_X_y=True)
    sw = np.linspace(0.5, 2.0, len(y))
    pipe = make_pipeline(StandardScaler(), _tight())
    model = InfluenceClassifier(pipe).fit(X, y, sample_weight=sw)
    assert model.optimality_ < 1e-5


def test_grid_search_over_nested_c(cancer):
    X, y = cancer
    search = GridSearchCV(
        InfluenceClassifier(_tight()), {"estimator__C": [0.01, 1.0]}, cv=3
    ).fit(X, y)
    best = search.best_estimator_
    assert best.estimator_.C == search.best_params_["estimator__C"]
    assert best.influence_upweight(X[:2], y[:2]).shape == (len(y), 2)


def test_frozen_estimator_explains_a_model_trained_elsewhere(cancer):
    X, y = cancer
    fitted = _tight().fit(X, y)
    frozen = InfluenceClassifier(FrozenEstimator(fitted)).fit(X, y)
    fresh = InfluenceClassifier(_tight()).fit(X, y)
    assert_allclose(
        frozen.influence_upweight(X[:3], y[:3]),
        fresh.influence_upweight(X[:3], y[:3]),
        rtol=1e-8,
    )
    # Given other data than it was trained on, the stationarity check tells.
    with pytest.warns(ConvergenceWarning, match="not at an optimum"):
        InfluenceClassifier(FrozenEstimator(fitted)).fit(X[:200], y[:200])


def test_metadata_routing_of_sample_weight(cancer):
    X, y = cancer
    sw = np.linspace(0.5, 2.0, len(y))
    with config_context(enable_metadata_routing=True):
        inner = _tight().set_fit_request(sample_weight=True)
        model = InfluenceClassifier(inner).set_fit_request(sample_weight=True)
        model.fit(X, y, sample_weight=sw)
        assert model.optimality_ < 1e-5
        assert_allclose(model.sample_weight_, sw)

        # Weights stored by the wrapper but not given to the model would
        # make the influences describe another objective: refused.
        inner = _tight().set_fit_request(sample_weight=False)
        model = InfluenceClassifier(inner).set_fit_request(sample_weight=True)
        with pytest.raises(ValueError, match="not routed to the wrapped estimator"):
            model.fit(X, y, sample_weight=sw)


def test_integer_weights_equal_repeated_rows():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    w = np.random.RandomState(0).randint(1, 4, len(y))
    weighted = InfluenceClassifier(_tight()).fit(X, y, sample_weight=w)
    repeated = InfluenceClassifier(_tight()).fit(np.repeat(X, w, 0), np.repeat(y, w))
    assert_allclose(weighted.objective_.theta, repeated.objective_.theta, atol=1e-6)
    # Upweighting a weighted row is upweighting its copies together.
    copies = np.repeat(np.arange(len(y)), w)
    a = weighted.influence_upweight(X[:3], y[:3])
    b = repeated.influence_upweight(X[:3], y[:3])
    summed = np.zeros_like(a)
    np.add.at(summed, copies, b)
    assert_allclose(a * w[:, None], summed, rtol=1e-4, atol=1e-8)


def test_explain_lists_only_points_of_the_right_sign(cancer):
    X, y = cancer
    model = InfluenceClassifier(_tight()).fit(X[:100], y[:100])
    influence = model.influence_upweight(X[100:102], y[100:102])
    explanation = model.explain(X[100:102], y[100:102], n_top=1000)
    frame = explanation.to_frame()
    assert (frame.loc[frame.role == "helpful", "influence"] < 0).all()
    assert (frame.loc[frame.role == "harmful", "influence"] > 0).all()
    for j in range(2):
        helpful = [i for i, _ in explanation.entries(j, "helpful")]
        harmful = [i for i, _ in explanation.entries(j, "harmful")]
        assert len(helpful) == (influence[:, j] < 0).sum()
        assert len(harmful) == (influence[:, j] > 0).sum()
        assert not set(helpful) & set(harmful)
