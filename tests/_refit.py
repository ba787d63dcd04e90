"""Ground truth for the tests: actual refits of the wrapped sklearn estimator.

Refits are warm-started at the full-data solution where the solver allows it,
run to a tight tolerance, and checked for stationarity of the objective the
library assumes (so a refit that stopped early fails loudly instead of
blurring the comparison).
"""

import numpy as np
from numpy.testing import assert_array_less
from sklearn.base import clone

from sklinfluence._adapters import stack_theta

WARM_STARTABLE = {"lbfgs", "newton-cg", "newton-cholesky", "sag", "saga"}


def tight(estimator):
    """A clone of ``estimator`` set to converge to near machine precision."""
    params = {}
    names = estimator.get_params()
    if "tol" in names:
        params["tol"] = 1e-12
    if "max_iter" in names:
        params["max_iter"] = 100_000
    return clone(estimator).set_params(**params)


def refit_theta(model, estimator, keep, X=None, y=None, sample_weight=None):
    """Refit ``estimator`` on the rows ``keep`` and return its parameters.

    ``X``, ``y`` and ``sample_weight`` default to the wrapper's training data.
    The refit starts from the wrapper's fitted parameters when the solver
    supports warm starts.
    """
    X = model.X_fit_ if X is None else X
    y = model.y_fit_ if y is None else y
    sw = model.sample_weight_ if sample_weight is None else sample_weight
    est = tight(estimator)
    fitted = model.estimator_
    if getattr(est, "solver", None) in WARM_STARTABLE:
        est.set_params(warm_start=True)
        est.coef_ = fitted.coef_.copy()
        est.intercept_ = np.array(fitted.intercept_, dtype=float).copy()
    est.fit(X[keep], y[keep], sample_weight=sw[keep])
    return stack_theta(est.coef_, est.intercept_, est.fit_intercept)


def actual_removal(model, estimator, train_indices, X_test, y_test, tol=1e-7):
    """Actual change of each test loss when each training point is refitted away.

    Returns an array ``(len(train_indices), n_test)``. Each refit is checked:
    the gradient of the objective without the point must vanish there.
    """
    obj = model.objective_
    y_enc = model.target_encoding_(y_test)
    base = obj.loss.loss(y_enc, obj.decision(X_test))
    n = obj.X.shape[0]
    out = []
    for i in train_indices:
        keep = np.flatnonzero(np.arange(n) != i)
        theta = refit_theta(model, estimator, keep)
        reduced = obj.without(i)
        grad = np.linalg.norm(reduced.gradient(theta.ravel()))
        scale = np.linalg.norm(reduced.gradient(np.zeros(theta.size)))
        assert_array_less(grad / scale, tol)
        out.append(obj.loss.loss(y_enc, obj.decision(X_test, theta.ravel())) - base)
    return np.array(out)


def agreement(predicted, actual):
    """Pearson r and the least-squares slope of predicted on actual."""
    predicted = np.ravel(predicted)
    actual = np.ravel(actual)
    r = np.corrcoef(predicted, actual)[0, 1]
    slope = np.dot(actual, predicted) / np.dot(actual, actual)
    return r, slope
