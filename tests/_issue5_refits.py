"""Ground truth for the tests: actual refits of scikit-learn estimators.

Each refit is warm-started at the full-data fit and run to a tight tolerance,
and its convergence is checked, so that differences from the estimates are
the estimates' own error.
"""

import numpy as np
from sklearn.base import clone


def tight_logistic(**params):
    """A LogisticRegression that is refitted to a tight tolerance."""
    from sklearn.linear_model import LogisticRegression

    defaults = {"tol": 1e-12, "max_iter": 10_000}
    defaults.update(params)
    return LogisticRegression(**defaults)


def refit_without(estimator, X, y, removed, sample_weight=None):
    """``clone(estimator)`` fitted without the rows ``removed``, warm-started."""
    keep = np.ones(len(y), dtype=bool)
    keep[np.asarray(removed, dtype=int)] = False
    model = clone(estimator).set_params(warm_start=True)
    model.coef_ = estimator.coef_.copy()
    model.intercept_ = np.copy(estimator.intercept_)
    kwargs = {} if sample_weight is None else {"sample_weight": sample_weight[keep]}
    model.fit(X[keep], y[keep], **kwargs)
    n_iter = np.max(model.n_iter_)
    assert n_iter < model.max_iter, "a ground-truth refit did not converge"
    return model


def exact_loo_log_loss(estimator, X, y):
    """Per-point log-loss of n leave-one-out refits of a fitted classifier."""
    classes = list(estimator.classes_)
    out = np.empty(len(y))
    for i in range(len(y)):
        model = refit_without(estimator, X, y, [i])
        proba = model.predict_proba(X[i : i + 1])[0]
        out[i] = -np.log(proba[classes.index(y[i])])
    return out
