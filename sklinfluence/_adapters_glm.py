"""Adapters for the regressors, the GLMs, RidgeClassifier and the L1 models.

Each builder below reads a fitted estimator and returns the
:class:`~sklinfluence._adapters.ModelSpec` of the objective it minimized,
written in its docstring in the notation of :mod:`sklinfluence._objective`
(``s_i`` is the sample weight times any class weight, ``x_tilde = [x, 1]``).
The objectives were checked against scikit-learn 1.9: the gradient vanishes
at the fitted parameters (``InfluenceRegressor.optimality_``).

L1 and elastic-net penalties are not differentiable where a coefficient is
zero. For them, influence is taken on the *active set*: the non-zero
coefficients (and the intercept) move, the zero ones are held at zero. This
is the exact local behaviour of the fit as long as removing or perturbing a
point does not change which coefficients are zero; :func:`support_changes`
tells, for each training point, whether its removal would.
"""

import warnings

import numpy as np
from scipy import linalg, sparse
from sklearn.linear_model import (
    ElasticNet,
    GammaRegressor,
    HuberRegressor,
    Lasso,
    LinearRegression,
    LogisticRegression,
    PoissonRegressor,
    Ridge,
    RidgeClassifier,
    SGDRegressor,
    TweedieRegressor,
)
from sklearn.utils.class_weight import compute_sample_weight

from . import _adapters
from . import _influence as inf
from ._adapters import (
    LabelEncoding,
    ModelSpec,
    RealEncoding,
    penalty_diagonal,
    register,
    stack_theta,
    unsupported,
)
from ._losses import (
    BinomialLoss,
    EpsilonHuberLoss,
    MulticlassSquaredLoss,
    ScaledHuberLoss,
    SquaredErrorLoss,
    TweedieLoss,
)
from ._objective import LinearObjective
from .exceptions import ConvergenceWarning, SupportChangeWarning

# ----------------------------------------------------------------------
# shared checks


def _weights(sample_weight, n):
    if sample_weight is None:
        return np.ones(n)
    return np.asarray(sample_weight, dtype=np.float64)


def _real_objective(
    loss,
    estimator,
    X,
    y,
    sample_weight,
    theta,
    P,
    normalizer,
    *l1,
    kind=LinearObjective,
):
    """The ``kind`` objective of a single-target regressor: real targets, scale 1.

    ``l1`` (the L1 weights) is passed on to :class:`ActiveSetObjective`.
    """
    return kind(
        loss,
        X,
        np.asarray(y, dtype=np.float64),
        _weights(sample_weight, X.shape[0]),
        theta,
        P,
        *l1,
        scale=1.0,
        normalizer=normalizer,
        fit_intercept=estimator.fit_intercept,
    )


def _single_target(estimator):
    """Refuse multi-target fits: their objectives are one problem per column."""
    coef = np.asarray(estimator.coef_)
    if coef.ndim > 1 and coef.shape[0] > 1:
        raise unsupported(
            estimator,
            f"{type(estimator).__name__} was fitted on {coef.shape[0]} targets; "
            "sklinfluence supports single-target regression only. Wrap one "
            "model per target.",
        )


def _scalar_alpha(estimator):
    alpha = np.asarray(estimator.alpha, dtype=np.float64)
    if alpha.size != 1:
        raise unsupported(
            estimator,
            f"{type(estimator).__name__} with an array alpha (one per target) is "
            "not supported; pass a scalar alpha.",
        )
    return float(alpha.ravel()[0])


def _no_positive(estimator):
    if getattr(estimator, "positive", False):
        raise unsupported(
            estimator,
            f"{type(estimator).__name__}(positive=True) has active bound "
            "constraints, which influence functions do not model; use "
            "positive=False.",
        )


def _theta(estimator):
    return stack_theta(
        np.ravel(estimator.coef_)[None, :]
        if np.ndim(estimator.coef_) == 1
        else estimator.coef_,
        estimator.intercept_,
        estimator.fit_intercept,
    )


# ----------------------------------------------------------------------
# least squares


@register(
    Ridge,
    "single target, scalar alpha, every solver, sample_weight; the intercept "
    "is unpenalized",
)
def ridge(estimator, X, y, sample_weight):
    """``sum_i s_i (y_i - z_i)**2 + alpha ||w||^2`` (no 1/2, no 1/n).

    The intercept is unpenalized (scikit-learn centres the data). Squared loss
    makes the Newton-step removal exact: it equals leave-one-out refitting.
    """
    _single_target(estimator)
    _no_positive(estimator)
    alpha = _scalar_alpha(estimator)
    theta = _theta(estimator)
    P = penalty_diagonal(theta.shape, estimator.fit_intercept, 2.0 * alpha, 0.0)
    objective = _real_objective(
        SquaredErrorLoss(1.0), estimator, X, y, sample_weight, theta, P, "sum"
    )
    return ModelSpec(objective, RealEncoding())


@register(
    LinearRegression,
    "single target, sample_weight; a rank-deficient design gives a singular "
    "Hessian (warned; pseudo-inverse)",
)
def linear_regression(estimator, X, y, sample_weight):
    """``sum_i s_i (y_i - z_i)**2``, with no penalty.

    The Hessian ``2 X_tilde^T S X_tilde`` is singular when the design is rank
    deficient; scikit-learn then returns the minimum-norm solution, and the
    direct solver warns and uses a pseudo-inverse (or set ``damping``).
    """
    _single_target(estimator)
    _no_positive(estimator)
    theta = _theta(estimator)
    objective = _real_objective(
        SquaredErrorLoss(1.0),
        estimator,
        X,
        y,
        sample_weight,
        theta,
        np.zeros_like(theta),
        "sum",
    )
    return ModelSpec(objective, RealEncoding())


@register(
    RidgeClassifier,
    "binary (one +-1 column) or multiclass (one +-1 column per class), scalar "
    "alpha, every solver, sample_weight and class_weight",
)
def ridge_classifier(estimator, X, y, sample_weight):
    """Ridge on +-1 targets: ``sum_i s_i ||t_i - z_i||^2 + alpha ||W||^2``.

    Binary models fit one column, +1 for ``classes_[1]``; with ``K > 2``
    classes, column ``k`` is +1 for class ``k`` and -1 otherwise. The test
    loss is the squared error summed over the columns. With
    ``class_weight="balanced"``, scikit-learn computes the class weights from
    unweighted class counts; they are held fixed when a point is removed.
    """
    _no_positive(estimator)
    alpha = _scalar_alpha(estimator)
    classes = estimator.classes_
    s = _weights(sample_weight, X.shape[0])
    if estimator.class_weight is not None:
        s = s * compute_sample_weight(estimator.class_weight, y)
    theta = stack_theta(estimator.coef_, estimator.intercept_, estimator.fit_intercept)
    P = penalty_diagonal(theta.shape, estimator.fit_intercept, 2.0 * alpha, 0.0)
    if len(classes) == 2:
        loss = SquaredErrorLoss(1.0)
        encode = LabelEncoding(classes, codes=np.array([-1.0, 1.0]))
    else:
        loss = MulticlassSquaredLoss(len(classes))
        encode = LabelEncoding(classes)
    objective = LinearObjective(
        loss,
        X,
        encode(y),
        s,
        theta,
        P,
        scale=1.0,
        normalizer="sum",
        fit_intercept=estimator.fit_intercept,
    )
    return ModelSpec(objective, encode)


@register(
    SGDRegressor,
    "loss='squared_error' or 'huber', penalty='l2', sample_weight; stochastic, "
    "so check optimality_",
)
def sgd_regressor(estimator, X, y, sample_weight):
    """``(1/n) sum_i s_i l_i + alpha/2 ||w||^2``, the intercept unpenalized.

    ``l`` is ``(y - z)**2 / 2`` (``"squared_error"``) or SGD's Huber loss
    (quadratic within ``epsilon``, linear beyond); ``n`` is the number of
    rows, so removing a row renormalizes the data term. SGD only approaches
    this optimum: the stationarity check at ``fit`` says how closely, and
    influences are only as good as that figure.
    """
    if estimator.penalty != "l2":
        raise unsupported(
            estimator,
            f"SGDRegressor(penalty={estimator.penalty!r}) is not supported: SGD's "
            "truncated L1 updates do not reach the exact zeros an active set "
            "needs. Use penalty='l2', or Lasso/ElasticNet.",
        )
    if estimator.loss == "squared_error":
        loss = SquaredErrorLoss(0.5)
    elif estimator.loss == "huber":
        loss = EpsilonHuberLoss(estimator.epsilon)
    else:
        raise unsupported(
            estimator,
            f"SGDRegressor(loss={estimator.loss!r}) is not supported: only "
            "'squared_error' and 'huber' are twice differentiable almost "
            "everywhere.",
        )
    theta = _theta(estimator)
    P = penalty_diagonal(theta.shape, estimator.fit_intercept, estimator.alpha, 0.0)
    objective = _real_objective(
        loss, estimator, X, y, sample_weight, theta, P, "count_mean"
    )
    return ModelSpec(objective, RealEncoding())


# ----------------------------------------------------------------------
# generalized linear models


def _glm_spec(estimator, X, y, sample_weight, power, link):
    """``(1/sum(s)) sum_i s_i l_i + alpha/2 ||w||^2`` with the half Tweedie loss.

    Uses the observed Hessian (the second derivative of the objective the
    model minimized) when it is positive definite at the fitted parameters,
    which holds at any minimum; otherwise (an unconverged fit with a
    non-convex loss, e.g. the log link with power > 2) it falls back to the
    Fisher form, with a warning. ``objective.hessian_form`` says which.
    """
    _single_target(estimator)
    theta = _theta(estimator)
    P = penalty_diagonal(theta.shape, estimator.fit_intercept, estimator.alpha, 0.0)
    y = np.asarray(y, dtype=np.float64)
    args = (estimator, X, y, sample_weight, theta, P, "weight_mean")
    objective = _real_objective(TweedieLoss(power, link, "observed"), *args)
    objective.hessian_form = "observed"

    # Observed curvature can be negative at single samples; check the whole.
    d2 = objective.loss.hess_diag(y, objective.decision(X))
    if np.any(d2 < 0):
        smallest = _smallest_eigenvalue(objective)
        if smallest <= 0:
            warnings.warn(
                f"The observed Hessian of {type(estimator).__name__} is not "
                f"positive definite at the fitted parameters (smallest "
                f"eigenvalue {smallest:.3g}), so the model is not at a minimum; "
                "influences use the Fisher form instead. Refit with a tighter "
                "tol.",
                ConvergenceWarning,
                stacklevel=4,
            )
            objective = _real_objective(TweedieLoss(power, link, "fisher"), *args)
            objective.hessian_form = "fisher"
    # The Tweedie deviance is defined for y >= 0 when 1 <= power < 2 and for
    # y > 0 when power >= 2 (Gamma); any real y for power <= 0.
    name = type(estimator).__name__
    if power >= 2:
        encode = RealEncoding(0.0, strict=True, name=name)
    elif power >= 1:
        encode = RealEncoding(0.0, name=name)
    else:
        encode = RealEncoding(name=name)
    return ModelSpec(objective, encode)


def _smallest_eigenvalue(objective):
    if objective.n_params <= 2000:
        return float(linalg.eigvalsh(objective.hessian(), subset_by_index=[0, 0])[0])
    from scipy.sparse.linalg import LinearOperator, eigsh

    shape = objective.theta.shape
    op = LinearOperator(
        (objective.n_params,) * 2,
        matvec=lambda v: objective.hessp(v.reshape(shape)).ravel(),
        dtype=np.float64,
    )
    return float(eigsh(op, k=1, which="SA", return_eigenvectors=False)[0])


@register(
    PoissonRegressor,
    "lbfgs or newton-cholesky, sample_weight; log link (observed = Fisher Hessian)",
)
def poisson_regressor(estimator, X, y, sample_weight):
    """Half Poisson deviance ``exp(z) - y z``, weight-averaged; ``alpha/2 ||w||^2``."""
    return _glm_spec(estimator, X, y, sample_weight, power=1.0, link="log")


@register(
    GammaRegressor,
    "lbfgs or newton-cholesky, sample_weight; log link, observed Hessian",
)
def gamma_regressor(estimator, X, y, sample_weight):
    """Half Gamma deviance ``z + y exp(-z)``, weight-averaged; ``alpha/2 ||w||^2``."""
    return _glm_spec(estimator, X, y, sample_weight, power=2.0, link="log")


@register(
    TweedieRegressor,
    "any power, link 'auto', 'log' or 'identity', sample_weight; observed "
    "Hessian (Fisher if the observed one is not positive definite)",
)
def tweedie_regressor(estimator, X, y, sample_weight):
    """Half Tweedie deviance of ``power``, averaged by weight, ``alpha/2 ||w||^2``.

    ``link="auto"`` is the identity for ``power <= 0`` and the log otherwise.
    """
    link = estimator.link
    if link == "auto":
        link = "identity" if estimator.power <= 0 else "log"
    return _glm_spec(estimator, X, y, sample_weight, estimator.power, link)


@register(
    HuberRegressor,
    "sample_weight; the scale sigma (scale_) is held fixed and the fit is "
    "polished by Newton steps",
)
def huber_regressor(estimator, X, y, sample_weight):
    """``sum_i s_i (sigma + sigma H_eps(r_i / sigma)) + alpha ||w||^2``, sigma fixed.

    ``r = y - z``, ``H_eps(u) = u**2`` for ``|u| <= eps`` and ``2 eps |u| -
    eps**2`` beyond. scikit-learn optimizes ``sigma`` jointly; here it is
    held at the fitted ``scale_``, so influences describe ``(w, b)`` with the
    scale frozen: the change of ``sigma`` when a point leaves or moves is
    ignored. Against scikit-learn's refits (which re-estimate ``sigma``) this
    costs little for removal (slope 0.996 on diabetes) but tens of percent
    for :meth:`influence_perturb` of inliers, whose residual enters the
    scale's optimality condition directly.
    scikit-learn's L-BFGS stops on a relative decrease of the objective,
    typically at a relative gradient of 1e-2 to 1e-1, so the parameters are
    first polished by Newton's method on this objective (a piecewise
    quadratic: it converges in a few steps); ``objective.polish_shift`` is
    the relative size of that correction. Predictions still come from the
    unpolished estimator.
    """
    _single_target(estimator)
    theta = _theta(estimator)
    alpha = 2.0 * estimator.alpha
    P = penalty_diagonal(theta.shape, estimator.fit_intercept, alpha, 0.0)
    loss = ScaledHuberLoss(estimator.epsilon, float(estimator.scale_))
    objective = _real_objective(loss, estimator, X, y, sample_weight, theta, P, "sum")
    polished, converged = inf.newton_refit(objective, theta, tol=1e-12)
    objective.polish_shift = float(
        np.linalg.norm(polished - theta) / max(np.linalg.norm(theta), 1e-300)
    )
    if converged or objective.value(polished.ravel()) <= objective.value():
        objective.theta = polished
    return ModelSpec(objective, RealEncoding())


# ----------------------------------------------------------------------
# L1 and elastic net: influence on the active set


class ActiveSetObjective(LinearObjective):
    """A linear objective with an L1 term, restricted to its non-zero coefficients.

    The penalty is ``1/2 theta^T diag(P) theta + sum_j l1_j |theta_j|``. Near
    the fitted ``theta`` with the zero coefficients held at zero, the L1 term
    is linear, ``sum_j l1_j sign(theta_j) theta_j``, and the objective is
    smooth: its gradient and Hessian are those of the active coordinates.

    The zero coefficients are frozen by zeroing their columns in the design
    (so no gradient reaches them) and giving them a positive pin curvature in
    ``P`` (so the Hessian stays non-singular; it decouples them, and every
    solve returns zero there). Test designs go through
    :meth:`restrict_design` for the same reason. Only one output is
    supported.

    Parameters
    ----------
    loss, X, y, sample_weight, theta, penalty, scale, normalizer, fit_intercept
        As for :class:`~sklinfluence._objective.LinearObjective`; ``X`` is the
        full design.
    l1 : ndarray shaped like ``theta``
        L1 weight of each parameter (0 for unpenalized ones).
    """

    def __init__(
        self,
        loss,
        X,
        y,
        sample_weight,
        theta,
        penalty,
        l1,
        scale,
        normalizer,
        fit_intercept,
    ):
        theta = np.asarray(theta, dtype=np.float64)
        l1 = np.broadcast_to(np.asarray(l1, dtype=np.float64), theta.shape).copy()
        if theta.shape[0] != 1:
            raise ValueError("ActiveSetObjective supports one output only.")
        n_features = X.shape[1]
        self.X_full = X
        self.l1 = l1
        self.active = (theta != 0) | (l1 == 0)
        self.signs = np.where(self.active & (l1 > 0), np.sign(theta), 0.0)
        self.feature_mask = self.active[0, :n_features].astype(np.float64)
        super().__init__(
            loss,
            self.restrict_design(X),
            y,
            sample_weight,
            theta,
            np.asarray(penalty, dtype=np.float64),
            scale,
            normalizer,
            fit_intercept,
        )

        # Pin the frozen coordinates at the scale of the active curvature, so
        # they do not worsen the condition number.
        if not self.active.all():
            diag = self.hessian_diagonal()[self.active]
            pin = float(np.mean(diag)) if diag.size and np.mean(diag) > 0 else 1.0
            self.penalty = np.where(self.active, self.penalty, pin)

    @property
    def n_active(self):
        """Number of active coefficients (intercept excluded)."""
        return int(self.feature_mask.sum())

    def restrict_design(self, X):
        """``X`` with the columns of the zero coefficients set to zero."""
        if sparse.issparse(X):
            return sparse.csr_matrix(X @ sparse.diags(self.feature_mask))
        return np.asarray(X, dtype=np.float64) * self.feature_mask

    def _l1_gradient(self):
        return self.l1 * self.signs

    def value(self, theta=None):
        T = self.theta if theta is None else self.unravel(theta)
        return super().value(theta) + float(np.sum(self._l1_gradient() * T))

    def penalty_gradient(self, theta=None):
        return super().penalty_gradient(theta) + self._l1_gradient()

    def _frozen_data_gradient(self):
        """Data-term gradient ``G_j`` and L1 weight of each zero coefficient."""
        n_features = self.X_full.shape[1]
        frozen = np.flatnonzero(~self.active[0, :n_features])
        XI = self.X_full[:, frozen]
        XI = XI.toarray() if sparse.issparse(XI) else np.asarray(XI)
        eta = self.decision(self.X)
        r = self.loss.gradient(self.y, eta)[:, 0]
        return XI, XI.T @ (self.data_weights() * r), self.l1[0, frozen]

    def relative_gradient_norm(self):
        """Stationarity figure on the active set, plus any KKT violation off it.

        ``||grad R||`` over the active coordinates, with the excess
        ``max(|G_j| - l1_j, 0)`` of each zero coefficient (optimal while
        ``|G_j| <= l1_j``) counted as gradient, relative to the penalty
        gradient (or, when every coefficient is zero, to the L1 weights).
        """
        _, G, lam = self._frozen_data_gradient()
        excess = np.maximum(np.abs(G) - lam, 0.0)
        total = np.hypot(np.linalg.norm(self.gradient()), np.linalg.norm(excess))
        reference = np.linalg.norm(self.penalty_gradient())
        if reference == 0:
            reference = np.linalg.norm(self.l1)
        return float(total / max(reference, np.finfo(float).tiny))

    def kkt_after_removal(self, delta, indices, newton=True):
        """Worst subgradient ratio over the zero coefficients after each removal.

        For a zero coefficient ``j`` the optimality condition is
        ``|G_j| <= l1_j`` with ``G_j`` the ``j``-th gradient of the data term.
        Removing point ``i`` and moving the active parameters by
        ``delta_i`` gives, to the order of the step,

            G'_j = (N / N') (G_j + [H_data delta_i]_j) - a_i (g_ij + [newton]
                   D_i x_ij x_tilde_i . delta_i)

        with ``N / N'`` the renormalization of averaged objectives and ``a_i``
        the point's weight after it. A ratio ``max_j |G'_j| / l1_j`` above 1
        means a zero coefficient would become non-zero. An active coefficient
        whose sign flips under ``delta_i`` would leave the support too.

        Parameters
        ----------
        delta : ndarray of shape (n_removed, n_params)
            Parameter changes of the removals, as from ``removal_params``.
        indices : ndarray of shape (n_removed,)
            The removed training rows.
        newton : bool, default=True
            Include the second-order term of the removed point.

        Returns
        -------
        ratio : ndarray of shape (n_removed,)
            Worst ``|G'_j| / l1_j`` over the zero coefficients (0 if none).
        sign_flip : ndarray of bool of shape (n_removed,)
            Whether an active L1 coefficient changes sign.
        """
        indices = np.asarray(indices)
        delta = np.atleast_2d(delta)
        theta = self.theta.ravel()
        signs = self.signs.ravel()
        flip = np.any((signs != 0) & ((theta + delta) * signs <= 0), axis=1)

        ratio = np.zeros(len(indices))
        XI, G, lam = self._frozen_data_gradient()
        if lam.size == 0:
            return ratio, flip

        eta = self.decision(self.X)
        r = self.loss.gradient(self.y, eta)[:, 0]
        D = self.loss.hess_diag(self.y, eta)[:, 0]
        c = self.data_weights()
        a, b = self.removal_coefficients(indices)
        for rows in inf.blocks(len(indices), 8 * (self.X.shape[0] + lam.size)):
            sel = indices[rows]
            U = self.design_times(self.X, delta[rows])  # (n, m): x_tilde_k . d_i
            HD = (XI.T @ ((c * D)[:, None] * U)).T  # (m, n_frozen)
            own = U[sel, np.arange(len(sel))]
            term = r[sel] + (D[sel] * own if newton else 0.0)
            own_term = (a[rows] * term)[:, None] * XI[sel]
            G_new = (1.0 + b[rows])[:, None] * (G + HD) - own_term
            ratio[rows] = np.max(np.abs(G_new) / lam, axis=1)
        return ratio, flip


@register(
    Lasso,
    "single target, sample_weight; influence on the active set (non-zero "
    "coefficients), valid while the support does not change",
)
def lasso(estimator, X, y, sample_weight):
    """``(1/(2 sum(s))) sum_i s_i (y_i - z_i)**2 + alpha ||w||_1``; active set."""
    return _coordinate_descent(estimator, X, y, sample_weight, l1_ratio=1.0)


@register(
    ElasticNet,
    "single target, sample_weight; influence on the active set (non-zero "
    "coefficients), valid while the support does not change",
)
def elastic_net(estimator, X, y, sample_weight):
    """Elastic net, ``(1/(2 sum(s))) sum_i s_i (y_i - z_i)**2`` plus the penalty.

    The penalty is ``alpha r ||w||_1 + alpha (1-r)/2 ||w||^2``.

    ``r = l1_ratio``. scikit-learn rescales sample weights to sum to the row
    count, so the data term is averaged by weight: removing a point
    renormalizes it. Influence on the active set.
    """
    return _coordinate_descent(estimator, X, y, sample_weight, estimator.l1_ratio)


def _coordinate_descent(estimator, X, y, sample_weight, l1_ratio):
    _single_target(estimator)
    _no_positive(estimator)
    alpha = _scalar_alpha(estimator)
    theta = _theta(estimator)
    fit_intercept = estimator.fit_intercept
    P = penalty_diagonal(theta.shape, fit_intercept, alpha * (1.0 - l1_ratio), 0.0)
    l1 = penalty_diagonal(theta.shape, fit_intercept, alpha * l1_ratio, 0.0)
    objective = _real_objective(
        SquaredErrorLoss(0.5),
        estimator,
        X,
        y,
        sample_weight,
        theta,
        P,
        "weight_mean",
        l1,
        kind=ActiveSetObjective,
    )
    return ModelSpec(objective, RealEncoding())


def _logistic_l1_ratio(estimator):
    """The L1 share of a LogisticRegression penalty (``l1_ratio`` or ``penalty``)."""
    penalty = getattr(estimator, "penalty", "deprecated")
    if penalty in (None, "none") or np.isinf(estimator.C):
        return 0.0
    if penalty == "l1":
        return 1.0
    if penalty == "l2":
        return 0.0
    return float(estimator.l1_ratio or 0.0)


@register(
    LogisticRegression,
    "binary or multinomial, every solver, L2 penalty (l1_ratio=0) or none "
    "(C=np.inf), sample_weight and class_weight; liblinear's penalized "
    "intercept; binary L1 / elastic net (l1_ratio > 0, saga or liblinear) on "
    "the active set",
)
def logistic_regression(estimator, X, y, sample_weight):
    """L2 models as in :func:`sklinfluence._adapters.logistic_regression`; L1 below.

    With ``r = l1_ratio > 0`` the objective is ``C sum_i s_i l_i + r ||w||_1 +
    (1 - r)/2 ||w||^2``, intercept unpenalized (saga), or ``C sum_i s_i l_i +
    ||w||_1 + |b| / intercept_scaling`` (liblinear, ``r = 1``: its intercept
    is an L1-penalized weight and may be exactly zero, and is then frozen
    with the zero coefficients). Binary models only; influence on the active
    set.
    """
    r = _logistic_l1_ratio(estimator)
    if r == 0:
        return _adapters.logistic_regression(estimator, X, y, sample_weight)
    classes = estimator.classes_
    if len(classes) > 2:
        raise unsupported(
            estimator,
            "LogisticRegression with an L1 share (l1_ratio > 0) is supported for "
            "binary problems only; the multinomial active set is not.",
        )
    y_index = LabelEncoding(classes)(y)
    s = _adapters.effective_weights(estimator, y_index, classes, sample_weight)
    fit_intercept = estimator.fit_intercept
    theta = stack_theta(estimator.coef_, estimator.intercept_, fit_intercept)
    P = penalty_diagonal(theta.shape, fit_intercept, 1.0 - r, 0.0)
    l1 = penalty_diagonal(theta.shape, fit_intercept, r, 0.0)
    if estimator.solver == "liblinear" and fit_intercept:
        l1[:, -1] = 1.0 / estimator.intercept_scaling
        if theta[0, -1] == 0:
            # A zero L1-penalized intercept is frozen: drop it from theta.
            theta, P, l1 = theta[:, :-1], P[:, :-1], l1[:, :-1]
            fit_intercept = False
    encode = LabelEncoding(classes, codes=np.array([0.0, 1.0]))
    objective = ActiveSetObjective(
        BinomialLoss(),
        X,
        encode(y),
        s,
        theta,
        P,
        l1,
        scale=estimator.C,
        normalizer="sum",
        fit_intercept=fit_intercept,
    )
    return ModelSpec(objective, encode)


# ----------------------------------------------------------------------
# support changes on removal


def removal_deltas(model, method, indices):
    """Parameter changes ``(len(indices), n_params)``: first-order or Newton step."""
    obj = model.objective_
    solver = model._solver()
    X = inf.take_rows(obj.X, indices)
    if method == "first_order":
        R = inf.gradient_coefs(obj, X, obj.y[indices])
        a, b = obj.removal_coefficients(indices)
        rhs = inf.outer_rows(obj, a[:, None] * R, X)
        rhs = rhs + b[:, None] * obj.penalty_gradient().ravel()
        return solver.solve(rhs)
    q, b, phi = inf.newton_coefs(obj, solver, indices)
    return solver.solve(inf.outer_rows(obj, q, X)) + b[:, None] * phi.ravel()


def support_changes(model, *, method="newton", train_indices=None, tol=1e-8):
    """Which removals would change the set of non-zero coefficients of an L1 model.

    See :meth:`InfluenceRegressor.support_changes`. Returns all ``False`` for
    models without an L1 penalty.
    """
    idx = model._train_indices(train_indices)
    obj = model.objective_
    if not isinstance(obj, ActiveSetObjective):
        return np.zeros(len(idx), dtype=bool)
    method = "newton" if method == "exact" else method
    delta = removal_deltas(model, method, idx)
    ratio, flip = obj.kkt_after_removal(delta, idx, newton=method == "newton")
    return (ratio > 1.0 + tol) | flip


def warn_support_changes(model, indices, method):
    """Warn when some of the requested removals would change an L1 model's support."""
    if not isinstance(model.objective_, ActiveSetObjective):
        return
    flags = support_changes(model, method=method, train_indices=indices)
    if flags.any():
        shown = np.asarray(indices)[flags][:10].tolist()
        more = "" if flags.sum() <= 10 else ", ..."
        warnings.warn(
            f"Removing {int(flags.sum())} of the {len(flags)} requested training "
            f"points (rows {shown}{more}) would change which coefficients are "
            "zero; their removal effects are computed with the support held "
            "fixed and are unreliable. Refit the model without them to get "
            "exact values (support_changes flags them).",
            SupportChangeWarning,
            stacklevel=3,
        )
