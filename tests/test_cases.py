"""The failure cases of ../shared/CASES.md that concern LogisticRegression and the
solvers (C2 to C5, C7, C9), each tested as its whole kind of fault."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from sklinfluence import InfluenceClassifier
from sklinfluence._hessian import CGSolver, DirectSolver
from sklinfluence._losses import BinomialLoss, MultinomialLoss, smooth_hinge
from sklinfluence._refits import agreement
from sklinfluence.exceptions import ApproximationWarning, IllConditionedHessianWarning

from ._refits import actual_removal


def _imbalanced(n=40, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 2)
    y = (X @ [1.0, -0.5] + 2.5 + 0.7 * rng.randn(n) > 0).astype(int)
    return X, y


# C2 -----------------------------------------------------------------------


@pytest.mark.parametrize("intercept_scaling", [1.0, 5.0])
def test_c2_each_solver_has_its_own_intercept_rule(intercept_scaling):
    X, y = _imbalanced()
    assert 0 < y.mean() < 1
    fits = {}
    for solver in ("liblinear", "lbfgs"):
        est = LogisticRegression(
            solver=solver, C=0.1, tol=1e-12, intercept_scaling=intercept_scaling
        )
        model = InfluenceClassifier(est).fit(X, y)
        assert model.optimality_ < 1e-6
        X_test = X[:10]
        top = np.arange(0, 40, 4)
        # liblinear stops at a relative gradient of about 1e-7 at best.
        actual = actual_removal(model, est, top, X_test, y[:10], tol=1e-6)
        exact = model.removal_effect(X_test, y[:10], method="exact", train_indices=top)
        assert_allclose(exact, actual, atol=1e-6)
        fits[solver] = model

    # The rules differ visibly: liblinear shrinks the intercept.
    lib, lbfgs = fits["liblinear"], fits["lbfgs"]
    assert abs(lib.objective_.theta[0, -1]) < abs(lbfgs.objective_.theta[0, -1])
    assert lib.objective_.penalty[0, -1] == pytest.approx(1 / intercept_scaling**2)
    assert lbfgs.objective_.penalty[0, -1] == 0.0

    # Swapping the rules is caught by the stationarity check.
    swapped = lib.objective_
    swapped.penalty[0, -1] = 0.0
    assert swapped.relative_gradient_norm() > 1e-2


# C3 -----------------------------------------------------------------------

X_SEP = np.array([[-2.0], [-1.0], [1.0], [2.0]])
Y_SEP = np.array([0, 0, 1, 1])


def test_c3_separable_without_penalty_warns_and_stays_finite():
    est = LogisticRegression(C=np.inf, max_iter=1000)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = InfluenceClassifier(est).fit(X_SEP, Y_SEP)
        values = model.influence_upweight(X_SEP, Y_SEP)
        effects = model.removal_effect(X_SEP, Y_SEP, method="newton")
    messages = [str(w.message) for w in caught]
    hessian = [
        m
        for w, m in zip(caught, messages)
        if issubclass(w.category, IllConditionedHessianWarning)
    ]
    assert hessian, messages
    assert "condition number" in hessian[0] and "no finite optimum" in hessian[0]
    assert "damping" in hessian[0] and "penalty" in hessian[0]
    assert np.all(np.isfinite(values)) and np.all(np.isfinite(effects))


def test_c3_separable_with_penalty_matches_refits():
    est = LogisticRegression(C=1.0, tol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error", IllConditionedHessianWarning)
        model = InfluenceClassifier(est).fit(X_SEP, Y_SEP)
        exact = model.removal_effect(X_SEP, Y_SEP, method="exact")
    actual = actual_removal(model, est, range(4), X_SEP, Y_SEP)
    assert np.all(np.isfinite(exact))
    assert_allclose(exact, actual, atol=1e-7)


def test_c3_damping_makes_the_unpenalized_problem_well_posed():
    est = LogisticRegression(C=np.inf, max_iter=1000)
    with pytest.warns(IllConditionedHessianWarning, match="damping=1 keeps"):
        model = InfluenceClassifier(est, damping=1.0).fit(X_SEP, Y_SEP)
    with warnings.catch_warnings():
        warnings.simplefilter("error", IllConditionedHessianWarning)
        values = model.influence_upweight(X_SEP, Y_SEP)
    assert np.all(np.isfinite(values))


# C4 -----------------------------------------------------------------------


def _blobs(seed=0):
    rng = np.random.RandomState(seed)
    centers = np.array([[0.0, 0.0], [2.5, 0.5], [0.5, 2.5]])
    X = np.vstack([c + rng.randn(10, 2) for c in centers])
    return X, np.repeat([0, 1, 2], 10)


@pytest.mark.parametrize("C", [1.0, 1e4])
def test_c4_softmax_null_space_matches_refits(C):
    X, y = _blobs()
    est = LogisticRegression(C=C, solver="newton-cholesky", tol=1e-14, max_iter=1000)
    model = InfluenceClassifier(est).fit(X, y)
    assert model.optimality_ < 1e-8
    exact = model.removal_effect(X[:9], y[:9], method="exact", train_indices=range(30))
    actual = actual_removal(model, est, range(30), X[:9], y[:9], tol=1e-6)
    assert_allclose(exact, actual, atol=1e-6)
    if C == 1.0:
        newton = model.removal_effect(X[:9], y[:9], method="newton")
        r, slope = agreement(newton, actual)
        assert r > 0.99 and abs(slope - 1) < 0.1
    else:
        # Nearly separable blobs: some points carry almost all the curvature
        # of a direction, and one Newton step is no longer trustworthy.
        with pytest.warns(ApproximationWarning, match="leverage above"):
            model.removal_effect(X[:9], y[:9], method="newton")


def test_c4_influences_do_not_depend_on_the_reference_class():
    X, y = _blobs()
    est = LogisticRegression(C=1.0, tol=1e-12)
    base = InfluenceClassifier(est).fit(X, y)
    relabelled = InfluenceClassifier(est).fit(X, (y + 1) % 3)
    for name in ("influence_upweight", "removal_effect"):
        a = getattr(base, name)(X[:5], y[:5])
        b = getattr(relabelled, name)(X[:5], (y[:5] + 1) % 3)
        assert_allclose(a, b, rtol=1e-6, atol=1e-9)
    assert_allclose(base.self_influence(), relabelled.self_influence(), rtol=1e-6)


def test_c4_direct_and_cg_agree_on_the_null_space():
    X, y = _blobs()
    model = InfluenceClassifier(LogisticRegression(C=1.0, tol=1e-12)).fit(X, y)
    direct = model.influence_upweight(X[:5], y[:5])
    model.set_params(solver="cg", cg_tol=1e-12)
    model.fit(X, y)
    assert_allclose(model.influence_upweight(X[:5], y[:5]), direct, rtol=1e-6)


# C5 -----------------------------------------------------------------------


def test_c5_model_not_at_optimum_warns_with_the_figure():
    rng = np.random.RandomState(0)
    X = rng.randn(200, 5)
    y = (X @ rng.randn(5) + 0.5 * rng.randn(200) > 0).astype(int)
    est = LogisticRegression(max_iter=3)
    with pytest.warns(ConvergenceWarning, match=r"relative gradient norm is \d"):
        InfluenceClassifier(est).fit(X, y)

    tight = LogisticRegression(tol=1e-12, max_iter=1000)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = InfluenceClassifier(tight).fit(X, y)
    top = np.argsort(model.self_influence())[:10]
    actual = actual_removal(model, tight, top, X[:20], y[:20])
    newton = model.removal_effect(X[:20], y[:20], method="newton", train_indices=top)
    r, slope = agreement(newton, actual)
    assert r > 0.99 and abs(slope - 1) < 0.05


# C7 -----------------------------------------------------------------------


def test_c7_huge_margins_are_finite_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        eta = np.array([[-1000.0], [1000.0], [-1000.0], [1000.0]])
        y = np.array([0.0, 0.0, 1.0, 1.0])
        loss = BinomialLoss()
        assert_allclose(loss.loss(y, eta), [0.0, 1000.0, 1000.0, 0.0])
        assert_allclose(loss.gradient(y, eta)[:, 0], [0.0, 1.0, -1.0, 0.0])
        assert_allclose(loss.hess_blocks(y, eta).ravel(), 0.0, atol=1e-300)

        multi = MultinomialLoss(3)
        scores = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]])
        labels = np.array([1, 1])
        for values in (
            multi.loss(labels, scores),
            multi.gradient(labels, scores),
            multi.hess_blocks(labels, scores),
        ):
            assert np.all(np.isfinite(values))
        assert_allclose(multi.loss(labels, scores), [2000.0, np.log1p(np.exp(-1.0))])

        value, d1, d2 = smooth_hinge(np.array([0.0, 1e6, -1e6]), t=0.001)
        assert value[0] == 1.0 and d1[0] == -1.0 and d2[0] == 0.0
        assert np.all(np.isfinite(value)) and np.all(np.isfinite(d2))


def test_c7_influence_at_huge_margins_is_finite():
    X = np.array([[-300.0], [-200.0], [200.0], [300.0], [1.0], [-1.0]])
    y = np.array([0, 0, 1, 1, 0, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        model = InfluenceClassifier(LogisticRegression(C=10.0, tol=1e-12))
        model.fit(X, y)
        values = model.influence_upweight(np.array([[1000.0], [-1000.0]]), [0, 1])
    assert np.all(np.isfinite(values))


# C9 -----------------------------------------------------------------------


def _collinear(seed=0):
    rng = np.random.RandomState(seed)
    x1 = rng.randn(300, 8)
    X = np.hstack([x1, x1 + 1e-6 * rng.randn(300, 8)])
    y = (x1 @ rng.randn(8) + 0.3 * rng.randn(300) > 0).astype(int)
    # C = 1e12 leaves a penalty 1e12 times weaker than the data term.
    est = LogisticRegression(C=1e12, solver="newton-cholesky", tol=1e-12)
    model = InfluenceClassifier(est, optimum_tol=1.0).fit(X, y)
    return model, X, y


def test_c9_cg_that_cannot_converge_warns_with_residual_and_iterations():
    model, X, y = _collinear()
    obj = model.objective_
    solver = CGSolver(obj, tol=1e-10, max_iter=50)
    rhs = np.random.RandomState(1).randn(3, obj.n_params)
    with pytest.warns(ConvergenceWarning) as record:
        out = solver.solve(rhs)
    message = str(record[0].message)
    assert "residual" in message and "iterations" in message
    assert "damping" in message
    assert np.all(np.isfinite(out))


def test_c9_direct_solver_agrees_with_least_squares():
    model, X, y = _collinear()
    obj = model.objective_
    with pytest.warns(IllConditionedHessianWarning, match="condition number"):
        solver = DirectSolver(obj)
    H = obj.hessian()
    b = obj.hessp(np.random.RandomState(1).randn(*obj.theta.shape)).ravel()
    expected = np.linalg.lstsq(H, b, rcond=None)[0]
    got = solver.solve(b[None])[0]
    # Both are accurate to about cond * eps in float64, and agree to that.
    bound = 10 * solver.condition_number_ * np.finfo(float).eps
    assert np.all(np.isfinite(got))
    assert np.linalg.norm(got - expected) <= bound * np.linalg.norm(expected)
