"""Margin losses of linear classifiers, one-vs-rest over any number of outputs.

A margin loss is a function ``phi(m)`` of the signed margin ``m = y * eta``
with ``y`` in {-1, +1}: the hinge and its smoothed and squared variants, the
modified Huber loss and the logistic loss. Linear SVMs and SGD classifiers
with ``K > 2`` classes fit ``K`` independent binary problems (class ``k``
against the rest), so their objective is the sum of ``K`` separate binary
objectives. :class:`OneVsRestMarginLoss` writes that sum as one loss with
``n_outputs = K``: output ``k`` is the binary loss of class ``k`` on its
``+-1`` code, and the curvature blocks are diagonal (the outputs never
interact). Binary models are the case ``K = 1``.

Targets are encoded as an array ``Y`` of shape ``(n_samples, K)`` holding
``w_ik * y_ik``: the sign is the ``+-1`` code of output ``k`` and the
magnitude ``w_ik > 0`` a per-output weight. scikit-learn's one-vs-rest
classifiers need it: with ``class_weight``, problem ``k`` weights its
positive samples by ``class_weight[k]`` and its negatives by 1, so a sample's
weight differs between outputs. Test targets are encoded with unit weights,
so the test loss is the plain sum of the ``K`` binary losses.
"""

import numpy as np
from scipy.special import expit

from ._losses import smooth_hinge


class _Margin:
    """Value and derivatives of one margin function, elementwise."""

    def __call__(self, m):
        """Return ``phi(m)``, ``phi'(m)`` and ``phi''(m)``."""
        raise NotImplementedError


class SmoothHinge(_Margin):
    """``t * log(1 + exp((1 - m) / t))``, the hinge smoothed at temperature ``t``."""

    def __init__(self, t):
        self.t = t

    def __call__(self, m):
        return smooth_hinge(m, self.t)


class Hinge(_Margin):
    """``max(0, 1 - m)``, the raw hinge: the ``t -> 0`` limit of :class:`SmoothHinge`.

    Its second derivative is zero wherever it exists, so a Hessian built from
    it holds the penalty only. At the kink the derivative is taken as the
    limit of the smooth hinge's, ``-1/2``.
    """

    def __call__(self, m):
        m = np.asarray(m, dtype=np.float64)
        d1 = -np.where(m < 1.0, 1.0, np.where(m == 1.0, 0.5, 0.0))
        return np.maximum(0.0, 1.0 - m), d1, np.zeros_like(m)


class SquaredHinge(_Margin):
    """``max(0, 1 - m)**2``: C^1, generalized second derivative ``2 * 1[m < 1]``."""

    def __call__(self, m):
        m = np.asarray(m, dtype=np.float64)
        z = np.maximum(0.0, 1.0 - m)
        return z**2, -2.0 * z, 2.0 * (m < 1.0)


class ModifiedHuber(_Margin):
    """``max(0, 1 - m)**2`` for ``m >= -1``, ``-4 m`` below (SGD's modified_huber).

    C^1, with generalized second derivative ``2 * 1[-1 <= m < 1]``.
    """

    def __call__(self, m):
        m = np.asarray(m, dtype=np.float64)
        z = np.maximum(0.0, 1.0 - m)
        quad = m >= -1.0
        value = np.where(quad, z**2, -4.0 * m)
        d1 = np.where(quad, -2.0 * z, -4.0)
        return value, d1, 2.0 * (quad & (m < 1.0))


class Logistic(_Margin):
    """``log(1 + exp(-m))``, the logistic loss on ``+-1`` codes."""

    def __call__(self, m):
        m = np.asarray(m, dtype=np.float64)
        p = expit(-m)
        return np.logaddexp(0.0, -m), -p, p * expit(m)


class OneVsRestMarginLoss:
    """Sum over ``n_outputs`` independent binary margin losses.

    ``l(Y_i, eta_i) = sum_k |Y_ik| * phi(sign(Y_ik) * eta_ik)``; see the module
    docstring for the encoding of ``Y``.

    Parameters
    ----------
    margin : _Margin
        The margin function ``phi``.
    n_outputs : int
        Number of binary problems: 1 for a binary model, ``n_classes`` for
        one-vs-rest.
    """

    def __init__(self, margin, n_outputs):
        self.margin = margin
        self.n_outputs = n_outputs

    def _parts(self, Y, eta):
        Y = np.asarray(Y, dtype=np.float64).reshape(eta.shape)
        sign = np.sign(Y)
        value, d1, d2 = self.margin(sign * eta)
        return np.abs(Y), sign, value, d1, d2

    def loss(self, Y, eta):
        weight, _, value, _, _ = self._parts(Y, eta)
        return np.sum(weight * value, axis=1)

    def gradient(self, Y, eta):
        weight, sign, _, d1, _ = self._parts(Y, eta)
        return weight * sign * d1

    def hess_diag(self, Y, eta):
        weight, _, _, _, d2 = self._parts(Y, eta)
        return weight * d2

    def hess_apply(self, Y, eta, U):
        return self.hess_diag(Y, eta) * U

    def hess_blocks(self, Y, eta):
        diag = self.hess_diag(Y, eta)
        blocks = np.zeros(diag.shape + (self.n_outputs,))
        idx = np.arange(self.n_outputs)
        blocks[:, idx, idx] = diag
        return blocks


def ovr_codes(n_classes):
    """``+-1`` code matrix of shape ``(n_classes, n_outputs)``.

    Binary: one output, ``classes_[1]`` is +1. Otherwise the identity pattern
    of one-vs-rest: class ``k`` is +1 in output ``k`` and -1 elsewhere.
    """
    if n_classes == 2:
        return np.array([[-1.0], [1.0]])
    return 2.0 * np.eye(n_classes) - 1.0


def ovr_weights(y_index, class_weight, n_classes):
    """Per-output weights ``w_ik`` of scikit-learn's one-vs-rest class weighting.

    Binary: every sample carries its class's weight. One-vs-rest: in problem
    ``k`` the samples of class ``k`` carry ``class_weight[k]``, all others 1
    (what liblinear and SGD do).
    """
    class_weight = np.asarray(class_weight, dtype=np.float64)
    if n_classes == 2:
        return class_weight[y_index][:, None]
    weights = np.ones((len(y_index), n_classes))
    weights[np.arange(len(y_index)), y_index] = class_weight[y_index]
    return weights
