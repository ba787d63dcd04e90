"""Benchmark sklinfluence against a plain NumPy/SciPy lower bound, exact
leave-one-out refitting and the installed peers.

Run from the repository root::

    python benchmarks/bench_influence.py            # full sizes (~1 GB case)
    python benchmarks/bench_influence.py --quick    # small sizes, seconds

Each case is prepared once (data generated, model fitted with a tight
tolerance and saved to a temporary directory); every contender then runs in
its own subprocess, so wall times and memory peaks do not mix. Peak memory is
the peak of memory traced by ``tracemalloc`` (NumPy and SciPy register their
buffers with it) while the contender runs, including the input data it
holds; it is compared with the bytes of the input data plus the requested
result. ``maxrss`` (the process's resident peak, including the interpreter
and libraries) is printed too.

The quantity compared is ``influence_upweight`` for every training point and
every test point. The library's numbers are checked against the lower
bound's on a fixed sample of training rows (maximum relative difference).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings

import numpy as np
from scipy import linalg, sparse
from scipy.special import expit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

CASES = {
    # name: (kind, n_train, n_features, n_test, nnz_per_row, C)
    "dense-20k": ("dense", 20_000, 200, 1_000, None, 1.0),
    "dense-1M": ("dense", 1_000_000, 100, 100, None, 1.0),
    "sparse-text": ("sparse", 200_000, 2**18, 100, 100, 1.0),
    "digits": ("digits", None, None, None, None, 1.0),
}
QUICK = {
    "dense-20k": ("dense", 1_000, 10, 50, None, 1.0),
    "dense-1M": ("dense", 20_000, 20, 20, None, 1.0),
    "sparse-text": ("sparse", 2_000, 2**11, 5, 20, 1.0),
    "digits": ("digits", 600, None, None, None, 1.0),
}
CHECK_ROWS = 5000
LOO_POINTS = 2


# ----------------------------------------------------------------------
# data


def make_case(spec, seed=0):
    """Training and test data of one case, and the fitted LogisticRegression."""
    from sklearn.linear_model import LogisticRegression

    kind, n, d, m, nnz, C = spec
    rng = np.random.default_rng(seed)
    if kind == "digits":
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        X, y = load_digits(return_X_y=True)
        X = X[:n] / 16.0 if n else X / 16.0
        y = y[:n] if n else y
        X, X_test, y, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    elif kind == "dense":
        w = rng.normal(size=d) / np.sqrt(d)
        X_all = rng.normal(size=(n + m, d))
        y_all = (rng.random(n + m) < expit(2.0 * X_all @ w + 0.3)).astype(int)
        X, X_test, y, y_test = X_all[:n], X_all[n:], y_all[:n], y_all[n:]
    else:
        # Text-like: Zipf-distributed column indices, tf-idf-like positive
        # values, rows normalized to unit length as TfidfVectorizer does.
        rows = n + m
        ranks = np.arange(1, d + 1)
        p = 1.0 / ranks**1.1
        p /= p.sum()
        indices = rng.choice(d, size=rows * nnz, p=p).astype(np.int32)
        data = rng.exponential(size=rows * nnz)
        indptr = np.arange(0, rows * nnz + 1, nnz, dtype=np.int64)
        X_all = sparse.csr_matrix((data, indices, indptr), shape=(rows, d))
        X_all.sum_duplicates()
        norms = np.sqrt(np.asarray(X_all.multiply(X_all).sum(axis=1)).ravel())
        X_all = sparse.diags(1.0 / norms) @ X_all
        X_all = X_all.tocsr()
        w = rng.normal(size=d) * 3.0
        y_all = (rng.random(rows) < expit(X_all @ w)).astype(int)
        X, X_test = X_all[:n], X_all[n:]
        y, y_test = y_all[:n], y_all[n:]
    # newton-cholesky converges to the optimum in a few steps on dense data;
    # the sparse case has too many parameters for it.
    solver = "lbfgs" if kind == "sparse" else "newton-cholesky"
    # lbfgs stops at tol=1e-6 on the sparse case (its relative gradient norm
    # is then far below sklinfluence's optimum_tol); every contender is
    # compared at the same fitted parameters.
    tol = 1e-6 if kind == "sparse" else 1e-10
    model = LogisticRegression(C=C, solver=solver, tol=tol, max_iter=10_000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    return X, y, X_test, y_test, model


def save_case(directory, X, y, X_test, y_test, model):
    import joblib

    os.makedirs(directory, exist_ok=True)
    for name, A in (("X", X), ("X_test", X_test)):
        if sparse.issparse(A):
            sparse.save_npz(os.path.join(directory, name + ".npz"), A, compressed=False)
        else:
            np.save(os.path.join(directory, name + ".npy"), A)
    np.save(os.path.join(directory, "y.npy"), y)
    np.save(os.path.join(directory, "y_test.npy"), y_test)
    joblib.dump(model, os.path.join(directory, "model.joblib"))


def load_case(directory):
    import joblib

    def load(name):
        path = os.path.join(directory, name)
        if os.path.exists(path + ".npz"):
            return sparse.load_npz(path + ".npz").tocsr()
        return np.load(path + ".npy")

    model = joblib.load(os.path.join(directory, "model.joblib"))
    return load("X"), load("y"), load("X_test"), load("y_test"), model


def nbytes(A):
    if sparse.issparse(A):
        return A.data.nbytes + A.indices.nbytes + A.indptr.nbytes
    return A.nbytes


# ----------------------------------------------------------------------
# contenders: each returns the (n_train, n_test) influence matrix or a
# figure, given the loaded case


def run_library(X, y, X_test, y_test, model):
    from sklearn.frozen import FrozenEstimator

    from sklinfluence import InfluenceClassifier

    wrapper = InfluenceClassifier(FrozenEstimator(model)).fit(X, y)
    return wrapper.influence_upweight(X_test, y_test)


def _design(X):
    """``[X, 1]``: the plain way, a copy with the intercept column."""
    ones = np.ones((X.shape[0], 1))
    if sparse.issparse(X):
        return sparse.hstack([X, ones], format="csr")
    return np.hstack([X, ones])


def run_lower_bound(X, y, X_test, y_test, model):
    """Explicit Hessian, Cholesky, one product of training gradients with the
    solved test gradients (CG per test point for sparse data)."""
    C = model.C
    classes = model.classes_
    W = np.hstack([model.coef_, model.intercept_[:, None]])
    Xt, Xt_test = _design(X), _design(X_test)
    n = X.shape[0]

    if len(classes) == 2:
        eta = np.asarray(Xt @ W[0])
        p = expit(eta)
        r = p - (y == classes[1])
        r_test = expit(np.asarray(Xt_test @ W[0])) - (y_test == classes[1])
        curv = C * p * (1 - p)
        penalty = np.ones(Xt.shape[1])
        penalty[-1] = 0.0
        if sparse.issparse(X):
            from scipy.sparse.linalg import LinearOperator, cg

            def matvec(v):
                return Xt.T @ (curv * (Xt @ v)) + penalty * v

            sq = Xt.multiply(Xt)
            diag = np.asarray(sq.T @ curv).ravel() + penalty
            p_dim = Xt.shape[1]
            A = LinearOperator((p_dim, p_dim), matvec=matvec, dtype=float)
            M = LinearOperator((p_dim, p_dim), matvec=lambda v: v / diag, dtype=float)
            G_test = Xt_test.multiply(r_test[:, None]).tocsr()
            S = np.empty((p_dim, X_test.shape[0]))
            for j in range(X_test.shape[0]):
                b = G_test[j].toarray().ravel()
                S[:, j], _ = cg(A, b, rtol=1e-8, maxiter=10 * p_dim, M=M)
            G = Xt.multiply(r[:, None]).tocsr()
            return -C * n * (G @ S)
        Xs = Xt * np.sqrt(curv)[:, None]
        H = Xs.T @ Xs
        del Xs
        H[np.diag_indices_from(H)] += penalty
        factor = linalg.cho_factor(H)
        S = linalg.cho_solve(factor, (Xt_test * r_test[:, None]).T)
        G = Xt * r[:, None]
        return -C * n * (G @ S)

    # Multinomial: K x K blocks of X^T diag(c D_kl) X, plus the lift of the
    # softmax null space (one intercept shift for all classes), then Cholesky.
    from scipy.special import softmax

    K, cols = W.shape
    P = softmax(Xt @ W.T, axis=1)
    Y = np.eye(K)[np.searchsorted(classes, y)]
    R = P - Y
    R_test = (
        softmax(Xt_test @ W.T, axis=1) - np.eye(K)[np.searchsorted(classes, y_test)]
    )
    H = np.zeros((K, cols, K, cols))
    for k in range(K):
        for j in range(K):
            w = C * (P[:, k] * (k == j) - P[:, k] * P[:, j])
            H[k, :, j, :] = (Xt.T * w) @ Xt
    H = H.reshape(K * cols, K * cols)
    penalty = np.ones((K, cols))
    penalty[:, -1] = 0.0
    H[np.diag_indices_from(H)] += penalty.ravel()
    H += np.kron(np.full((K, K), 1.0 / K), np.eye(cols))
    G = (R[:, :, None] * Xt[:, None, :]).reshape(n, -1)
    G_test = (R_test[:, :, None] * Xt_test[:, None, :]).reshape(len(y_test), -1)
    S = linalg.cho_solve(linalg.cho_factor(H), G_test.T)
    return -C * n * (G @ S)


def run_loo(X, y, X_test, y_test, model, points):
    """Exact leave-one-out: warm-started sklearn refits to a tight tolerance."""
    from sklearn.base import clone

    times = []
    for i in points:
        keep = np.ones(X.shape[0], dtype=bool)
        keep[i] = False
        refit = clone(model).set_params(warm_start=True)
        refit.coef_ = model.coef_.copy()
        refit.intercept_ = model.intercept_.copy()
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            refit.fit(X[keep], y[keep])
        times.append(time.perf_counter() - start)
    return float(np.mean(times))


def run_statsmodels(X, y, X_test, y_test, model):
    """statsmodels GLMInfluence.d_params of the unpenalized model, next to the
    library's Newton-step removal on the same unpenalized model."""
    import statsmodels.api as sm

    Xc = np.hstack([X, np.ones((X.shape[0], 1))])
    glm = sm.GLM(y, Xc, family=sm.families.Binomial())
    start_params = np.append(model.coef_[0], model.intercept_[0])
    result = glm.fit(start_params=start_params, tol=1e-12, maxiter=100)
    t0 = time.perf_counter()
    d_params = result.get_influence().d_params
    return time.perf_counter() - t0, d_params, result.params


def run_library_newton_unpenalized(X, y, params):
    from sklearn.frozen import FrozenEstimator
    from sklearn.linear_model import LogisticRegression

    from sklinfluence import InfluenceClassifier

    model = LogisticRegression(C=np.inf)
    model.classes_ = np.unique(y)
    model.coef_ = params[None, :-1].copy()
    model.intercept_ = params[-1:].copy()
    model.n_features_in_ = X.shape[1]
    t0 = time.perf_counter()
    wrapper = InfluenceClassifier(FrozenEstimator(model)).fit(X, y)
    delta = wrapper.removal_params(method="newton")
    return time.perf_counter() - t0, delta


# ----------------------------------------------------------------------
# worker: one contender on one case, in its own process


def _peak_rss():
    """Resident-set peak of this process since exec (VmHWM).

    ``ru_maxrss`` would be inherited from the parent across fork and exec,
    so the benchmark's own large data would show in every worker.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def worker(directory, contender, n_loo=LOO_POINTS):
    # Import everything first, so neither the timing nor the traced peak
    # includes loading modules.
    import sklearn.frozen  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    from scipy.sparse import linalg as _  # noqa: F401

    import sklinfluence  # noqa: F401

    if contender == "statsmodels":
        import statsmodels.api  # noqa: F401

    tracemalloc.start()
    X, y, X_test, y_test, model = load_case(directory)
    input_bytes = nbytes(X) + nbytes(X_test) + y.nbytes + y_test.nbytes
    tracemalloc.reset_peak()
    report = {"input_bytes": input_bytes}
    rng = np.random.default_rng(1)
    check = np.sort(rng.choice(X.shape[0], min(CHECK_ROWS, X.shape[0]), replace=False))

    if contender in ("library", "lower_bound"):
        run = run_library if contender == "library" else run_lower_bound
        start = time.perf_counter()
        result = run(X, y, X_test, y_test, model)
        report["time"] = time.perf_counter() - start
        report["peak_bytes"] = tracemalloc.get_traced_memory()[1]
        report["result_bytes"] = result.nbytes
        np.save(os.path.join(directory, contender + "_check.npy"), result[check])
    elif contender == "loo":
        points = rng.choice(X.shape[0], int(n_loo), replace=False)
        report["time_per_refit"] = run_loo(X, y, X_test, y_test, model, points)
        report["time"] = report["time_per_refit"] * X.shape[0]
        report["peak_bytes"] = tracemalloc.get_traced_memory()[1]
    elif contender == "statsmodels":
        tracemalloc.stop()  # statsmodels allocates many small arrays
        seconds, d_params, params = run_statsmodels(X, y, X_test, y_test, model)
        report["time"] = seconds
        lib_seconds, delta = run_library_newton_unpenalized(X, y, params)
        report["library_time"] = lib_seconds
        # statsmodels' d_params is params - params_without_i; ours the change.
        diff = np.abs(delta + d_params).max() / np.abs(d_params).max()
        report["max_rel_diff"] = float(diff)
    report["maxrss_bytes"] = _peak_rss()
    print(json.dumps(report))


def spawn(directory, contender, n_loo=LOO_POINTS):
    script = os.path.abspath(__file__)
    proc = subprocess.run(
        [sys.executable, script, "--worker", directory, contender, str(n_loo)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "?"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------
# report


def fmt_bytes(b):
    return f"{b / 2**20:,.0f} MiB" if b >= 2**20 else f"{b / 2**10:,.0f} KiB"


def fmt_time(t):
    if t >= 3600:
        return f"{t / 3600:,.1f} h"
    return f"{t:,.2f} s"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (CI)")
    parser.add_argument("--cases", nargs="*", default=None, help="subset of cases")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return 0

    import importlib.util

    specs = QUICK if args.quick else CASES
    names = args.cases or list(specs)
    have_statsmodels = importlib.util.find_spec("statsmodels") is not None
    have_pyinfluence = importlib.util.find_spec("pyinfluence") is not None
    failures = 0
    with tempfile.TemporaryDirectory(prefix="sklinfluence-bench-") as tmp:
        for name in names:
            spec = specs[name]
            directory = os.path.join(tmp, name)
            t0 = time.perf_counter()
            X, y, X_test, y_test, model = make_case(spec)
            save_case(directory, X, y, X_test, y_test, model)
            shape = f"n={X.shape[0]:,} d={X.shape[1]:,} test={X_test.shape[0]:,}"
            kind = "sparse" if sparse.issparse(X) else "dense"
            n_params = model.coef_.size + model.intercept_.size
            del X, X_test
            print(
                f"\n== {name}: {kind} {shape}, {n_params:,} parameters "
                f"(prepared in {time.perf_counter() - t0:.1f} s)"
            )

            lib = spawn(directory, "library")
            low = spawn(directory, "lower_bound")
            loo = spawn(directory, "loo", 1 if args.quick else LOO_POINTS)
            rows = []
            for label, rep in (("sklinfluence", lib), ("NumPy/SciPy lower bound", low)):
                if "error" in rep:
                    rows.append(f"  {label:<26} failed: {rep['error']}")
                    failures += 1
                    continue
                base = rep["input_bytes"] + rep["result_bytes"]
                rows.append(
                    f"  {label:<26} {fmt_time(rep['time']):>10}  peak "
                    f"{fmt_bytes(rep['peak_bytes']):>10} = "
                    f"{rep['peak_bytes'] / base:4.2f} x (input+result "
                    f"{fmt_bytes(base)})  maxrss {fmt_bytes(rep['maxrss_bytes'])}"
                )
            if "error" in loo:
                rows.append(f"  {'exact LOO':<26} failed: {loo['error']}")
            else:
                rows.append(
                    f"  {'exact LOO (extrapolated)':<26} {fmt_time(loo['time']):>10}  "
                    f"({loo['time_per_refit']:.3f} s per warm-started refit x n)"
                )
            print("\n".join(rows))
            if "error" not in lib and "error" not in low:
                a = np.load(os.path.join(directory, "library_check.npy"))
                b = np.load(os.path.join(directory, "lower_bound_check.npy"))
                diff = np.abs(a - b).max() / np.abs(b).max()
                ratio = lib["time"] / low["time"]
                print(f"  time ratio library / lower bound: {ratio:.2f}")
                print(
                    f"  max relative difference library vs lower bound "
                    f"({a.shape[0]:,} sampled training rows x all tests): {diff:.1e}"
                )
                if "error" not in loo:
                    print(
                        f"  exact LOO / library time: {loo['time'] / lib['time']:,.0f}"
                    )
            if name.startswith("dense-20k"):
                if have_statsmodels:
                    sm = spawn(directory, "statsmodels")
                    if "error" in sm:
                        print(f"  statsmodels GLMInfluence failed: {sm['error']}")
                    else:
                        print(
                            "  peer statsmodels GLMInfluence.d_params (unpenalized): "
                            f"{fmt_time(sm['time'])}; sklinfluence removal_params("
                            f"method='newton') on the same model: "
                            f"{fmt_time(sm['library_time'])} (incl. fit checks); "
                            f"max relative difference {sm['max_rel_diff']:.1e}"
                        )
                else:
                    print("  peer statsmodels: not installed")
                print(
                    "  peer pyinfluence: "
                    + ("installed (not wired)" if have_pyinfluence else "not installed")
                )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
