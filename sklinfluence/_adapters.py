"""Adapters: what each supported estimator minimizes, read off a fitted instance.

Adapters are data, not subclasses: ``ADAPTERS`` maps an estimator class to a
function that reads the fitted estimator's parameters and hyper-parameters and
returns a :class:`ModelSpec`, i.e. the :class:`~sklinfluence._objective.
LinearObjective` it minimized plus the encoding of its targets. Each builder
documents the objective it assumes; the stationarity check at ``fit`` time
verifies that the fitted parameters are an optimum of it.
"""

import inspect
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.utils.class_weight import compute_class_weight

from ._losses import BinomialLoss, MultinomialLoss
from ._objective import LinearObjective
from .exceptions import UnsupportedEstimatorError

ADAPTERS = {}

# One line per supported estimator and setting, shown in error messages.
SUPPORTED = {}


@dataclass
class ModelSpec:
    """A fitted model seen as a linear objective.

    Attributes
    ----------
    objective : LinearObjective
    encode : LabelEncoding or RealEncoding
        Maps targets as the user gives them (class labels, real values) to
        the encoding the loss expects; raises ``ValueError`` on labels the
        model never saw. Picklable, so the wrapper pickles.
    hinge_smoothing : float or None
        Set when the model was trained on the non-differentiable hinge and
        the objective borrows the smooth hinge's derivatives at this
        temperature (0 for the raw hinge): the fitted parameters are then
        not an optimum of ``objective``, and the fit-time check says why.
    """

    objective: LinearObjective
    encode: object
    hinge_smoothing: float | None = None


def register(estimator_class, description):
    """Register an adapter for ``estimator_class``."""

    def decorator(builder):
        ADAPTERS[estimator_class] = builder
        SUPPORTED[estimator_class.__name__] = description
        return builder

    return decorator


def supported_message():
    lines = [f"  - {name}: {text}" for name, text in SUPPORTED.items()]
    return "Supported estimators:\n" + "\n".join(lines)


def unsupported(estimator, reason):
    return UnsupportedEstimatorError(
        f"{reason} {supported_message()}\nWrap the model in a pipeline whose "
        "final step is one of these, or open an issue for the estimator you need."
    )


def build_spec(estimator, X, y, sample_weight, **options):
    """Return the :class:`ModelSpec` of a fitted ``estimator`` on ``(X, y)``.

    ``options`` are wrapper settings (e.g. ``hinge_smoothing``); each builder
    receives those it names as keyword parameters.
    """
    builder = ADAPTERS.get(type(estimator))
    if builder is None:
        raise unsupported(
            estimator,
            f"sklinfluence has no influence adapter for {type(estimator).__name__}.",
        )
    accepted = inspect.signature(builder).parameters
    kwargs = {name: value for name, value in options.items() if name in accepted}
    return builder(estimator, X, y, sample_weight, **kwargs)


# ----------------------------------------------------------------------
# shared pieces


class LabelEncoding:
    """Maps class labels to what a loss expects, refusing labels not seen in fit.

    Parameters
    ----------
    classes : ndarray
        The estimator's sorted ``classes_``.
    codes : ndarray, default=None
        Code of each class (e.g. 0/1 or -1/+1); ``None`` gives class indices.
    """

    def __init__(self, classes, codes=None):
        self.classes = np.asarray(classes)
        self.codes = codes

    def __call__(self, y):
        y = np.asarray(y)
        classes = self.classes
        index = np.clip(np.searchsorted(classes, y), 0, len(classes) - 1)
        unseen = classes[index] != y
        if np.any(unseen):
            raise ValueError(
                f"y contains labels not seen in fit: {np.unique(y[unseen]).tolist()}. "
                f"The model was trained on classes {classes.tolist()}; pass labels "
                "from these classes, or y=None to explain the predicted labels."
            )
        return index if self.codes is None else self.codes[index]


class RealEncoding:
    """Real-valued targets, as float64, checked against the loss's domain.

    Parameters
    ----------
    lower : float, default=-inf
        Smallest target the loss is defined for.
    strict : bool, default=False
        Whether ``lower`` itself is excluded.
    name : str, default=""
        The estimator, for the error message.
    """

    def __init__(self, lower=-np.inf, strict=False, name=""):
        self.lower = lower
        self.strict = strict
        self.name = name

    def __call__(self, y):
        y = np.asarray(y, dtype=np.float64)
        finite = y[~np.isnan(y)]
        bad = finite <= self.lower if self.strict else finite < self.lower
        if np.any(bad):
            relation = ">" if self.strict else ">="
            raise ValueError(
                f"y contains {int(bad.sum())} value(s) outside the domain of "
                f"{self.name or 'the loss'}, which needs y {relation} "
                f"{self.lower:g} (e.g. {finite[bad][0]:g}); pass targets the "
                "model could have been trained on."
            )
        return y


def effective_weights(estimator, y_index, classes, sample_weight):
    """Per-sample weights ``s_i = sample_weight_i * class_weight[y_i]``.

    With ``class_weight="balanced"`` the class weights are computed from
    weighted counts, as scikit-learn does, and are then held fixed: removing
    one point does not re-balance the classes (an O(1/n) effect).
    """
    n = len(y_index)
    sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
    class_weight = getattr(estimator, "class_weight", None)
    if class_weight is None:
        return sw
    cw = compute_class_weight(
        class_weight, classes=classes, y=classes[y_index], sample_weight=sw
    )
    return sw * cw[y_index]


def stack_theta(coef, intercept, fit_intercept):
    coef = np.atleast_2d(np.asarray(coef, dtype=np.float64))
    if not fit_intercept:
        return coef
    intercept = np.broadcast_to(np.asarray(intercept, float), (coef.shape[0],))
    return np.hstack([coef, intercept[:, None]])


def penalty_diagonal(theta_shape, fit_intercept, coef_value, intercept_value):
    """Diagonal of a ridge-type penalty: one value for weights, one for intercepts."""
    P = np.full(theta_shape, float(coef_value))
    if fit_intercept:
        P[:, -1] = intercept_value
    return P


# ----------------------------------------------------------------------
# LogisticRegression


def _logistic_penalty(estimator):
    """Return the effective L2 strength 1 (penalized) or 0 (no penalty).

    scikit-learn 1.8 deprecated ``penalty`` in favour of ``l1_ratio`` and
    ``C=np.inf``; older versions still read ``penalty``.
    """
    penalty = getattr(estimator, "penalty", "deprecated")
    C = estimator.C
    if penalty in (None, "none") or np.isinf(C):
        return False
    l1_ratio = estimator.l1_ratio
    if penalty in ("l1", "elasticnet") or (l1_ratio is not None and l1_ratio > 0):
        raise unsupported(
            estimator,
            "LogisticRegression with an L1 share in its penalty "
            f"(l1_ratio={l1_ratio}, penalty={penalty!r}) is not differentiable; "
            "influence on L1-penalized logistic regression is not supported yet. "
            "Use l1_ratio=0 (L2) or C=np.inf (no penalty).",
        )
    return True


@register(
    LogisticRegression,
    "binary or multinomial, every solver, L2 penalty (l1_ratio=0) or none "
    "(C=np.inf), sample_weight and class_weight; liblinear's penalized intercept",
)
def logistic_regression(estimator, X, y, sample_weight):
    """``C * sum_i s_i l_i + 1/2 ||W||^2`` (plus ``1/2 (b/is)^2`` for liblinear).

    Binary models use the logistic loss on ``y`` in {0, 1} (``classes_[1]`` is
    the positive class), multinomial models the softmax cross-entropy over all
    ``K`` classes with a full ``(K, n_features)`` coefficient matrix. liblinear
    fits the intercept as the weight ``b / is`` of a constant feature of value
    ``is = intercept_scaling`` and so penalizes it by ``1/2 (b / is)^2``; all
    other solvers leave it unpenalized. ``C=np.inf`` drops the penalty and the
    factor ``C``.
    """
    penalized = _logistic_penalty(estimator)
    classes = estimator.classes_
    y_index = LabelEncoding(classes)(y)
    s = effective_weights(estimator, y_index, classes, sample_weight)
    fit_intercept = estimator.fit_intercept
    theta = stack_theta(estimator.coef_, estimator.intercept_, fit_intercept)

    intercept_penalty = 0.0
    if estimator.solver == "liblinear" and penalized:
        intercept_penalty = 1.0 / estimator.intercept_scaling**2
    P = penalty_diagonal(theta.shape, fit_intercept, penalized, intercept_penalty)
    scale = estimator.C if penalized else 1.0

    if len(classes) == 2:
        loss = BinomialLoss()
        encode = LabelEncoding(classes, codes=np.array([0.0, 1.0]))
    else:
        loss = MultinomialLoss(len(classes))
        encode = LabelEncoding(classes)

    objective = LinearObjective(
        loss,
        X,
        encode(y),
        s,
        theta,
        P,
        scale=scale,
        normalizer="sum",
        fit_intercept=fit_intercept,
        sum_to_zero=len(classes) > 2,
    )
    return ModelSpec(objective, encode)


# Adapters of further estimator families register themselves on import.
from . import _adapters_glm, _adapters_svm  # noqa: E402, F401
