"""Ground truth for the removal tests: actual refits of the sklearn estimator."""

import warnings

import numpy as np
from sklearn.base import clone


def refit_without(estimator, X, y, i, sample_weight=None, warm=True):
    """Refit ``clone(estimator)`` without row ``i``, warm-started where possible."""
    keep = np.delete(np.arange(X.shape[0]), i)
    model = clone(estimator)
    params = model.get_params()
    sgd = type(model).__name__.startswith("SGD")
    if warm and "warm_start" in params and not sgd:
        model.set_params(warm_start=True)
        model.coef_ = estimator.coef_.copy()
        model.intercept_ = np.copy(estimator.intercept_)
        if hasattr(estimator, "scale_"):
            model.scale_ = estimator.scale_
    fit = {}
    if sample_weight is not None:
        fit["sample_weight"] = sample_weight[keep]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if warm and sgd:
            model.fit(
                X[keep],
                y[keep],
                coef_init=estimator.coef_.copy(),
                intercept_init=np.copy(estimator.intercept_),
                **fit,
            )
        else:
            model.fit(X[keep], y[keep], **fit)
    return model


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

    Each refit is checked to be at an optimum of the objective without the
    row (relative gradient norm below ``check_tol``; ``None`` skips the
    check, for models whose refits change a quantity held fixed, such as
    HuberRegressor's scale).
    """
    obj = wrapper.objective_
    final = wrapper.estimator_
    X, y = wrapper.X_fit_, wrapper.y_fit_
    y_enc = wrapper.target_encoding_(y_test)
    base = obj.loss.loss(y_enc, linear_scores(final, X_test))
    out = np.empty((len(indices), X_test.shape[0]))
    for row, i in enumerate(indices):
        model = refit_without(final, X, y, i, **kw)
        if check_tol is not None:
            figure = refit_optimality(obj, model, i)
            assert figure < check_tol, f"refit without {i} not at optimum: {figure}"
        out[row] = obj.loss.loss(y_enc, linear_scores(model, X_test)) - base
    return out


def slope_corr(predicted, actual):
    p, a = np.ravel(predicted), np.ravel(actual)
    slope = float(p @ a / (p @ p))
    return slope, float(np.corrcoef(p, a)[0, 1])
