"""The training objective of a fitted linear model, in closed form.

Every supported estimator minimizes

    R(theta) = sum_i c_i * l(y_i, eta_i) + 1/2 * theta^T diag(P) theta

where ``eta_i = W x_i + b`` is the linear predictor (``n_outputs`` scores),
``theta = [W, b]`` is laid out as an array of shape ``(n_outputs, n_features +
fit_intercept)`` with the intercept in the last column, and ``P`` holds the
estimator's own penalty weight for each parameter (zero for an unpenalized
intercept). The effective weights are

    c_i = scale * s_i / N

with ``s_i`` the sample weight times the class weight, and ``N`` a normalizer:
1 for objectives that sum their data term (``"sum"``), ``sum(s)`` for those
that average it by weight (``"weight_mean"``), the row count for those that
average by rows (``"count_mean"``). The normalizer matters for removal: when a
point leaves an averaged objective, every other weight grows.

The parameters are kept flat, as a vector of length ``n_params``, whenever a
solver works with them; ``unravel`` gives the ``(n_outputs, n_columns)`` view.
"""

import copy

import numpy as np
from scipy import sparse

NORMALIZERS = ("sum", "weight_mean", "count_mean")


class LinearObjective:
    """Closed-form value, gradients and Hessian of one fitted linear objective.

    Parameters
    ----------
    loss : loss object
        One of the losses of :mod:`sklinfluence._losses`.
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Training design, without the intercept column.
    y : ndarray of shape (n_samples,)
        Targets encoded as ``loss`` expects.
    sample_weight : ndarray of shape (n_samples,)
        ``s_i``: the sample weight times the class weight.
    theta : ndarray of shape (n_outputs, n_features + fit_intercept)
        Fitted parameters.
    penalty : ndarray of the same shape as ``theta``
        Diagonal of the penalty Hessian ``P``.
    scale : float
        Constant in front of the data term (``C`` for LogisticRegression).
    normalizer : {"sum", "weight_mean", "count_mean"}
        How the data term is normalized, see the module docstring.
    fit_intercept : bool
        Whether the last column of ``theta`` is an intercept.
    sum_to_zero : bool, default=False
        True when adding one constant to every output score leaves the loss
        unchanged (softmax): the Hessian is then singular along those shifts.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.preprocessing import scale
    >>> from sklinfluence import InfluenceClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = LogisticRegression(solver="newton-cholesky", tol=1e-12)
    >>> objective = InfluenceClassifier(clf).fit(scale(X), y).objective_
    >>> objective.theta.shape, objective.normalizer
    ((1, 31), 'sum')
    >>> bool(objective.relative_gradient_norm() < 1e-8)
    True
    >>> H = objective.hessian()
    >>> v = np.ones(objective.theta.shape)
    >>> bool(np.allclose(H @ v.ravel(), objective.hessp(v).ravel()))
    True
    """

    def __init__(
        self,
        loss,
        X,
        y,
        sample_weight,
        theta,
        penalty,
        scale,
        normalizer,
        fit_intercept,
        sum_to_zero=False,
    ):
        self.loss = loss
        self.X = X
        self.y = y
        self.sample_weight = np.asarray(sample_weight, dtype=np.float64)
        self.theta = np.asarray(theta, dtype=np.float64)
        self.penalty = np.asarray(penalty, dtype=np.float64)
        self.scale = float(scale)
        self.normalizer = normalizer
        self.fit_intercept = fit_intercept
        self.sum_to_zero = sum_to_zero
        if normalizer == "sum":
            self.norm = 1.0
        elif normalizer == "weight_mean":
            self.norm = float(np.sum(self.sample_weight))
        else:
            self.norm = float(len(self.sample_weight))

    # ------------------------------------------------------------------
    # shapes and weights

    @property
    def n_outputs(self):
        return self.theta.shape[0]

    @property
    def n_columns(self):
        return self.theta.shape[1]

    @property
    def n_params(self):
        return self.theta.size

    def unravel(self, v):
        """View a flat parameter vector (or a stack of them) as ``(..., K, cols)``."""
        v = np.asarray(v)
        return v.reshape(v.shape[:-1] + self.theta.shape)

    def _removed_mass(self, indices):
        """``nu_i`` for each index: how much the normalizer drops on removal."""
        if self.normalizer == "sum":
            return np.zeros(len(indices))
        if self.normalizer == "weight_mean":
            return self.sample_weight[indices]
        return np.ones(len(indices))

    def data_weights(self):
        """Effective weights ``c_i`` of the data term."""
        return self.scale * self.sample_weight / self.norm

    def without(self, indices):
        """The objective that ``fit`` would minimize without the given rows."""
        indices = np.atleast_1d(indices)
        reduced = copy.copy(self)
        reduced.sample_weight = self.sample_weight.copy()
        reduced.sample_weight[indices] = 0.0
        reduced.norm = self.norm - self._removed_mass(indices).sum()
        return reduced

    def removal_coefficients(self, indices):
        """Coefficients ``(a_i, b_i)`` of the objective's gradient after removal.

        Removing training point ``i`` changes the gradient at the fitted
        parameters by ``-a_i * grad l_i - b_i * grad Omega`` (using that the
        full gradient vanishes there). For summed objectives ``a_i = c_i`` and
        ``b_i = 0``; for averaged ones the remaining weights grow and
        ``a_i = scale * s_i / N'``, ``b_i = nu_i / N'`` with ``N' = N - nu_i``
        the normalizer without the point.
        """
        indices = np.atleast_1d(indices)
        s = self.sample_weight[indices]
        nu = self._removed_mass(indices)
        norm_after = self.norm - nu
        return self.scale * s / norm_after, nu / norm_after

    # ------------------------------------------------------------------
    # predictor and its derivatives

    def decision(self, X, theta=None):
        """Linear predictor ``eta`` of shape ``(n_samples, n_outputs)``."""
        T = self.theta if theta is None else self.unravel(theta)
        W = T[:, : X.shape[1]]
        eta = np.asarray(X @ W.T, dtype=np.float64)
        if self.fit_intercept:
            eta = eta + T[:, -1]
        return eta

    def design_times(self, X, V):
        """Compute ``X_tilde @ V.T`` for parameter arrays ``V`` of shape ``(m, cols)``.

        ``X_tilde = [X, 1]`` is never formed: the intercept column is added to
        the product, so sparse ``X`` stays sparse.
        """
        n_features = X.shape[1]
        out = np.asarray(X @ V[:, :n_features].T, dtype=np.float64)
        if self.fit_intercept:
            out = out + V[:, -1]
        return out

    def design_transpose_times(self, X, R):
        """Compute ``R.T @ X_tilde`` for ``R`` of shape ``(n_samples, m)``."""
        left = X.T @ R
        left = np.asarray(left.toarray() if sparse.issparse(left) else left).T
        if self.fit_intercept:
            left = np.hstack([left, R.sum(axis=0)[:, None]])
        return left

    # ------------------------------------------------------------------
    # objective, gradient, Hessian of the training objective

    def value(self, theta=None):
        eta = self.decision(self.X, theta)
        T = self.theta if theta is None else self.unravel(theta)
        c = self.data_weights()
        return float(
            c @ self.loss.loss(self.y, eta) + 0.5 * np.sum(self.penalty * T**2)
        )

    def penalty_gradient(self, theta=None):
        T = self.theta if theta is None else self.unravel(theta)
        return self.penalty * T

    def gradient(self, theta=None):
        """Gradient of ``R`` as an array shaped like ``theta``."""
        eta = self.decision(self.X, theta)
        c = self.data_weights()
        r = self.loss.gradient(self.y, eta) * c[:, None]
        return self.design_transpose_times(self.X, r) + self.penalty_gradient(theta)

    def hessp(self, V, theta=None):
        """Hessian-vector product ``H V`` for ``V`` shaped like ``theta``."""
        eta = self.decision(self.X, theta)
        c = self.data_weights()
        U = self.design_times(self.X, V)
        Q = self.loss.hess_apply(self.y, eta, U) * c[:, None]
        return self.design_transpose_times(self.X, Q) + self.penalty * V

    def hessian_diagonal(self, theta=None):
        eta = self.decision(self.X, theta)
        c = self.data_weights()
        D = self.loss.hess_diag(self.y, eta) * c[:, None]
        X = self.X
        X2 = X.multiply(X) if sparse.issparse(X) else X**2
        diag = np.asarray(X2.T @ D).T
        if self.fit_intercept:
            diag = np.hstack([diag, D.sum(axis=0)[:, None]])
        return diag + self.penalty

    def hessian(self, theta=None):
        """Dense Hessian of shape ``(n_params, n_params)``.

        Built block by block: the ``(k, l)`` block is ``X_tilde^T diag(c D_kl)
        X_tilde``. Meant for a few thousand parameters at most.
        """
        eta = self.decision(self.X, theta)
        c = self.data_weights()
        blocks = self.loss.hess_blocks(self.y, eta) * c[:, None, None]
        K, cols = self.theta.shape
        H = np.zeros((K, cols, K, cols))
        for k in range(K):
            for m in range(k, K):
                block = self._weighted_gram(blocks[:, k, m])
                H[k, :, m, :] = block
                H[m, :, k, :] = block.T
        H = H.reshape(K * cols, K * cols)
        H[np.diag_indices_from(H)] += self.penalty.ravel()
        return H

    def _weighted_gram(self, d):
        X = self.X
        if sparse.issparse(X):
            XtD = (X.T.multiply(d)).tocsr()
            gram = (XtD @ X).toarray()
            xd = np.asarray(XtD.sum(axis=1)).ravel()
        else:
            XtD = X.T * d
            gram = XtD @ X
            xd = XtD.sum(axis=1)
        if not self.fit_intercept:
            return gram
        top = np.hstack([gram, xd[:, None]])
        bottom = np.append(xd, d.sum())
        return np.vstack([top, bottom])

    def relative_gradient_norm(self):
        """Stationarity figure ``||grad R|| / ||grad Omega||`` at the fitted theta.

        Without a penalty the reference is the gradient at ``theta = 0``.
        """
        grad = self.gradient()
        reference = np.linalg.norm(self.penalty_gradient())
        if reference == 0:
            reference = np.linalg.norm(self.gradient(theta=np.zeros(self.n_params)))
        reference = max(reference, np.finfo(float).tiny)
        return float(np.linalg.norm(grad) / reference)
