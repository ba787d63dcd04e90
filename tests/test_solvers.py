"""Conjugate gradients against the direct solver, on every influence quantity."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import sparse
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from sklinfluence import InfluenceClassifier


@pytest.mark.parametrize("loader", [load_breast_cancer, load_wine])
@pytest.mark.parametrize("as_sparse", [False, True])
def test_cg_matches_direct(loader, as_sparse):
    X, y = loader(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    if as_sparse:
        X = sparse.csr_matrix(np.where(np.abs(X) > 0.5, X, 0.0))
    X_test, y_test = X[:7], y[:7]
    est = LogisticRegression(C=0.5, tol=1e-12, max_iter=10_000)
    direct = InfluenceClassifier(est, solver="direct").fit(X, y)
    cg = InfluenceClassifier(est, solver="cg", cg_tol=1e-12).fit(X, y)
    rows = np.arange(0, X.shape[0], 5)
    for name, kwargs in [
        ("influence_upweight", {}),
        ("influence_perturb", {"train_indices": rows[:4]}),
        ("removal_effect", {"method": "first_order"}),
        ("removal_effect", {"method": "newton", "train_indices": rows}),
    ]:
        expected = getattr(direct, name)(X_test, y_test, **kwargs)
        got = getattr(cg, name)(X_test, y_test, **kwargs)
        assert_allclose(got, expected, rtol=1e-6, atol=1e-9 * np.abs(expected).max())
    assert_allclose(
        cg.self_influence(train_indices=rows),
        direct.self_influence(train_indices=rows),
        rtol=1e-6,
    )
    assert_allclose(
        cg.influence_params(train_indices=rows[:5]),
        direct.influence_params(train_indices=rows[:5]),
        rtol=1e-6,
        atol=1e-9,
    )


def test_damping_is_in_the_units_of_the_penalty():
    """damping=1 equals doubling the L2 penalty of LogisticRegression."""
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    est = LogisticRegression(C=1.0, fit_intercept=False, tol=1e-12)
    model = InfluenceClassifier(est, damping=1.0).fit(X, y)
    obj = model.objective_
    H = obj.hessian() + np.eye(obj.n_params)
    g = obj.loss.gradient(obj.y, obj.decision(X))[:, 0][:, None] * X
    expected = -obj.data_weights().sum() * g[:3] @ np.linalg.solve(H, g[:5].T)
    got = model.influence_upweight(X[:5], y[:5])[:3]
    assert_allclose(got, expected, rtol=1e-10)
