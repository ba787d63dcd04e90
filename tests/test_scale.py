"""Sparse input, blocking within working_memory, iterative solves of many
right-hand sides, and the limits of per-point methods on large problems."""

import tracemalloc
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse
from sklearn import config_context
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, MaxAbsScaler

from sklinfluence import InfluenceClassifier
from sklinfluence._hessian import CGSolver, DirectSolver, HessianOperator
from sklinfluence._parallel import batch_size, block_budget, blocks
from sklinfluence._refits import refit_without
from sklinfluence.exceptions import ConvergenceWarning, IllConditionedHessianWarning

from ._data import shuffled_wine


def _cancer():
    X, y = load_breast_cancer(return_X_y=True)
    X = MaxAbsScaler().fit_transform(X)
    return X[:300], y[:300], X[300:340], y[300:340]


def _wine():
    return shuffled_wine(150)


def _lr(**params):
    return LogisticRegression(
        C=1.0, solver="newton-cholesky", tol=1e-12, max_iter=200, **params
    )


def _methods(model, X_test, y_test):
    idx = np.arange(0, model.X_fit_.shape[0], 37)
    return {
        "upweight": model.influence_upweight(X_test, y_test),
        "perturb": model.influence_perturb(X_test, y_test, train_indices=idx),
        "params": model.influence_params(train_indices=idx),
        "self": model.self_influence(train_indices=idx),
        "first_order": model.removal_effect(X_test, y_test, method="first_order"),
        "newton": model.removal_effect(
            X_test, y_test, method="newton", train_indices=idx
        ),
        "exact": model.removal_effect(
            X_test, y_test, method="exact", train_indices=idx[:2]
        ),
        "explain": model.explain(X_test, y_test, n_top=3).harmful_scores,
    }


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("data", [_cancer, _wine])
def test_sparse_equals_dense_on_every_method(fmt, data):
    X, y, X_test, y_test = data()
    dense = InfluenceClassifier(_lr()).fit(X, y)
    as_sparse = sparse.csr_matrix if fmt == "csr" else sparse.csc_matrix
    sparse_model = InfluenceClassifier(_lr()).fit(as_sparse(X), y)
    expected = _methods(dense, X_test, y_test)
    got = _methods(sparse_model, as_sparse(X_test), y_test)
    for key in expected:
        scale = np.abs(expected[key]).max()
        assert_allclose(got[key], expected[key], atol=1e-9 * scale, err_msg=key)


def test_csr_training_data_is_not_copied():
    X, y, _, _ = _cancer()
    X = sparse.csr_matrix(X)
    model = InfluenceClassifier(_lr()).fit(X, y)
    assert np.shares_memory(model.X_fit_.data, X.data)


def test_cg_on_sparse_pipeline_matches_refits():
    # A sparse pipeline (as with a text vectorizer) solved by CG, checked
    # against warm-started refits of the estimator without each point.
    X, y, X_test, y_test = _cancer()
    to_sparse = FunctionTransformer(sparse.csr_matrix, accept_sparse=True)
    pipe = make_pipeline(to_sparse, _lr())
    model = InfluenceClassifier(pipe, solver="cg", cg_tol=1e-12).fit(X, y)
    idx = [3, 77, 150]
    predicted = model.removal_effect(X_test, y_test, method="newton", train_indices=idx)
    lr = model.estimator_[-1]
    base = _test_losses(lr, X_test, y_test)
    for row, i in enumerate(idx):
        refit = refit_without(lr, X, y, i, warm_from=lr)
        actual = _test_losses(refit, X_test, y_test) - base
        scale = np.abs(actual).max()
        assert_allclose(predicted[row], actual, atol=0.05 * scale)


def _test_losses(lr, X, y):
    p = lr.predict_proba(X)[np.arange(len(y)), y]
    return -np.log(p)


@pytest.mark.parametrize("data", [_cancer, _wine])
def test_block_cg_matches_direct_solve(data):
    X, y, _, _ = data()
    model = InfluenceClassifier(_lr()).fit(sparse.csr_matrix(X), y)
    obj = model.objective_
    rng = np.random.default_rng(0)
    B = rng.normal(size=(obj.n_params, 23))
    if obj.sum_to_zero:
        B = B.reshape(*obj.theta.shape, -1)
        B = (B - B.mean(axis=0)).reshape(obj.n_params, -1)
    B[:, 5] = 0.0  # a zero right-hand side solves to zero, not NaN
    direct = DirectSolver(obj).solve_columns(B)
    cg = CGSolver(obj, tol=1e-12)
    with config_context(working_memory=0.05):  # several chunks of columns
        got = cg.solve_columns(B)
    assert_allclose(got, direct, atol=1e-8 * np.abs(direct).max())
    assert_array_equal(got[:, 5], 0.0)


def test_hessian_operator_matches_objective_hessian():
    X, y, _, _ = _wine()
    for design in (X, sparse.csr_matrix(X)):
        obj = InfluenceClassifier(_lr()).fit(design, y).objective_
        op = HessianOperator(obj, damping=0.5, lift=False)
        H = obj.hessian() + 0.5 * np.eye(obj.n_params)
        V = np.random.default_rng(1).normal(size=(obj.n_params, 4))
        assert_allclose(op.dense(), H, atol=1e-12 * np.abs(H).max())
        assert_allclose(op.matmat(V), H @ V, atol=1e-12 * np.abs(H @ V).max())
        assert_allclose(op.diagonal(), np.diag(H), atol=1e-12 * np.abs(H).max())


def test_cg_failure_warns_with_figures_and_returns_iterates():
    X, y, X_test, y_test = _wine()
    model = InfluenceClassifier(_lr(), solver="cg", cg_max_iter=2).fit(X, y)
    with pytest.warns(
        ConvergenceWarning,
        match=r"did not converge for 28 of 28.*"
        r"residual .* after 2 iterations",
    ):
        values = model.influence_upweight(X_test, y_test)
    # Partial iterates, never silent zeros.
    assert np.all(np.abs(values).max(axis=0) > 0)


def test_working_memory_changes_blocks_not_numbers():
    X, y, X_test, y_test = _wine()
    model = InfluenceClassifier(_lr()).fit(X, y)
    expected = _methods(model, X_test, y_test)
    with config_context(working_memory=0.01):
        assert len(blocks(X.shape[0], 8 * 30 * 3)) > 5
        got = _methods(model, X_test, y_test)
    for key in expected:
        scale = np.abs(expected[key]).max()
        assert_allclose(got[key], expected[key], atol=1e-11 * scale, err_msg=key)


@pytest.mark.parametrize("working_memory", [0.001, 1, 4096])
@pytest.mark.parametrize("bytes_per_row", [1, 1000, 10**9])
def test_batch_size_respects_the_budget(working_memory, bytes_per_row):
    with config_context(working_memory=working_memory):
        size = batch_size(bytes_per_row, 10**6)
        assert size >= 1
        assert size == 1 or size * bytes_per_row <= block_budget()
        assert block_budget() <= working_memory * 2**20


def test_explain_never_holds_the_influence_matrix():
    # Synthetic data for scale: 20,000 x 200 influences would be 32 MB.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20_000, 5))
    y = (X[:, 0] + rng.normal(size=20_000) > 0).astype(int)
    X_test, y_test = X[:200], y[:200]
    model = InfluenceClassifier(_lr()).fit(X, y)
    with config_context(working_memory=1):
        tracemalloc.start()
        explanation = model.explain(X_test, y_test, n_top=3)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < 20_000 * 200 * 8 / 4
    full = model.influence_upweight(X_test, y_test)
    assert_array_equal(explanation.harmful_indices, np.argsort(-full, axis=0)[:3].T)


def test_cg_refuses_implicit_per_point_solves_over_many_points():
    rng = np.random.default_rng(0)
    X = sparse.random(1500, 50, density=0.1, random_state=0, format="csr")
    y = rng.integers(0, 2, 1500)
    model = InfluenceClassifier(_lr(), solver="cg").fit(X, y)
    with pytest.raises(ValueError, match="1500 training points.*train_indices"):
        model.removal_effect(X[:2], y[:2], method="newton")
    with pytest.raises(ValueError, match="train_indices"):
        model.self_influence()
    # Naming the points runs them, and first-order removal needs no per-point
    # solve at all.
    assert model.self_influence(train_indices=[0, 1]).shape == (2,)
    assert model.removal_effect(X[:2], y[:2], method="first_order").shape == (1500, 2)


def test_exact_refit_refuses_huge_parameter_counts():
    X = sparse.random(60, 2500, density=0.01, random_state=0, format="csr")
    y = np.arange(60) % 2
    lr = LogisticRegression(tol=1e-10, max_iter=1000)
    model = InfluenceClassifier(lr, solver="cg").fit(X, y)
    with pytest.raises(ValueError, match="dense Hessian"):
        model.removal_effect(X[:2], y[:2], method="exact", train_indices=[0])


def test_progress_bar_only_when_verbose(capsys):
    pytest.importorskip("tqdm")
    X, y, X_test, y_test = _wine()
    model = InfluenceClassifier(_lr()).fit(X, y)
    with config_context(working_memory=0.01):
        model.influence_upweight(X_test, y_test)
        assert capsys.readouterr().err == ""
        model.set_params(verbose=1).influence_upweight(X_test, y_test)
    assert "influence_upweight" in capsys.readouterr().err


def test_cholesky_path_keeps_singular_warning():
    # Two identical columns and no penalty: the Hessian is exactly singular.
    # The Cholesky fast path must hand over to the eigendecomposition, which
    # warns and uses the pseudo-inverse.
    X, y, X_test, y_test = _cancer()
    X2, X2_test = (
        np.hstack([X[:, :3], X[:, :1]]),
        np.hstack([X_test[:, :3], X_test[:, :1]]),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = InfluenceClassifier(LogisticRegression(C=np.inf)).fit(X2, y)
    with pytest.warns(IllConditionedHessianWarning, match="singular|ill-conditioned"):
        values = model.influence_upweight(X2_test, y_test)
    assert np.all(np.isfinite(values))


def test_condition_number_is_reported_on_the_cholesky_path():
    X, y, _, _ = _cancer()
    model = InfluenceClassifier(_lr()).fit(X, y)
    solver = model._solver()
    H = HessianOperator(model.objective_).dense()
    exact = np.linalg.cond(H)
    # LAPACK's 1-norm estimate is within a factor n_params of the 2-norm one.
    assert exact / H.shape[0] <= solver.condition_number_ <= exact * H.shape[0]
