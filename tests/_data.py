"""Bundled data sets and example scripts, prepared as several test modules use them."""

import importlib.util
from pathlib import Path

from sklearn.datasets import load_diabetes
from sklearn.preprocessing import scale

# The codes of statsmodels' ``fair`` survey column ``occupation``.
OCCUPATIONS = {
    1: "student",
    2: "farming",
    3: "white-collar",
    4: "skilled",
    5: "managerial",
    6: "professional",
}


def diabetes():
    """Standardized diabetes: 200 training rows and 10 test rows, y scaled too."""
    X, y = load_diabetes(return_X_y=True)
    X = scale(X)
    y = (y - y.mean()) / y.std()
    return X[:200], y[:200], X[300:310], y[300:310]


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load_example(name):
    """The script ``examples/<name>.py`` imported as a module (not run as main)."""
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
