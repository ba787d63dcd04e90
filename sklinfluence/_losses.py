"""Per-sample losses of linear models and their derivatives in the linear predictor.

Every loss here is a function ``l(y, eta)`` of a target ``y`` (encoded as the
estimator encodes it) and a linear predictor ``eta`` of shape
``(n_samples, n_outputs)``. Influence needs three derivatives in ``eta``, all
in closed form:

- ``gradient(y, eta)``: ``dl/deta``, shape ``(n_samples, n_outputs)``;
- ``hess_apply(y, eta, U)``: the curvature ``D_i = d2l/deta2`` applied to one
  vector ``U[i]`` per sample, shape ``(n_samples, n_outputs)``;
- ``hess_blocks(y, eta)``: the ``D_i`` themselves, ``(n_samples, n_outputs,
  n_outputs)``, used to assemble a dense Hessian.

Everything is written with stable primitives (``logaddexp``, ``expit``,
``logsumexp``) so that margins of any size give finite values without
overflow warnings.
"""

import numpy as np
from scipy.special import expit, logsumexp, softmax


class _ScalarLoss:
    """Base for losses with one output, whose curvature is a scalar per sample."""

    n_outputs = 1

    def gradient(self, y, eta):
        return self._d1(y, eta[:, 0])[:, None]

    def hess_diag(self, y, eta):
        return self._d2(y, eta[:, 0])[:, None]

    def hess_apply(self, y, eta, U):
        return self._d2(y, eta[:, 0])[:, None] * U

    def hess_blocks(self, y, eta):
        return self._d2(y, eta[:, 0])[:, None, None]

    def loss(self, y, eta):
        return self._loss(y, eta[:, 0])


class BinomialLoss(_ScalarLoss):
    """Logistic loss ``log(1 + exp(eta)) - y * eta`` for ``y`` in {0, 1}."""

    def _loss(self, y, eta):
        return np.logaddexp(0.0, eta) - y * eta

    def _d1(self, y, eta):
        return expit(eta) - y

    def _d2(self, y, eta):
        return expit(eta) * expit(-eta)


class MultinomialLoss:
    """Softmax cross-entropy ``logsumexp(eta) - eta[y]`` for class indices ``y``.

    The curvature ``D_i = diag(p_i) - p_i p_i^T`` has ``D_i 1 = 0``: adding a
    constant to every score changes nothing. :mod:`sklinfluence._hessian`
    relies on this to treat the intercept null space exactly.
    """

    def __init__(self, n_classes):
        self.n_outputs = n_classes

    def loss(self, y, eta):
        return logsumexp(eta, axis=1) - eta[np.arange(eta.shape[0]), y]

    def gradient(self, y, eta):
        P = softmax(eta, axis=1)
        P[np.arange(eta.shape[0]), y] -= 1.0
        return P

    def hess_diag(self, y, eta):
        P = softmax(eta, axis=1)
        return P * (1.0 - P)

    def hess_apply(self, y, eta, U):
        P = softmax(eta, axis=1)
        return P * U - P * np.sum(P * U, axis=1, keepdims=True)

    def hess_blocks(self, y, eta):
        P = softmax(eta, axis=1)
        blocks = -P[:, :, None] * P[:, None, :]
        idx = np.arange(self.n_outputs)
        blocks[:, idx, idx] += P
        return blocks


class SquaredLoss(_ScalarLoss):
    """Squared error ``factor * (y - eta)**2``: factor 1 for Ridge, 0.5 for GLMs."""

    def __init__(self, factor=1.0):
        self.factor = factor

    def _loss(self, y, eta):
        return self.factor * (y - eta) ** 2

    def _d1(self, y, eta):
        return -2.0 * self.factor * (y - eta)

    def _d2(self, y, eta):
        return np.full_like(eta, 2.0 * self.factor, dtype=np.float64)


class SmoothHingeLoss(_ScalarLoss):
    """Smooth hinge ``t * log(1 + exp((1 - m) / t))`` of the margin ``m = y * eta``.

    ``y`` is coded in {-1, +1}. As ``t -> 0`` it tends to the hinge
    ``max(0, 1 - m)``; its curvature ``expit(u) expit(-u) / t`` with
    ``u = (1 - m) / t`` is concentrated in a band of width about ``t`` around
    the margin, so small ``t`` is close to the hinge but curved only near it.
    """

    def __init__(self, t=0.1):
        self.t = t

    def _loss(self, y, eta):
        return self.t * np.logaddexp(0.0, (1.0 - y * eta) / self.t)

    def _d1(self, y, eta):
        return -y * expit((1.0 - y * eta) / self.t)

    def _d2(self, y, eta):
        u = (1.0 - y * eta) / self.t
        return expit(u) * expit(-u) / self.t


def smooth_hinge(margin, t):
    """Value, first and second derivative of the smooth hinge at ``margin``.

    Parameters
    ----------
    margin : array-like
        Signed margins ``y * eta`` with ``y`` in {-1, +1}.
    t : float
        Temperature; the hinge ``max(0, 1 - margin)`` is the limit ``t -> 0``.

    Returns
    -------
    value, d1, d2 : ndarray
        The loss and its derivatives with respect to ``margin``.

    Examples
    --------
    >>> from sklinfluence._losses import smooth_hinge
    >>> [float(v[0]) for v in smooth_hinge([0.0], t=0.001)]
    [1.0, -1.0, 0.0]
    """
    margin = np.asarray(margin, dtype=np.float64)
    u = (1.0 - margin) / t
    return t * np.logaddexp(0.0, u), -expit(u), expit(u) * expit(-u) / t


# ----------------------------------------------------------------------
# Regression losses, and the prediction as a test quantity
#
# A NaN target marks a test point whose *prediction* is explained rather than
# a loss: a fitted regressor predicts its own target, so the loss gradient at
# ``y = predict(x)`` vanishes and every influence would be zero. For such
# points the "loss" is the predicted value ``h(eta)`` itself (``h`` the
# inverse link), with gradient ``h'(eta)``; training targets are never NaN.


class _RegressionLoss(_ScalarLoss):
    """Scalar regression loss; a NaN target stands for the prediction ``h(eta)``."""

    def _mean(self, eta):
        return eta

    def _mean_d1(self, eta):
        return np.ones_like(eta)

    def _by_target(self, y, eta, of_target, of_prediction):
        """``of_target(y, eta)`` per sample, ``of_prediction(eta)`` where y is NaN."""
        eta = eta[:, 0]
        y = np.asarray(y, dtype=np.float64)
        explain = np.isnan(y)
        if not explain.any():
            return of_target(y, eta)
        out = np.empty_like(eta)
        out[explain] = of_prediction(eta[explain])
        keep = ~explain
        out[keep] = of_target(y[keep], eta[keep])
        return out

    def loss(self, y, eta):
        return self._by_target(y, eta, self._loss, self._mean)

    def gradient(self, y, eta):
        return self._by_target(y, eta, self._d1, self._mean_d1)[:, None]


class SquaredErrorLoss(_RegressionLoss, SquaredLoss):
    """Squared error ``factor * (y - eta)**2``, as a regression loss.

    ``factor=1`` for Ridge and LinearRegression, ``1/2`` for the GLMs, SGD
    and the coordinate-descent models. The loss is :class:`SquaredLoss`'s; a
    NaN target stands for the prediction (see :class:`_RegressionLoss`).
    """


class EpsilonHuberLoss(_RegressionLoss):
    """SGD's Huber loss: ``r**2 / 2`` for ``|r| <= epsilon``, else linear.

    With ``r = y - eta`` the outer part is ``epsilon * |r| - epsilon**2 / 2``.
    Continuously differentiable; its curvature is 1 inside the band and 0
    outside, so points beyond ``epsilon`` act on the fit only through their
    gradient.
    """

    def __init__(self, epsilon):
        self.epsilon = epsilon

    def _loss(self, y, eta):
        r = np.abs(y - eta)
        e = self.epsilon
        return np.where(r <= e, 0.5 * r**2, e * r - 0.5 * e**2)

    def _d1(self, y, eta):
        r = y - eta
        return -np.clip(r, -self.epsilon, self.epsilon)

    def _d2(self, y, eta):
        return (np.abs(y - eta) <= self.epsilon).astype(np.float64)


class ScaledHuberLoss(_RegressionLoss):
    """HuberRegressor's loss ``sigma + sigma * H_eps((y - eta) / sigma)``, sigma fixed.

    ``H_eps(u) = u**2`` for ``|u| <= eps`` and ``2 eps |u| - eps**2`` beyond.
    With the scale ``sigma`` held at its fitted value, the curvature in
    ``eta`` is ``2 / sigma`` for inliers and 0 for outliers.
    """

    def __init__(self, epsilon, sigma):
        self.epsilon = epsilon
        self.sigma = sigma

    def _loss(self, y, eta):
        s, e = self.sigma, self.epsilon
        r = np.abs(y - eta)
        return s + np.where(r <= e * s, r**2 / s, 2.0 * e * r - e**2 * s)

    def _d1(self, y, eta):
        s, e = self.sigma, self.epsilon
        r = y - eta
        return np.where(np.abs(r) <= e * s, -2.0 * r / s, -2.0 * e * np.sign(r))

    def _d2(self, y, eta):
        inlier = np.abs(y - eta) <= self.epsilon * self.sigma
        return np.where(inlier, 2.0 / self.sigma, 0.0)


class TweedieLoss(_RegressionLoss):
    """Half Tweedie deviance of power ``p`` in the linear predictor, up to constants.

    With the mean ``mu = h(eta)`` (``exp`` for ``link="log"``, the identity
    for ``link="identity"``) the loss is ``mu**(2-p)/(2-p) - y mu**(1-p)/(1-p)``,
    ``mu - y log(mu)`` at ``p=1`` (Poisson) and ``log(mu) + y/mu`` at ``p=2``
    (Gamma); ``p=0`` with the identity link is ``(y - mu)**2 / 2``.

    ``hessian="observed"`` uses the second derivative of the loss itself, the
    Hessian the fitted objective really has; it can be negative at single
    samples (log link with ``p > 2`` or ``p < 1``). ``hessian="fisher"`` uses
    its expectation under the model (``y`` replaced by ``mu``), always
    positive: ``mu**(2-p)`` for the log link, ``mu**-p`` for the identity.
    """

    def __init__(self, power, link="log", hessian="observed"):
        self.power = float(power)
        self.link = link
        self.hessian = hessian

    def _mean(self, eta):
        return np.exp(eta) if self.link == "log" else eta

    def _mean_d1(self, eta):
        return np.exp(eta) if self.link == "log" else np.ones_like(eta)

    def _loss(self, y, eta):
        p = self.power
        mu = self._mean(eta)
        log_mu = eta if self.link == "log" else np.log(mu)
        if p == 0 and self.link == "identity":
            return 0.5 * (y - mu) ** 2
        if p == 1:
            return mu - y * log_mu
        if p == 2:
            return log_mu + y / mu
        return np.exp((2 - p) * log_mu) / (2 - p) - y * np.exp((1 - p) * log_mu) / (
            1 - p
        )

    def _d1(self, y, eta):
        p = self.power
        if self.link == "log":
            # d/deta of the loss: mu**(2-p) - y mu**(1-p).
            return np.exp((2 - p) * eta) - y * np.exp((1 - p) * eta)
        mu = eta
        return mu ** (-p) * (mu - y)

    def _d2(self, y, eta):
        p = self.power
        fisher = self.hessian == "fisher"
        if self.link == "log":
            if fisher:
                return np.exp((2 - p) * eta)
            return (2 - p) * np.exp((2 - p) * eta) - (1 - p) * y * np.exp((1 - p) * eta)
        mu = eta
        if fisher:
            return mu ** (-p)
        return (1 - p) * mu ** (-p) + p * y * mu ** (-p - 1)


class MulticlassSquaredLoss:
    """RidgeClassifier's loss ``sum_k (t_ik - eta_ik)**2`` with ``t_i = 2 e_{y_i} - 1``.

    ``y`` holds class indices; the targets are +1 for the sample's class and
    -1 for every other column. The curvature is ``2 I`` for every sample.
    """

    def __init__(self, n_classes):
        self.n_outputs = n_classes

    def _targets(self, y):
        T = -np.ones((len(y), self.n_outputs))
        T[np.arange(len(y)), np.asarray(y, dtype=int)] = 1.0
        return T

    def loss(self, y, eta):
        return np.sum((self._targets(y) - eta) ** 2, axis=1)

    def gradient(self, y, eta):
        return -2.0 * (self._targets(y) - eta)

    def hess_diag(self, y, eta):
        return np.full_like(eta, 2.0, dtype=np.float64)

    def hess_apply(self, y, eta, U):
        return 2.0 * U

    def hess_blocks(self, y, eta):
        K = self.n_outputs
        return np.broadcast_to(2.0 * np.eye(K), (len(y), K, K)).copy()
