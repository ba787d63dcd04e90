"""Ground truth for the tests: actual refits of the wrapped sklearn estimator.

Every refit goes through :func:`sklinfluence._refits.refit`: a clone fitted
without the removed rows, warm-started at the full-data solution where the
solver allows it. The helpers here add the tests' checks that a refit
converged (so a refit that stopped early fails loudly instead of blurring the
comparison) and the figures the tests compare;
:func:`sklinfluence._refits.agreement` is the other figure.
"""

import warnings

import numpy as np
from numpy.testing import assert_array_less

from sklinfluence import _refits
from sklinfluence._adapters import stack_theta


def tight_logistic(**params):
    """A LogisticRegression that is refitted to a tight tolerance."""
    from sklearn.linear_model import LogisticRegression

    defaults = {"tol": 1e-12, "max_iter": 10_000}
    defaults.update(params)
    return LogisticRegression(**defaults)


def quiet_refit_without(estimator, X, y, removed, sample_weight=None, warm=True):
    """``clone(estimator)`` refitted without the rows ``removed``, warnings silenced.

    Warm-started at ``estimator`` unless ``warm`` is false; the estimator's
    own ``tol`` and ``max_iter`` are kept.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _refits.refit_without(
            estimator,
            X,
            y,
            removed,
            sample_weight,
            warm_from=estimator if warm else None,
        )


def converged_refit_without(estimator, X, y, removed, sample_weight=None):
    """Warm-started ``_refits.refit_without``, asserting that the solver converged."""
    model = _refits.refit_without(
        estimator, X, y, removed, sample_weight, warm_from=estimator
    )
    n_iter = np.max(model.n_iter_)
    assert n_iter < model.max_iter, "a ground-truth refit did not converge"
    return model


def exact_loo_log_loss(estimator, X, y):
    """Per-point log-loss of n leave-one-out refits of a fitted classifier."""
    classes = list(estimator.classes_)
    out = np.empty(len(y))
    for i in range(len(y)):
        model = converged_refit_without(estimator, X, y, [i])
        proba = model.predict_proba(X[i : i + 1])[0]
        out[i] = -np.log(proba[classes.index(y[i])])
    return out


def actual_removal(model, estimator, train_indices, X_test, y_test, tol=1e-7):
    """Actual change of each test loss when each training point is refitted away.

    ``estimator`` is refitted on the wrapper's training data to ``tol=1e-12``
    and at least 100,000 iterations, warm-started at the wrapper's fit.
    Returns an array ``(len(train_indices), n_test)``. Each refit is checked:
    the gradient of the objective without the point must vanish there.
    """
    obj = model.objective_
    y_enc = model.target_encoding_(y_test)
    base = obj.loss.loss(y_enc, obj.decision(X_test))
    out = []
    for i in train_indices:
        est = _refits.refit_without(
            estimator,
            model.X_fit_,
            model.y_fit_,
            i,
            model.sample_weight_,
            warm_from=model.estimator_,
            tol=1e-12,
            max_iter=100_000,
        )
        theta = stack_theta(est.coef_, est.intercept_, est.fit_intercept).ravel()
        reduced = obj.without(i)
        grad = np.linalg.norm(reduced.gradient(theta))
        scale = np.linalg.norm(reduced.gradient(np.zeros(theta.size)))
        assert_array_less(grad / scale, tol)
        out.append(obj.loss.loss(y_enc, obj.decision(X_test, theta)) - base)
    return np.array(out)


def linear_scores(model, X):
    coef = np.atleast_2d(model.coef_)
    return np.asarray(X @ coef.T) + np.asarray(model.intercept_)


def refit_optimality(objective, model, i):
    """Relative gradient norm of the objective without row ``i`` at a refit."""
    reduced = objective.without(i)
    theta = np.atleast_2d(model.coef_)
    if objective.fit_intercept:
        intercept = np.broadcast_to(np.asarray(model.intercept_), (theta.shape[0],))
        theta = np.hstack([theta, intercept[:, None]])
    reduced.theta = theta
    return reduced.relative_gradient_norm()


def actual_effects(wrapper, X_test, y_test, indices, check_tol=1e-6, **kw):
    """Change of each test loss when each training row in ``indices`` is removed.

    Refits keep the estimator's own ``tol`` (see :func:`quiet_refit_without`). Each
    refit is checked to be at an optimum of the objective without the row
    (relative gradient norm below ``check_tol``; ``None`` skips the check,
    for models whose refits change a quantity held fixed, such as
    HuberRegressor's scale).
    """
    obj = wrapper.objective_
    final = wrapper.estimator_
    X, y = wrapper.X_fit_, wrapper.y_fit_
    y_enc = wrapper.target_encoding_(y_test)
    base = obj.loss.loss(y_enc, linear_scores(final, X_test))
    out = np.empty((len(indices), X_test.shape[0]))
    for row, i in enumerate(indices):
        model = quiet_refit_without(final, X, y, i, **kw)
        if check_tol is not None:
            figure = refit_optimality(obj, model, i)
            assert figure < check_tol, f"refit without {i} not at optimum: {figure}"
        out[row] = obj.loss.loss(y_enc, linear_scores(model, X_test)) - base
    return out


def slope_corr(predicted, actual):
    """The least-squares slope of actual on predicted, and Pearson r."""
    p, a = np.ravel(predicted), np.ravel(actual)
    slope = float(p @ a / (p @ p))
    return slope, float(np.corrcoef(p, a)[0, 1])
