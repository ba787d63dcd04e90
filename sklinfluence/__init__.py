"""Influence functions for convex scikit-learn models.

Explain a prediction through the training data, from one fitted model and
no retraining: which training points helped or hurt it, and what removing or
perturbing them would do.
"""

from ._classes import InfluenceClassifier, InfluenceRegressor
from ._explanation import Explanation
from ._objective import LinearObjective
from .display import (
    InfluentialExamplesDisplay,
    MislabelReviewDisplay,
    RemovalEffectDisplay,
)
from .svm import SmoothHingeClassifier

__all__ = [
    "Explanation",
    "InfluenceClassifier",
    "InfluenceRegressor",
    "InfluentialExamplesDisplay",
    "LinearObjective",
    "MislabelReviewDisplay",
    "RemovalEffectDisplay",
    "SmoothHingeClassifier",
]

__version__ = "0.1.0"
