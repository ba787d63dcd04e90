"""Warnings and errors raised by sklinfluence.

Non-convergence (of an iterative solver, or of the wrapped model to its
optimum) is reported with scikit-learn's
:class:`~sklearn.exceptions.ConvergenceWarning`; the classes below cover what
has no category there.
"""

from sklearn.exceptions import ConvergenceWarning

__all__ = [
    "ApproximationWarning",
    "ConvergenceWarning",
    "HingeSmoothingWarning",
    "IllConditionedHessianWarning",
    "NoInputDerivativeWarning",
    "SupportChangeWarning",
    "UnsupportedEstimatorError",
]


class IllConditionedHessianWarning(UserWarning):
    """The Hessian is singular or so ill-conditioned that influences are unstable.

    The message gives the condition number. Adding a penalty to the model or
    setting ``damping`` makes the problem well posed.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklinfluence import InfluenceClassifier
    >>> from sklinfluence.exceptions import IllConditionedHessianWarning
    >>> X, y = np.array([[-2.0], [-1.0], [1.0], [2.0]]), np.array([0, 0, 1, 1])
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = InfluenceClassifier(LogisticRegression(C=np.inf)).fit(X, y)
    >>> any(w.category is IllConditionedHessianWarning for w in caught)
    True
    """


class ApproximationWarning(UserWarning):
    """A one-step estimate is outside the range where it is accurate.

    The message names the points concerned and the figure (e.g. a leverage
    close to 1); ``method="exact"`` gives the refitted value instead.
    """


class UnsupportedEstimatorError(TypeError, ValueError):
    """The wrapped estimator, or one of its settings, has no influence adapter.

    The message names the estimators and settings that are supported.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from sklinfluence import InfluenceClassifier
    >>> from sklinfluence.exceptions import UnsupportedEstimatorError
    >>> X, y = load_iris(return_X_y=True)
    >>> try:
    ...     InfluenceClassifier(DecisionTreeClassifier()).fit(X, y)
    ... except UnsupportedEstimatorError as error:
    ...     print(str(error).split(".")[0])
    sklinfluence has no influence adapter for DecisionTreeClassifier
    """


class SupportChangeWarning(UserWarning):
    """Removing a training point would change which L1 coefficients are zero.

    Influence on L1 and elastic-net models is taken on the active set (the
    non-zero coefficients) and holds only while that set does not change;
    the message lists the points for which it would.
    """


class NoInputDerivativeWarning(UserWarning):
    """A pipeline step has no derivative in its input, so some results are NaN.

    Raised by ``influence_perturb(..., space="input")`` when a fitted step in
    front of the model (a one-hot encoder, a discretizer, an imputer, or a
    step whose Jacobian sklinfluence does not know) reads a raw column: the
    chain rule cannot be applied through it, so that column is NaN rather
    than a guess. The message names the steps and columns.

    Examples
    --------
    >>> import warnings
    >>> import pandas as pd
    >>> from sklearn.compose import make_column_transformer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import OneHotEncoder, StandardScaler
    >>> from sklinfluence import InfluenceClassifier
    >>> from sklinfluence.exceptions import NoInputDerivativeWarning
    >>> X = pd.DataFrame({"size": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
    ...                   "colour": ["red", "blue"] * 3})
    >>> y = [0, 0, 1, 0, 1, 1]
    >>> prep = make_column_transformer((StandardScaler(), ["size"]),
    ...                                (OneHotEncoder(), ["colour"]))
    >>> model = InfluenceClassifier(make_pipeline(prep, LogisticRegression()))
    >>> model = model.fit(X, y)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     raw = model.influence_perturb(X.iloc[:1], space="input")
    >>> caught[0].category is NoInputDerivativeWarning
    True
    >>> raw[0, 0].round(3).tolist()[1]  # the one-hot encoded colour
    nan
    """


class HingeSmoothingWarning(UserWarning):
    """Influence on a hinge-loss model borrows derivatives from a smoothed hinge.

    The hinge ``max(0, 1 - m)`` has no second derivative at the margin, so
    the influence of a model trained on it (``LinearSVC(loss="hinge")``,
    ``SVC(kernel="linear")``, ``SGDClassifier(loss="hinge")``) uses the
    derivatives of the smooth hinge at temperature ``hinge_smoothing``. The
    fitted parameters are not an optimum of that smoothed objective, whatever
    the solver's tolerance, so the influences are approximations. For exact
    influences, train :class:`~sklinfluence.SmoothHingeClassifier` instead.
    """
