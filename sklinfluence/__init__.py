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
from .mislabel import (
    fraction_found_at,
    mislabel_detection_curve,
    mislabel_ranking,
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
    "fraction_found_at",
    "mislabel_detection_curve",
    "mislabel_ranking",
]

__version__ = "0.1.0"
