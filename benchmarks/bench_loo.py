"""Exact leave-one-out against the influence approximation, side by side.

For each candidate C of a logistic regression on breast_cancer (569 points),
exact leave-one-out refits the scikit-learn estimator n times (warm-started
at the full fit, tol=1e-10), while ``InfluenceLOOSearchCV`` fits once and
takes one Newton step per point. Prints the mean leave-one-out log-loss of
both, their relative difference, the wall times and the speed-up.

Usage: ``python benchmarks/bench_loo.py [--n N]``.
"""

import argparse
import time

import numpy as np
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import scale

from sklinfluence.model_selection import InfluenceLOOSearchCV


def exact_loo(estimator, X, y):
    full = clone(estimator).fit(X, y)
    losses = np.empty(len(y))
    keep = np.ones(len(y), dtype=bool)
    model = clone(estimator).set_params(warm_start=True)
    for i in range(len(y)):
        model.coef_, model.intercept_ = full.coef_.copy(), full.intercept_.copy()
        keep[i] = False
        model.fit(X[keep], y[keep])
        keep[i] = True
        losses[i] = -np.log(model.predict_proba(X[i : i + 1])[0, y[i]])
    return losses.mean()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=None, help="use the first n points")
    args = parser.parse_args(argv)
    X, y = load_breast_cancer(return_X_y=True)
    X, y = scale(X)[: args.n], y[: args.n]
    grid = [0.01, 0.1, 1.0, 10.0]
    estimator = LogisticRegression(solver="newton-cholesky", tol=1e-10, max_iter=1000)

    start = time.perf_counter()
    search = InfluenceLOOSearchCV(estimator, {"C": grid}).fit(X, y)
    approx_time = time.perf_counter() - start
    approx = -search.cv_results_["mean_test_score"]

    print(f"breast_cancer, n={len(y)}, LogisticRegression(newton-cholesky)")
    print(f"{'C':>6} {'exact LOO':>10} {'approx':>10} {'rel diff':>9} {'exact s':>8}")
    exact_total = 0.0
    exact = []
    for C, a in zip(grid, approx, strict=True):
        start = time.perf_counter()
        e = exact_loo(clone(estimator).set_params(C=C), X, y)
        elapsed = time.perf_counter() - start
        exact_total += elapsed
        exact.append(e)
        print(f"{C:>6g} {e:>10.5f} {a:>10.5f} {a / e - 1:>+9.2%} {elapsed:>8.2f}")
    best_exact = grid[int(np.argmin(exact))]
    print(
        f"best C: exact {best_exact:g}, approx {search.best_params_['C']:g}; "
        f"wall time: exact {exact_total:.2f} s ({len(grid) * len(y)} refits), "
        f"approx {approx_time:.3f} s ({len(grid)} fits); "
        f"speed-up {exact_total / approx_time:.0f}x"
    )


if __name__ == "__main__":
    main()
