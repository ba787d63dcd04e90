"""Finding mislabelled training points: review orders and the detection curve.

Koh & Liang (2017, section 5.4) rank training points for label review by
their self-influence: a mislabelled point is one the model must bend towards
to fit, so upweighting it lowers its own loss the most. This module gives that
ranking, the two baselines they compare it with (training loss, random), and
the curve of flipped labels found against the share of data checked.
"""

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._base import BaseInfluence

__all__ = ["fraction_found_at", "mislabel_detection_curve", "mislabel_ranking"]

RANKING_METHODS = ("influence", "loss", "random")


def _influence_model(model):
    if isinstance(model, Pipeline) and isinstance(model[-1], BaseInfluence):
        model = model[-1]
    if not isinstance(model, BaseInfluence):
        raise TypeError(
            "mislabel_ranking needs a fitted InfluenceClassifier or "
            "InfluenceRegressor (or a Pipeline ending with one); got "
            f"{type(model).__name__}."
        )
    check_is_fitted(model)
    return model


def mislabel_ranking(model, method="influence", *, random_state=None):
    """Order in which to review training labels, most suspicious first.

    Parameters
    ----------
    model : InfluenceClassifier or InfluenceRegressor
        Fitted on the training data to review, or a fitted pipeline whose
        last step is one.
    method : {"influence", "loss", "random"}, default="influence"
        ``"influence"``: by decreasing magnitude of the self-influence
        ``|I_up,loss(z_i, z_i)| = g_i^T H_bar^-1 g_i`` (the paper's ranking);
        it weighs a point's misfit by its leverage, so it flags a wrong label
        on a point that drives the fit ahead of one the model simply gives
        up on. ``"loss"``: by decreasing training loss. ``"random"``: a
        random permutation, the baseline.
    random_state : int, RandomState instance or None, default=None
        Seeds ``"random"``; also breaks ties in the other rankings, which
        are otherwise resolved by row order.

    Returns
    -------
    order : ndarray of shape (n_train,)
        Training row positions, the first to review first.

    See Also
    --------
    mislabel_detection_curve : Share of flipped labels found along an order.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.preprocessing import scale
    >>> from sklinfluence import InfluenceClassifier, mislabel_ranking
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = LogisticRegression(solver="newton-cholesky", tol=1e-8)
    >>> model = InfluenceClassifier(clf).fit(scale(X), y)
    >>> mislabel_ranking(model, "influence")[:3].shape
    (3,)
    """
    if method not in RANKING_METHODS:
        raise ValueError(f"method must be one of {RANKING_METHODS}; got {method!r}.")
    model = _influence_model(model)
    n = model.X_fit_.shape[0]
    if method == "random":
        return check_random_state(random_state).permutation(n)
    if method == "influence":
        score = np.abs(model.self_influence())
    else:
        obj = model.objective_
        score = obj.loss.loss(obj.y, obj.decision(obj.X))
    return np.argsort(-score, kind="stable")


def mislabel_detection_curve(order, flipped):
    """Share of flipped labels found against the share of data checked.

    Parameters
    ----------
    order : array-like of int of shape (n_train,)
        A review order of the training rows, e.g. from
        :func:`mislabel_ranking`.
    flipped : array-like of bool of shape (n_train,), or of int
        Which training labels are wrong: a boolean mask over the rows, or
        their row positions.

    Returns
    -------
    fraction_checked : ndarray of shape (n_train + 1,)
        ``0, 1/n, ..., 1``: share of the training data reviewed.
    fraction_found : ndarray of shape (n_train + 1,)
        Share of the flipped labels among the reviewed rows.

    Examples
    --------
    >>> import numpy as np
    >>> from sklinfluence import mislabel_detection_curve
    >>> flipped = [False, False, True, True]
    >>> checked, found = mislabel_detection_curve([2, 0, 1, 3], flipped)
    >>> found.tolist()
    [0.0, 0.5, 0.5, 0.5, 1.0]
    """
    order = np.asarray(order)
    n = order.shape[0]
    if order.ndim != 1 or not np.issubdtype(order.dtype, np.integer):
        raise ValueError("order must be a 1-d array of integer row positions.")
    if not np.array_equal(np.sort(order), np.arange(n)):
        raise ValueError(
            f"order must be a permutation of the {n} training rows "
            "(each row exactly once)."
        )
    flipped = np.asarray(flipped)
    if flipped.dtype == bool:
        if flipped.shape != (n,):
            raise ValueError(
                f"A boolean flipped mask must have one entry per training row "
                f"({n}); got shape {flipped.shape}."
            )
        mask = flipped
    else:
        if flipped.size and not np.issubdtype(flipped.dtype, np.integer):
            raise ValueError("flipped must be a boolean mask or row positions.")
        mask = np.zeros(n, dtype=bool)
        mask[flipped.astype(int)] = True
    n_flipped = int(mask.sum())
    if n_flipped == 0:
        raise ValueError("flipped marks no training row; nothing to find.")
    found = np.concatenate([[0], np.cumsum(mask[order])]) / n_flipped
    return np.arange(n + 1) / n, found


def fraction_found_at(order, flipped, fractions):
    """Share of flipped labels found after checking each share of the data.

    Parameters
    ----------
    order : array-like of int of shape (n_train,)
    flipped : array-like of bool or int
    fractions : array-like of float in [0, 1]

    Returns
    -------
    found : ndarray of shape (len(fractions),)

    Examples
    --------
    >>> import numpy as np
    >>> from sklinfluence import fraction_found_at, mislabel_detection_curve
    >>> order = np.array([3, 0, 1, 2])
    >>> checked, found = mislabel_detection_curve(order, [0, 3])
    >>> found.tolist()
    [0.0, 0.5, 1.0, 1.0, 1.0]
    >>> fraction_found_at(order, [0, 3], [0.25, 0.5]).tolist()
    [0.5, 1.0]
    """
    checked, found = mislabel_detection_curve(order, flipped)
    n = len(checked) - 1
    counts = np.floor(np.asarray(fractions, dtype=float) * n + 1e-9).astype(int)
    if np.any((counts < 0) | (counts > n)):
        raise ValueError("fractions must lie in [0, 1].")
    return found[counts]
