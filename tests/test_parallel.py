"""The same numbers through joblib's backends: threads and a Dask cluster."""

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse
from sklearn import config_context
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from sklinfluence import InfluenceClassifier

from ._data import shuffled_wine


def _fit(X, y, **params):
    model = LogisticRegression(C=1.0, solver="newton-cholesky", tol=1e-10)
    return InfluenceClassifier(model, **params).fit(X, y)


@pytest.fixture(scope="module")
def wine_models():
    """One dense and one sparse (conjugate gradients) fitted wrapper."""
    # Wine: three classes (a multinomial model), 13 features.
    X, y, X_test, y_test = shuffled_wine(140)
    dense = _fit(X, y)
    cg = _fit(sparse.csr_matrix(X), y, solver="cg", cg_tol=1e-10)
    return dense, cg, X_test, y_test


def _all_results(model, X_test, y_test, newton=True):
    explanation = model.explain(X_test, y_test, n_top=4)
    out = {
        "upweight": model.influence_upweight(X_test, y_test),
        "removal": model.removal_effect(X_test, y_test, method="first_order"),
        "helpful": explanation.helpful_indices,
        "harmful": explanation.harmful_indices,
        "harmful_scores": explanation.harmful_scores,
    }
    if newton:
        out["newton"] = model.removal_effect(
            X_test, y_test, method="newton", train_indices=np.arange(0, 140, 7)
        )
    return out


def _assert_same(a, b):
    for key in a:
        if np.issubdtype(a[key].dtype, np.integer):
            assert_array_equal(a[key], b[key], err_msg=key)
        else:
            assert_allclose(a[key], b[key], rtol=1e-10, atol=1e-14, err_msg=key)


def test_threading_backend_matches_serial(wine_models):
    model, _, X_test, y_test = wine_models
    # A small working memory forces many blocks, so there is work to split.
    with config_context(working_memory=0.05):
        serial = _all_results(model.set_params(n_jobs=1), X_test, y_test)
        with joblib.parallel_config(backend="threading"):
            threaded = _all_results(model.set_params(n_jobs=2), X_test, y_test)
    _assert_same(serial, threaded)


def _local_cluster(distributed, n_workers, threads_per_worker):
    # In-process workers talking TCP on loopback only; no dashboard.
    return distributed.LocalCluster(
        n_workers=n_workers,
        threads_per_worker=threads_per_worker,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        scheduler_port=0,
        dashboard_address=None,
    )


def test_dask_cluster_matches_serial(wine_models):
    distributed = pytest.importorskip("distributed")
    model, cg_model, X_test, y_test = wine_models
    Xs_test = sparse.csr_matrix(X_test)
    with config_context(working_memory=0.02):
        serial = _all_results(model.set_params(n_jobs=1), X_test, y_test, newton=False)
        cg_serial = cg_model.set_params(n_jobs=1).influence_upweight(Xs_test, y_test)
        with (
            _local_cluster(distributed, 2, 1) as cluster,
            distributed.Client(cluster) as client,
            joblib.parallel_config(backend="dask"),
            distributed.get_task_stream(client) as stream,
        ):
            model.set_params(n_jobs=-1)
            on_dask = _all_results(model, X_test, y_test, newton=False)
            cg_model.set_params(n_jobs=-1)
            cg_dask = cg_model.influence_upweight(Xs_test, y_test)
    # The blocks really ran as tasks on the cluster.
    assert len(stream.data) >= 3
    _assert_same(serial, on_dask)
    assert_allclose(cg_dask, cg_serial, rtol=1e-10, atol=1e-14)


def test_dask_binary_sparse_explain():
    distributed = pytest.importorskip("distributed")
    X, y = load_breast_cancer(return_X_y=True)
    X = sparse.csr_matrix(StandardScaler().fit_transform(X))
    model = _fit(X[:400], y[:400])
    with config_context(working_memory=0.02):
        expected = model.explain(X[400:], y[400:], n_top=3)
        with (
            _local_cluster(distributed, 1, 2) as cluster,
            distributed.Client(cluster),
            joblib.parallel_config(backend="dask"),
        ):
            got = model.set_params(n_jobs=-1).explain(X[400:], y[400:], n_top=3)
    assert_array_equal(got.helpful_indices, expected.helpful_indices)
    assert_array_equal(got.harmful_indices, expected.harmful_indices)
    assert_allclose(got.harmful_scores, expected.harmful_scores, rtol=1e-12)
