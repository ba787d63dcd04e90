"""A linear support vector machine trained on the smooth hinge.

The hinge ``max(0, 1 - m)`` has no second derivative at the margin, so
influence functions cannot be taken on a model trained with it; they can only
borrow derivatives from a smoothed surrogate, at a model that is not an
optimum of that surrogate. :class:`SmoothHingeClassifier` instead *trains* on
the smooth hinge, so the objective it minimizes is exactly the one whose
Hessian the influence functions use.
"""

import numbers
import warnings

import numpy as np
from scipy import linalg, optimize, sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

from ._margin import OneVsRestMarginLoss, SmoothHinge, ovr_codes, ovr_weights
from ._objective import LinearObjective

# Up to this many parameters per binary problem, L-BFGS is followed by Newton
# steps on the dense Hessian, which reach a tight optimum even when a small
# temperature makes the curvature nearly discontinuous.
_NEWTON_MAX_PARAMS = 2000


def _check_sample_weight(sample_weight, n_samples):
    if sample_weight is None:
        return np.ones(n_samples)
    sample_weight = check_array(
        sample_weight, ensure_2d=False, dtype=np.float64, input_name="sample_weight"
    )
    if sample_weight.ndim != 1 or sample_weight.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight.shape == {sample_weight.shape}, expected ({n_samples},)."
        )
    if np.any(sample_weight < 0):
        raise ValueError("sample_weight must be non-negative.")
    if not np.any(sample_weight > 0):
        raise ValueError(
            "Sample weights must contain at least one non-zero number; all "
            "sample_weight values are zero."
        )
    return sample_weight


class SmoothHingeClassifier(ClassifierMixin, BaseEstimator):
    """Linear support vector classifier trained on the smooth hinge loss.

    Minimizes, for each binary problem,

        C * sum_i s_i * SmoothHinge(y_i * (x_i . w + b), t) + 1/2 ||w||^2

    with ``SmoothHinge(m, t) = t * log(1 + exp((1 - m) / t))``, ``y_i`` in
    {-1, +1} (``classes_[1]`` is +1), ``s_i`` the sample weight times the
    class weight, and the intercept ``b`` unpenalized. As ``t -> 0`` the loss
    tends to the hinge ``max(0, 1 - m)`` and the model to a linear SVM
    (``SVC(kernel="linear")``); for ``t > 0`` it is smooth and strictly
    convex, so :class:`~sklinfluence.InfluenceClassifier` computes exact
    influence functions for it.

    With more than two classes it fits one binary problem per class (class
    ``k`` against the rest), independently. As in :class:`~sklearn.svm.
    LinearSVC`, problem ``k`` weights the samples of class ``k`` by
    ``class_weight[k]`` and all others by 1 (times their sample weights).

    Parameters
    ----------
    C : float, default=1.0
        Weight of the data term; larger means less regularization.
    t : float, default=0.1
        Temperature of the smooth hinge, in units of the margin (which the
        SVM scales to 1). The curvature of the loss is concentrated within
        a few ``t`` of the margin: small values approach the hinge, but make
        the objective nearly non-smooth and the Hessian dominated by the
        points closest to the margin.
    fit_intercept : bool, default=True
        Whether to fit an (unpenalized) intercept.
    class_weight : dict or "balanced", default=None
        Weight of each class's samples, multiplying ``C``; ``"balanced"``
        uses ``n_samples / (n_classes * weighted count)``.
    tol : float, default=1e-10
        Stop when the gradient norm of each binary objective falls below
        ``tol`` times its norm at zero.
    max_iter : int, default=1000
        Iteration cap of L-BFGS for each binary problem; up to 50 Newton
        steps then polish the solution when there are at most 2000
        parameters.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Weights; one row for a binary problem.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts (zeros if ``fit_intercept=False``).
    n_iter_ : int
        Largest number of L-BFGS iterations over the binary problems.
    n_features_in_ : int
        Number of features seen in :meth:`fit`.
    feature_names_in_ : ndarray of str
        Feature names, when ``X`` has them.

    See Also
    --------
    sklearn.svm.LinearSVC : Linear SVM on the hinge or squared hinge.
    sklinfluence.InfluenceClassifier : Influence functions for this model.

    Notes
    -----
    The objective is solved by L-BFGS with the closed-form gradient, then
    polished by Newton's method, to a relative gradient norm of ``tol``.
    Very small ``t`` (below about 1e-3) makes the problem stiff and the
    Hessian ill-conditioned; the fit still converges, but influences become
    sensitive to which points sit exactly at the margin.

    References
    ----------
    Koh, P. W. and Liang, P. "Understanding Black-box Predictions via
    Influence Functions." ICML 2017, section 4.1 (smooth hinge).

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import scale
    >>> from sklinfluence import SmoothHingeClassifier
    >>> from sklinfluence import InfluenceClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = scale(X)
    >>> clf = SmoothHingeClassifier(C=0.1, t=0.1).fit(X, y)
    >>> clf.coef_.shape
    (1, 30)
    >>> round(clf.score(X, y), 2)
    0.98
    >>> model = InfluenceClassifier(SmoothHingeClassifier(C=0.1)).fit(X, y)
    >>> bool(model.optimality_ < 1e-8)
    True
    >>> model.removal_effect(X[:2], y[:2], method="first_order").shape
    (569, 2)
    """

    def __init__(
        self,
        C=1.0,
        t=0.1,
        fit_intercept=True,
        class_weight=None,
        tol=1e-10,
        max_iter=1000,
    ):
        self.C = C
        self.t = t
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.tol = tol
        self.max_iter = max_iter

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _check_params(self):
        def real(value):
            return isinstance(value, numbers.Real) and not isinstance(value, bool)

        for name in ("C", "t", "tol"):
            value = getattr(self, name)
            if not (real(value) and np.isfinite(value) and value > 0):
                raise ValueError(
                    f"The {name!r} parameter of SmoothHingeClassifier must be a "
                    f"float in the range (0, inf). Got {value!r} instead."
                )
        if not (isinstance(self.max_iter, numbers.Integral) and self.max_iter >= 1):
            raise ValueError(
                "The 'max_iter' parameter of SmoothHingeClassifier must be an int "
                f"in the range [1, inf). Got {self.max_iter!r} instead."
            )
        if not isinstance(self.fit_intercept, (bool, np.bool_)):
            raise ValueError(
                "The 'fit_intercept' parameter of SmoothHingeClassifier must be "
                f"an instance of bool. Got {self.fit_intercept!r} instead."
            )
        cw = self.class_weight
        if not (cw is None or cw == "balanced" or isinstance(cw, dict)):
            raise ValueError(
                "The 'class_weight' parameter of SmoothHingeClassifier must be a "
                f"dict, 'balanced' or None. Got {cw!r} instead."
            )

    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights, multiplying ``C``.

        Returns
        -------
        self : object
            The fitted classifier.
        """
        self._check_params()
        X, y = validate_data(
            self, X, y, accept_sparse="csr", dtype=[np.float64, np.float32]
        )
        check_classification_targets(y)
        X = X.astype(np.float64) if not sparse.issparse(X) else X.astype(np.float64)
        sample_weight = _check_sample_weight(sample_weight, X.shape[0])
        self.classes_, y_index = np.unique(y, return_inverse=True)
        n_classes = len(self.classes_)
        if n_classes < 2:
            raise ValueError(
                "This solver needs samples of at least 2 classes in the data, but "
                f"the data contains only one class: {self.classes_[0]!r}."
            )

        spec = self._problem(X, y_index, sample_weight)
        cols = X.shape[1] + self.fit_intercept
        theta = np.zeros((spec.n_outputs, cols))
        n_iter = []
        for k in range(spec.n_outputs):
            theta[k], iterations = self._fit_binary(spec.output(k))
            n_iter.append(iterations)

        self.coef_ = theta[:, : X.shape[1]]
        self.intercept_ = theta[:, -1] if self.fit_intercept else np.zeros(len(theta))
        self.n_iter_ = int(max(n_iter))
        return self

    def _problem(self, X, y_index, sample_weight):
        """The training objective of all binary problems, as one objective."""
        n_classes = len(self.classes_)
        cw = np.ones(n_classes)
        if self.class_weight is not None:
            cw = compute_class_weight(
                self.class_weight,
                classes=self.classes_,
                y=self.classes_[y_index],
                sample_weight=sample_weight,
            )
        weight = ovr_weights(y_index, cw, n_classes)
        mass = sample_weight[:, None] * weight * (ovr_codes(n_classes)[y_index] > 0)
        if n_classes == 2:
            positive = np.bincount(y_index, weights=sample_weight * weight[:, 0])
            if np.any(positive == 0):
                raise ValueError(
                    "Only one class has non-zero sample_weight (times "
                    "class_weight); a classifier needs weight on both classes."
                )
        elif np.any(mass.sum(axis=0) == 0):
            raise ValueError(
                "Some class has zero total sample_weight (times class_weight); "
                "its one-vs-rest problem has no positive samples."
            )
        codes = ovr_codes(n_classes)[y_index] * weight
        return smooth_hinge_objective(
            X, codes, sample_weight, self.C, self.t, self.fit_intercept
        )

    def _fit_binary(self, objective):
        """Minimize one binary objective; return its parameters and iterations."""
        p = objective.n_params
        zero = np.zeros(p)
        scale = max(np.linalg.norm(objective.gradient(zero)), 1e-300)
        newton = p <= _NEWTON_MAX_PARAMS

        def value_and_grad(theta):
            return objective.value(theta), objective.gradient(theta).ravel()

        # L-BFGS gets close cheaply (loosely when Newton's method finishes the
        # job); its stopping rule is relative to the gradient at zero.
        gtol = (1e-4 if newton else self.tol) * scale / np.sqrt(p)
        # L-BFGS-B calls BLAS on vectors of length n_params; on a busy machine
        # a multi-threaded BLAS makes each of those calls orders of magnitude
        # slower, so small problems run it single-threaded.
        limits = 1 if objective.X.shape[0] * p <= 10**6 else None
        with threadpool_limits(limits=limits, user_api="blas"):
            result = optimize.minimize(
                value_and_grad,
                zero,
                jac=True,
                method="L-BFGS-B",
                options={"maxiter": self.max_iter, "gtol": gtol, "ftol": 1e-15},
            )
        theta = result.x
        if newton:
            theta = _newton_polish(objective, theta, self.tol * scale)
        grad = np.linalg.norm(objective.gradient(theta)) / scale
        if not grad <= self.tol:
            warnings.warn(
                "SmoothHingeClassifier did not converge: the relative gradient "
                f"norm is {grad:.3g} after {result.nit} L-BFGS iterations "
                f"(tol={self.tol:g}). Increase max_iter, or raise t (a larger "
                "temperature makes the problem better conditioned).",
                ConvergenceWarning,
                stacklevel=3,
            )
        return theta, max(int(result.nit), 1)

    def decision_function(self, X):
        """Signed distance-like scores ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For a binary problem, positive scores mean ``classes_[1]``.
        """
        check_is_fitted(self)
        X = validate_data(
            self, X, reset=False, accept_sparse="csr", dtype=[np.float64, np.float32]
        )
        scores = np.asarray(X @ self.coef_.T) + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]


def _newton_polish(objective, theta, gtol, max_steps=50):
    """Newton's method with backtracking, until ``||grad|| <= gtol``.

    The Hessian gets a relative ridge of 1e-12 so that a direction with
    (numerically) no curvature, e.g. the intercept when no point lies near
    the margin at a small temperature, still gives a finite step.
    """
    value = objective.value(theta)
    for _ in range(max_steps):
        grad = objective.gradient(theta).ravel()
        if np.linalg.norm(grad) <= gtol:
            break
        H = objective.hessian(theta)
        H[np.diag_indices_from(H)] += 1e-12 * max(np.max(np.diag(H)), 1.0)
        try:
            step = linalg.cho_solve(linalg.cho_factor(H), grad)
        except linalg.LinAlgError:
            step = linalg.lstsq(H, grad)[0]

        # Backtrack until the objective does not increase (up to rounding).
        for _ in range(60):
            candidate = theta - step
            new_value = objective.value(candidate)
            if new_value <= value + 1e-14 * abs(value):
                break
            step = step / 2
        else:
            break
        theta, value = candidate, new_value
    return theta


class _OneVsRestObjective(LinearObjective):
    """A :class:`LinearObjective` over ``K`` independent binary margin problems."""

    def output(self, k):
        """The binary objective of output ``k`` alone (parameters at zero)."""
        return LinearObjective(
            OneVsRestMarginLoss(self.loss.margin, 1),
            self.X,
            self.y[:, [k]],
            self.sample_weight,
            np.zeros((1, self.n_columns)),
            self.penalty[[k]],
            scale=self.scale,
            normalizer=self.normalizer,
            fit_intercept=self.fit_intercept,
        )


def smooth_hinge_objective(
    X, codes, sample_weight, C, t, fit_intercept, theta=None, margin=None
):
    """``C * sum_i s_i sum_k |Y_ik| SmoothHinge(sign(Y_ik) eta_ik, t) + 1/2 ||W||^2``.

    ``codes`` is the ``(n_samples, K)`` array of signed per-output weights of
    :mod:`sklinfluence._margin`; the intercept is unpenalized.
    """
    K = codes.shape[1]
    cols = X.shape[1] + fit_intercept
    theta = np.zeros((K, cols)) if theta is None else theta
    penalty = np.ones((K, cols))
    if fit_intercept:
        penalty[:, -1] = 0.0
    return _OneVsRestObjective(
        OneVsRestMarginLoss(SmoothHinge(t) if margin is None else margin, K),
        X,
        codes,
        sample_weight,
        theta,
        penalty,
        scale=C,
        normalizer="sum",
        fit_intercept=fit_intercept,
    )
