"""Adapters of the margin classifiers: linear SVMs and SGD classifiers.

Every model here scores ``eta = x . w + b`` and trains on a loss of the
signed margin ``m = y * eta`` with ``y`` in {-1, +1} (``classes_[1]`` is +1),
one binary problem per class for ``K > 2`` classes (one-vs-rest; see
:mod:`sklinfluence._margin`, whose targets carry the per-output class
weights of one-vs-rest). The multiclass test loss is the sum of the ``K``
binary losses on the test point's codes.

The hinge ``max(0, 1 - m)`` has no second derivative at the margin. Models
trained on it get the derivatives of the smooth hinge at temperature
``hinge_smoothing`` instead (``0`` takes the raw hinge, whose Hessian is the
penalty alone). This is an approximation in two ways: the curvature is that
of a surrogate, and the fitted parameters are an optimum of the hinge
objective, not of the surrogate's (the support vectors that sit exactly on
the margin are where the two disagree most). The fit-time stationarity check
therefore always reports a gap for these models, and says that the
smoothing is its cause. ``removal_effect(method="exact")`` refits the
smoothed objective, not the hinge model.

Class weights (``"balanced"`` included) are held fixed when a point is
removed, as for the other adapters: re-balancing is an O(1/n) effect.
"""

import numpy as np
from scipy import sparse
from sklearn.linear_model import SGDClassifier
from sklearn.svm import SVC, LinearSVC
from sklearn.utils.class_weight import compute_class_weight

from ._adapters import (
    LabelEncoding,
    ModelSpec,
    penalty_diagonal,
    register,
    stack_theta,
    unsupported,
)
from ._margin import (
    Hinge,
    Logistic,
    ModifiedHuber,
    OneVsRestMarginLoss,
    SmoothHinge,
    SquaredHinge,
    ovr_codes,
    ovr_weights,
)
from ._objective import LinearObjective
from .svm import SmoothHingeClassifier


def _hinge_margin(t):
    """The smooth hinge at temperature ``t``, or the raw hinge for ``t == 0``."""
    return Hinge() if t == 0 else SmoothHinge(t)


def _margin_spec(
    estimator,
    X,
    y,
    sample_weight,
    margin,
    class_weight,
    penalty,
    scale,
    normalizer,
    hinge_smoothing=None,
):
    """The :class:`ModelSpec` of a margin classifier, binary or one-vs-rest.

    ``class_weight`` is the array of weights per class. A binary model folds
    it into each sample's weight ``s_i``; one-vs-rest problem ``k`` weights
    class ``k`` by ``class_weight[k]`` and the rest by 1, so those weights
    live in the encoded targets (one magnitude per output).
    """
    classes = estimator.classes_
    n_classes = len(classes)
    index = LabelEncoding(classes)(y)
    s = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
    codes = ovr_codes(n_classes)
    weights = ovr_weights(index, class_weight, n_classes)
    if n_classes == 2:
        s = s * weights[:, 0]
        targets = codes[index]
    else:
        targets = codes[index] * weights

    fit_intercept = estimator.fit_intercept
    theta = stack_theta(estimator.coef_, estimator.intercept_, fit_intercept)
    objective = LinearObjective(
        OneVsRestMarginLoss(margin, theta.shape[0]),
        X,
        targets,
        s,
        theta,
        penalty(theta.shape, fit_intercept),
        scale=scale,
        normalizer=normalizer,
        fit_intercept=fit_intercept,
    )
    encode = LabelEncoding(classes, codes=codes)
    return ModelSpec(objective, encode, hinge_smoothing=hinge_smoothing)


# ----------------------------------------------------------------------
# SmoothHingeClassifier


@register(
    SmoothHingeClassifier,
    "binary or one-vs-rest, sample_weight and class_weight; exact (it trains "
    "on the smooth hinge)",
)
def smooth_hinge_classifier(estimator, X, y, sample_weight):
    """``C * sum_i s_i SmoothHinge(y_i eta_i, t) + 1/2 ||w||^2``, ``b`` unpenalized.

    The model minimizes this objective itself, so the influences are exact
    (up to its ``tol``); ``hinge_smoothing`` does not apply.
    """
    class_weight = _class_weight(estimator, y, sample_weight, with_weights=True)
    return _margin_spec(
        estimator,
        X,
        y,
        sample_weight,
        SmoothHinge(estimator.t),
        class_weight,
        lambda shape, fi: penalty_diagonal(shape, fi, 1.0, 0.0),
        scale=estimator.C,
        normalizer="sum",
    )


def _class_weight(estimator, y, sample_weight, with_weights):
    """Array of class weights as the estimator computes them.

    LinearSVC (and SmoothHingeClassifier) balance by weighted class counts,
    SVC and SGDClassifier by plain counts.
    """
    classes = estimator.classes_
    if estimator.class_weight is None:
        return np.ones(len(classes))
    sw = sample_weight if with_weights else None
    return compute_class_weight(
        estimator.class_weight, classes=classes, y=y, sample_weight=sw
    )


# ----------------------------------------------------------------------
# LinearSVC


@register(
    LinearSVC,
    'loss="hinge" (smoothed derivatives, see hinge_smoothing) or '
    '"squared_hinge", penalty="l2", binary or one-vs-rest (multi_class="ovr"); '
    "liblinear's penalized intercept",
)
def linear_svc(estimator, X, y, sample_weight, hinge_smoothing=0.01):
    """``C * sum_i s_i l(y_i eta_i) + 1/2 ||w||^2 + 1/2 (b / is)^2``.

    liblinear fits the intercept as the weight ``b / is`` of a constant
    feature of value ``is = intercept_scaling``, so the intercept is
    penalized by ``1/2 (b / is)^2``. ``l`` is the squared hinge
    ``max(0, 1 - m)^2`` (C^1; its generalized Hessian ``2 C s_i 1[m_i < 1]``
    jumps at the margin) or the hinge, smoothed at ``hinge_smoothing``.
    """
    if estimator.penalty != "l2":
        raise unsupported(
            estimator,
            f"LinearSVC with penalty={estimator.penalty!r} is not supported: the "
            "L1 penalty is not differentiable. Use penalty='l2'.",
        )
    if estimator.multi_class != "ovr":
        raise unsupported(
            estimator,
            f"LinearSVC with multi_class={estimator.multi_class!r} is not "
            "supported: Crammer-Singer is a joint objective over all classes "
            "with no adapter here. Use multi_class='ovr' (one-vs-rest).",
        )
    if estimator.loss == "hinge":
        margin, smoothing = _hinge_margin(hinge_smoothing), hinge_smoothing
    else:
        margin, smoothing = SquaredHinge(), None
    intercept_penalty = 1.0 / estimator.intercept_scaling**2
    return _margin_spec(
        estimator,
        X,
        y,
        sample_weight,
        margin,
        _class_weight(estimator, y, sample_weight, with_weights=True),
        lambda shape, fi: penalty_diagonal(shape, fi, 1.0, intercept_penalty),
        scale=estimator.C,
        normalizer="sum",
        hinge_smoothing=smoothing,
    )


# ----------------------------------------------------------------------
# SVC


@register(
    SVC,
    'kernel="linear", binary only (smoothed hinge derivatives, see '
    "hinge_smoothing); unpenalized intercept",
)
def svc(estimator, X, y, sample_weight, hinge_smoothing=0.01):
    """``C * sum_i s_i hinge(y_i eta_i) + 1/2 ||w||^2``, ``b`` unpenalized (libsvm).

    Derivatives of the hinge come from the smooth hinge at
    ``hinge_smoothing``. With ``hinge_smoothing=0`` (raw hinge) the Hessian
    has no curvature along the unpenalized intercept: it is singular and
    solved with a pseudo-inverse (with a warning).
    """
    if estimator.kernel != "linear":
        raise unsupported(
            estimator,
            f"SVC with kernel={estimator.kernel!r} is not supported: influence "
            "needs the linear model's weights. Use kernel='linear', or "
            "LinearSVC.",
        )
    if len(estimator.classes_) != 2:
        raise unsupported(
            estimator,
            f"SVC on {len(estimator.classes_)} classes is not supported: libsvm "
            "trains one-vs-one problems on subsets of the data, with no single "
            "objective here. SVC(kernel='linear') is supported for binary "
            "problems; for multiclass use LinearSVC or SmoothHingeClassifier "
            "(one-vs-rest).",
        )
    # libsvm computes its class weights without the sample weights.
    class_weight = np.asarray(estimator.class_weight_, dtype=np.float64)
    if class_weight.size == 0:
        class_weight = np.ones(2)
    spec = _margin_spec(
        _FitIntercept(estimator),
        X,
        y,
        sample_weight,
        _hinge_margin(hinge_smoothing),
        class_weight,
        lambda shape, fi: penalty_diagonal(shape, fi, 1.0, 0.0),
        scale=estimator.C,
        normalizer="sum",
        hinge_smoothing=hinge_smoothing,
    )
    return spec


class _FitIntercept:
    """An SVC seen with the attributes of a linear model (it always fits ``b``)."""

    fit_intercept = True

    def __init__(self, estimator):
        self.classes_ = estimator.classes_
        # A model fitted on sparse data keeps coef_ sparse.
        coef = estimator.coef_
        self.coef_ = coef.toarray() if sparse.issparse(coef) else np.asarray(coef)
        self.intercept_ = estimator.intercept_


# ----------------------------------------------------------------------
# SGDClassifier

_SGD_MARGINS = {
    "log_loss": Logistic,
    "modified_huber": ModifiedHuber,
    "squared_hinge": SquaredHinge,
}


@register(
    SGDClassifier,
    'loss in {"log_loss", "hinge" (smoothed), "modified_huber", '
    '"squared_hinge"}, penalty="l2", binary or one-vs-rest; approximate '
    "optimum (stochastic solver)",
)
def sgd_classifier(estimator, X, y, sample_weight, hinge_smoothing=0.01):
    """``(1/n) sum_i s_i l(y_i eta_i) + alpha/2 ||w||^2``, ``b`` unpenalized.

    ``n`` is the row count (not the weight sum), so removing a point
    renormalizes the data term. SGD stops near, not at, the optimum: the
    fit-time check reports how near (``average=True`` and a small ``tol``
    bring it closer).
    """
    supported = ", ".join(sorted([*_SGD_MARGINS, "hinge"]))
    if estimator.loss not in (*_SGD_MARGINS, "hinge"):
        raise unsupported(
            estimator,
            f"SGDClassifier with loss={estimator.loss!r} is not supported; "
            f"supported losses: {supported}.",
        )
    if estimator.penalty != "l2" and not (
        estimator.penalty == "elasticnet" and estimator.l1_ratio == 0
    ):
        raise unsupported(
            estimator,
            f"SGDClassifier with penalty={estimator.penalty!r} is not "
            "supported: influence needs the L2 penalty (the L1 part is not "
            "differentiable, and no penalty leaves separable data without an "
            "optimum). Use penalty='l2'.",
        )
    if estimator.early_stopping:
        raise unsupported(
            estimator,
            "SGDClassifier with early_stopping=True trains on a random subset "
            "of the data, so it minimizes no objective of the full training "
            "set. Use early_stopping=False.",
        )
    if estimator.loss == "hinge":
        margin, smoothing = _hinge_margin(hinge_smoothing), hinge_smoothing
    else:
        margin, smoothing = _SGD_MARGINS[estimator.loss](), None
    alpha = estimator.alpha
    return _margin_spec(
        estimator,
        X,
        y,
        sample_weight,
        margin,
        _class_weight(estimator, y, sample_weight, with_weights=False),
        lambda shape, fi: penalty_diagonal(shape, fi, alpha, 0.0),
        scale=1.0,
        normalizer="count_mean",
        hinge_smoothing=smoothing,
    )
