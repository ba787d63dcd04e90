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
    "SupportChangeWarning",
    "UnsupportedEstimatorError",
]


class IllConditionedHessianWarning(UserWarning):
    """The Hessian is singular or so ill-conditioned that influences are unstable.

    The message gives the condition number. Adding a penalty to the model or
    setting ``damping`` makes the problem well posed.
    """


class ApproximationWarning(UserWarning):
    """A one-step estimate is outside the range where it is accurate.

    The message names the points concerned and the figure (e.g. a leverage
    close to 1); ``method="exact"`` gives the refitted value instead.
    """


class UnsupportedEstimatorError(TypeError, ValueError):
    """The wrapped estimator, or one of its settings, has no influence adapter.

    The message names the estimators and settings that are supported.
    """


class SupportChangeWarning(UserWarning):
    """Removing a training point would change which L1 coefficients are zero.

    Influence on L1 and elastic-net models is taken on the active set (the
    non-zero coefficients) and holds only while that set does not change;
    the message lists the points for which it would.
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
