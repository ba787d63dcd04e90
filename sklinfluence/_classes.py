"""The public meta-estimators, for classifiers and for regressors."""

import warnings

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin, is_classifier, is_regressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target

from ._base import BaseInfluence, _delegate_has, _last_step
from ._losses import _RegressionLoss
from .exceptions import IllConditionedHessianWarning, UnsupportedEstimatorError

_PARAMETERS = """
    Parameters
    ----------
    estimator : estimator object, default=None
        The convex linear model to explain, or a :class:`~sklearn.pipeline.
        Pipeline` whose final step is one (influence is then taken on the
        final step, with the earlier, fitted steps held fixed). It is cloned
        and fitted in :meth:`fit`. A model trained elsewhere can be wrapped in
        :class:`~sklearn.frozen.FrozenEstimator`; ``fit`` must then be given
        the same data and weights it was trained on (the stationarity check
        tells if not). ``None`` means ``{default}``.
    solver : {{"auto", "direct", "cg"}}, default="auto"
        How to solve with the Hessian: ``"direct"`` eigendecomposes the dense
        Hessian (exact, gives the condition number, for up to a few thousand
        parameters); ``"cg"`` runs preconditioned conjugate gradients on
        Hessian-vector products (for many parameters or sparse data);
        ``"auto"`` picks ``"direct"`` up to 2000 parameters.
    damping : float, default=0.0
        Added to the diagonal of the Hessian of the objective as the estimator
        writes it, i.e. in the units of its penalty: ``damping=1`` adds
        ``1/2 ||theta||^2`` to the objective. Its share stays fixed as the
        data grows. Zero by default: influence is taken for the model as
        fitted.
    cg_tol : float, default=1e-8
        Relative residual for ``solver="cg"``.
    cg_max_iter : int, default=None
        Iteration cap per right-hand side for ``solver="cg"``; ``None`` means
        ``10 * n_params``.
    optimum_tol : float, default=1e-2
        ``fit`` warns (``ConvergenceWarning``) when the relative gradient
        norm of the objective at the fitted parameters exceeds this.
    hinge_smoothing : float, default=0.01
        Temperature ``t`` of the smooth hinge ``t * log(1 + exp((1 - m) / t))``
        whose derivatives stand in for those of the hinge when the estimator
        was trained on the non-differentiable hinge (``LinearSVC(loss=
        "hinge")``, ``SVC(kernel="linear")``, ``SGDClassifier(loss="hinge")``);
        ignored by every other estimator. In units of the margin, which the
        SVM scales to 1, so it needs no rescaling with the data. ``0`` takes
        the raw hinge: zero curvature in the data term, a Hessian made of the
        penalty only. The fitted model is an optimum of the hinge objective,
        not of the smoothed one, so these influences are approximations and
        ``fit`` says so with a :class:`~sklinfluence.exceptions.
        HingeSmoothingWarning`; :class:`~sklinfluence.SmoothHingeClassifier`
        trains on the smooth hinge and gets exact influences.
    n_jobs : int, default=None
        Parallel jobs, through joblib, for the blocks of training rows, the
        chunks of right-hand sides of conjugate gradients, and exact refits.
        Any joblib backend serves: under ``joblib.parallel_config(backend=
        "dask")`` the blocks run on a Dask cluster. ``None`` means one job
        unless a joblib context says otherwise. Blocks are sized within
        scikit-learn's ``working_memory`` (and at most 64 MiB).
    verbose : int, default=0
        Show tqdm progress bars (on stderr) over the blocks of long
        computations when positive and tqdm is installed; nothing is printed
        at 0.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted clone of ``estimator``.
    n_features_in_ : int
        Number of input features seen in :meth:`fit`.
    feature_names_in_ : ndarray of str
        Input feature names, when ``X`` has them.
    X_fit_ : ndarray or sparse matrix of shape (n_samples, n_model_features)
        Training features as the final estimator sees them (after the
        pipeline's transforms). Kept because every influence needs them.
    y_fit_ : ndarray of shape (n_samples,)
        Training targets.
    sample_weight_ : ndarray of shape (n_samples,)
        Training sample weights (ones if none were given).
    objective_ : LinearObjective
        The training objective the influences are computed for.
    optimality_ : float
        Relative gradient norm of that objective at the fitted parameters.
    target_encoding_ : callable
        Maps targets to the encoding of the loss.
    model_feature_names_ : ndarray of object of shape (n_model_features,)
        Names of the features the final estimator sees: the pipeline
        transforms' ``get_feature_names_out``, else ``feature_names_in_``,
        else ``x0, x1, ...``. Explanations and pandas results use them.
    train_index_ : pandas.Index
        Index of the training DataFrame (or Series), when ``X`` was one;
        explanations and pandas results label training rows with it.
"""


class InfluenceClassifier(ClassifierMixin, BaseInfluence):
    __doc__ = (
        """Explain a convex linear classifier's predictions through its training data.

    A meta-estimator: it fits a clone of ``estimator`` and predicts with it,
    and adds influence functions (Koh & Liang, 2017) computed in closed form
    from the fitted model, with no retraining: the effect of upweighting
    (:meth:`influence_upweight`), perturbing (:meth:`influence_perturb`) or
    removing (:meth:`removal_effect`) each training point on each test loss.
"""
        + _PARAMETERS.format(default="LogisticRegression()")
        + """    classes_ : ndarray of shape (n_classes,)
        Class labels.

    See Also
    --------
    InfluenceRegressor : The same for regressors.

    References
    ----------
    Koh, P. W. and Liang, P. "Understanding Black-box Predictions via
    Influence Functions." ICML 2017.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.preprocessing import scale
    >>> from sklinfluence import InfluenceClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = scale(X)
    >>> estimator = LogisticRegression(tol=1e-10)
    >>> model = InfluenceClassifier(estimator).fit(X[:400], y[:400])
    >>> model.influence_upweight(X[400:403], y[400:403]).shape
    (400, 3)
    >>> explanation = model.explain(X[400:403], y[400:403], n_top=3)
    >>> explanation.helpful_indices.shape
    (3, 3)
    """
    )

    _y_numeric = False
    _estimator_kind = ("classifier", is_classifier, "InfluenceRegressor")

    def _default_estimator(self):
        return LogisticRegression()

    def _check_targets(self, y):
        check_classification_targets(y)
        if np.unique(y).size < 2:
            raise ValueError(
                "The training data contain only one class; a classifier needs "
                "samples of at least 2 classes."
            )
        if not self.__sklearn_tags__().classifier_tags.multi_class:
            y_type = type_of_target(y, input_name="y", raise_unknown=True)
            if y_type != "binary":
                raise UnsupportedEstimatorError(
                    "Only binary classification is supported by "
                    f"{type(_last_step(self._get_estimator())).__name__} with these "
                    "settings. "
                    f"The type of the target is {y_type}."
                )

    def _set_classes(self, final):
        self.classes_ = np.asarray(final.classes_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = self._get_estimator()
        inner_tags = get_tags(inner).classifier_tags
        if inner_tags is not None:
            tags.classifier_tags.multi_class = inner_tags.multi_class
        # liblinear fits no multinomial model (sklearn >= 1.8 refuses it).
        # Frozen models are left to their adapters, whose errors say more.
        final = inner[-1] if isinstance(inner, Pipeline) else inner
        if isinstance(final, LogisticRegression) and final.solver == "liblinear":
            tags.classifier_tags.multi_class = False
        # libsvm's multiclass is one-vs-one: only binary SVC has an adapter.
        if isinstance(final, SVC):
            tags.classifier_tags.multi_class = False
        return tags

    def _warn_if_ill_posed(self, final, design, y):
        """Warn when unpenalized training data are separated perfectly.

        Without a penalty, a logistic-type objective then has no finite
        optimum: the weights grow as long as the solver runs and the Hessian
        fades to zero, so influence values depend on when the solver stopped.
        """
        if np.any(self.objective_.penalty) or not np.all(final.predict(design) == y):
            return
        figure = ""
        obj = self.objective_
        if obj.n_params <= 2000:
            smallest = np.linalg.eigvalsh(obj.hessian())[0]
            scale = obj.hessian_diagonal(np.zeros(obj.n_params)).max()
            if smallest <= scale * obj.n_params * np.finfo(float).eps:
                figure = " (it is already numerically singular)"
            else:
                figure = (
                    f" (its smallest eigenvalue is {smallest:.3g}, a condition "
                    f"number of {scale / smallest:.3g} against the curvature at "
                    "zero weights)"
                )
        advice = (
            f"damping={self.damping:g} keeps the solves finite, but the "
            "values still depend on where the solver stopped; give the model "
            "a penalty (a finite C)."
            if self.damping > 0
            else "Influence values are not meaningful; give the model a "
            "penalty (a finite C) or set damping > 0."
        )
        warnings.warn(
            "The training data are perfectly separated and the model has no "
            "penalty: the objective has no finite optimum and its Hessian "
            f"vanishes as the weights grow{figure}. {advice}",
            IllConditionedHessianWarning,
            stacklevel=3,
        )

    @available_if(_delegate_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from the fitted estimator.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        X = self._validate_test(X)
        return self.estimator_.predict_proba(X)

    @available_if(_delegate_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities from the fitted estimator.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        X = self._validate_test(X)
        return self.estimator_.predict_log_proba(X)


class InfluenceRegressor(RegressorMixin, BaseInfluence):
    __doc__ = (
        """Explain a convex linear regressor's predictions through its training data.

    The regression twin of :class:`InfluenceClassifier`, with the same
    influence methods. Supported: ``Ridge``, ``LinearRegression``,
    ``SGDRegressor``, ``PoissonRegressor``, ``GammaRegressor``,
    ``TweedieRegressor``, ``HuberRegressor``, ``Lasso`` and ``ElasticNet``
    (single target; see the README's table for the settings).

    **Explaining a prediction** (``y=None`` in the influence methods). A
    fitted regressor predicts its own target, so the loss at ``y =
    predict(x)`` has zero gradient and every influence on it would vanish.
    With ``y=None`` the quantity explained is therefore the *predicted value*
    ``predict(x)`` itself (``exp(eta)`` for log-link GLMs, whose gradient is
    ``exp(eta) x_tilde``; ``x_tilde`` for linear predictions): a positive
    :meth:`influence_upweight` means that upweighting the training point
    raises the prediction, and :meth:`removal_effect` gives the change of the
    prediction when the point is removed. In :meth:`explain`, "harmful"
    points then push the prediction up and "helpful" ones down.

    **L1 models** (``Lasso``, ``ElasticNet``). Influence is taken on the
    active set: the non-zero coefficients and the intercept move, the zero
    coefficients stay zero. This is exact to the order of the method as long
    as the point's removal does not change which coefficients are zero;
    :meth:`support_changes` flags the points for which it would, and the
    removal methods warn about them. :meth:`influence_perturb` and
    :meth:`influence_params` are zero for the features and coefficients
    outside the active set.

    **HuberRegressor** is treated with its scale ``sigma`` (``scale_``) held
    fixed, and its parameters polished by Newton steps (its L-BFGS stops
    early); the change of ``sigma`` on removal or perturbation is ignored.
    Removal effects still agree closely with refits that re-estimate
    ``sigma``; :meth:`influence_perturb` of inliers does not (it is exact for
    the fixed-scale objective).
"""
        + _PARAMETERS.format(default="Ridge()")
        + """
    See Also
    --------
    InfluenceClassifier : The same for classifiers.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from sklinfluence import InfluenceRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = InfluenceRegressor(Ridge(alpha=1.0)).fit(X[:300], y[:300])
    >>> model.removal_effect(X[300:302], y[300:302]).shape
    (300, 2)
    """
    )

    _y_numeric = True
    _estimator_kind = ("regressor", is_regressor, "InfluenceClassifier")

    def _default_estimator(self):
        return Ridge()

    def _check_targets(self, y):
        pass

    def _set_classes(self, final):
        pass

    def _explained_targets(self, X):
        # NaN targets make the regression losses stand for the prediction
        # itself; see the class docstring.
        if isinstance(self.objective_.loss, _RegressionLoss):
            n_samples = X.shape[0] if hasattr(X, "shape") else len(X)
            return np.full(n_samples, np.nan)
        return super()._explained_targets(X)
