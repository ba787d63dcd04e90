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
