"""Actual scikit-learn refits without chosen training rows: the ground truth.

Influence estimates are only worth what their agreement with retraining is.
:func:`actual_removal_effect` retrains the wrapped model's final estimator
without each chosen row, with scikit-learn's own solver, and measures the
change of each test loss. The displays and ``sklinfluence explain --check``
use it. :func:`refit` and :func:`refit_without` are the one way this package
and its tests refit an estimator (clone, warm start, tolerance bounds).
"""

import inspect
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from ._adapters import build_spec
from ._base import final_estimator
from .exceptions import ConvergenceWarning


def refit(
    estimator,
    X,
    y,
    keep,
    sample_weight=None,
    *,
    warm_from=None,
    tol=None,
    max_iter=None,
):
    """``clone(estimator)`` fitted on the rows ``keep``, warm-started where possible.

    Parameters
    ----------
    estimator : estimator
        A linear scikit-learn estimator; only its parameters are used.
    X, y : array-like
        The training data; only the rows ``keep`` are fitted.
    keep : array-like of int or bool
        The rows to fit on.
    sample_weight : ndarray, default=None
        Weights of all rows of ``X``; ``None`` fits unweighted.
    warm_from : fitted estimator, default=None
        Start the solver at its ``coef_`` and ``intercept_`` (and a Huber
        ``scale_``): SGD through ``coef_init``, others through
        ``warm_start``. liblinear and solvers without a warm start start
        cold. ``None`` starts cold.
    tol : float, default=None
        Upper bound on the clone's ``tol``; ``None`` keeps it.
    max_iter : int, default=None
        Lower bound on the clone's ``max_iter``; ``None`` keeps it.

    Returns
    -------
    estimator : estimator
        The fitted clone.
    """
    params = estimator.get_params(deep=False)
    est = clone(estimator)
    changes = {}
    if tol is not None and params.get("tol") is not None:
        changes["tol"] = min(float(params["tol"]), tol)
    if max_iter is not None and params.get("max_iter") is not None:
        changes["max_iter"] = max(int(params["max_iter"]), max_iter)
    fit = {} if sample_weight is None else {"sample_weight": sample_weight[keep]}
    fit_params = inspect.signature(est.fit).parameters
    if warm_from is not None and {"coef_init", "intercept_init"} <= set(fit_params):
        # SGD's own warm start fails for averaged regressors; its initial
        # values do the same for all of them.
        fit["coef_init"] = np.array(warm_from.coef_, dtype=float, copy=True)
        fit["intercept_init"] = np.array(warm_from.intercept_, dtype=float, copy=True)
    elif (
        warm_from is not None
        and "warm_start" in params
        and params.get("solver") != "liblinear"
    ):
        changes["warm_start"] = True
        est.coef_ = np.array(warm_from.coef_, dtype=float, copy=True)
        if hasattr(warm_from, "intercept_"):
            est.intercept_ = np.array(warm_from.intercept_, dtype=float, copy=True)
        if hasattr(warm_from, "scale_"):
            # HuberRegressor starts from its scale as well.
            est.scale_ = warm_from.scale_
    est.set_params(**changes)
    return est.fit(X[keep], y[keep], **fit)


def refit_without(estimator, X, y, removed, sample_weight=None, **kwargs):
    """:func:`refit` on all rows of ``X`` but the rows ``removed``."""
    keep = np.delete(np.arange(X.shape[0]), removed)
    return refit(estimator, X, y, keep, sample_weight, **kwargs)


def agreement(predicted, actual):
    """Pearson r and the least-squares slope of predicted on actual.

    The slope is fitted through the origin; 1 means the estimates have the
    size of the actual effects.
    """
    predicted, actual = np.ravel(predicted), np.ravel(actual)
    r = float(np.corrcoef(predicted, actual)[0, 1])
    slope = float(actual @ predicted / (actual @ actual))
    return r, slope


def actual_removal_effect(model, X, y=None, *, train_indices, tol=1e-10):
    """Change of each test loss when each training row is removed and refitted.

    The final estimator of ``model`` is refitted by scikit-learn on the
    training features it saw (``model.X_fit_``, so pipeline steps stay fixed,
    as influence assumes) without one row at a time, and also once on all
    rows with the same settings, so both sides of each difference share the
    solver's precision. Refits use ``tol=min(tol, estimator.tol)``, at least
    10,000 iterations and a warm start at the fitted model where the solver
    supports it.

    Parameters
    ----------
    model : InfluenceClassifier or InfluenceRegressor
        A fitted wrapper.
    X : array-like of shape (n_test, n_features)
        Test points.
    y : array-like of shape (n_test,), default=None
        Their targets; ``None`` uses the model's predictions.
    train_indices : array-like of int
        Positions of the training rows to remove, one at a time.
    tol : float, default=1e-10
        Upper bound on the refits' ``tol``.

    Returns
    -------
    effect : ndarray of shape (n_selected, n_test)
        Test loss after the refit without the row minus the test loss of
        the refit on all rows; positive means the row helped.
    optimality : ndarray of shape (n_selected,)
        Relative gradient norm of each refit on its objective; large values
        mean the refit did not converge and its effect is unreliable. For
        models trained on the hinge loss, whose refits are optima of the
        hinge, not of the smoothed objective the influence uses: NaN, or inf
        when the solver reported that it stopped before converging.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.preprocessing import scale
    >>> from sklinfluence import InfluenceClassifier
    >>> from sklinfluence._refits import actual_removal_effect
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = scale(X)
    >>> model = InfluenceClassifier(LogisticRegression(tol=1e-8))
    >>> model = model.fit(X[:200], y[:200])
    >>> effect, _ = actual_removal_effect(model, X[200:202], y[200:202],
    ...                                   train_indices=[0, 1])
    >>> effect.shape
    (2, 2)
    """
    check_is_fitted(model)
    idx = model._train_indices(train_indices)
    design, y_enc = model._test_problem(X, y)
    obj = model.objective_
    final = final_estimator(model)
    X_fit, y_fit, sw = model.X_fit_, model.y_fit_, model.sample_weight_
    smoothing = getattr(model, "hinge_smoothing", None)
    options = {} if smoothing is None else {"hinge_smoothing": smoothing}
    # Estimators without sample_weight support can still be refitted unweighted.
    unweighted = bool(np.all(sw == 1.0))

    def refit_loss(keep):
        with warnings.catch_warnings(record=True) as caught:
            # A refit that stops early shows in ``optimality``, not as noise.
            warnings.simplefilter("always", ConvergenceWarning)
            est = refit(
                final,
                X_fit,
                y_fit,
                keep,
                None if unweighted else sw,
                warm_from=final,
                tol=tol,
                max_iter=10_000,
            )
        stopped_early = any(issubclass(w.category, ConvergenceWarning) for w in caught)
        spec = build_spec(est, X_fit[keep], y_fit[keep], sw[keep], **options)
        theta = spec.objective.theta.ravel()
        loss = obj.loss.loss(y_enc, obj.decision(design, theta))
        if getattr(spec, "hinge_smoothing", None) is not None:
            # Optimal for the hinge, never for its smoothed stand-in: only the
            # solver itself can say that it stopped early (inf).
            return loss, np.inf if stopped_early else np.nan
        return loss, spec.objective.relative_gradient_norm()

    n = X_fit.shape[0]
    base_loss, _ = refit_loss(np.arange(n))
    effect = np.empty((len(idx), design.shape[0]))
    optimality = np.empty(len(idx))
    for row, i in enumerate(idx):
        keep = np.delete(np.arange(n), i)
        loss, optimality[row] = refit_loss(keep)
        effect[row] = loss - base_loss
    return effect, optimality
