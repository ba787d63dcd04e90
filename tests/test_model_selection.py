"""Approximate leave-one-out model selection and the influence scorers."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler, scale

from sklinfluence import InfluenceClassifier, InfluenceRegressor
from sklinfluence._adapters import ADAPTERS
from sklinfluence._refits import refit_without
from sklinfluence.model_selection import (
    InfluenceLOOSearchCV,
    influence_concentration_scorer,
    max_removal_effect_scorer,
    max_self_influence_scorer,
)

from ._refits import converged_refit_without, exact_loo_log_loss, tight_logistic


def _breast_cancer(n=None):
    X, y = load_breast_cancer(return_X_y=True)
    return scale(X)[:n], y[:n]


def _breast_cancer_300():
    return _breast_cancer(300)


def _wine():
    X, y = load_wine(return_X_y=True)
    return scale(X), y


# Each case: data, estimator, grid; the multinomial case adds the softmax loss
# and its singular intercept direction. The Ridge test below joins once the
# Ridge adapter is registered.
CASES = {
    "binary-breast_cancer": (
        _breast_cancer_300,
        tight_logistic(solver="newton-cholesky"),
        [0.1, 0.3, 1.0, 3.0],
    ),
    "multinomial-wine": (
        _wine,
        tight_logistic(solver="newton-cholesky"),
        [0.03, 0.1, 0.3],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_loo_search_matches_exact_leave_one_out(case):
    # Exact leave-one-out: n warm-started refits per candidate, tol=1e-12.
    load, estimator, grid = CASES[case]
    X, y = load()
    exact = []
    for C in grid:
        full = estimator.set_params(C=C).fit(X, y)
        exact.append(exact_loo_log_loss(full, X, y).mean())
    exact = np.array(exact)

    search = InfluenceLOOSearchCV(estimator, {"C": grid}).fit(X, y)
    approx = -search.cv_results_["mean_test_score"]

    # Within 1% relative for every candidate, and the same choice.
    assert_allclose(approx, exact, rtol=0.01)
    assert search.best_params_["C"] == grid[int(np.argmin(exact))]
    assert_allclose(-search.best_score_, approx.min())


def test_loo_loss_exact_method_matches_sklearn_refits():
    X, y = _breast_cancer()
    X, y = X[:200], y[:200]
    estimator = tight_logistic(solver="newton-cholesky", C=1.0).fit(X, y)
    model = InfluenceClassifier(estimator).fit(X, y)
    truth = exact_loo_log_loss(estimator, X, y)
    assert_allclose(model.loo_loss(method="exact"), truth, rtol=1e-6, atol=1e-10)

    # The Newton step: close per point; first order visibly further off on
    # the points that matter (the largest leave-one-out losses).
    newton = model.loo_loss()
    first = model.loo_loss(method="first_order")
    top = np.argsort(truth)[-10:]
    newton_error = np.abs(newton[top] - truth[top]).mean()
    first_error = np.abs(first[top] - truth[top]).mean()
    assert newton_error < 0.1 * first_error
    # Per point: within 15% (the worst, a misfit of loss 2, is 12.6% off).
    assert_allclose(newton, truth, rtol=0.15, atol=1e-4)


def test_loo_loss_train_indices_and_sample_weight():
    X, y = _breast_cancer()
    X, y = X[:150], y[:150]
    sw = np.random.default_rng(0).integers(1, 4, size=len(y)).astype(float)
    estimator = tight_logistic(solver="newton-cholesky")
    model = InfluenceClassifier(estimator).fit(X, y, sample_weight=sw)
    all_losses = model.loo_loss()
    assert_allclose(model.loo_loss(train_indices=[3, 7]), all_losses[[3, 7]])

    # With weights, removing point i removes all of its weight.
    fitted = model.estimator_
    for i in (3, 7):
        refit = converged_refit_without(fitted, X, y, [i], sample_weight=sw)
        p = refit.predict_proba(X[i : i + 1])[0, y[i]]
        assert_allclose(all_losses[i], -np.log(p), rtol=0.02)


@pytest.mark.skipif(
    not any(cls.__name__ == "Ridge" for cls in ADAPTERS),
    reason="the Ridge adapter is not registered in this build",
)
def test_loo_search_ridge_is_exact():
    from sklearn.linear_model import Ridge

    X, y = load_diabetes(return_X_y=True)
    grid = [0.01, 0.1, 1.0]
    exact = []
    for alpha in grid:
        losses = []
        for i in range(len(y)):
            keep = np.arange(len(y)) != i
            model = Ridge(alpha=alpha).fit(X[keep], y[keep])
            losses.append((y[i] - model.predict(X[i : i + 1])[0]) ** 2)
        exact.append(np.mean(losses))
    search = InfluenceLOOSearchCV(Ridge(), {"alpha": grid}).fit(X, y)
    assert_allclose(-search.cv_results_["mean_test_score"], exact, rtol=1e-6)


def test_cv_results_like_grid_search():
    X, y = _breast_cancer()
    grid = [{"C": [0.1, 1.0]}, {"C": [10.0], "fit_intercept": [False]}]
    search = InfluenceLOOSearchCV(
        tight_logistic(solver="newton-cholesky"), grid, return_train_score=True
    ).fit(X, y)
    results = search.cv_results_
    reference = GridSearchCV(
        tight_logistic(solver="newton-cholesky"), grid, cv=2, return_train_score=True
    ).fit(X, y)
    for key in ("params", "mean_test_score", "std_test_score", "rank_test_score"):
        assert key in results and key in reference.cv_results_
    assert list(results["param_C"]) == list(reference.cv_results_["param_C"])
    assert results["param_fit_intercept"].mask.tolist() == [True, True, False]
    assert results["rank_test_score"].dtype == np.int32
    assert results["rank_test_score"][search.best_index_] == 1
    assert search.best_score_ == results["mean_test_score"].max()
    assert search.n_splits_ == len(y)
    # Fitted loss below leave-one-out loss, as it must be.
    assert np.all(results["mean_train_score"] > results["mean_test_score"])

    # Prediction methods delegate to the kept best candidate.
    best = search.best_estimator_
    assert isinstance(best, InfluenceClassifier)
    assert best.estimator_.C == search.best_params_["C"]
    assert_allclose(search.predict_proba(X[:5]), best.predict_proba(X[:5]))
    assert search.score(X, y) == best.score(X, y)
    assert_allclose(search.classes_, [0, 1])


def test_search_accepts_wrappers_pipelines_and_accuracy():
    X, y = load_breast_cancer(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), tight_logistic(solver="newton-cholesky"))
    search = InfluenceLOOSearchCV(
        InfluenceClassifier(pipe),
        {"estimator__logisticregression__C": [0.1, 1.0]},
        scoring="accuracy",
    ).fit(X, y)
    assert 0.9 < search.best_score_ <= 1.0

    # LOO accuracy from the Newton step agrees with exact refits up to a
    # few borderline points.
    Xs = StandardScaler().fit_transform(X)
    full = tight_logistic(solver="newton-cholesky", C=1.0).fit(Xs, y)
    model = InfluenceClassifier(full).fit(Xs, y)
    approx = InfluenceLOOSearchCV(model, {}, scoring="accuracy").fit(Xs, y)
    hits = [
        converged_refit_without(full, Xs, y, [i]).predict(Xs[i : i + 1])[0] == y[i]
        for i in range(len(y))
    ]
    assert abs(approx.best_score_ - np.mean(hits)) <= 2 / len(y)


def test_search_refit_false_and_errors():
    X, y = _breast_cancer()
    search = InfluenceLOOSearchCV(tight_logistic(), {"C": [1.0]}, refit=False)
    search.fit(X, y)
    assert not hasattr(search, "best_estimator_")
    with pytest.raises(AttributeError, match="refit=False"):
        search.predict(X)
    with pytest.raises(ValueError, match="'scoring' parameter"):
        InfluenceLOOSearchCV(LogisticRegression(), {}, scoring="r2").fit(X, y)
    with pytest.raises(ValueError, match="'method' parameter"):
        InfluenceLOOSearchCV(LogisticRegression(), {}, method="lissa").fit(X, y)
    with pytest.raises(ValueError, match="needs a classifier"):
        from sklearn.linear_model import Ridge

        InfluenceLOOSearchCV(Ridge(), {}, scoring="accuracy").fit(X, y)


# ----------------------------------------------------------------------
# scorers


def _validation_influence_by_hand(model, X_val, y_val):
    return model.influence_upweight(X_val, y_val).mean(axis=1)


def test_concentration_scorer_value_and_sign():
    X, y = _breast_cancer()
    model = InfluenceClassifier(tight_logistic()).fit(X[:400], y[:400])
    X_val, y_val = X[400:], y[400:]
    influence = np.abs(_validation_influence_by_hand(model, X_val, y_val))
    k = 4  # ceil(1% of 400)
    expected = np.sort(influence)[-k:].sum() / influence.sum()

    share = influence_concentration_scorer(0.01, negate=False)(model, X_val, y_val)
    assert_allclose(share, expected)
    assert 0.01 <= share <= 1
    assert_allclose(influence_concentration_scorer(0.01)(model, X_val, y_val), -share)
    assert_allclose(
        influence_concentration_scorer(1.0, negate=False)(model, X_val, y_val), 1.0
    )


def test_max_scorers_values():
    X, y = _breast_cancer()
    model = InfluenceClassifier(tight_logistic()).fit(X[:300], y[:300])
    X_val, y_val = X[300:400], y[300:400]
    value = max_self_influence_scorer(negate=False)(model, X_val, y_val)
    assert_allclose(value, np.abs(model.self_influence()).max())
    effect = model.removal_effect(X_val, y_val).mean(axis=1)
    assert_allclose(
        max_removal_effect_scorer(negate=False)(model, X_val, y_val),
        np.abs(effect).max(),
    )
    assert max_removal_effect_scorer()(model, X_val, y_val) < 0


def test_scorers_in_multimetric_grid_search_with_pipeline():
    X, y = load_breast_cancer(return_X_y=True)
    pipe = make_pipeline(
        StandardScaler(),
        InfluenceClassifier(tight_logistic(solver="newton-cholesky")),
    )
    scoring = {
        "accuracy": "accuracy",
        "neg_concentration": influence_concentration_scorer(0.01),
        "neg_max_self_influence": max_self_influence_scorer(),
    }
    grid = {"influenceclassifier__estimator__C": [0.01, 10.0]}
    search = GridSearchCV(pipe, grid, scoring=scoring, refit="accuracy", cv=3)
    search.fit(X, y)
    results = search.cv_results_
    for name in ("neg_concentration", "neg_max_self_influence"):
        assert results[f"mean_test_{name}"].shape == (2,)
        assert np.all(results[f"split0_test_{name}"] < 0)
    # The weakly penalized fit rests on fewer points: more concentrated,
    # larger self-influence (so a lower, i.e. worse, negated score).
    assert (
        results["mean_test_neg_concentration"][1]
        < (results["mean_test_neg_concentration"][0])
    )
    assert (
        results["mean_test_neg_max_self_influence"][1]
        < (results["mean_test_neg_max_self_influence"][0])
    )


def test_scorer_errors():
    X, y = _breast_cancer()
    with pytest.raises(TypeError, match="InfluenceClassifier or InfluenceRegressor"):
        influence_concentration_scorer()(LogisticRegression().fit(X, y), X, y)
    with pytest.raises(ValueError, match="top_fraction"):
        influence_concentration_scorer(0.0)
    with pytest.raises(ValueError, match="negate"):
        max_self_influence_scorer(negate="yes")
    with pytest.raises(ValueError, match="method"):
        max_removal_effect_scorer(method="exact")
    assert "top_fraction=0.05" in repr(influence_concentration_scorer(0.05))


def test_regressor_wrapping_is_chosen_by_type():
    from sklearn.linear_model import Ridge

    from sklinfluence.model_selection import _wrap

    assert isinstance(_wrap(Ridge()), InfluenceRegressor)
    assert isinstance(_wrap(LogisticRegression()), InfluenceClassifier)


def test_loo_search_smooth_hinge_svm_matches_exact_leave_one_out():
    # The native smooth-hinge SVM (t=0.5): 200 refits per candidate, each to
    # its default tol=1e-10. Measured relative differences of the mean
    # leave-one-out smooth hinge: 0.05%, 0.2%, 0.6% (1.4% at C=1, left out).
    from sklinfluence import SmoothHingeClassifier

    X, y = _breast_cancer(200)
    grid = [0.01, 0.03, 0.1]
    t = 0.5
    exact = []
    for C in grid:
        losses = []
        for i in range(len(y)):
            refit = refit_without(SmoothHingeClassifier(C=C, t=t), X, y, i)
            margin = (2 * y[i] - 1) * refit.decision_function(X[i : i + 1])[0]
            losses.append(t * np.logaddexp(0.0, (1.0 - margin) / t))
        exact.append(np.mean(losses))
    search = InfluenceLOOSearchCV(SmoothHingeClassifier(t=t), {"C": grid}).fit(X, y)
    assert_allclose(-search.cv_results_["mean_test_score"], exact, rtol=0.01)
    assert search.best_params_["C"] == grid[int(np.argmin(exact))]


def test_loo_on_an_averaged_glm_matches_refits():
    # PoissonRegressor averages its data term, so removing a point also
    # reweights the rest against the penalty (the b_i term).
    from sklearn.linear_model import PoissonRegressor

    from sklinfluence._removal import loo_decision

    X, y = load_diabetes(return_X_y=True)
    X, y = scale(X)[:150], y[:150]
    estimator = PoissonRegressor(alpha=0.1, tol=1e-12, max_iter=10_000)
    model = InfluenceRegressor(estimator).fit(X, y)
    rows = np.arange(0, 150, 15)
    truth = []
    for i in rows:
        refit = refit_without(estimator, X, y, i)
        truth.append(np.log(refit.predict(X[i : i + 1])[0]))
    newton = loo_decision(model, train_indices=rows)[:, 0]
    exact = loo_decision(model, method="exact", train_indices=rows)[:, 0]
    # sklearn's lbfgs refits agree with the exact Newton refits to ~1e-7.
    assert_allclose(exact, truth, rtol=1e-6)
    full = model.objective_.decision(model.X_fit_[rows])[:, 0]
    # The Newton step recovers the leave-one-out change of the score to 2%.
    assert_allclose(newton - full, np.array(truth) - full, rtol=0.02, atol=1e-6)
