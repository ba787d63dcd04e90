"""Closed-form derivatives against finite differences, and stationarity per solver."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import sparse
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from sklinfluence import InfluenceClassifier
from sklinfluence._adapters import build_spec
from sklinfluence._losses import BinomialLoss, MultinomialLoss, SmoothHingeLoss

SOLVERS = ["lbfgs", "newton-cg", "newton-cholesky", "sag", "saga", "liblinear"]


def _data(loader, n=120):
    X, y = loader(return_X_y=True)
    rng = np.random.RandomState(0)
    rows = rng.choice(len(y), n, replace=False)
    return StandardScaler().fit_transform(X[rows]), y[rows]


def _objectives():
    """Objectives of several kinds, at parameters away from the optimum."""
    out = []
    for loader, solver, fit_intercept in [
        (load_breast_cancer, "lbfgs", True),
        (load_breast_cancer, "liblinear", True),
        (load_wine, "lbfgs", True),
        (load_wine, "lbfgs", False),
    ]:
        X, y = _data(loader)
        X = X[:, :6]
        est = LogisticRegression(solver=solver, fit_intercept=fit_intercept, C=0.7)
        est.fit(X, y)
        sw = np.random.RandomState(1).uniform(0.5, 2.0, len(y))
        obj = build_spec(est, X, y, sw).objective
        obj.theta = obj.theta + 0.3 * np.random.RandomState(2).randn(*obj.theta.shape)
        out.append(obj)
    return out


@pytest.mark.parametrize("obj", _objectives())
def test_gradient_and_hessian_match_finite_differences(obj):
    theta = obj.theta.ravel()
    eps = 1e-6
    basis = np.eye(theta.size)
    numeric_grad = np.array(
        [
            (obj.value(theta + eps * e) - obj.value(theta - eps * e)) / (2 * eps)
            for e in basis
        ]
    )
    assert_allclose(obj.gradient().ravel(), numeric_grad, rtol=1e-6, atol=1e-6)

    numeric_hess = np.array(
        [
            (obj.gradient(theta + eps * e) - obj.gradient(theta - eps * e)).ravel()
            / (2 * eps)
            for e in basis
        ]
    )
    H = obj.hessian()
    assert_allclose(H, numeric_hess, rtol=1e-5, atol=1e-5)
    assert_allclose(H, H.T, atol=1e-12)
    assert_allclose(obj.hessian_diagonal().ravel(), np.diag(H), rtol=1e-12)
    v = np.random.RandomState(3).randn(*obj.theta.shape)
    assert_allclose(obj.hessp(v).ravel(), H @ v.ravel(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("obj", _objectives()[:1])
def test_sparse_design_gives_the_same_objective(obj):
    dense = obj.hessian()
    grad = obj.gradient()
    obj.X = sparse.csr_matrix(obj.X)
    assert_allclose(obj.hessian(), dense, rtol=1e-12)
    assert_allclose(obj.gradient(), grad, rtol=1e-12)


@pytest.mark.parametrize(
    "loss, y",
    [
        (BinomialLoss(), np.array([0.0, 1.0, 1.0, 0.0])),
        (SmoothHingeLoss(t=0.3), np.array([-1.0, 1.0, 1.0, -1.0])),
        (MultinomialLoss(3), np.array([0, 2, 1, 1])),
    ],
)
def test_loss_derivatives_match_finite_differences(loss, y):
    rng = np.random.RandomState(0)
    eta = rng.randn(len(y), loss.n_outputs)
    eps = 1e-6
    K = loss.n_outputs
    grad = loss.gradient(y, eta)
    blocks = loss.hess_blocks(y, eta)
    for k in range(K):
        step = np.zeros_like(eta)
        step[:, k] = eps
        numeric = (loss.loss(y, eta + step) - loss.loss(y, eta - step)) / (2 * eps)
        assert_allclose(grad[:, k], numeric, rtol=1e-6, atol=1e-8)
        numeric = (loss.gradient(y, eta + step) - loss.gradient(y, eta - step)) / (
            2 * eps
        )
        assert_allclose(blocks[:, :, k], numeric, rtol=1e-5, atol=1e-8)
    U = rng.randn(*eta.shape)
    assert_allclose(loss.hess_apply(y, eta, U), np.einsum("nkl,nl->nk", blocks, U))
    assert_allclose(loss.hess_diag(y, eta), np.einsum("nkk->nk", blocks), rtol=1e-12)


def test_mixed_derivative_matches_finite_differences():
    """``influence_perturb`` differentiates the training gradient in x exactly."""
    X, y = _data(load_wine, n=90)
    X = X[:, :5]
    model = InfluenceClassifier(LogisticRegression(C=1.0, tol=1e-12, max_iter=10_000))
    model.fit(X, y)
    obj = model.objective_
    i, X_test, y_test = 4, X[:3], y[:3]
    pert = model.influence_perturb(X_test, y_test, train_indices=[i])[0]

    # I_pert[j, a] = -sum(c) g_test_j^T H^-1 d/dx_a g_i; rebuild it from
    # finite differences of g_i and an explicit inverse Hessian.
    def g(x):
        eta = obj.decision(x[None])
        r = obj.loss.gradient(obj.y[[i]], eta)
        return np.outer(r[0], np.append(x, 1.0)).ravel()

    eps = 1e-6
    dg = np.array(
        [
            (g(X[i] + eps * e) - g(X[i] - eps * e)) / (2 * eps)
            for e in np.eye(X.shape[1])
        ]
    )
    H = obj.hessian()
    K, cols = obj.theta.shape
    lift = np.kron(np.full((K, K), 1.0 / K), np.eye(cols))
    r_test = obj.loss.gradient(model.target_encoding_(y_test), obj.decision(X_test))
    G_test = np.einsum("mk,mc->mkc", r_test, np.c_[X_test, np.ones(3)]).reshape(3, -1)
    solved = np.linalg.solve(H + lift, G_test.T).T
    expected = -obj.data_weights().sum() * solved @ dg.T
    assert_allclose(pert, expected, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("multiclass", [False, True])
def test_stationarity_for_every_solver(solver, multiclass):
    if solver == "liblinear" and multiclass:
        pytest.skip("liblinear fits no multinomial model")
    X, y = _data(load_wine if multiclass else load_breast_cancer, n=150)
    tol = 1e-10 if solver not in ("sag", "saga") else 1e-8
    est = LogisticRegression(solver=solver, C=0.5, tol=tol, max_iter=100_000)
    model = InfluenceClassifier(est).fit(X, y)
    assert model.optimality_ < 1e-5


def test_stationarity_rejects_a_wrong_objective():
    """The check has teeth: assuming lbfgs's rule for liblinear is caught."""
    X, y = _data(load_breast_cancer, n=150)
    est = LogisticRegression(solver="liblinear", C=0.5, tol=1e-10).fit(X, y)
    obj = build_spec(est, X, y, None).objective
    assert obj.relative_gradient_norm() < 1e-5
    obj.penalty[:, -1] = 0.0
    assert obj.relative_gradient_norm() > 1e-3
